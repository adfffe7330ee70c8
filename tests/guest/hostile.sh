#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Bad input and bad timing, on the multi recipe (A, B: 256 MiB hmem each;
# C: 64 MiB, smaller than a memory block), with a test build of kmem_mom
# (make KMM_FAULT_INJECT=1).  Every case must end with a clear message and
# nothing left behind; the unbind-while-online case goes last because its
# memory stays added until reboot, by design.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

policy=/sys/devices/system/memory/auto_online_blocks
params=/sys/module/kmem_mom/parameters

tap_plan 50
devs=$(setup_device multi) || bail_out "no multi devices"
read -r A B C <<<"$devs"
# devdax where device_dax will take them (7.3's refuses the 64 MiB C:
# "could not reserve range"); "untouched" compares against this state.
devdax() { [ -n "$(dax_driver "$1")" ] || daxctl reconfigure-device --mode=devdax "$1" >/dev/null 2>&1 || true; }
for d in $A $B $C; do
	devdax "$d"
done
echo offline >"$policy"
cp /proc/iomem /tmp/iomem.0
blocks0=$(node_memblocks 1)
untouched() { # untouched DESC DEV: nothing leaked once DEV is devdax again
	devdax "$2"
	check_eq "$1: no memory block left" "$blocks0" "$(node_memblocks 1)"
	check "$1: /proc/iomem as before" diff -u /tmp/iomem.0 /proc/iomem
}

# 1. Parameter values outside 0/1 are refused at load ...
dmesg_mark
for v in 7 maybe -1; do
	check "modprobe kmem_mom memmap_on_memory=$v is refused" \
		bash -c "! modprobe kmem_mom memmap_on_memory=$v"
done
check "... and memmap_fallback=2" bash -c '! modprobe kmem_mom memmap_fallback=2'
# A budget is a percentage (0-100%) or a size with K/M/G/T: nothing else.
bad_budgets=(101% 5%% % 1X -1 99999999999T 1.5G 0x10M "2 %")
refused=
for v in "${bad_budgets[@]}"; do
	modprobe kmem_mom "memmap_ram_budget=$v" 2>/dev/null && { refused+=" '$v'"; modprobe -r kmem_mom; }
