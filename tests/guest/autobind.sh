#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kmem_mom matches like the in-tree kmem of the running kernel: from 6.3 a
# KMEM-type driver takes soft-reserved (and CXL RAM) dax devices as soon as
# they appear; 6.1 leaves them to device_dax and binds only through new_id.
# The udev-style modalias load ("modprobe dax:t0") must bring in kmem_mom,
# never the in-tree kmem.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

tap_plan 7
echo offline >/sys/devices/system/memory/auto_online_blocks
check "modprobe dax:t0 (what udev runs for a dax device)" modprobe dax:t0
check "it loaded kmem_mom" grep -q "^kmem_mom " /proc/modules
check "and not the in-tree kmem" no_in_tree_kmem
blocks0=$(node_memblocks 1)
dev=$(setup_device hmem) || bail_out "no hmem dax device"
sleep 1
if kver_ge 6.3; then
	check_eq "6.3+: $dev was bound to kmem on arrival" kmem "$(dax_driver "$dev")"
	check_eq "and its memory was added" 8 $(($(node_memblocks 1) - blocks0))
else
	check_eq "6.1: $dev went to device_dax" device_dax "$(dax_driver "$dev")"
	check_eq "and no memory was added" 0 $(($(node_memblocks 1) - blocks0))
fi
check "daxctl reconfigure-device --mode=devdax --force $dev" \
	daxctl reconfigure-device --mode=devdax --force "$dev"
check_eq "node1 memory blocks are gone" "$blocks0" "$(node_memblocks 1)"
tap_done
