#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# online=movable holds for as long as the device is bound, against every
# way a host onlines memory into a kernel zone: a RHEL/SUSE-style udev rule
# (SUBSYSTEM=="memory", ACTION=="add", ATTR{state}="online"), chmem, daxctl
# online-memory --no-movable, and plain writes of "online" and
# "online_kernel" to a block's state.  Each one is refused, leaves the
# block offline, and says so in one dmesg line naming the device and the
# parameter; online_movable still works, and the device goes back whole.
# As Debian ships it: udevd runs (KMM_UDEV=1) with the RHEL-style rule
# installed beside kmem_mom's, the kernel's online policy as booted, and
# the device bound on arrival (6.3+) or by daxctl (6.1).
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

mdir=/etc/modprobe.d
mem=/sys/devices/system/memory
aob=$(cat $mem/auto_online_blocks)

tap_plan 29
[ "${KMM_UDEV:-}" = 1 ] && pgrep -x systemd-udevd >/dev/null ||
	bail_out "udevd is not running (KMM_UDEV=1)"
diag "kernel $(kver), booted with auto_online_blocks=$aob"

# Keep the driver out while the device appears; then a host with kmem_mom
# (online=movable) and a distribution's blanket onlining rule.
dev=$(coldplug_without_driver hmem) || bail_out "no hmem dax device"
n=$(dax_fit_memblocks "$dev")
rm -f $mdir/kmm-case.conf
cp /tmp/kmem_mom.conf $mdir/kmem_mom.conf
echo "options kmem_mom online=movable" >$mdir/kmm-local.conf
printf '%s\n' 'SUBSYSTEM=="memory", ACTION=="add", ATTR{state}=="offline", ATTR{state}="online"' \
	>/etc/udev/rules.d/40-rhel-style-memory.rules
udev_restart

if kver_ge 6.3; then
	check_unbound "$dev waits unbound" "$dev"
	udevadm trigger --settle --action=add "/sys/bus/dax/devices/$dev"
	bound_on_arrival
	check_eq "$dev bound to kmem on arrival" kmem "$(dax_driver "$dev")"
else
	daxctl disable-device "$dev" >/dev/null
	force=
	[ "$aob" = offline ] || force=--force
	check "daxctl reconfigure-device --mode=system-ram $force $dev" \
		daxctl reconfigure-device --mode=system-ram $force "$dev"
	udev_settle
	check_eq "$dev bound to kmem" kmem "$(dax_driver "$dev")"
fi
check "kmem_mom serves it with online=movable" \
	grep -qx movable "/sys/bus/dax/devices/$dev/kmem_mom/online_requested"
check_eq "all $n blocks in ZONE_MOVABLE, whoever onlined them" "$n 0 0" "$(dax_zones "$dev")"
check_eq "nothing left for userspace to online" none "$(mom_attr_or "$dev" online_request)"

# The first block: offlined, it leaves the movable zone's span, and every
# "online" that lets the kernel choose picks a kernel zone for it.
first=$(dax_block_dirs "$dev" | sed -n 1p)
blk=${first##*/}
check "offline $blk" sysfs_write "$first/state" offline
check_eq "$blk is offline" offline "$(cat "$first/state")"

# refused TAG CMD...: CMD fails or leaves the block offline, the block stays
# offline, and the kernel log has one new line naming the device and the
# parameter.  The module logs one line per burst of refusals (5 s).
refused() {
	local tag=$1 rc=0 before
	shift
	sleep 6
	dmesg_mark
	before=$(mom_attr_or "$dev" refused_onlines)
	"$@" >/tmp/refused.out 2>&1 || rc=$?
	udev_settle
	diag "$tag: exit $rc: $(tail -n 2 /tmp/refused.out | tr '\n' ' ')"
	check_eq "$tag: $blk stays offline" offline "$(cat "$first/state")"
	check "$tag: refused at least once (refused_onlines grew)" \
		test "$(mom_attr_or "$dev" refused_onlines)" -gt "$before"
	check_eq "$tag: one dmesg line naming $dev and online=movable" 1 \
		"$(dmesg_count "$dev: refused to online $blk into ZONE_NORMAL: $dev is bound with kmem_mom online=movable")"
}

refused "echo online_kernel" sysfs_write "$first/state" online_kernel
refused "echo online" sysfs_write "$first/state" online
# Without -z, chmem put it in ZONE_MOVABLE here (seen on 6.12), which
# online=movable lets through: ask it for the kernel zone.
refused "chmem -e -z Normal -b ${blk#memory}" chmem -e -z Normal -b "${blk#memory}"
refused "daxctl online-memory --no-movable" daxctl online-memory --no-movable "$dev"
refused "the RHEL-style rule on a memory add event" \
	udevadm trigger --settle --action=add "$first"
check_eq "online_request asks udev for ZONE_MOVABLE" online_movable "$(mom_attr_or "$dev" online_request)"

check "echo online_movable: allowed" sysfs_write "$first/state" online_movable
check_eq "all $n blocks in ZONE_MOVABLE again" "$n 0 0" "$(dax_zones "$dev")"
check_eq "online_request: none" none "$(mom_attr_or "$dev" online_request)"
check "daxctl reconfigure-device --mode=devdax --force $dev: given back" \
	daxctl reconfigure-device --mode=devdax --force "$dev"
check_eq "its blocks are gone" 0 "$(dax_memblocks "$dev")"
check_eq "counters: nothing added, nothing stranded" "0 0 0" "$(mom_counters)"
rm -f /etc/udev/rules.d/40-rhel-style-memory.rules $mdir/kmm-local.conf
tap_done
