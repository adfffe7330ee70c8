#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# What a bind costs, and where: 1 GiB of hmem on node 1, booted with
# memory_hotplug.memmap_on_memory=1.  First memmap_on_memory=1 (memmap on
# the device: no DRAM spent, device capacity minus 16 MiB), then the same
# device with memmap_on_memory=0 switched at runtime (16 MiB of DRAM), each
# followed by a full return to devdax.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

policy=/sys/devices/system/memory/auto_online_blocks
param=/sys/module/kmem_mom/parameters/memmap_on_memory

# nr_memmap_pages (6.10+) is one check per placement where it exists.
plan=24
grep -q '^nr_memmap_pages ' /proc/vmstat && plan=26
tap_plan $plan
[ "$(cat /sys/module/memory_hotplug/parameters/memmap_on_memory)" = Y ] ||
	bail_out "boot with memory_hotplug.memmap_on_memory=1"
dev=$(setup_device hmem) || bail_out "no hmem dax device"
# Load kmem_mom while the device is held by device_dax: on 6.3+ a KMEM-type
# driver would otherwise grab the unbound device at once.
devdax_park "$dev"
check "modprobe kmem_mom memmap_on_memory=1" modprobe kmem_mom memmap_on_memory=1
echo offline >"$policy"
bs=$(memblock_bytes)
blocks=$(($(cat "/sys/bus/dax/devices/$dev/size") / bs))
size_kb=$((blocks * bs / 1024))
memmap_kb=$(($(memmap_bytes "$blocks") / 1024))
diag "$dev: $blocks blocks, $size_kb kB; its memmap is $memmap_kb kB"

# cycle PLACEMENT: bind with the current parameter, measure, unbind.
cycle() {
	local where=$1 d0 d1 mm0 mm1 total unmanaged
	check "daxctl disable-device $dev (device_dax frees its own memmap)" \
		daxctl disable-device "$dev"
	settle
	d0=$(dram_base) mm0=$(memmap_pages)
	cp /proc/iomem /tmp/iomem.0
	check "[$where] daxctl reconfigure-device --mode=system-ram" \
		daxctl reconfigure-device --mode=system-ram "$dev"
	settle
	d1=$(dram_free_kb 0) mm1=$(memmap_pages)
	total=$(node_meminfo_kb 1 MemTotal)
	unmanaged=$(node_unmanaged_pages 1)
	diag "[$where] node0 DRAM free $d0 -> $d1 kB; node1 MemTotal $total kB; node1 present-managed $unmanaged pages; nr_memmap_pages ${mm0:-n/a} -> ${mm1:-n/a}"
	if [ "$where" = device ]; then
		check_spent "[device] DRAM spent < 1 MiB" "$d0" -1024 1023
		check_eq "[device] node1 MemTotal = device - memmap" $((size_kb - memmap_kb)) "$total"
		check_eq "[device] node1 present-managed = memmap pages" $((memmap_kb / 4)) "$unmanaged"
		check_eq "[device] sysfs memmap_device_bytes" $((memmap_kb * 1024)) "$(mom_attr "$dev" memmap_device_bytes)"
	else
		check_spent "[ram] DRAM spent = memmap (16 MiB/GiB, +-1 MiB)" "$d0" \
			$((memmap_kb - 1024)) $((memmap_kb + 1024))
		check_eq "[ram] node1 MemTotal = whole device" "$size_kb" "$total"
		check_eq "[ram] node1 present-managed = 0" 0 "$unmanaged"
		check_eq "[ram] sysfs memmap_ram_bytes" $((memmap_kb * 1024)) "$(mom_attr "$dev" memmap_ram_bytes)"
	fi
	if [ -n "$mm0" ]; then
		check_eq "[$where] nr_memmap_pages grew by the memmap" $((memmap_kb / 4)) $((mm1 - mm0))
	fi
	check "[$where] back to devdax" daxctl reconfigure-device --mode=devdax --force "$dev"
	check "[$where] daxctl disable-device" daxctl disable-device "$dev"
	settle
	check_spent "[$where] DRAM back within 1 MiB after removal" "$d0" -1024 1023
	check_eq "[$where] node1 MemTotal back to 0" 0 "$(node_meminfo_kb 1 MemTotal)"
	check "[$where] /proc/iomem as before" diff -u /tmp/iomem.0 /proc/iomem
	daxctl enable-device "$dev" >/dev/null
}

cycle device
check "memmap_on_memory=0 written at runtime" bash -c "echo 0 >$param"
cycle ram
tap_done
