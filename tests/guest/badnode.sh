#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A dax device with no valid NUMA node (NVDIMM on firmware without SRAT,
# booted numa=noacpi: target_node -1).  Like kmem, kmem_mom must refuse it,
# say why, and leave nothing behind.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

tap_plan 6
echo offline >/sys/devices/system/memory/auto_online_blocks
dev=$(setup_device nvdimm-nonuma) || bail_out "no nvdimm dax device"
check_eq "$dev has no target node" -1 "$(dax_node "$dev")"
daxctl disable-device "$dev" >/dev/null
cp /proc/iomem /tmp/iomem.0
blocks0=$(ls -d /sys/devices/system/memory/memory[0-9]* | wc -l)
dmesg_mark
check "modprobe kmem_mom" modprobe kmem_mom
check "daxctl reconfigure-device --mode=system-ram fails" \
	bash -c "! daxctl reconfigure-device --mode=system-ram $dev"
check "dmesg: rejecting DAX region with invalid node: -1" test \
	"$(dmesg_count "kmem $dev: rejecting DAX region with invalid node: -1")" -ge 1
check_eq "no memory block was added" "$blocks0" "$(ls -d /sys/devices/system/memory/memory[0-9]* | wc -l)"
check "/proc/iomem as before" diff -u /tmp/iomem.0 /proc/iomem
tap_done
