#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# memmap_on_memory=1 on a kernel booted WITHOUT memory_hotplug.memmap_on_memory:
# the core will not put the memmap on the device.  6.1 says so with -EINVAL,
# 6.9+ say so up front, 6.6-6.8 silently use system RAM; kmem_mom must
# notice either way, put the memmap in RAM, say why once, and with
# memmap_fallback=0 fail the bind cleanly.
# Test build (make KMM_FAULT_INJECT=1), for the kernels that cannot say.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

policy=/sys/devices/system/memory/auto_online_blocks

tap_plan 25
[ "$(cat /sys/module/memory_hotplug/parameters/memmap_on_memory)" = N ] ||
	bail_out "boot without memory_hotplug.memmap_on_memory"
dev=$(setup_device "$KMM_DEVICE") || bail_out "no $KMM_DEVICE dax device"
devdax_park "$dev"
echo offline >"$policy"
bs=$(memblock_bytes)
start=$(($(cat "/sys/bus/dax/devices/$dev/resource")))
size=$(cat "/sys/bus/dax/devices/$dev/size")
blocks=$(((start + size) / bs - (start + bs - 1) / bs))
# 6.9+ say so up front (mhp_supports_memmap_on_memory()); 6.6-6.8 only
# show it in the page tables; <= 6.5 answer the add with -EINVAL.
if kver_ge 6.9; then
	why="the kernel declines MHP_MEMMAP_ON_MEMORY (memory_hotplug.memmap_on_memory is off)"
elif kver_ge 6.6; then
	why="the kernel put the memmap in system RAM"
else
	why="the kernel refused MHP_MEMMAP_ON_MEMORY (-EINVAL)"
fi
why_up_front=$why

dmesg_mark
check "modprobe kmem_mom memmap_on_memory=1" modprobe kmem_mom memmap_on_memory=1
check "daxctl reconfigure-device --mode=system-ram $dev" \
	daxctl reconfigure-device --mode=system-ram "$dev"
check_eq "memmap_requested is device" device "$(mom_attr "$dev" memmap_requested)"
check_eq "all $blocks blocks fell back to system RAM" "$blocks" "$(mom_attr "$dev" memmap_ram_blocks)"
check_eq "none claims to be on the device" 0 "$(mom_attr "$dev" memmap_device_blocks)"
check_eq "the reason names the kernel's behaviour" "$why" "$(mom_attr "$dev" memmap_fallback_reason)"
check_eq "dmesg says so once, with the fix" 1 \
	"$(dmesg_count "$dev: memmap goes to system RAM: .*boot with memory_hotplug.memmap_on_memory=1")"
check_eq "node1 present-managed is 0 (no memmap on the device)" 0 "$(node_unmanaged_pages 1)"
check "back to devdax" daxctl reconfigure-device --mode=devdax --force "$dev"
check "modprobe -r kmem_mom" modprobe -r kmem_mom

# memmap_fallback=0: fail the bind instead of spending DRAM.
daxctl disable-device "$dev" >/dev/null
cp /proc/iomem /tmp/iomem.0
blocks_before=$(node_memblocks 1)
dmesg_mark
check "modprobe kmem_mom memmap_on_memory=1 memmap_fallback=0" modprobe kmem_mom memmap_on_memory=1 memmap_fallback=0
check "daxctl reconfigure-device fails" \
	bash -c "! daxctl reconfigure-device --mode=system-ram $dev"
# daxctl probes twice (new_id, then bind): at least one line, each explicit.
check "dmesg explains the refusal" test "$(dmesg_count "$dev: memmap cannot be placed on the device .*memmap_fallback=0: failing the bind")" -ge 1
check_eq "no memory block was left behind" "$blocks_before" "$(node_memblocks 1)"
check "/proc/iomem as before" diff -u /tmp/iomem.0 /proc/iomem
check "the device can go back to devdax" daxctl reconfigure-device --mode=devdax "$dev"
check "modprobe -r kmem_mom" modprobe -r kmem_mom

# A kernel that cannot say up front where the memmap will go (6.6-6.8,
# played by the test build: hide_memmap_support=1; on 6.1 the -EINVAL
# answer is that probe).  The first block is added held offline, looked
# at and taken away; the memmap then goes to RAM in one call per range,
# and none of it may land on the device, with the kernel auto-onlining
# (to ZONE_MOVABLE: 7.x could not give a ZONE_NORMAL device back).
echo online_movable >"$policy"
daxctl disable-device "$dev" >/dev/null
settle
d0=$(dram_base)
memmap_kb=$(($(memmap_bytes "$blocks") / 1024))
dmesg_mark
check "modprobe kmem_mom memmap_on_memory=1 hide_memmap_support=1" \
	modprobe kmem_mom memmap_on_memory=1 hide_memmap_support=1
check "daxctl reconfigure-device --force (the kernel auto-onlines)" \
	daxctl reconfigure-device --mode=system-ram --force "$dev"
settle
check_eq "all $blocks blocks' memmap in RAM" "$blocks" "$(mom_attr "$dev" memmap_ram_blocks)"
why=$why_up_front
kver_ge 6.6 && why="the kernel put the memmap in system RAM"
check_eq "the reason is what the probe saw" "$why" "$(mom_attr "$dev" memmap_fallback_reason)"
check_spent "node0 DRAM spent = memmap +-1 MiB (kB)" "$d0" \
	$((memmap_kb - 1024)) $((memmap_kb + 1024))
within "node1: its memory is free, no memmap on it (used kB)" \
	$(($(node_meminfo_kb 1 MemTotal) - $(dram_free_kb 1))) 0 2048
check "back to devdax" daxctl reconfigure-device --mode=devdax --force "$dev"
check_eq "no memory block was left behind" "$blocks_before" "$(node_memblocks 1)"
echo offline >"$policy"
tap_done