done
check_eq "modprobe kmem_mom memmap_ram_budget=<bad> is refused" "" "$refused"
check_eq "each refusal is explained in dmesg" $((4 + ${#bad_budgets[@]})) \
	"$(dmesg_count "kmem_mom: memmap_(on_memory|fallback|ram_budget): invalid value")"
check "and nothing stayed loaded" bash -c '! grep -q "^kmem_mom " /proc/modules'

# 2. ... and at runtime, leaving the value as it was.
check "modprobe kmem_mom" modprobe kmem_mom
for v in 5 "" yes -1 99999999999999999999; do
	check "writing '$v' to memmap_on_memory fails" \
		bash -c "! echo '$v' >$params/memmap_on_memory"
done
check_eq "memmap_on_memory kept its value" auto "$(cat $params/memmap_on_memory)"
refused=
for v in "${bad_budgets[@]}" ""; do
	{ printf '%s\n' "$v" >$params/memmap_ram_budget; } 2>/dev/null && refused+=" '$v'"
done
check_eq "writing a bad memmap_ram_budget fails" "" "$refused"
check_eq "memmap_ram_budget kept its value" 2% "$(cat $params/memmap_ram_budget)"
readback=
for v in 0 512M 1048576 3K 1T 100% 0% 2%; do
	echo "$v" >$params/memmap_ram_budget && readback+=" $(cat $params/memmap_ram_budget)"
done
check_eq "good budgets are taken and read back in their largest unit" \
	" 0 512M 1M 3K 1T 100% 0% 2%" "$readback"
check "memmap_on_memory takes 1, 0 and auto again" \
	bash -c "echo 1 >$params/memmap_on_memory && echo 0 >$params/memmap_on_memory && echo auto >$params/memmap_on_memory"
check "memmap_fallback=0 then =1 are accepted" \
	bash -c "echo 0 >$params/memmap_fallback && echo 1 >$params/memmap_fallback"

# 3. A device smaller than one memory block.
dmesg_mark
check "binding $C (64 MiB) fails" \
	bash -c "! daxctl reconfigure-device --mode=system-ram $C"
check "dmesg says it is smaller than a $(($(memblock_bytes) >> 20)) MiB block" test \
	"$(dmesg_count "$C: device smaller than a memory block \\($(($(memblock_bytes) >> 20)) MiB\\)")" -ge 1
untouched "small device" "$C"

# 3b. A range beyond what the kernel can hot-add (played by the test
# build's pluggable_end, just below A) is refused before anything is added.
dmesg_mark
printf '%d\n' "$(($(cat "/sys/bus/dax/devices/$A/resource") + $(memblock_bytes)))" \
	>$params/pluggable_end
check "binding $A beyond the pluggable range fails" \
	bash -c "! daxctl reconfigure-device --mode=system-ram $A"
check "dmesg names the range and the limit" test \
	"$(dmesg_count "$A: mapping0: 0x[0-9a-f]*-0x[0-9a-f]* is outside what this kernel can hot-add \\(0x0-0x[0-9a-f]*\\)")" -ge 1
echo 0 >$params/pluggable_end
untouched "range beyond the pluggable limit" "$A"

# 4. An add that fails midway rolls everything back; a retry then works.
dmesg_mark
echo 2 >$params/fail_add_at
check "bind of $A with add #2 failing fails" \
	bash -c "! daxctl reconfigure-device --mode=system-ram $A"
check "the injected failure happened" test "$(dmesg_count "injecting a failure into memory add call #2")" -ge 1
untouched "failed bind" "$A"
echo 0 >$params/fail_add_at
check "retry of $A succeeds" daxctl reconfigure-device --mode=system-ram "$A"
check "$A back to devdax" daxctl reconfigure-device --mode=devdax --force "$A"
untouched "after the retry" "$A"

# 5. The in-tree kmem already owns the name "kmem".
check "rmmod kmem_mom" modprobe -r kmem_mom
check "the in-tree kmem loads (by its path)" load_in_tree_kmem
dmesg_mark
check "modprobe kmem_mom now fails" bash -c '! modprobe kmem_mom'
check_eq "with one line that says what to do" 1 \
	"$(dmesg_count "kmem_mom: the dax driver name 'kmem' is taken.*modprobe -r kmem.*update-initramfs")"
check "rmmod kmem; modprobe kmem_mom" bash -c 'modprobe -r kmem && modprobe kmem_mom'

# 6. rmmod while bound (blocks offline): unload removes the memory.
check "bind $B without onlining (-N)" daxctl reconfigure-device -N --mode=system-ram "$B"
check "modprobe -r kmem_mom while $B is bound" modprobe -r kmem_mom
untouched "rmmod while bound" "$B"

# 7. Unbind with blocks online: kept until reboot, honestly, never freed.
check "modprobe kmem_mom; bind $A and online it" \
	bash -c "modprobe kmem_mom && daxctl reconfigure-device --mode=system-ram $A"
online=$(node_online_memblocks 1)
dmesg_mark
echo "$A" >/sys/bus/dax/drivers/kmem/unbind
check_eq "unbind says the blocks cannot be hotremoved until the next reboot" 1 \
	"$(dmesg_count "$A: mapping0: .*memory block\\(s\\) cannot be hotremoved until the next reboot")"
check_eq "the online blocks are still there" "$online" "$(node_online_memblocks 1)"
check_eq "and counted as stranded" "0 2 2" \
	"$(mom_counters)"
check "rmmod kmem_mom with memory left behind" modprobe -r kmem_mom
check "/proc/iomem still reads (names outlive the module)" \
	bash -c "grep -q 'System RAM (kmem)' /proc/iomem"
tap_done
