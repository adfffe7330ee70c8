#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The field lane's checks (devel/field.sh), run by systemd at each boot
# of a Debian server image (devel/field-image.sh): firmware with Secure
# Boot, shim, grub, Debian's signed kernel, systemd and udev, kmem-mom
# installed by apt.  Nothing here loads or binds anything the system would
# not: the hmem device comes up at boot, udev loads "kmem" for it (6.3+),
# and on 6.1 daxctl binds it, as a user would.
#   kmm.case=enrolled  the DKMS key is enrolled (MOK): kmem_mom serves.
#       Round 1 under the kernel's own online policy; then the user's
#       "options kmem_mom online=movable" in /etc/modprobe.d, and a reboot:
#       round 2 binds again at boot, ZONE_MOVABLE, and gives the device back.
#   kmm.case=rejected  not enrolled: the kernel refuses kmem_mom, the
#       in-tree kmem serves, and the log says how to enroll the key.
#   kmm.case=large  enrolled, a device of at least 4096 blocks, and
#       online=movable in /etc/modprobe.d from the start: the udev rule's
#       helper onlines them all in a systemd unit of its own, which no
#       udev time limit ends, and the device is given back.
#   kmm.case=newkernel  enrolled, on a kernel that is not the newest the
#       machine will have: round 1 installs kmm.next= with apt (from the
#       image's local repository: the machine is offline), DKMS builds and
#       signs kmem_mom for it, /vmlinuz follows; round 2 is that kernel,
#       booted as grub's default, with kmem_mom serving.
# Each round is its own TAP stream on the second serial port; the last
# one powers the machine off.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

state=/var/lib/kmm-field
# dmesg_count counts from the last dmesg_mark: here, this whole boot.
rm -f /tmp/dmesg.mark
mkdir -p "$state"
case=$(sed -n 's/.*kmm\.case=\([a-z]*\).*/\1/p' /proc/cmdline)
round=$(($(cat "$state/round" 2>/dev/null || echo 0) + 1))
echo "$round" >"$state/round"
next=$(sed -n 's/.*kmm\.next=\([^ ]*\).*/\1/p' /proc/cmdline)
rounds=1
case $case in enrolled | newkernel) rounds=2 ;; esac

# finish: the kernel's own words on Secure Boot, keys and kmem (for the
# lane's summary) and this round's verdict; then the next boot, or the end.
finish() {
	local rc=0
	dmesg | grep -E 'Secure boot enabled|Kernel is locked down|Loaded X.509 cert .DKMS|Loading of module|kmem_mom: (serving|kmem_mom cannot)' |
		sed 's/^\[[ 0-9.]*\] //; s/^/proof: /' | while IFS= read -r l; do diag "$l"; done
	tap_done || rc=1
	echo "# kmm-exit $rc"
	sync
	if [ "$round" -lt "$rounds" ]; then
		systemctl reboot
	else
		systemctl poweroff
	fi
	exit 0
}

# module_taint MODULE: its taint flags ("O" out of tree, "E" unsigned).
module_taint() { cat "/sys/module/$1/taint" 2>/dev/null || echo '(not loaded)'; }

# The plan: two checks of the boot, one (6.3+) or two (6.1) of the bind,
# then the case's own.
plan=3
kver_ge 6.3 || plan=4
[ "$round" -le "$rounds" ] || {
	tap_plan 1
	echo "# kmm-exit 1"
	systemctl poweroff
	bail_out "boot $round of $rounds: a reboot nobody asked for (see the console)"
}
case $case in
enrolled) tap_plan $((plan + 9)) ;;
rejected) tap_plan $((plan + 7)) ;;
large) tap_plan $((plan + 11)) ;;
newkernel) tap_plan $((plan + (round == 1 ? 10 : 6))) ;;
*) tap_plan 1 && bail_out "no kmm.case= on the command line" ;;
esac
diag "case $case, round $round of $rounds: $(uname -r), systemd $(systemctl --version | head -n 1 | cut -d' ' -f2)," \
	"auto_online_blocks=$(cat /sys/devices/system/memory/auto_online_blocks)," \
	"memmap_on_memory=$(cat /sys/module/memory_hotplug/parameters/memmap_on_memory)"

