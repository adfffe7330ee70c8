#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the arm64 guests' root filesystem: the same packages as
# tests/mkrootfs.sh, for arm64, packed as an uncompressed newc cpio at
# $KMM_STATE/rootfs/<suite>-arm64.cpio.
#
#   tests/mkrootfs-arm64.sh [bookworm|trixie] [--force]
#
# This host is x86_64 and may not run arm64 binaries: no binfmt_misc
# handler (host-global), no foreign dpkg architecture.  So no maintainer
# script can run.  mmdebstrap's "extract" variant unpacks the packages
# (with their dependencies) and configures nothing; what the guests need
# from the maintainer scripts is done below by hand, each from the file the
# package itself ships for it:
#   base-passwd   /etc/passwd, /etc/group from its *.master files; shadow
#   udev          the system groups its postinst adds (input sgx kvm render)
#   base-files    /etc/profile, /etc/nsswitch.conf, root's dot files, the
#                 top-level directories (mnt, opt, srv, media, usr/local)
#   mawk, debianutils, util-linux, tar
#                 their update-alternatives links (awk, nawk, which, pager,
#                 rmt), pointing where the amd64 rootfs's links point
# Nothing else a postinst writes is read by the guests (no ld.so.cache:
# glibc's built-in search path has the multiarch directories; no debconf,
# no init scripts, no dpkg database beyond what extract leaves).
#
# The x86 rootfs (tests/mkrootfs.sh) is untouched by this script.
# Idempotent and atomic as tests/mkrootfs.sh is.
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

# The package list of tests/mkrootfs.sh (see there for why each), plus
# what minbase would bring: every Priority: required package.  extract
# resolves the dependencies but, unlike minbase, installs nothing by itself.
PKGS=kmod,ndctl,daxctl,util-linux,procps,numactl,jq,busybox,stress-ng,bc,udev
# trixie: the sanitizer runtimes of the kmem-mom test build, which is
# linked against them dynamically there (devel/stage.sh).
[ "$SUITE" = trixie ] && PKGS+=,cxl,libasan8,libubsan1

[ "$(id -u)" = 0 ] || kmm_die "must run as root (mmdebstrap --mode=root, device nodes)"
command -v mmdebstrap >/dev/null || kmm_die "mmdebstrap missing: run devel/setup-host.sh"
command -v cpio >/dev/null || kmm_die "cpio missing: run devel/setup-host.sh"

dir=$KMM_STATE/rootfs
out=$dir/$SUITE-arm64.cpio
stamp=$out.key
key="$(sha256sum <"$0" | cut -d' ' -f1) $KMM_MIRROR"

