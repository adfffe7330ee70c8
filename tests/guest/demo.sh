#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo: the point of kmem_mom on one screen.  1 GiB of soft-reserved
# memory on node 1, the kernel as Debian boots it (6.12: hot-added memory
# onlined by the kernel, udevd running), booted with
# memory_hotplug.memmap_on_memory=1.  The same device is hot-added twice
# with daxctl, first by kmem_mom as installed (memmap_on_memory=auto),
# then by the in-tree kmem, and given back each time.  Every figure is
# measured the way the guest suite measures it (tests/guest/mem.sh): node
# 0's DRAM from its free pages before and after, settled; the device's
# capacity from node 1's present - managed pages; where each block's
# memmap is from kmem_mom's reading of the page tables.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

mdir=/etc/modprobe.d
aob=/sys/devices/system/memory/auto_online_blocks

tap_plan 14
[ "$(cat /sys/module/memory_hotplug/parameters/memmap_on_memory)" = Y ] ||
	bail_out "boot with memory_hotplug.memmap_on_memory=1"
[ "${KMM_UDEV:-}" = 1 ] && pgrep -x systemd-udevd >/dev/null ||
	bail_out "udevd is not running (KMM_UDEV=1)"
dev=$(coldplug_without_driver hmem) || bail_out "no hmem dax device"
node=$(dax_node "$dev")
n=$(dax_fit_memblocks "$dev")
memmap_kb=$(($(memmap_bytes "$n") / 1024))
force=
[ "$(cat $aob)" = offline ] || force=--force

# hotadd DRIVER: bind $dev with daxctl as a user would, measure, give it
# back.  Sets spent, pages, total and back.
# The driver is loaded while device_dax holds the device (6.3+ would bind
# an unbound device to it at once), and the device is then unbound:
# device_dax's own memmap would otherwise count in the window.
hotadd() {
	devdax_park "$dev" 2>/dev/null
	check "$1: modprobe kmem" modprobe kmem
	# As the policy cases do: udevd's workers from the load gone.
	udev_restart >/dev/null
	daxctl disable-device "$dev" >/dev/null 2>&1
	settle
	local d0 u0
	d0=$(dram_base) u0=$(node_unmanaged_pages "$node")
	check "$1: daxctl reconfigure-device --mode=system-ram $force $dev" \
		daxctl reconfigure-device --mode=system-ram $force "$dev"
	udev_settle
	settle
	pages=$(($(node_unmanaged_pages "$node") - u0))
	total=$(node_meminfo_kb "$node" MemTotal)
	if [ "$1" = kmem_mom ]; then
		on_device=$(mom_attr "$dev" memmap_device_blocks)
		reason=$(mom_attr "$dev" memmap_policy_reason)
		check_spent "$1: node 0 DRAM spent is below 1 MiB" "$d0" -1024 1023
		check_eq "$1: node $node present - managed grew by the memmap's pages" \
			$((memmap_kb / 4)) "$pages"
		check_eq "$1: the page tables put every block's memmap on its block" "$n" "$on_device"
	else
		check_spent "$1: node 0 DRAM spent is the memmap, +-1 MiB" "$d0" \
			$((memmap_kb - 1024)) $((memmap_kb + 1024))
		check_eq "$1: node $node present - managed unchanged" 0 "$pages"
	fi
	spent=$check_spent_kb
	check "$1: daxctl reconfigure-device --mode=devdax --force $dev" \
		daxctl reconfigure-device --mode=devdax --force "$dev"
	back=$(dax_memblocks "$dev")
	check_eq "$1: no memory block of $dev left" 0 "$back"
}

# One device_dax bind and unbind before anything is measured: the first
# window after it otherwise saw about 1 MiB handed back to node 0 (6.12:
# -1016 and -1184 kB for kmem_mom, 15240 to 15492 kB for the in-tree kmem,
# whichever driver went first; with this cycle before, -132 and 16224).
devdax_park "$dev" 2>/dev/null
daxctl disable-device "$dev" >/dev/null 2>&1
settle

# kmem_mom first, as its package installs it.
cp /tmp/kmem_mom.conf $mdir/kmem_mom.conf
hotadd kmem_mom
m_spent=$spent m_pages=$pages m_total=$total m_back=$back
check "kmem_mom served the dax driver 'kmem'" no_in_tree_kmem
modprobe -r kmem_mom

# Then the in-tree kmem: kmem_mom's rule set aside, as on a host without it.
rm -f $mdir/kmem_mom.conf
in_tree_kmem_conf $mdir/kmm-case.conf
hotadd "in-tree kmem"

row() { diag "$(printf '%-34s %-22s %s' "$@")"; }
diag ""
diag "$dev: $((n * $(memblock_bytes) >> 20)) MiB of soft-reserved memory on node $node, $n blocks; its memmap is $memmap_kb kB"
diag "Linux $(uname -r), memory_hotplug.memmap_on_memory=1, auto_online_blocks=$(cat $aob)"
diag ""
row "" "in-tree kmem" "kmem_mom (memmap_on_memory=auto)"
row "node 0 DRAM spent" "$spent kB" "$m_spent kB"
row "device capacity for the memmap" "$((pages * 4)) kB" "$((m_pages * 4)) kB"
row "node $node MemTotal" "$total kB" "$m_total kB"
row "blocks with their memmap on them" "-" "$on_device of $n (page tables)"
row "blocks left after devdax --force" "$back" "$m_back"
diag ""
diag "DRAM spent: node 0's free pages before the bind minus after, settled; within +-1 MiB of 0 is the counter's own noise."
diag "kmem_mom's reason: $reason"
tap_done
