#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# field-image.sh SUITE OUT KERNEL... [--later KERNEL...]: the parts of a
# disk image of a Debian server as a user has one, for the field lane
# (devel/field.sh), in the directory OUT: esp.img, an EFI system
# partition with shim (Microsoft-signed), Debian's signed grub and a
# four-line grub.cfg; root.img, an ext4 root with systemd, udev, Debian's
# signed KERNELs (name "-t SUITE-backports" before the ones from
# backports), their headers, dkms, daxctl, and kmem-mom-dkms and
# kmem-mom-tools installed by apt from a local repository inside the image
# (its packages: $KMM_DEBS, by default build/deb from make deb).  DKMS
# builds and signs the module for each kernel with the MOK key it makes,
# /var/lib/dkms/mok.pub.  The kernels after --later are not installed:
# their packages (and whatever else installing them would fetch) go into
# the local repository, for the machine to install itself, offline.
# Everything comes from Debian's archive; nothing is mounted (mkfs.ext4 -d,
# mtools), so it builds wherever mmdebstrap does.
#
# Also uuid (the root's) and mok.pem (the DKMS certificate).  The lane puts
# the parts together per case, with its tests in the root (debugfs) and
# the kernel and command line of the boot in the EFI partition's grub.cfg
# (mtools).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

