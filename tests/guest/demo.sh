#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo: hot-add 1 GiB of emulated device memory (soft-reserved, node 1)
# through kmem_mom, memmap on the device, and show what it cost: what
# kmem-mom plan predicted, and what kmem-mom list and status report.
set -euo pipefail
. /kmm/lib.sh

show() { diag "\$ $*"; diag "$("$@" 2>&1)"; }
node_kb() { awk -v k="$2" '$3 == k":" {print $4}' "/sys/devices/system/node/node$1/meminfo"; }

tap_plan 3
dev=$(setup_device hmem) || bail_out "no hmem dax device"
devdax_park "$dev"
echo offline >/sys/devices/system/memory/auto_online_blocks
diag "kernel $(uname -r); memory_hotplug.memmap_on_memory=$(cat /sys/module/memory_hotplug/parameters/memmap_on_memory)"
free0=$(node_kb 0 MemFree)
show cat /etc/modprobe.d/kmem_mom.conf
modprobe kmem_mom
show kmem-mom plan -u "$dev"
check "daxctl reconfigure-device --mode=system-ram $dev" \
	daxctl reconfigure-device --mode=system-ram "$dev"
show lsmod
show ls /sys/bus/dax/drivers/kmem
show daxctl list -d "$dev"
show kmem-mom list -u -d "$dev"
show kmem-mom status
diag "node1 MemTotal: $(node_kb 1 MemTotal) kB of $((1024 * 1024)) kB hot-added"
diag "node0 MemFree change: $(($(node_kb 0 MemFree) - free0)) kB (memmap for 1 GiB would be 16384 kB)"
diag "$(dmesg | grep -E "kmem|dax|Demotion")"
check_eq "all memmap on the device" 8 "$(cat /sys/bus/dax/devices/"$dev"/kmem_mom/memmap_device_blocks)"
check "back to devdax" daxctl reconfigure-device --mode=devdax --force "$dev"
tap_done
