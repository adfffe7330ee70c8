#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Resolve, fetch and prepare every target kernel:
#   6.1  (bookworm)            headers on the host, guest image
#   6.12 (bookworm-backports)  headers on the host, guest image
#   7.3  (trixie-backports)    headers in a trixie chroot (gcc-14), guest image
#   7.2  (sid)                 headers in a sid chroot (gcc-16), build only
# Versions come from the archive's linux-*-amd64 metapackages, never from
# this file.  Idempotent; writes $KMM_STATE/kernels.env.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || kmm_die "must run as root"
mkdir -p "$KMM_STATE/envs" "$KMM_CACHE/debs" "$KMM_STATE/images"

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

# Highest linux-image-<series>.* that a linux-image-amd64 version depends on.
meta_dep() {
	apt-cache show linux-image-amd64 |
		sed -n "s/^Depends: linux-image-\\($1\\.[^ ]*-amd64\\) .*/\\1/p" |
		head -n1
}

K61=$(meta_dep 6\\.1)
K612=$(meta_dep 6\\.12)
[ -n "$K61" ] && [ -n "$K612" ] ||
	kmm_die "cannot resolve 6.1/6.12 from linux-image-amd64 (apt-get update?)"

need=()
installed "linux-headers-$K61" || need+=("linux-headers-$K61")
installed "linux-headers-$K612" || need+=("linux-headers-$K612")
if [ ${#need[@]} -gt 0 ]; then
	kmm_log "installing ${need[*]}"
	apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# mkchroot NAME SUITE BACKPORTS-SUITE SOURCES...
# Built in NAME.tmp and renamed, so an interrupted run leaves nothing half-made.
mkchroot() {
	local name=$1 suite=$2 target=$3 dir=$KMM_STATE/envs/$1
	shift 3
	if [ -f "$dir/.kmm-ready" ]; then
		return 0
	fi
	kmm_log "creating $name chroot (headers from $target)"
	rm -rf "$dir.tmp"
	mmdebstrap --variant=apt --mode=root --components=main \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--include=make,binutils,kmod,dkms,xz-utils,zstd,file \
		--customize-hook="chroot \"\$1\" apt-get install -y -qq --no-install-recommends -t $target linux-headers-amd64" \
		--skip=cleanup/apt/lists \
		"$suite" "$dir.tmp" "$@" >"$KMM_STATE/envs/$name.log" 2>&1 ||
		kmm_die "mmdebstrap $name failed, see $KMM_STATE/envs/$name.log"
	touch "$dir.tmp/.kmm-ready"
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
}
mkchroot trixie trixie trixie-backports \
	"deb $KMM_MIRROR trixie main" "deb $KMM_MIRROR trixie-backports main"
mkchroot sid sid sid "deb $KMM_MIRROR sid main"

# kmem-mom, the userspace command, links the release's own libdaxctl,
# libcxl, libndctl and json-c: 7.x guests run trixie's ndctl 81, so the
# command they run is built in the trixie chroot (make install, stage.sh).
TOOL_DEPS="gcc libc6-dev pkg-config libdaxctl-dev libcxl-dev libndctl-dev libjson-c-dev libkmod-dev uuid-dev"
chroot_tool_deps() {
	local root=$KMM_STATE/envs/$1 p need=()
	for p in $TOOL_DEPS; do
		chroot "$root" dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'ok installed' || need+=("$p")
	done
	[ ${#need[@]} -eq 0 ] && return 0
	kmm_log "$1 chroot: installing ${need[*]}"
	kmm_chroot "$root" apt-get install -y -qq --no-install-recommends "${need[@]}" \
		>>"$KMM_STATE/envs/$1.log" 2>&1 ||
		kmm_die "installing ${need[*]} in $1 failed, see $KMM_STATE/envs/$1.log"
}
chroot_tool_deps trixie

chroot_kver() {
	basename "$(ls -d "$KMM_STATE/envs/$1"/usr/src/linux-headers-*-amd64 | sort -V | tail -n1)" |
		sed 's/^linux-headers-//'
}
K73=$(chroot_kver trixie)
K72=$(chroot_kver sid)
case "$K73" in 7.3.*) ;; *) kmm_die "trixie-backports gave $K73, expected 7.3" ;; esac
case "$K72" in 7.2.*) ;; *) kmm_die "sid gave $K72, expected 7.2" ;; esac

# Guest images: kernel + modules unpacked under images/<kver>/.
fetch_image() {
	local kver=$1 env=$2 dst=$KMM_STATE/images/$1 pkgs deb
	[ -f "$dst/.kmm-ready" ] && return 0
	kmm_log "fetching guest kernel $kver"
	rm -rf "$dst.tmp"
	mkdir -p "$dst.tmp"
	if [ -z "$env" ]; then
		(cd "$KMM_CACHE/debs" && apt-get download -qq "linux-image-$kver")
	else
		# 7.x splits the image into several binary packages.
		pkgs=$(kmm_chroot "$KMM_STATE/envs/$env" apt-cache depends \
			--no-recommends --no-suggests "linux-image-$kver" |
			sed -n 's/^ *Depends: \(linux-[a-z]*-'"$kver"'\)$/\1/p' | sort -u)
		kmm_chroot "$KMM_STATE/envs/$env" /bin/sh -c \
			"cd /cache/debs && apt-get download -qq linux-image-$kver $(echo $pkgs)"
	fi
	for deb in "$KMM_CACHE"/debs/linux-*-"$kver"_*.deb; do
		dpkg-deb -x "$deb" "$dst.tmp"
	done
	touch "$dst.tmp/.kmm-ready"
	rm -rf "$dst"
	mv "$dst.tmp" "$dst"
}
fetch_image "$K61" ""
fetch_image "$K612" ""
fetch_image "$K73" trixie

cat >"$KMM_STATE/kernels.env.tmp" <<EOT
K61=$K61
K612=$K612
K73=$K73
K72=$K72
EOT
mv "$KMM_STATE/kernels.env.tmp" "$KMM_STATE/kernels.env"
cat "$KMM_STATE/kernels.env"
