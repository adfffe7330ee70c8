#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A kernel fact kmem_mom's placement depends on, without kmem_mom: can a
# device whose memmap is on the device itself be given back?  The in-tree
# kmem with its own daxX.Y/memmap_on_memory (6.9+) binds the recipe's
# device with the memmap on it, then daxctl offlines it.
#
# arm64 7.x refuses every such offline: its memory notifier
# (prevent_memory_remove_notifier) rejects a removal whose vmemmap edges
# split a leaf mapping, and it is handed the block without its own memmap
# pages (the first 2 MiB of a 128 MiB block), whose struct pages start
# inside the block's one 2 MiB vmemmap leaf: "[...] splits a leaf entry in
# vmemmap", and EPERM to userspace.  arm64 6.12 and x86 give it back.
# KMM_LEAFSPLIT=refused or given-back says which this guest must see.
# KMM_LEAFSPLIT_DRIVER=kmem_mom: the same with kmem_mom (memmap_on_memory=1),
# which must say at bind, where the kernel refuses, that the blocks cannot
# be hotremoved until the next reboot, and say nothing of it elsewhere.
set -euo pipefail
. /kmm/lib.sh

policy=/sys/devices/system/memory/auto_online_blocks

tap_plan 6
want=${KMM_LEAFSPLIT:?KMM_LEAFSPLIT: refused or given-back}
diag "kernel $(kver) on $(uname -m), device $KMM_DEVICE, expecting: $want"
drv=${KMM_LEAFSPLIT_DRIVER:-kmem}
if [ "$drv" = kmem ] && [ -f /etc/modprobe.d/kmem_mom.conf ]; then
	mv /etc/modprobe.d/kmem_mom.conf /tmp/kmem_mom.conf
	in_tree_kmem_conf /etc/modprobe.d/kmm-case.conf
fi
[ "$drv" = kmem ] || echo "options kmem_mom memmap_on_memory=1" >/etc/modprobe.d/kmm-case.conf
dev=$(setup_device "$KMM_DEVICE") || bail_out "no $KMM_DEVICE dax device"
devdax_park "$dev"
echo offline >$policy
daxctl disable-device "$dev" >/dev/null
lines=$(dmesg | wc -l)
if [ "$drv" = kmem ]; then
	modprobe kmem
	check "the in-tree kmem's own switch: memmap on the device" \
		sysfs_write "/sys/bus/dax/devices/$dev/memmap_on_memory" 1
	check "daxctl reconfigure-device $dev to system-ram" \
		daxctl reconfigure-device --mode=system-ram "$dev"
else
	check "daxctl reconfigure-device $dev to system-ram (kmem_mom, memmap_on_memory=1)" \
		daxctl reconfigure-device --mode=system-ram "$dev"
	said=$(dmesg | tail -n +$((lines + 1)) | grep -c 'cannot be hotremoved until the next reboot' || true)
	if [ "$want" = refused ]; then
		check_eq "kmem_mom says at bind that the blocks cannot be hotremoved" 1 "$said"
	else
		check_eq "kmem_mom does not say it where the kernel gives them back" 0 "$said"
	fi
fi
n=$(dax_online_memblocks "$dev")
diag "$n blocks online, nr_memmap_pages $(awk '$1 == "nr_memmap_pages" { print $2 }' /proc/vmstat)"
lines=$(dmesg | wc -l)
out=$(daxctl offline-memory "$dev" 2>&1) && rc=0 || rc=$?
diag "$out"
new=$(dmesg | tail -n +$((lines + 1)))
diag "$(grep -m3 'leaf entry' <<<"$new" || true)"
if [ "$want" = refused ]; then
	check "daxctl offline-memory is refused" test "$rc" != 0
	check "with EPERM" bash -c "[[ '$out' == *'Operation not permitted'* ]]"
	check "the kernel says the offline would split a vmemmap leaf" \
		bash -c "grep -q 'splits a leaf entry in vmemmap' <<<'$new'"
	check_eq "every block stays online" "$n" "$(dax_online_memblocks "$dev")"
else
	check "daxctl offline-memory succeeds" test "$rc" = 0
	check_eq "no block is online" 0 "$(dax_online_memblocks "$dev")"
	check "daxctl reconfigure-device $dev back to devdax" \
		daxctl reconfigure-device --mode=devdax --force "$dev"
	check_eq "its blocks are gone" 0 "$(dax_memblocks "$dev")"
fi

tap_done
