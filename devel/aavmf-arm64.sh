#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Fetch the arm64 guests' UEFI firmware (AAVMF, Debian's edk2 build for
# QEMU's virt machine) from trixie and unpack it under
# $KMM_STATE/arm64/aavmf/, where tests/boot-guest.sh finds it.
#
# Why firmware at all: QEMU's virt machine gives a guest ACPI tables (SRAT,
# NFIT, HMAT) only through UEFI; a kernel booted without it gets a device
# tree, which describes no NVDIMM.
#
# Why trixie's and not bookworm's qemu-efi-aarch64 (2022.11): that one maps
# the variable store's flash (0x04000000-0x07ffffff) as write-combining
# MMIO, which Linux counts as memory (is_memory(): WB, WT or WC); SRAT does
# not cover it, so NUMA init fails ("NUMA: no nodes coverage for 64MB of
# 1088MB RAM", one fake node) and no guest has a node 1.  trixie's
# 2025.02 maps it uncached, and SRAT's two nodes come up.
#
# The package is Architecture: all; it is fetched with the private apt
# state of devel/kernels-arm64.sh (which lists trixie) and extracted, never
# installed.  Idempotent.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || kmm_die "must run as root"
conf=$KMM_STATE/arm64/apt/apt.conf
[ -f "$conf" ] || kmm_die "$conf missing: run devel/kernels-arm64.sh first"
dst=$KMM_STATE/arm64/aavmf
debs=$KMM_CACHE/arm64/debs

# The newest trixie build, resolved from the archive, not from this file.
ver=$(APT_CONFIG=$conf apt-cache madison qemu-efi-aarch64 |
	awk -F' *\\| *' '$3 ~ /trixie/ { print $2; exit }')
[ -n "$ver" ] || kmm_die "no trixie qemu-efi-aarch64 in $conf's lists (apt-get update?)"

if [ -f "$dst/.kmm-ready" ] && [ "$(cat "$dst/.kmm-ready")" = "$ver" ]; then
	kmm_log "AAVMF $ver is ready in $dst"
	exit 0
fi
mkdir -p "$debs"
deb=$debs/qemu-efi-aarch64_${ver//:/%3a}_all.deb
if [ ! -f "$deb" ]; then
	# apt's sandbox user may not write to the cache: download as root.
	(cd "$debs" && APT_CONFIG=$conf apt-get download -qq \
		-o APT::Sandbox::User=root "qemu-efi-aarch64=$ver") ||
		kmm_die "cannot download qemu-efi-aarch64=$ver"
fi
rm -rf "$dst.tmp"
mkdir -p "$dst.tmp/x"
dpkg-deb -x "$deb" "$dst.tmp/x"
# The plain build (no Secure Boot keys enrolled): the guests boot an
# unsigned kernel directly (-kernel, through fw_cfg).
for f in AAVMF_CODE.no-secboot.fd AAVMF_VARS.fd; do
	[ -f "$dst.tmp/x/usr/share/AAVMF/$f" ] || kmm_die "$deb has no $f"
	mv "$dst.tmp/x/usr/share/AAVMF/$f" "$dst.tmp/"
done
mkdir -p "$dst.tmp/copyright"
cp "$dst.tmp/x/usr/share/doc/qemu-efi-aarch64/copyright" "$dst.tmp/copyright/" 2>/dev/null || true
rm -rf "$dst.tmp/x"
printf '%s\n' "$ver" >"$dst.tmp/.kmm-ready"
rm -rf "$dst"
mv "$dst.tmp" "$dst"
kmm_log "AAVMF $ver unpacked into $dst"
