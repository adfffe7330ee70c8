#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kmem-mom upgraded with a device bound.  dpkg and DKMS replace the module
# files on disk and run depmod; nothing unloads the running kmem_mom.  So
# the device stays bound to the old module, which keeps serving (later
# binds too: the loaded "kmem" stops libkmod from running the rule again)
# and gives the device back, and the new module serves from the next load:
# after "modprobe -r kmem_mom" or the next reboot.
# Booted from a root apt upgraded (devel/deb-check.sh): its modules are
# the new build; /kmm-old holds the files the old build had installed.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

tap_plan 16
upd=/lib/modules/$(uname -r)/updates/dkms
ls /kmm-old/kmem_mom.ko* >/dev/null 2>&1 || bail_out "no old build under /kmm-old"
dev=$(setup_device hmem) || bail_out "no hmem dax device"
devdax_park "$dev"
new=$(modinfo -F version kmem_mom)
old=$(modinfo -F version /kmm-old/kmem_mom.ko*)
check "two builds: $old before, $new after" test -n "$old" -a -n "$new" -a "$old" != "$new"
# ZONE_MOVABLE, so that the old module can give the device back on 7.x.
echo "options kmem_mom online=movable" >/etc/modprobe.d/kmm-local.conf
blocks=$(dax_fit_memblocks "$dev")

# The old build installed and bound.
mkdir /tmp/new
mv "$upd"/kmem_mom.ko* "$upd"/kmem.ko* /tmp/new/
cp /kmm-old/kmem_mom.ko* /kmm-old/kmem.ko* "$upd/"
depmod -a
check "$old: daxctl reconfigure-device --mode=system-ram --force $dev" \
	daxctl reconfigure-device --mode=system-ram --force "$dev"
udev_settle
check_eq "$old serves" "$old" "$(cat /sys/module/kmem_mom/version)"
check_eq "$old: $blocks blocks in ZONE_MOVABLE" "$blocks 0 0" "$(dax_zones "$dev")"

# The upgrade, as dpkg and DKMS leave the disk.
rm "$upd"/kmem_mom.ko* "$upd"/kmem.ko*
mv /tmp/new/* "$upd/"
depmod -a
check_eq "on disk: $new" "$new" "$(modinfo -F version kmem_mom)"
check_eq "running: still $old" "$old" "$(cat /sys/module/kmem_mom/version)"
check_eq "the device stays bound to kmem" kmem "$(dax_driver "$dev")"
check_eq "its $blocks blocks stay online in ZONE_MOVABLE" "$blocks 0 0" "$(dax_zones "$dev")"
check "$old gives the device back" daxctl reconfigure-device --mode=devdax --force "$dev"
check "$old binds it again (the loaded 'kmem' keeps the rule from running)" \
	daxctl reconfigure-device --mode=system-ram --force "$dev"
check_eq "still $old" "$old" "$(cat /sys/module/kmem_mom/version)"
check "and gives it back" daxctl reconfigure-device --mode=devdax --force "$dev"

# The next load is the new build.
check "modprobe -r kmem_mom" modprobe -r kmem_mom
check "nothing of kmem_mom loaded" bash -c "! grep -qE '^kmem(_mom)? ' /proc/modules"
check "$new: daxctl reconfigure-device --mode=system-ram --force $dev" \
	daxctl reconfigure-device --mode=system-ram --force "$dev"
udev_settle
check_eq "$new serves, $blocks blocks in ZONE_MOVABLE" "$new $blocks 0 0" \
	"$(cat /sys/module/kmem_mom/version) $(dax_zones "$dev")"
daxctl reconfigure-device --mode=devdax --force "$dev" >/dev/null ||
	diag "the last give-back failed"
tap_done