check_eq "Secure Boot is on (mokutil --sb-state)" "SecureBoot enabled" "$(mokutil --sb-state 2>&1 | head -n 1)"
check "the kernel is locked down (integrity)" grep -q '\[integrity\]' /sys/kernel/security/lockdown

# The device: what the firmware's memory map made soft-reserved, bound at
# boot on 6.3+ by udev (the dax:t0 alias loads "kmem"), by daxctl on 6.1.
udev_settle
dev=$(setup_device hmem) || bail_out "no hmem dax device"
blocks=$(dax_fit_memblocks "$dev")
if kver_ge 6.3; then
	udev_settle
	check_eq "$dev ($blocks blocks) was bound to kmem at boot" kmem "$(dax_driver "$dev")"
else
	check_eq "6.1: $dev waits for daxctl" device_dax "$(dax_driver "$dev")"
	check "daxctl reconfigure-device --mode=system-ram $dev" \
		daxctl reconfigure-device --mode=system-ram "$dev"
	udev_settle
fi
driver=$(basename "$(readlink /sys/bus/dax/drivers/kmem/module)")
diag "driver: $driver"

if [ "$case" = rejected ]; then
	check "the DKMS key is not enrolled (mokutil --test-key)" \
		bash -c "mokutil --test-key /var/lib/dkms/mok.pub 2>&1 | grep -q 'is not enrolled'"
	# (At least once: every kernel here logs it twice for the one modprobe.)
	refusals=$(dmesg_count 'Loading of module with unavailable key is rejected')
	check "the kernel refused kmem_mom ($refusals times)" test "$refusals" -ge 1
	check_eq "the dax driver 'kmem' is the in-tree kmem" kmem "$driver"
	check_eq "the in-tree kmem is Debian's, signed (no taint)" "" "$(module_taint kmem)"
	check_eq "one log line names the in-tree kmem and how to enroll the key" 1 \
		"$(dmesg_count "kmem_mom: kmem_mom cannot be loaded for .* \(Secure Boot: its DKMS signing key is not enrolled; enroll it with 'mokutil --import /var/lib/dkms/mok.pub' and reboot\): the in-tree kmem serves the dax driver 'kmem' \(/.*/kmem\.ko.*\)$")"
	check_eq "all $blocks blocks online" "$blocks" "$(dax_online_memblocks "$dev")"
	check_eq "kmem_mom is not loaded" "(not loaded)" "$(module_taint kmem_mom)"
	dmesg | grep -E 'kmem_mom|Loading of module' | sed 's/^/# dmesg: /' | head -n 5
	finish
fi

check "the DKMS key is enrolled (mokutil --test-key)" \
	bash -c "mokutil --test-key /var/lib/dkms/mok.pub 2>&1 | grep -q 'is already enrolled'"
check_eq "the dax driver 'kmem' is kmem_mom" kmem_mom "$driver"

if [ "$case" = large ]; then
	unit=kmem_mom-online-held-$dev.service
	check "$dev has at least 4096 blocks ($blocks)" test "$blocks" -ge 4096
	check_eq "kmem_mom put the memmap of all $blocks blocks on the device" "$blocks" \
		"$(mom_attr "$dev" memmap_device_blocks)"
	check_eq "all $blocks blocks in ZONE_MOVABLE" "$blocks 0 0" "$(dax_zones "$dev")"
	check_eq "onlined by the package's helper (sysfs onlined_by_userspace_blocks)" "$blocks" \
		"$(mom_attr "$dev" onlined_by_userspace_blocks)"
	check "the helper ran to its end as $unit (journal)" \
		bash -c "journalctl -b --no-pager -u $unit | grep -E 'Deactivated successfully|Finished'"
	journalctl -b --no-pager -u "$unit" | tail -n 3 | sed 's/^/proof: /' | while IFS= read -r l; do diag "$l"; done
	check_eq "udevd killed no worker and timed out no event" 0 \
		"$(journalctl -b --no-pager -u systemd-udevd | grep -ciE 'timeout|timed out|killed' || true)"
	# Given back without device_dax, which would want a memmap for 512 GiB
	# (8 GiB) in this 2 GiB machine's RAM (add_pages() warns: -ENOMEM):
	# offline, then unbind from kmem (daxctl disable-device refuses a
	# system-ram device).
	check "given back: daxctl offline-memory $dev" daxctl offline-memory "$dev"
	check "and unbound from kmem: kmem_mom removes the memory" \
		sysfs_write /sys/bus/dax/drivers/kmem/unbind "$dev"
	check_eq "no System RAM of $dev left (kmem_mom blocks)" 0 "$(dax_memblocks "$dev")"
	finish