suite=${1:?usage: field-image.sh SUITE OUTDIR KERNEL...}
out=${2:?usage: field-image.sh SUITE OUT KERNEL...}
shift 2
[ $# -gt 0 ] || kmm_die "field-image.sh: name at least one kernel"
debs=${KMM_DEBS:-$KMM_TOP/build/deb}
ls "$debs"/kmem-mom-dkms_*.deb "$debs"/kmem-mom-tools_*_amd64.deb >/dev/null 2>&1 ||
	kmm_die "no packages in $debs: run make deb"

mkdir -p "$out"
work=$(mktemp -d "$out/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
uuid=$(cat /proc/sys/kernel/random/uuid)

# Linux images and headers, one apt-get per release (-t RELEASE before the
# kernels from it): apt's -t holds for a whole command line.
hooks=() group= later=() when=now
add_group() {
	[ -n "$group" ] || return 0
	if [ "$when" = now ]; then
		hooks+=(--customize-hook="chroot \"\$1\" apt-get install -y -qq --no-install-recommends $group")
	else
		later+=("$group")
	fi
	group=
}
while [ $# -gt 0 ]; do
	case $1 in
	--later)
		add_group
		when=later
		shift
		continue
		;;
	-t)
		add_group
		group="-t ${2:?-t wants a release}"
		shift 2
		continue
		;;
	esac
	group+=" linux-image-$1 linux-headers-$1"
	shift
done
add_group

kmm_log "field image: $suite, kernels: ${hooks[*]#*--no-install-recommends}"
mmdebstrap --variant=apt --mode=root --components=main \
	--aptopt='Acquire::Check-Valid-Until "false"' \
	--include=systemd-sysv,dbus,udev,kmod,initramfs-tools,linux-base,dkms,daxctl,ndctl,mokutil,openssl,e2fsprogs,util-linux,procps,dwarves,xz-utils,zstd \
	"${hooks[@]}" \
	"$suite" "$root" "deb $KMM_MIRROR $suite main" \
	"deb $KMM_MIRROR $suite-updates main" "deb $KMM_MIRROR $suite-backports main" \
	"deb ${KMM_MIRROR%/debian}/debian-security $suite-security main" \
	>"$work/mmdebstrap.log" 2>&1 || {
	tail -n 30 "$work/mmdebstrap.log" >&2
	kmm_die "mmdebstrap $suite failed"
}

# The packages, from a local repository, as apt installs them on a fleet.
repo=$root/var/local/kmem-mom
mkdir -p "$repo"
cp "$debs"/kmem-mom-dkms_*.deb "$debs"/kmem-mom-tools_*_amd64.deb "$repo/"
(cd "$repo" && dpkg-scanpackages -m . >Packages 2>/dev/null)
echo "deb [trusted=yes] file:/var/local/kmem-mom ./" >"$root/etc/apt/sources.list.d/kmem-mom.list"
cp /etc/resolv.conf "$root/etc/resolv.conf"
kmm_chroot "$root" apt-get update -qq >"$work/apt.log" 2>&1 &&
	kmm_chroot "$root" apt-get install -y -q kmem-mom-dkms kmem-mom-tools >>"$work/apt.log" 2>&1 || {
	tail -n 40 "$work/apt.log" >&2
	kmm_die "apt install kmem-mom-dkms kmem-mom-tools failed in the image"
}
# The later kernels: what "apt-get install" would download for them here,
# in the local repository, which the machine's apt-get update has read.
for group in ${later[@]+"${later[@]}"}; do
	kmm_chroot "$root" apt-get install -y -q --no-install-recommends --download-only $group >>"$work/apt.log" 2>&1 ||
		kmm_die "apt-get install --download-only $group failed in the image"
done
if [ ${#later[@]} -gt 0 ]; then
	mv "$root"/var/cache/apt/archives/*.deb "$repo/"
	(cd "$repo" && dpkg-scanpackages -m . >Packages 2>/dev/null)
	kmm_chroot "$root" apt-get update -qq >>"$work/apt.log" 2>&1 ||
		kmm_die "apt-get update (the local repository with the later kernels) failed in the image"
	ls "$repo" >&2
fi
cp "$work/apt.log" "$out/apt.log"

# The system: root file system, name.
echo "UUID=$uuid / ext4 errors=remount-ro 0 1" >"$root/etc/fstab"
echo kmm-field >"$root/etc/hostname"
: >"$root/etc/machine-id"
# grub's own configuration, on the root: the kernel the EFI partition's
# grub.cfg names ($kmm_kernel), else the newest (/vmlinuz, kept by the
# kernel packages), and the command line it names ($kmm_cmdline).
mkdir -p "$root/boot/grub"
cat >"$root/boot/grub/grub.cfg" <<EOT
set timeout=0
set default=0
menuentry "Debian GNU/Linux" {
	if [ -n "\$kmm_kernel" ]; then
		linux /boot/vmlinuz-\$kmm_kernel root=UUID=$uuid ro \$kmm_cmdline
		initrd /boot/initrd.img-\$kmm_kernel
	else
		linux /vmlinuz root=UUID=$uuid ro \$kmm_cmdline
		initrd /initrd.img
	fi
}
EOT
ls "$root"/boot/vmlinuz-* "$root"/boot/initrd.img-* >&2

# The boot chain, from Debian's packages: shim, its MokManager, and grub.
for p in shim-signed shim-helpers-amd64-signed grub-efi-amd64-signed; do
	(cd "$work" && kmm_chroot "$root" sh -c "cd /tmp && apt-get download -qq $p" &&
		dpkg-deb -x "$root"/tmp/"$p"_*.deb "$work/efi-debs") >&2 ||
		kmm_die "apt-get download $p failed"
	rm -f "$root"/tmp/"$p"_*.deb
done
esp=$out/esp.img
rm -f "$esp"
mkfs.vfat -C -F 32 -n EFI "$esp" $((128 * 1024)) >/dev/null
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/debian
mcopy -i "$esp" "$work/efi-debs/usr/lib/shim/shimx64.efi.signed" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$esp" "$work/efi-debs/usr/lib/shim/mmx64.efi.signed" ::/EFI/BOOT/mmx64.efi
mcopy -i "$esp" "$work/efi-debs/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed" ::/EFI/BOOT/grubx64.efi
printf 'set kmm_kernel=\nset kmm_cmdline="console=ttyS0"\nsearch --no-floppy --fs-uuid --set=root %s\nsource ($root)/boot/grub/grub.cfg\n' \
	"$uuid" >"$work/grub.cfg"
mcopy -i "$esp" "$work/grub.cfg" ::/EFI/BOOT/grub.cfg
mcopy -i "$esp" "$work/grub.cfg" ::/EFI/debian/grub.cfg

# The root: what it holds, and room for another kernel and its headers.
rm -f "$root/etc/resolv.conf"
used=$(du -sxm "$root" | cut -f1)
rm -f "$out/root.img"
mkfs.ext4 -q -F -L kmm-root -U "$uuid" -d "$root" "$out/root.img" "$((used + 2048))M"
# What the lane needs to know: the DKMS certificate (for virt-fw-vars
# --add-mok), the root's UUID.
openssl x509 -inform DER -in "$root/var/lib/dkms/mok.pub" -out "$out/mok.pem"
echo "$uuid" >"$out/uuid"
kmm_log "field image: $out ($((used + 2048)) MiB root, $(du -sm "$out" | cut -f1) MiB on disk)"
