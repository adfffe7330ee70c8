#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install everything kmem_mom's build, lint and guest tests need on a Debian 12
# host.  Idempotent: a second run only checks.  Never upgrades the host's own
# packages: the extra suites are pinned low and used by name only.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
MIRROR=${KMM_MIRROR:-http://deb.debian.org/debian}

[ "$(id -u)" = 0 ] || { echo "setup-host: must run as root (apt-get)" >&2; exit 1; }
grep -q '^12\.' /etc/debian_version 2>/dev/null ||
	echo "setup-host: warning: tested on Debian 12 only" >&2

src=/etc/apt/sources.list.d/kmem_mom-bpo.sources
pin=/etc/apt/preferences.d/kmem_mom-bpo
changed=
if [ ! -f "$src" ]; then
	cat >"$src" <<EOT
Types: deb
URIs: $MIRROR
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
	changed=1
fi
if [ ! -f "$pin" ]; then
	# Backports only when asked for by -t or by exact version.
	printf 'Package: *\nPin: release a=bookworm-backports\nPin-Priority: 100\n' >"$pin"
	changed=1
fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

updated=
apt_update() {
	[ -n "$updated" ] && return 0
	apt-get update -qq
	updated=1
}
[ -n "$changed" ] && apt_update

# Host tools: kbuild for gcc-12 kernels, chroot builder, initramfs tools,
# DKMS, lint, BTF readers; gcc + libc6-dev for the static test helpers;
# the libraries the kmem-mom command links (ndctl 76's on Debian 12); the
# Debian packaging tools of make deb; the field lane's firmware (OVMF) and
# disk image tools; dtc for the arm64 hmem recipe's device tree.
need=()
for p in make gcc-12 gcc libc6-dev binutils kmod mmdebstrap cpio xz-utils zstd dkms \
	sparse clang-format dwarves bpftool jq gnuplot-nox file \
	python3 git bc pkg-config libdaxctl-dev libcxl-dev libndctl-dev libjson-c-dev \
	libkmod-dev uuid-dev debhelper dh-dkms lintian fakeroot dpkg-dev \
	ovmf mtools dosfstools fdisk e2fsprogs gcc-aarch64-linux-gnu device-tree-compiler; do
	installed "$p" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	apt_update
	apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# QEMU 10 from backports: bookworm's 7.2 CXL emulation is too old.
qver=$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null || true)
case "$qver" in
*bpo*) ;;
*)
	apt_update
	apt-get install -y -qq --no-install-recommends -t bookworm-backports \
		qemu-system-x86 qemu-system-data ipxe-qemu seabios
	;;
esac
# The arm64 guests: qemu-system-aarch64 from the same backports QEMU as the
# x86 guests (TCG only on this host; 10.0's virt machine also gives a guest
# the second PL011 that carries its TAP stream).  Their firmware (AAVMF)
# is trixie's, unpacked by devel/aavmf-arm64.sh: bookworm's
# qemu-efi-aarch64 breaks the guests' NUMA (see there).
qver=$(dpkg-query -W -f='${Version}' qemu-system-arm 2>/dev/null || true)
case "$qver" in
*bpo*) ;;
*)
	apt_update
	apt-get install -y -qq --no-install-recommends -t bookworm-backports qemu-system-arm
	;;
esac
# The field lane's MOK enrolment (virt-fw-vars) is in backports only.
if ! installed python3-virt-firmware; then
	apt_update
	apt-get install -y -qq --no-install-recommends -t bookworm-backports python3-virt-firmware
fi
echo "setup-host: ok ($(qemu-system-x86_64 --version | head -n1);" \
	"$(qemu-system-aarch64 --version | head -n1 | sed 's/^QEMU emulator //'))"