if [ -z "$force" ] && [ -f "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; then
	kmm_log "$out is up to date"
	exit 0
fi

mkdir -p "$dir"
tree=$dir/$SUITE-arm64.tmp
log=$dir/$SUITE-arm64.log
rm -rf "$tree" "$out.tmp"
trap 'rm -rf "$tree" "$out.tmp"' EXIT

kmm_log "building $SUITE arm64 rootfs (log: $log)"
# The merged-usr hook's setup step only makes the /bin, /lib, /sbin ->
# usr/ links before anything is unpacked (trixie's base-files ships the
# same links; made first, a package's /lib path cannot become a real
# directory).  Its essential step would run dpkg in the tree: not used.
mmdebstrap --variant=extract --mode=root --architectures=arm64 --format=directory \
	--components=main --include='?priority(required)' --include="$PKGS" \
	--setup-hook=/usr/share/mmdebstrap/hooks/merged-usr/setup00.sh \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--dpkgopt='path-include=/usr/share/locale/locale.alias' \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-include=/usr/share/doc/*/copyright' \
	--dpkgopt='path-exclude=/usr/share/info/*' \
	--dpkgopt='path-exclude=/usr/share/lintian/*' \
	--dpkgopt='path-exclude=/usr/share/bash-completion/*' \
	"$SUITE" "$tree" "deb $KMM_MIRROR $SUITE main" \
	>"$log" 2>&1 ||
	kmm_die "mmdebstrap failed, see $log"

# --- What the maintainer scripts would have done, as far as guests care.
# base-passwd's postinst: the master files, with "x" for the password
# field and the locked shadow entries its postinst writes.
sed 's/^\([^:]*\):\*:/\1:x:/' "$tree/usr/share/base-passwd/passwd.master" >"$tree/etc/passwd"
sed 's/^\([^:]*\):\*:/\1:x:/' "$tree/usr/share/base-passwd/group.master" >"$tree/etc/group"
# udev's postinst adds these as system groups; the gids the amd64 rootfs
# got, so both architectures agree.
printf '%s\n' input:x:101: sgx:x:102: kvm:x:103: render:x:104: >>"$tree/etc/group"
cut -d: -f1 "$tree/etc/passwd" | sed 's/$/:*:20000:0:99999:7:::/' >"$tree/etc/shadow"
cut -d: -f1 "$tree/etc/group" | sed 's/$/:*::/' >"$tree/etc/gshadow"
chmod 640 "$tree/etc/shadow" "$tree/etc/gshadow"
# base-files' postinst: configuration from its templates, and directories.
bf=$tree/usr/share/base-files
cp "$bf/profile" "$tree/etc/profile"
cp "$bf/dot.bashrc" "$tree/root/.bashrc"
cp "$bf/dot.profile" "$tree/root/.profile"
[ -f "$bf/nsswitch.conf" ] && cp "$bf/nsswitch.conf" "$tree/etc/nsswitch.conf"
for d in mnt opt srv media usr/local/bin usr/local/sbin usr/local/lib \
	usr/local/share usr/local/include usr/local/src usr/local/etc; do
	mkdir -p "$tree/$d"
done
# update-alternatives of mawk, debianutils, util-linux and tar, as links
# through /etc/alternatives; a link is made only if its target exists.
alt() { # alt LINK NAME TARGET
	[ -e "$tree$3" ] || return 0
	mkdir -p "$tree/etc/alternatives"
	ln -sfn "$3" "$tree/etc/alternatives/$2"
	ln -sfn "/etc/alternatives/$2" "$tree$1"
}
alt /usr/bin/awk awk /usr/bin/mawk
alt /usr/bin/nawk nawk /usr/bin/mawk
alt /usr/bin/which which /usr/bin/which.debianutils
alt /usr/bin/pager pager /usr/bin/more
alt /usr/sbin/rmt rmt /usr/sbin/rmt-tar
[ -L "$tree/usr/bin/awk" ] || kmm_die "no awk in the $SUITE arm64 rootfs"

# As tests/mkrootfs.sh: no apt caches, no LLVM/Mesa for stress-ng's GPU
# stressors, no hardware database.
rm -rf "$tree"/var/cache/apt/* "$tree"/var/lib/apt/lists/* "$tree"/var/log/*.log
rm -f "$tree"/usr/lib/aarch64-linux-gnu/libLLVM* \
	"$tree"/usr/lib/aarch64-linux-gnu/libgallium* \
	"$tree"/usr/lib/aarch64-linux-gnu/libz3.so*
rm -rf "$tree"/usr/lib/aarch64-linux-gnu/dri
rm -f "$tree"/usr/lib/udev/hwdb.bin "$tree"/etc/udev/hwdb.bin

[ -c "$tree/dev/console" ] || mknod -m 600 "$tree/dev/console" c 5 1
[ -c "$tree/dev/null" ] || mknod -m 666 "$tree/dev/null" c 1 3
[ -L "$tree/lib" ] || kmm_die "$SUITE arm64 rootfs is not usr-merged (/lib is not a symlink)"
# The arm64 dynamic loader must be where the binaries ask for it.
[ -e "$tree/lib/ld-linux-aarch64.so.1" ] || kmm_die "no /lib/ld-linux-aarch64.so.1 in the tree"

(cd "$tree" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
	cpio -o -H newc --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
printf '%s\n' "$key" >"$stamp"
rm -rf "$tree"
trap - EXIT
kmm_log "wrote $out ($(du -m "$out" | cut -f1) MiB)"
