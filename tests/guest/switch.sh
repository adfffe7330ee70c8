#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# memmap_on_memory is read at bind time: two devices in one guest, A bound
# with 1 and B with 0 after a runtime write; each keeps its own placement.
# multi recipe, booted with memory_hotplug.memmap_on_memory=1.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

param=/sys/module/kmem_mom/parameters/memmap_on_memory

tap_plan 12
devs=$(setup_device multi) || bail_out "no multi devices"
read -r A B C <<<"$devs"
devdax_park $A $B
echo offline >/sys/devices/system/memory/auto_online_blocks
bs=$(memblock_bytes)
na=$(($(cat "/sys/bus/dax/devices/$A/size") / bs))
nb=$(($(cat "/sys/bus/dax/devices/$B/size") / bs))

# node 1 also has boot RAM in the gaps between the ranges: count deltas.
unmanaged0=$(node_unmanaged_pages 1)
check "modprobe kmem_mom memmap_on_memory=1" modprobe kmem_mom memmap_on_memory=1
check "bind $A" daxctl reconfigure-device --mode=system-ram "$A"
check "echo 0 > memmap_on_memory while $A is bound" bash -c "echo 0 >$param"
check_eq "the parameter reads back 0" 0 "$(cat $param)"
check "bind $B" daxctl reconfigure-device --mode=system-ram "$B"
check_eq "$A: requested device" device "$(mom_attr "$A" memmap_requested)"
check_eq "$A: all $na blocks' memmap on the device" "$na" "$(mom_attr "$A" memmap_device_blocks)"
check_eq "$B: requested ram" ram "$(mom_attr "$B" memmap_requested)"
check_eq "$B: all $nb blocks' memmap in RAM" "$nb" "$(mom_attr "$B" memmap_ram_blocks)"
check_eq "node1 present-managed counts only $A's memmap" \
	$(($(memmap_bytes "$na") / 4096)) $(($(node_unmanaged_pages 1) - unmanaged0))
check "both back to devdax" bash -c "daxctl reconfigure-device --mode=devdax --force $A &&
	daxctl reconfigure-device --mode=devdax --force $B"
check "modprobe -r kmem_mom" modprobe -r kmem_mom
tap_done
