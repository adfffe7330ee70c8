#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build a guest root filesystem: a minimal Debian packed as an uncompressed
# newc cpio at $KMM_STATE/rootfs/<suite>.cpio.  The guests boot it as an
# initramfs (no disk, no systemd, no udev); tests/boot-guest.sh --rootfs
# appends a small per-run cpio with /init, modules and the test scripts.
#
#   tests/mkrootfs.sh [bookworm|trixie] [--force]
#
# bookworm (the default) is Debian 12 with ndctl/daxctl/cxl 76.1.  trixie
# (Debian 13) brings ndctl 81, whose cxl can "create-region -t ram"; 76.1
# says "not supported yet".
#
# Idempotent: an archive is rebuilt only when this script or the mirror
# changes (or with --force).  Atomic: everything is built in *.tmp and
# renamed, so an interrupted run never leaves a half-made rootfs behind.
set -euo pipefail
. "$(dirname "$0")/../devel/lib.sh"

usage() { kmm_die "usage: $0 [bookworm|trixie] [--force]"; }

SUITE= force=
for a in "$@"; do
	case "$a" in
	--force) force=1 ;;
	bookworm | trixie) [ -z "$SUITE" ] || usage; SUITE=$a ;;
	*) usage ;;
	esac
done
SUITE=${SUITE:-bookworm}

# kmod: modprobe/depmod; ndctl/daxctl/cxl: namespaces, dax modes, CXL
# regions; util-linux: lsmem/chmem; procps: free/vmstat; numactl:
# numastat/numactl; jq: ndctl/daxctl JSON; busybox: poweroff -f (no init
# system inside); stress-ng: load for the stress suite; bc: the kernel's
# memory-hotplug selftest needs it; udev: systemd-udevd for the guests that
# bind devices the way a booting system does (KMM_UDEV=1).  bookworm ships
# the cxl tool inside the ndctl package, trixie splits it out (and ndctl
# depends on it).
PKGS=kmod,ndctl,daxctl,util-linux,procps,numactl,jq,busybox,stress-ng,bc,udev
case "$SUITE" in
bookworm)
	# The merged-usr hook makes the /lib -> usr/lib symlinks itself and
	# installs usr-is-merged; otherwise minbase pulls usrmerge and with it
	# ~50 MB of perl.
	merged_usr=(--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr)
	;;
trixie)
	PKGS+=,cxl
	# trixie's base-files ships the /lib -> usr/lib symlinks itself.
	merged_usr=()
	;;
esac

[ "$(id -u)" = 0 ] || kmm_die "must run as root (mmdebstrap --mode=root, device nodes)"
command -v mmdebstrap >/dev/null || kmm_die "mmdebstrap missing: run devel/setup-host.sh"
command -v cpio >/dev/null || kmm_die "cpio missing: run devel/setup-host.sh"

dir=$KMM_STATE/rootfs
out=$dir/$SUITE.cpio
stamp=$out.key
# The recipe is this file; hash it so edits to PKGS etc. force a rebuild.
key="$(sha256sum <"$0" | cut -d' ' -f1) $KMM_MIRROR"

if [ -z "$force" ] && [ -f "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; then
	kmm_log "$out is up to date"
	exit 0
fi

mkdir -p "$dir"
tree=$dir/$SUITE.tmp
rm -rf "$tree" "$out.tmp"
trap 'rm -rf "$tree" "$out.tmp"' EXIT

kmm_log "building $SUITE rootfs (log: $dir/$SUITE.log)"
# Docs, man pages and locales are dead weight in a RAM-backed guest: every
# MiB is unpacked at each boot.  Keep copyright files (licences).
mmdebstrap --variant=minbase --mode=root --format=directory \
	--components=main --include="$PKGS" \
	${merged_usr[@]+"${merged_usr[@]}"} \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--dpkgopt='path-include=/usr/share/locale/locale.alias' \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-include=/usr/share/doc/*/copyright' \
	--dpkgopt='path-exclude=/usr/share/info/*' \
	--dpkgopt='path-exclude=/usr/share/lintian/*' \
	--dpkgopt='path-exclude=/usr/share/bash-completion/*' \
	"$SUITE" "$tree" "deb $KMM_MIRROR $SUITE main" \
	>"$dir/$SUITE.log" 2>&1 ||
	kmm_die "mmdebstrap failed, see $dir/$SUITE.log"

# apt caches are useless without a network in the guest.
rm -rf "$tree"/var/cache/apt/* "$tree"/var/lib/apt/lists/* "$tree"/var/log/*.log
# stress-ng links libEGL/libgbm, and through them trixie drags in Mesa's
# gallium driver with LLVM (~200 MB).  Only GPU stressors would dlopen it;
# the guests have no GPU and the initramfs is unpacked into their RAM.
rm -f "$tree"/usr/lib/x86_64-linux-gnu/libLLVM* \
	"$tree"/usr/lib/x86_64-linux-gnu/libgallium* \
	"$tree"/usr/lib/x86_64-linux-gnu/libz3.so*
rm -rf "$tree"/usr/lib/x86_64-linux-gnu/dri
# udev's hardware database (13 MiB) describes USB and input devices the
# guests do not have.
rm -f "$tree"/usr/lib/udev/hwdb.bin "$tree"/etc/udev/hwdb.bin

# The kernel opens /dev/console before /init mounts devtmpfs; without the
# node the guest's early output is lost.
[ -c "$tree/dev/console" ] || mknod -m 600 "$tree/dev/console" c 5 1
[ -c "$tree/dev/null" ] || mknod -m 666 "$tree/dev/null" c 1 3

# boot-guest.sh relies on the usr-merge: /lib must stay a symlink.
[ -L "$tree/lib" ] || kmm_die "$SUITE rootfs is not usr-merged (/lib is not a symlink)"

# Paths without a leading "./" and sorted, so the archive is reproducible
# enough to diff; owners are already root (mode=root).
(cd "$tree" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
	cpio -o -H newc --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
printf '%s\n' "$key" >"$stamp"
rm -rf "$tree"
trap - EXIT
kmm_log "wrote $out ($(du -m "$out" | cut -f1) MiB)"