fi
check_eq "kmem_mom's signature was accepted (taint O, not E)" O "$(module_taint kmem_mom)"
check_eq "kmem_mom put the memmap of all $blocks blocks on the device" "$blocks" \
	"$(mom_attr "$dev" memmap_device_blocks)"

if [ "$case" = newkernel ]; then
	if [ "$round" = 2 ]; then
		check_eq "booted the kernel it installed, grub's default" "$next" "$(uname -r)"
		check_eq "sysfs: onlined_by_kernel_blocks (the policy's zones, 7.3)" "0 $blocks 0 $blocks" \
			"$(dax_zones "$dev") $(mom_attr "$dev" onlined_by_kernel_blocks)"
		finish
	fi
	test -n "$next" || bail_out "newkernel: no kmm.next= on the command line"
	ver=$(dpkg-query -W -f='${Version}' kmem-mom-dkms)
	# Offline: apt reads only the local repository, which holds what it
	# would have downloaded from the archive.
	local_apt=(-o Dir::Etc::SourceList=/etc/apt/sources.list.d/kmem-mom.list -o Dir::Etc::SourceParts=/nonexistent)
	check "apt-get update (the local repository)" apt-get "${local_apt[@]}" update -q
	check "apt-get install linux-image-$next linux-headers-$next" \
		bash -c "apt-get ${local_apt[*]} install -y -q linux-image-$next linux-headers-$next >$state/apt.log 2>&1 ||
			{ tail -n 30 $state/apt.log; false; }"
	grep -iE 'dkms|signing|kmem_mom' "$state/apt.log" | head -n 12 | sed 's/^/# apt: /' || true
	check "DKMS built and installed kmem_mom $ver for $next (dkms status)" \
		bash -c "dkms status kmem_mom | grep -q '^kmem_mom/${ver%%-*}, $next, x86_64: installed'"
	check_eq "and signed it with the enrolled key (modinfo signer)" \
		"$(openssl x509 -inform DER -in /var/lib/dkms/mok.pub -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= //p')" \
		"$(modinfo -k "$next" -F signer kmem_mom)"
	check_eq "/vmlinuz is now $next's" "/boot/vmlinuz-$next" "$(readlink -f /vmlinuz)"
	check "its initramfs exists" test -s "/boot/initrd.img-$next"
	finish
fi
check_eq "node 1's present - managed pages are that memmap" "$((blocks * $(memblock_bytes) / 4096 * 64 / 4096))" \
	"$(node_unmanaged_pages 1)"
zones=$(dax_zones "$dev")
if [ "$round" = 1 ]; then
	if kver_ge 6.3; then
		want="0 $blocks 0" who=onlined_by_kernel_blocks
	else
		want="$blocks 0 0" who=onlined_by_userspace_blocks
	fi
	check_eq "blocks movable/normal/offline as the kernel's policy has it" "$want" "$zones"
	check_eq "sysfs: $who" "$blocks" "$(mom_attr "$dev" "$who")"
	check_eq "online= is the default" kernel "$(cat /sys/module/kmem_mom/parameters/online)"
	# The administrator's choice, in the administrator's directory.
	echo "options kmem_mom online=movable" >/etc/modprobe.d/kmem_mom-local.conf
	check "update-initramfs -u" update-initramfs -u
	finish
fi
check_eq "/etc/modprobe.d's online=movable is honoured" movable "$(cat /sys/module/kmem_mom/parameters/online)"
check_eq "all $blocks blocks in ZONE_MOVABLE" "$blocks 0 0" "$zones"
check_eq "onlined by the package's helper (sysfs onlined_by_userspace_blocks)" "$blocks" \
	"$(mom_attr "$dev" onlined_by_userspace_blocks)"
check "given back: daxctl reconfigure-device --mode=devdax --force $dev" \
	daxctl reconfigure-device --mode=devdax --force "$dev"
finish
