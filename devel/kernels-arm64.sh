#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Resolve, fetch and prepare Debian's arm64 kernels, cross-built on this
# x86_64 host (Documentation/arm64-notes.md has the measurements):
#   6.1  (bookworm)            headers extracted, host gcc-aarch64-linux-gnu
#   6.12 (bookworm-backports)  headers extracted, host gcc-aarch64-linux-gnu
#   7.3  (trixie-backports)    headers in a trixie chroot with arm64 as a
#                              foreign architecture (gcc-14 cross)
# and each one's guest image under $KMM_STATE/images/<kver>/, as
# devel/kernels.sh does for amd64.  Debian ships linux-kbuild Multi-Arch:
# foreign: arm64 headers are meant to be used with the build machine's
# kbuild tools, so the amd64 linux-kbuild of the same version is extracted
# beside them.  The host's dpkg architecture list is never changed: a
# private apt state under $KMM_STATE/arm64/apt lists arm64 and amd64.
# Versions come from the archive's linux-headers-arm64 metapackage, never
# from this file.  Idempotent; writes $KMM_STATE/kernels-arm64.env.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || kmm_die "must run as root"
A=$KMM_STATE/arm64
APTD=$A/apt
DEBS=$KMM_CACHE/arm64/debs
mkdir -p "$DEBS" "$A/envs" "$KMM_STATE/images"

# --- private apt state: arm64, and amd64 for the kbuild tools ------------
for s in bookworm bookworm-updates bookworm-backports trixie trixie-backports; do
	echo "deb [arch=arm64,amd64] $KMM_MIRROR $s main"
done | kmm_private_apt "$APTD" "arm64 amd64"
papt() { APT_CONFIG=$APTD/apt.conf "$@"; }

# meta_dep PATTERN: the headers ABI a linux-headers-arm64 version names.
meta_dep() {
	papt apt-cache show linux-headers-arm64:arm64 |
		sed -n "s/^Depends: .*linux-headers-\\($1-arm64\\) .*/\\1/p" | sort -V | tail -n1
}
pkgver() { papt apt-cache show "$1" | sed -n 's/^Version: //p' | sort -V | tail -n1; }
fetch() { (cd "$DEBS" && papt apt-get download -qq "$@") || kmm_die "cannot download $*"; }

A61=$(meta_dep '6\.1\.[^ ]*')
A612=$(meta_dep '6\.12\.[^ ]*+deb12')
[ -n "$A61" ] && [ -n "$A612" ] ||
	kmm_die "cannot resolve arm64 6.1/6.12 from linux-headers-arm64"

# prepare_host KVER KBUILD: headers (arm64) + common (all) + the amd64
# kbuild of the same version, extracted into $A/x.
prepare_host() {
	local kver=$1 kb=$2 ver r=$A/x d
	[ -f "$r/usr/src/linux-headers-$kver/.kmm-ready" ] && return 0
	kmm_log "arm64: extracting headers for $kver"
	ver=$(pkgver "linux-headers-$kver:arm64")
	fetch "linux-headers-$kver:arm64=$ver" "linux-headers-${kver%-arm64}-common=$ver" \
		"$kb:amd64=$(pkgver "$kb:amd64")"
	mkdir -p "$r"
	for d in "$DEBS/linux-headers-${kver}_${ver}_arm64.deb" \
		"$DEBS/linux-headers-${kver%-arm64}-common_${ver}_all.deb" \
		"$DEBS/${kb}_"*"_amd64.deb"; do
		[ -f "$d" ] || kmm_die "missing $d"
		dpkg-deb -x "$d" "$r"
	done
	# The flavour Makefile includes the -common tree by absolute path;
	# unrewritten it would silently use the host's /usr/src.
	sed -i "s|/usr/src/|$r/usr/src/|g" "$r/usr/src/linux-headers-$kver/Makefile"
	touch "$r/usr/src/linux-headers-$kver/.kmm-ready"
}
prepare_host "$A61" linux-kbuild-6.1
prepare_host "$A612" "linux-kbuild-${A612%-arm64}"

# xchroot NAME SUITE INCLUDE HOOK SOURCES...: an amd64 chroot with arm64 as
# a foreign dpkg architecture (private to it), built in .tmp and renamed.
xchroot() {
	local name=$1 suite=$2 include=$3 hook=$4 dir=$A/envs/$1
	shift 4
	[ -f "$dir/.kmm-ready" ] && return 0
	kmm_log "arm64: creating the $name cross chroot"
	rm -rf "$dir.tmp"
	mmdebstrap --variant=apt --mode=root --components=main --architectures=amd64,arm64 \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--include="$include" --customize-hook="$hook" \
		--skip=cleanup/apt/lists "$suite" "$dir.tmp" "$@" \
		>"$A/envs/$name.log" 2>&1 || kmm_die "mmdebstrap failed, see $A/envs/$name.log"
	touch "$dir.tmp/.kmm-ready"
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
}

