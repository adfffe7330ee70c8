#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A memmap meant for RAM next to another device's memory (pair recipe: A
# and B share node 1, which has no boot RAM).  With A online in
# ZONE_NORMAL, the allocator serves B's memmap from A, the node's only
# kernel-zone memory: kmem_mom must count it as "in other hot-added
# memory", never as RAM, and B must go back before A can.  With A in
# ZONE_MOVABLE the same memmap comes from node 0's boot RAM.  Booted with
# memory_hotplug.memmap_on_memory=1.  On 7.x, A cannot leave ZONE_NORMAL
# (the node's kswapd is there): that case comes last and says so.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

param=/sys/module/kmem_mom/parameters/memmap_on_memory

tap_plan
devs=$(setup_device pair) || bail_out "no pair devices"
read -r A B <<<"$devs"
devdax_park $A $B
echo offline >/sys/devices/system/memory/auto_online_blocks
na=$(dax_fit_memblocks "$A") nb=$(dax_fit_memblocks "$B")
memmap_b=$(($(memmap_bytes "$nb") / 1024))
diag "$A: $na blocks, $B: $nb blocks (memmap $memmap_b kB), both on node 1"
check "modprobe kmem_mom memmap_on_memory=1" modprobe kmem_mom memmap_on_memory=1
snapshot /tmp/base

# b_in_ram ZONE-OPTION WHERE: A online in that zone, then B with its memmap
# in RAM; WHERE is the sysfs file that must count all of B's blocks.  B
# waits on device_dax while A binds: binding through new_id attaches every
# unbound device the driver matches.
b_in_ram() {
	local t="[A ${1:-movable}]" d0 d1 f0 f1 out rc
	echo 1 >$param
	check "$t bind $A, memmap on the device" \
		daxctl reconfigure-device --mode=system-ram ${1:+--no-movable} "$A"
	echo 0 >$param
	daxctl disable-device "$B" >/dev/null
	settle
	d0=$(dram_base) f0=$(dram_free_kb 1)
	dmesg_mark
	check "$t bind $B, memmap in RAM" daxctl reconfigure-device --mode=system-ram "$B"
	settle
	d1=$(dram_free_kb 0) f1=$(dram_free_kb 1)
	diag "$t node0 DRAM spent $((d0 - d1)) kB; node1 free $f0 -> $f1 kB" \
		"($(mom_attr_or "$B" memmap_ram_blocks) in RAM, $(mom_attr_or "$B" memmap_hotplug_blocks) in hot-added memory)"
	check_eq "$t $B: every block's memmap counted $2" "$nb" "$(mom_attr_or "$B" "$2")"
	if [ "$2" = memmap_hotplug_blocks ]; then
		check_eq "$t $B: none is called RAM" 0 "$(mom_attr_or "$B" memmap_ram_blocks)"
		check_spent "$t node0 DRAM spent: not the memmap (kB)" "$d0" -1024 1023
		check_eq "$t dmesg names it" 1 \
			"$(dmesg_count "$B: node 1 .*: 0 on the device, 0 in RAM, $nb in other hot-added memory")"
	else
		check_eq "$t $B: none in hot-added memory" 0 "$(mom_attr_or "$B" memmap_hotplug_blocks)"
		check_spent "$t node0 DRAM spent = B's memmap +-1 MiB (kB)" "$d0" \
			$((memmap_b - 1024)) $((memmap_b + 1024))
	fi
	check "$t $B back to devdax first" daxctl reconfigure-device --mode=devdax --force "$B"
	out=$(daxctl reconfigure-device --mode=devdax --force "$A" 2>&1) && rc=0 || rc=$?
	if [ -n "$1" ] && kver_ge 7.0; then
		# 7.x puts the new node's kswapd in its first ZONE_NORMAL block.
		check_busy "$t then $A: the kernel pinned its ZONE_NORMAL block, EBUSY (7.x)" $rc "$out"
		return 0
	fi
	check "$t then $A" test $rc = 0
	snapshot /tmp/now
	check_eq "$t nothing left" "$NO_DRIFT" "$(exact_drift /tmp/base /tmp/now)"
}

# ZONE_NORMAL last: 7.x cannot give it back.
b_in_ram "" memmap_ram_blocks
b_in_ram no-movable memmap_hotplug_blocks
if ! kver_ge 7.0; then
	check "modprobe -r kmem_mom" modprobe -r kmem_mom
fi
tap_done
