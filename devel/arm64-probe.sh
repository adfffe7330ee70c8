#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# PROTOTYPE (issue 30, branch arm64-explore): cross-build kmem_mom on this
# x86_64 Debian 12 host against Debian's own arm64 kernel headers.
#
#   devel/arm64-probe.sh [--explore] [6.1|6.12|7.3 ...]
#
# Route (see Documentation/arm64-notes.md for the measurements):
#   * a private apt state in $KMM_STATE/arm64/apt (arm64 + amd64 lists;
#     the host's dpkg architecture list is never changed);
#   * 6.1 / 6.12: linux-headers-<kver> (arm64) + -common extracted with
#     dpkg-deb -x into $KMM_STATE/arm64/x, with linux-kbuild-<series> of the
#     HOST architecture (Multi-Arch: foreign, same version) in place of the
#     arm64 one, built with the host's gcc-aarch64-linux-gnu (gcc-12);
#   * 7.3: its amd64 linux-kbuild needs glibc 2.38, so a trixie amd64 chroot
#     with arm64 as a foreign dpkg architecture installs
#     linux-headers-arm64:arm64 from trixie-backports, which pulls
#     gcc-14-for-host:arm64 (= gcc-14-aarch64-linux-gnu) and the amd64
#     linux-kbuild by itself;
#   * 6.1 BTF: the arm64 vmlinuz is a raw Image (not ELF) and its vmlinux BTF
#     has no struct dev_dax (dax.ko is a module): carve the raw .BTF blob
#     out of the Image and read dev_dax from dax.ko's split BTF.
# --explore applies devel/arm64-explore.patch to the build copy (never to the
# tree) to get past the x86-only refusals.  Idempotent; installs only via apt.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || kmm_die "must run as root"
explore=
[ "${1:-}" = --explore ] && { explore=1; shift; }
lines=("$@")
[ ${#lines[@]} -gt 0 ] || lines=(6.1 6.12 7.3)

A=$KMM_STATE/arm64
APTD=$A/apt
DEBS=$KMM_CACHE/arm64/debs
mkdir -p "$DEBS" "$A/btf" "$A/envs"

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
installed gcc-aarch64-linux-gnu || apt-get install -y -qq --no-install-recommends gcc-aarch64-linux-gnu
installed dwarves || apt-get install -y -qq --no-install-recommends dwarves

# --- private apt state ---------------------------------------------------
if [ ! -f "$APTD/apt.conf" ]; then
	mkdir -p "$APTD"/lists/partial "$APTD"/cache/archives/partial "$APTD"/etc/apt/{sources.list.d,preferences.d,apt.conf.d}
	: >"$APTD/status"
	for s in bookworm bookworm-updates bookworm-backports trixie trixie-backports; do
		echo "deb [arch=arm64,amd64] $KMM_MIRROR $s main"
	done >"$APTD/etc/apt/sources.list"
	echo "deb [arch=arm64,amd64] ${KMM_MIRROR%/debian}/debian-security bookworm-security main" \
		>>"$APTD/etc/apt/sources.list"
	cat >"$APTD/apt.conf" <<EOT
Dir::Etc "$APTD/etc/apt";
Dir::Etc::TrustedParts "/etc/apt/trusted.gpg.d";
Dir::State "$APTD";
Dir::State::status "$APTD/status";
Dir::Cache "$APTD/cache";
APT::Architecture "arm64";
APT::Architectures { "arm64"; "amd64"; };
Acquire::Languages "none";
EOT
fi
papt() { APT_CONFIG=$APTD/apt.conf "$@"; }
[ -n "$(ls "$APTD/lists" 2>/dev/null | grep -v partial)" ] || papt apt-get update -qq

# ABI of a series from the arm64 metapackage versions (never hard-coded).
meta_dep() {
	papt apt-cache show linux-headers-arm64:arm64 |
		sed -n "s/^Depends: .*linux-headers-\\($1-arm64\\) .*/\\1/p" | sort -V | tail -n1
}
pkgver() { papt apt-cache show "$1" | sed -n 's/^Version: //p' | sort -V | tail -n1; }
fetch() { (cd "$DEBS" && papt apt-get download -qq "$@" 2>&1 | grep -v unsandboxed || true); }

# Headers + common (arm64/all) + linux-kbuild of the host arch into $A/x.
prepare_x() {
	local kver=$1 kb=$2 ver r=$A/x
	[ -f "$r/usr/src/linux-headers-$kver/.kmm-ready" ] && return 0
	ver=$(pkgver "linux-headers-$kver:arm64")
	fetch "linux-headers-$kver:arm64=$ver" "linux-headers-${kver%-arm64}-common=$ver" \
		"$kb:amd64=$(pkgver "$kb:amd64")"
	mkdir -p "$r"
	for d in "$DEBS"/linux-headers-"${kver%-arm64}"-{arm64,common}_*.deb "$DEBS/${kb}_"*_amd64.deb; do
		dpkg-deb -x "$d" "$r"
	done
	# The flavour Makefile includes /usr/src/...-common/Makefile by absolute path.
	sed -i "s|/usr/src/|$r/usr/src/|g" "$r/usr/src/linux-headers-$kver/Makefile"
	touch "$r/usr/src/linux-headers-$kver/.kmm-ready"
}

# 6.1: raw BTF from the Image + dax.ko (split BTF).
prepare_btf61() {
	local kver=$1 deb tmp
	[ -f "$A/btf/dax-$kver.ko" ] && return 0
	fetch "linux-image-$kver-unsigned:arm64"
	deb=$(ls "$DEBS"/linux-image-"$kver"-unsigned_*_arm64.deb | sort -V | tail -n1)
	tmp=$(mktemp -d)
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "./boot/vmlinuz-$kver" \
		"./lib/modules/$kver/kernel/drivers/dax/dax.ko"
	python3 - "$tmp/boot/vmlinuz-$kver" "$A/btf/vmlinux-$kver.btf" <<'EOT'
import re, struct, sys
d = open(sys.argv[1], 'rb').read()
m = re.search(rb'\x9f\xeb\x01\x00\x18\x00\x00\x00', d)  # BTF magic, v1, hdr_len 24
_, _, _, hl, to, tl, so, sl = struct.unpack_from('<HBBIIIII', d, m.start())
open(sys.argv[2], 'wb').write(d[m.start():m.start() + hl + max(to + tl, so + sl)])
EOT
	cp "$tmp/lib/modules/$kver/kernel/drivers/dax/dax.ko" "$A/btf/dax-$kver.ko"
	rm -rf "$tmp"
}

prepare_trixie() {
	local dir=$A/envs/trixie-x
	[ -f "$dir/.kmm-ready" ] && return 0
	rm -rf "$dir.tmp"
	mmdebstrap --variant=apt --mode=root --components=main --architectures=amd64,arm64 \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--include=make,binutils,kmod,xz-utils,zstd,file,dwarves \
		--customize-hook='chroot "$1" apt-get install -y -qq --no-install-recommends -t trixie-backports linux-headers-arm64:arm64' \
		--skip=cleanup/apt/lists trixie "$dir.tmp" \
		"deb $KMM_MIRROR trixie main" "deb $KMM_MIRROR trixie-backports main" \
		>"$A/envs/trixie-x.log" 2>&1 || kmm_die "mmdebstrap failed, see $A/envs/trixie-x.log"
	touch "$dir.tmp/.kmm-ready"
	mv "$dir.tmp" "$dir"
}

copy() {
	local dst=$1
	rm -rf "$dst"
	kmm_copy_tree "$dst"
	[ -z "$explore" ] || patch -s -d "$dst" -p1 <"$KMM_TOP/devel/arm64-explore.patch"
}

rc=0
for line in "${lines[@]}"; do
	start=$(date +%s.%N)
	case $line in
	6.1 | 6.12)
		series=$line
		if [ "$series" = 6.1 ]; then kver=$(meta_dep '6\.1\.[^ ]*'); else kver=$(meta_dep '6\.12\.[^ ]*+deb12'); fi
		[ "$series" = 6.1 ] && kb=linux-kbuild-6.1 || kb=linux-kbuild-${kver%-arm64}
		prepare_x "$kver" "$kb"
		dst=$KMM_TOP/build/arm64/$kver/src
		copy "$dst"
		args=(KERNELRELEASE="$kver" KDIR="$A/x/usr/src/linux-headers-$kver"
			ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- KMM_WERROR=1)
		env=()
		if [ "$series" = 6.1 ]; then
			prepare_btf61 "$kver"
			args+=(KMM_BTF="$A/btf/dax-$kver.ko")
			env=(KMM_PAHOLE_ARGS="--btf_base $A/btf/vmlinux-$kver.btf")
		fi
		env "${env[@]}" nice make -C "$dst" "${args[@]}" >"${dst%/src}/build.log" 2>&1 || rc=1
		;;
	7.3)
		prepare_trixie
		kver=$(basename "$(ls -d "$A"/envs/trixie-x/usr/src/linux-headers-7.3*-arm64 | sort -V | tail -n1)")
		kver=${kver#linux-headers-}
		dst=$KMM_TOP/build/arm64/$kver/src
		copy "$dst"
		KMM_CHROOT_SRC=$dst kmm_chroot "$A/envs/trixie-x" nice make -C /src \
			KERNELRELEASE="$kver" KDIR="/usr/src/linux-headers-$kver" KMM_WERROR=1 \
			>"${dst%/src}/build.log" 2>&1 || rc=1
		;;
	*) kmm_die "unknown line $line" ;;
	esac
	secs=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")
	if [ -f "$dst/kmem_mom.ko" ]; then
		echo "$line $kver: ok, $(modinfo -F vermagic "$dst/kmem_mom.ko"), ${secs} s"
	else
		echo "$line $kver: FAIL (${secs} s): $(grep -m1 -E 'cannot build|error' "${dst%/src}/build.log" || true)"
	fi
done
exit $rc
