#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A CXL type-3 volatile region (6.12+): with kmem_mom loaded, the dax
# device dax_cxl creates is bound to "kmem" on arrival, as the in-tree kmem
# would be, and its memory hot-added with the memmap on the device (booted
# with memory_hotplug.memmap_on_memory=1; memmap_on_memory=auto sees
# volatile memory of unknown speed: the kernel computes no abstract
# distance for QEMU's emulated region).  Then daxctl takes it back.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

tap_plan 13
echo offline >/sys/devices/system/memory/auto_online_blocks
check "modprobe kmem_mom" modprobe kmem_mom
dev=$(setup_device cxl) || bail_out "no CXL RAM region"
node=$(dax_node "$dev")
blocks0=0
bs=$(memblock_bytes)
want=$(($(cat "/sys/bus/dax/devices/$dev/size") / bs))
diag "$dev: CXL RAM region on node $node, $want blocks"
sleep 1
check_eq "$dev was bound to kmem on arrival" kmem "$(dax_driver "$dev")"
check_eq "node $node has its $want memory blocks" "$want" "$(node_memblocks "$node")"
check_eq "memmap on the device for every block" "$want" "$(mom_attr "$dev" memmap_device_blocks)"
why=$(mom_attr "$dev" memmap_policy_reason)
diag "$why"
check "memmap_on_memory=auto: volatile CXL memory, on the device" \
	bash -c "[[ '$why' == 'auto: volatile memory (region'*'-> device' ]]"
# Measured on a bind of its own: the arrival shares its window with the
# region's set-up (the cxl tool, the decoders).
check "unbind $dev" sysfs_write /sys/bus/dax/drivers/kmem/unbind "$dev"
placement_mark "$node"
check "daxctl reconfigure-device --mode=system-ram $dev binds and onlines it" \
	daxctl reconfigure-device --mode=system-ram "$dev"
check_placement "measured:" "$node" "$want" device
check_eq "daxctl list reports system-ram" system-ram \
	"$(daxctl list -d "$dev" | jq -r '.[0].mode')"
check "daxctl reconfigure-device --mode=devdax --force $dev" \
	daxctl reconfigure-device --mode=devdax --force "$dev"
check_eq "node $node memory blocks are gone" "$blocks0" "$(node_memblocks "$node")"
check "modprobe -r kmem_mom" modprobe -r kmem_mom
tap_done