# 7.3's amd64 kbuild needs glibc 2.38: a trixie chroot, in which Debian's
# own multiarch cross route (linux-headers-arm64:arm64 pulls
# gcc-14-for-host:arm64, i.e. gcc-14-aarch64-linux-gnu, and the amd64
# kbuild) works untouched.  dkms for make matrix's dkms check.
X=$A/envs/trixie-x
xchroot trixie-x trixie make,binutils,kmod,xz-utils,zstd,file,dwarves,dkms \
	'chroot "$1" apt-get install -y -qq --no-install-recommends -t trixie-backports linux-headers-arm64:arm64' \
	"deb $KMM_MIRROR trixie main" "deb $KMM_MIRROR trixie-backports main"
# xchroot_need NAME PKG...: packages a chroot made before they were listed
# lacks.
xchroot_need() {
	local name=$1 p need=()
	shift
	for p; do
		chroot "$A/envs/$name" dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'ok installed' || need+=("$p")
	done
	[ ${#need[@]} -eq 0 ] && return 0
	kmm_log "arm64: installing ${need[*]} in the $name chroot"
	kmm_chroot "$A/envs/$name" apt-get install -y -qq --no-install-recommends "${need[@]}" \
		>>"$A/envs/$name.log" 2>&1 || kmm_die "installing ${need[*]} failed, see $A/envs/$name.log"
}
xchroot_need trixie-x dkms
# The kmem-mom command of the 7.3 guests (trixie's ndctl 81), cross-built
# for them by devel/stage.sh.
xchroot_need trixie-x gcc-aarch64-linux-gnu libc6-dev-arm64-cross pkg-config:arm64 \
	libdaxctl-dev:arm64 libcxl-dev:arm64 libndctl-dev:arm64 libjson-c-dev:arm64 \
	libkmod-dev:arm64 uuid-dev:arm64

# kmem-mom-tools for arm64 (make deb): Debian 12's cross toolchain and the
# arm64 libraries the command links, so that the package is built as
# Debian would cross-build it (dpkg-buildpackage -a arm64).
xchroot bookworm-x bookworm \
	build-essential,crossbuild-essential-arm64,debhelper,dh-dkms,pkg-config,fakeroot,pkg-config:arm64,libdaxctl-dev:arm64,libcxl-dev:arm64,libndctl-dev:arm64,libjson-c-dev:arm64,libkmod-dev:arm64,uuid-dev:arm64 \
	true "deb $KMM_MIRROR bookworm main"
# pkg-config:arm64 brings aarch64-linux-gnu-pkg-config, which buildtools.mk
# names for a cross build.
xchroot_need bookworm-x pkg-config:arm64
A73=$(basename "$(ls -d "$X"/usr/src/linux-headers-7.3*-arm64 | sort -V | tail -n1)")
A73=${A73#linux-headers-}
case "$A73" in 7.3.*-arm64) ;; *) kmm_die "trixie-backports gave arm64 headers $A73, expected 7.3" ;; esac

# Guest images (and, for 6.1, the BTF: its headers have no vmlinux; the
# raw Image and dax.ko carry it): the package the metapackage installs,
# kernel and modules unpacked under images/<kver>/.
fetch_image() {
	local kver=$1 dst=$KMM_STATE/images/$1 pkgs deb
	[ -f "$dst/.kmm-ready" ] && return 0
	kmm_log "arm64: fetching guest kernel $kver"
	# 7.x splits the image into several binary packages.
	pkgs=$(papt apt-cache depends --no-recommends --no-suggests "linux-image-$kver:arm64" |
		sed -n 's/^ *Depends: \(linux-[a-z]*-'"$kver"'\)\(:arm64\)\?$/\1/p' | sort -u)
	rm -rf "$dst.tmp"
	mkdir -p "$dst.tmp"
	fetch "linux-image-$kver:arm64" ${pkgs:+$(printf '%s:arm64 ' $pkgs)}
	for deb in "$DEBS"/linux-*-"$kver"_*_arm64.deb; do
		case $deb in */linux-headers-*) continue ;; esac
		dpkg-deb -x "$deb" "$dst.tmp"
	done
	touch "$dst.tmp/.kmm-ready"
	rm -rf "$dst"
	mv "$dst.tmp" "$dst"
}
fetch_image "$A61"
fetch_image "$A612"
fetch_image "$A73"

cat >"$KMM_STATE/kernels-arm64.env.tmp" <<EOT
A61=$A61
A612=$A612
A73=$A73
EOT
mv "$KMM_STATE/kernels-arm64.env.tmp" "$KMM_STATE/kernels-arm64.env"
cat "$KMM_STATE/kernels-arm64.env"
