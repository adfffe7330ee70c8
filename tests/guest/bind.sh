#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kmem_mom end to end, driven the way a user drives kmem: unmodified daxctl
# loads "kmem" (our modprobe.d rule turns that into kmem_mom), binds the
# device to the dax driver named "kmem", onlines it; then back to devdax.
# Device recipe from $KMM_DEVICE (hmem|pmem).
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

policy=/sys/devices/system/memory/auto_online_blocks
mom_param=/sys/module/memory_hotplug/parameters/memmap_on_memory

# arm64 6.12+ (52-bit kernels): which page-table layout the walk from
# TTBR1_EL1 met, five levels (LPA2) or four with one folded at run time
# (KMM_ARM64_CPU, a CPU without LPA2): one more line.
lpa2=
[ "$(uname -m)" != aarch64 ] || ! kver_ge 6.12 || lpa2=y
tap_plan $((28 + ${lpa2:+1}))
diag "kernel $(kver), device $KMM_DEVICE, memory_hotplug.memmap_on_memory=$(cat $mom_param)"
if [ -n "$lpa2" ]; then
	if [ -n "${KMM_ARM64_CPU:-}" ]; then
		check "$KMM_ARM64_CPU: 48-bit addresses, no LPA2 (four levels)" \
			sh -c "! dmesg | grep -q 'detected: 52-bit Virtual Addressing (LPA2)'"
	else
		check "52-bit addresses with LPA2 (five levels)" \
			sh -c "dmesg | grep -q 'detected: 52-bit Virtual Addressing (LPA2)'"
	fi
fi

dev=$(setup_device "$KMM_DEVICE") || bail_out "no $KMM_DEVICE dax device"
node=$(dax_node "$dev")
# Start, and must end, in devdax mode.  6.3+ does not auto-bind device_dax
# to KMEM-type (hmem, CXL RAM) devices, so put it there explicitly.
devdax_park "$dev"
check_eq "$dev targets node ${KMM_DEV_NODE:-1}" "${KMM_DEV_NODE:-1}" "$node"
check_eq "$dev starts in devdax mode" device_dax "$(dax_driver "$dev")"
bs=$(memblock_bytes)
size=$(cat "/sys/bus/dax/devices/$dev/size")
start=$(($(cat "/sys/bus/dax/devices/$dev/resource")))
# kmem_mom trims each range to whole memory blocks, as kmem does.
first=$(((start + bs - 1) / bs * bs))
want=$(((start + size - first) / bs))
diag "$dev: start $start size $size -> $want blocks of $bs bytes"

old_policy=$(cat "$policy")
echo offline >"$policy"
trap 'echo "$old_policy" >"$policy"' EXIT
cp /proc/iomem /tmp/iomem.before
blocks_before=$(node_memblocks "$node")
# device_dax gives the device a memmap in RAM of its own (ZONE_DEVICE):
# freed as it lets go, it would blur the measured window.
daxctl disable-device "$dev" >/dev/null
placement_mark "$node"

dmesg_mark
check "kmem_mom is not loaded yet" bash -c '! grep -q "^kmem_mom " /proc/modules'
check "daxctl reconfigure-device $dev to system-ram" \
	daxctl reconfigure-device --mode=system-ram "$dev"
check "daxctl's load of 'kmem' loaded kmem_mom" grep -q "^kmem_mom " /proc/modules
check "the in-tree kmem stayed out" no_in_tree_kmem
check "the module 'kmem' is kmem_mom's stand-in for the name" test -e /sys/module/kmem/version
check_eq "dax driver 'kmem' is provided by kmem_mom" kmem_mom \
	"$(basename "$(readlink /sys/bus/dax/drivers/kmem/module)")"
check_eq "$dev is bound to 'kmem'" kmem "$(dax_driver "$dev")"
check_eq "node $node gained $want memory blocks" "$want" \
	"$(($(node_memblocks "$node") - blocks_before))"
check_eq "daxctl onlined all of them" "$want" "$(node_online_memblocks "$node")"
check_eq "daxctl list reports system-ram" system-ram \
	"$(daxctl list -d "$dev" | jq -r '.[0].mode')"
where=device
[ "$(cat $mom_param)" = N ] && where=ram
check_placement "measured:" "$node" "$want" $where

if [ "$first" != "$start" ]; then
	check_eq "the trimmed head of the range is reported" 1 \
		"$(dmesg_count "$dev: mapping0: trimmed to $(printf '%#x' "$first")-")"
else
	check_eq "a block-aligned range is not reported as trimmed" 0 "$(dmesg_count "$dev: mapping0: trimmed")"
fi
check "daxctl offline-memory $dev" daxctl offline-memory "$dev"
check_eq "all its blocks are offline" 0 "$(node_online_memblocks "$node")"
check "daxctl online-memory $dev" daxctl online-memory "$dev"
attrs=/sys/bus/dax/devices/$dev/kmem_mom
on_dev=$(cat "$attrs/memmap_device_blocks")
in_ram=$(cat "$attrs/memmap_ram_blocks")
diag "memmap: $on_dev blocks on the device, $in_ram in RAM; fallback: $(cat "$attrs/memmap_fallback_reason")"
check_eq "every block's memmap is accounted for" "$want" "$((on_dev + in_ram))"
# Without the boot parameter the kernel cannot place it on the device:
# memmap_on_memory=auto chooses RAM where the kernel says so up front
# (6.9+) or the media is persistent, and a fallback catches the rest; each
# says why.
if [ "$(cat $mom_param)" = N ]; then
	check_eq "no boot parameter: memmap in system RAM" "$want" "$in_ram"
	ram_reason() {
		[[ "$(mom_attr_or "$dev" memmap_policy_reason)" == *'-> ram' ]] ||
			reason_given "$dev" memmap_fallback_reason
	}
	check "why it is in RAM is reported (policy or fallback)" ram_reason
else
	check_eq "boot parameter on: memmap on the device" "$want" "$on_dev"
	check_eq "no fallback reason" none "$(cat "$attrs/memmap_fallback_reason")"
fi
# memmap_on_memory=auto (the default) and why it chose as it did.
why=$(cat "$attrs/memmap_policy_reason")
diag "$why"
check_eq "memmap_policy is auto" auto "$(cat "$attrs/memmap_policy")"
if [[ $why =~ ${KMM_AUTO_WHY:?} ]]; then ok "the policy says why"; else not_ok "the policy says why" "want /$KMM_AUTO_WHY/"; fi
# The blocks' resources merge into one, as the in-tree kmem's single add
# makes it: its whole blocks, as "start-end System RAM (kmem)".
check_eq "/proc/iomem: one System RAM (kmem) under $dev spans the $want blocks" \
	"$(dax_blocks_resource "$dev" "$want")" "$(dax_ram_resources "$dev")"

check "daxctl reconfigure-device $dev back to devdax" \
	daxctl reconfigure-device --mode=devdax --force "$dev"
check_eq "node $node memory blocks are gone" "$blocks_before" "$(node_memblocks "$node")"
check "/proc/iomem is as before" diff -u /tmp/iomem.before /proc/iomem
check "modprobe -r kmem_mom" modprobe -r kmem_mom

tap_done
