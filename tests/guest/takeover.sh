#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A kernel upgrade must never cost the device: if kmem_mom refuses to load
# for the running kernel, or is not there at all (a DKMS build refused for
# a new kernel), the modprobe.d rule hands "kmem" to the in-tree driver, so
# daxctl (and, on 6.3+, binding on arrival) keeps working, and the kernel
# log says which driver took over, from which file: where the kernel
# package put it, or where dkms 3.1 and later (Debian 13) moved it when it
# installed kmem_mom's "kmem" (/var/lib/dkms/kmem_mom/original_module/).
# Booted from a root DKMS installed into (devel/deb-check.sh), the tree is
# whatever that DKMS left; booted from the kernel package, case 3 moves the
# file as dkms 3.1+ does.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

tap_plan 35
dev=$(setup_device hmem) || bail_out "no hmem dax device"
devdax_park "$dev"
echo offline >/sys/devices/system/memory/auto_online_blocks
# took_over WHY: a regex for dmesg_count (release strings have '+' in them)
# of the line saying the in-tree kmem took over, with modprobe's reason.
took_over() {
	echo "kmem_mom: kmem_mom cannot be loaded for $(uname -r | sed 's/[+.]/\\&/g') \($1\): the in-tree kmem serves the dax driver 'kmem'"
}
kdir=/lib/modules/$(uname -r)
archive=/var/lib/dkms/kmem_mom/original_module/$(uname -r)/$(uname -m)

# intree: the in-tree kmem's file, wherever it is now.
intree() { ls "$kdir"/kernel/drivers/dax/kmem.ko* "$archive"/kmem.ko* 2>/dev/null | head -n 1 || true; }

# from_file DESC: the loaded "kmem" is the kernel's own (no out-of-tree
# taint, which kmem_mom's "kmem" carries), and dmesg named its file.
from_file() {
	local ko
	ko=$(intree)
	check "$1: the loaded kmem is in-tree (taint '$(cat /sys/module/kmem/taint 2>/dev/null)'), from ${ko:-nowhere}" \
		bash -c "[ -n '$ko' ] && [ -e /sys/module/kmem ] && ! grep -q O /sys/module/kmem/taint"
	check_eq "$1: dmesg names that file" 1 \
		"$(dmesg_count "the dax driver 'kmem' \\($(printf '%s' "$ko" | sed 's/[.+]/\\&/g')\\)$")"
}

# serves DESC MODULE [CHECK]: daxctl binds the device, and MODULE is its
# driver; CHECK DESC runs while it is loaded.
serves() {
	check "$1: daxctl reconfigure-device --mode=system-ram" \
		daxctl reconfigure-device --mode=system-ram "$dev"
	check_eq "$1: the dax driver 'kmem' is the $2 module" "$2" \
		"$(basename "$(readlink /sys/bus/dax/drivers/kmem/module)")"
	[ -z "${3:-}" ] || "$3" "$1"
	check "$1: back to devdax" daxctl reconfigure-device --mode=devdax --force "$dev"
	check "$1: modprobe -r $2 leaves neither 'kmem' nor kmem_mom loaded" \
		bash -c "modprobe -r $2 && ! grep -qE '^kmem(_mom)? ' /proc/modules"
}

# 1. kmem_mom refuses to load (here: a bad option in modprobe.d).
echo "options kmem_mom online=sometimes" >/etc/modprobe.d/kmm-bad.conf
dmesg_mark
serves "kmem_mom refuses to load" kmem from_file
check_eq "dmesg: kmem_mom's own refusal" 1 "$(dmesg_count "kmem_mom: online: invalid value 'sometimes'")"
check_eq "dmesg: which driver took over, and why" 1 "$(dmesg_count "$(took_over "modprobe: ERROR: could not insert 'kmem_mom': Invalid argument")")"
rm /etc/modprobe.d/kmm-bad.conf

# 2. kmem_mom is not installed for the running kernel: neither it nor its
# stand-in for the name "kmem" (a DKMS build refused installs neither).
ko=$(modinfo -n kmem_mom)
name=$(modinfo -n kmem)
check_eq "kmem_mom's 'kmem' shadows the in-tree one" "${ko%/*}" "${name%/*}"
mv "$ko" "$name" /tmp/
depmod -a
check "kmem_mom.ko is gone" bash -c '! modinfo kmem_mom >/dev/null 2>&1'
dmesg_mark
serves "kmem_mom missing" kmem from_file
check_eq "dmesg: which driver took over, and why" 1 "$(dmesg_count "$(took_over "not installed for this kernel: 'dkms status kmem_mom' says why")")"
if kver_ge 6.3; then
	# What udev runs when the device appears.
	daxctl disable-device "$dev" >/dev/null
	check "modprobe kmem binds the device on arrival" \
		bash -c "modprobe kmem && [ \"\$(basename \$(readlink /sys/bus/dax/devices/$dev/driver))\" = kmem ]"
	daxctl reconfigure-device --mode=devdax --force "$dev" >/dev/null
	modprobe -r kmem
else
	check "6.1 binds only through daxctl: nothing bound on load" \
		bash -c "modprobe kmem && [ \"\$(basename \$(readlink /sys/bus/dax/devices/$dev/driver))\" = device_dax ]"
	modprobe -r kmem
fi

# 3. The in-tree file where dkms 3.1+ keeps it (moved here unless the
# DKMS that installed this tree already did), kmem_mom refusing to load.
mv "/tmp/${ko##*/}" "$ko"
mv "/tmp/${name##*/}" "$name"
if [ -z "$(ls "$archive"/kmem.ko* 2>/dev/null)" ]; then
	mkdir -p "$archive"
	mv "$kdir"/kernel/drivers/dax/kmem.ko* "$archive/"
fi
depmod -a
check "the in-tree kmem is in dkms 3.1+'s archive, not in the kernel's tree" \
	bash -c "ls $archive/kmem.ko* && ! ls $kdir/kernel/drivers/dax/kmem.ko*"
echo "options kmem_mom online=sometimes" >/etc/modprobe.d/kmm-bad.conf
dmesg_mark
serves "in-tree kmem archived by dkms" kmem from_file
check_eq "dmesg: which driver took over, and why" 1 "$(dmesg_count "$(took_over "modprobe: ERROR: could not insert 'kmem_mom': Invalid argument")")"
rm /etc/modprobe.d/kmm-bad.conf

# 4. Back in place: kmem_mom serves again and says so.
dmesg_mark
serves "kmem_mom installed" kmem_mom
check_eq "dmesg: kmem_mom serves 'kmem'" 1 "$(dmesg_count "kmem_mom: serving the dax driver 'kmem'")"
check_eq "and no takeover" 0 "$(dmesg_count "in-tree kmem serves")"

# 5. kmem_mom's "kmem" loaded by its name alone, without kmem_mom.
dmesg_mark
check "kmem_mom's 'kmem' refuses to load without kmem_mom" bash -c '! modprobe --ignore-install kmem 2>/dev/null'
check_eq "dmesg: it says what it is and how to load either driver" 1 \
	"$(dmesg_count "kmem: kmem_mom is not loaded, and this module only holds the name 'kmem' for it: 'modprobe kmem' loads both")"
check "and leaves nothing loaded" bash -c "! grep -qE '^kmem(_mom)? ' /proc/modules"
tap_done
