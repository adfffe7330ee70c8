#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A dax device of two ranges, memmap in RAM, the kernel auto-onlining into
# ZONE_NORMAL.  Each range is one add; the range added first must not be
# online while the second one's memmap is allocated (it would be allocated
# there, on the device), so kmem_mom holds it offline while it binds and
# asks for it in online_request.  kmem_mom-online-held, what the udev rule
# runs, then onlines it (daxctl online-memory would miss the ranges beyond
# the first range's start plus the device's size).  The hmem region is carved with
# daxctl: A (the first device) shrunk to 256 MiB, then B and C of 256 MiB,
# B destroyed, and C grown by 512 MiB into the space after it and the hole
# B left.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

aob=/sys/devices/system/memory/auto_online_blocks

tap_plan
first=$(setup_device hmem) || bail_out "no hmem dax device"
region=${first#dax}
region=${region%%.*}
devdax_park "$first"
daxctl disable-device "$first" >/dev/null
A=$first
check "shrink $A to 256 MiB" daxctl reconfigure-device --size=256M "$A"
# Every device waits on device_dax: 6.3+ binds unbound hmem devices as
# the module loads, and daxctl's bind attaches all of them.
daxctl reconfigure-device --mode=devdax "$A" >/dev/null
new() { daxctl create-device -r "$region" -s 256M | jq -r 'if type == "array" then .[0].chardev else .chardev end'; }
B=$(new) C=$(new)
daxctl disable-device "$B" >/dev/null
daxctl disable-device "$C" >/dev/null
daxctl destroy-device "$B" >/dev/null
check "grow $C to 768 MiB" daxctl reconfigure-device --size=768M "$C"
starts=$(cat /sys/bus/dax/devices/"$C"/mapping[0-9]*/start | tr '\n' ' ')
diag "$C: ranges start at $starts"
check_eq "$C has three ranges (the hole first, then the space after it)" 3 "$(wc -w <<<"$starts")"
# 6.3+ would bind every unbound hmem device as the module loads.
daxctl reconfigure-device --mode=devdax "$C" >/dev/null
check "modprobe kmem_mom memmap_on_memory=0" modprobe kmem_mom memmap_on_memory=0
echo online >$aob
daxctl disable-device "$C" >/dev/null
settle
d0=$(dram_base)
dmesg_mark
check "bind $C (-N --force: the kernel onlines, daxctl does not)" \
	daxctl reconfigure-device -N --force --mode=system-ram "$C"
check_eq "counters: 1 device, 6 blocks" "1 6 0" "$(mom_counters)"
check_eq "zones (movable normal offline): the two ranges added first held" "0 2 4" \
	"$(mom_attr "$C" online_movable_blocks) $(mom_attr "$C" online_normal_blocks) $(mom_attr "$C" offline_blocks)"
check_eq "online_request asks for the kernel's zone" online_kernel "$(mom_attr "$C" online_request)"
check_eq "dmesg says why, and what onlines them" 1 \
	"$(dmesg_count "$C: 4 memory block\\(s\\) held offline \\(a memmap in RAM must not land on them\\); online_request is online_kernel.*kmem_mom-online-held $C")"
check "kmem_mom-online-held $C (what the udev rule runs)" \
	/usr/lib/kmem_mom/kmem_mom-online-held "$C"
check_eq "online_request is done" none "$(mom_attr "$C" online_request)"
check_eq "all 6 in ZONE_NORMAL now" "0 6 0" \
	"$(mom_attr "$C" online_movable_blocks) $(mom_attr "$C" online_normal_blocks) $(mom_attr "$C" offline_blocks)"
settle
spent=$((d0 - $(dram_free_kb 0)))
used=$(($(node_meminfo_kb 1 MemTotal) - $(dram_free_kb 1)))
diag "node0 DRAM spent $spent kB; node1 MemTotal $(node_meminfo_kb 1 MemTotal) kB, used $used kB"
check_eq "sysfs: every memmap in RAM" "0/6/0" \
	"$(mom_attr "$C" memmap_device_blocks)/$(mom_attr "$C" memmap_ram_blocks)/$(mom_attr "$C" memmap_hotplug_blocks)"
check_spent "node0 DRAM spent = 6 memmaps +-1 MiB (kB)" "$d0" $((6 * 2048 - 1024)) $((6 * 2048 + 1024))
within "node1: none of it on the device (used kB)" "$used" 0 2048
# daxctl (up to 81) offlines a device's blocks from its first range's start
# over its size: it would miss the hole's range, and the unbind would
# strand it.  Offline what kmem_mom says it added, then unbind.
offline_ranges() {
	local bs start end b
	bs=$(memblock_bytes)
	while IFS=- read -r start end; do
		for ((b = start / bs; b <= end / bs; b++)); do
			echo offline >"/sys/devices/system/memory/memory$b/state" || return 1
		done
	done <"/sys/bus/dax/devices/$1/kmem_mom/ranges"
}
out=$({ offline_ranges "$C" && daxctl reconfigure-device --mode=devdax "$C"; } 2>&1) && rc=0 || rc=$?
if kver_ge 7.0; then
	# 7.x puts the new node's kswapd in its first ZONE_NORMAL block.
	check_busy "offline: the kernel pinned a ZONE_NORMAL block, EBUSY (7.x)" $rc "$out"
else
	check "offline every range, then back to devdax" test $rc = 0
	check_eq "counters: nothing left" "0 0 0" "$(mom_counters)"
	check_eq "no memory block left on node 1" 0 "$(node_memblocks 1)"
fi
echo offline >$aob
tap_done
