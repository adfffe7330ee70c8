#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# An arm64 Debian 12 root in which the packages can be installed the way a
# machine gets them: dpkg and apt, dkms with gcc-12 and make, and the arm64
# guest kernel A612 (devel/kernels-arm64.sh) as Debian ships it, headers
# (bookworm-backports) and image (its modules: the in-tree kmem, dax,
# nfit), with their dependencies, every one of them UNPACKED and none
# configured.  This host runs no arm64 code (no binfmt_misc, no foreign
# dpkg architecture), so configuring is left to dpkg inside an arm64
# guest: "dpkg --configure -a" there runs every maintainer script
# natively (tests/guest/pkg-arm64.sh).
#
#   devel/arm64-pkgroot.sh [--force]
#
# Writes $KMM_STATE/arm64/pkgroot/overlay/kmm-root/ (an overlay for
# tests/boot-guest.sh: the root appears in the guest at /kmm-root) and
# pkgroot/status.installed (the root's dpkg status as it will be once
# configured, for resolving on the host what apt will want in the guest).
#
# What dpkg --unpack does is done here from the packages' own files, each
# package in the order apt would unpack it (libc first):
#   - its data extracted (tar, as dpkg-deb does), /usr-merged as bookworm
#     installs are (the /bin /sbin /lib links exist before anything);
#   - its conffiles as <path>.dpkg-new, recorded "newconffile" in the
#     status, as dpkg leaves a package never installed before, so that
#     "dpkg --configure" puts them in place;
#   - /var/lib/dpkg/info/<pkg>.{list,md5sums,conffiles,postinst,...};
#   - its stanza in /var/lib/dpkg/status with "Status: install ok unpacked";
#   - its trigger interests registered (triggers/File, triggers/<name>), as
#     dpkg does at unpack; explicit activations happen again at configure.
# Not done: preinst scripts (arm64 /bin/sh; the list of the root's preinsts
# is written to pkgroot/preinsts for the record, and the guest runs each
# one's "install" before configuring), file-trigger activations of the
# unpack (each interested package is configured anyway), and
# documentation (man, doc, info, locale are left out, as in the guests'
# rootfs; their names stay in the .list files, as dpkg's path-exclude
# leaves them).
# Idempotent: rebuilt when this script or the kernel changes, or --force.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

force=
for a in "$@"; do
	case $a in
	--force) force=1 ;;
	*) kmm_die "usage: $0 [--force]" ;;
	esac
done
[ "$(id -u)" = 0 ] || kmm_die "must run as root"
[ -f "$KMM_STATE/kernels-arm64.env" ] || kmm_die "$KMM_STATE/kernels-arm64.env missing: run devel/kernels-arm64.sh"
# shellcheck disable=SC1091
. "$KMM_STATE/kernels-arm64.env"

P=$KMM_STATE/arm64/pkgroot
APTD=$P/apt
DEBS=$KMM_CACHE/arm64/pkgroot-debs
out=$P/overlay
key="$(sha256sum <"$0" | cut -d' ' -f1) $A612 $KMM_MIRROR"
if [ -z "$force" ] && [ -f "$out/.kmm-ready" ] && [ "$(cat "$out/.kmm-ready")" = "$key" ]; then
	kmm_log "$out is up to date"
	exit 0
fi
mkdir -p "$P" "$DEBS"

# --- A private apt state: bookworm for arm64 only, with its updates,
# security and backports suites, as a bookworm machine lists them.
{
	for s in bookworm bookworm-updates bookworm-backports; do
		echo "deb [arch=arm64] $KMM_MIRROR $s main"
	done
	echo "deb [arch=arm64] ${KMM_MIRROR%/debian}/debian-security bookworm-security main"
} | kmm_private_apt "$APTD" arm64 "Dir::Cache::archives \"$DEBS\";" 'APT::Install-Recommends "false";'
papt() { APT_CONFIG=$APTD/apt.conf "$@"; }

# --- What the root holds: what every Debian system has (Priority:
# required, and apt), the guest scripts' tools, dkms (which brings gcc-12,
# make, dpkg-dev) and the guest kernel's headers and image.  Recommends
# off, as debootstrap's minbase.  The kernel's hook would make an
# initramfs: the guest configures with INITRD=No, as make check's
# throwaway roots do.
required=$(papt apt-cache dumpavail | awk '
	/^Package:/ { p = $2 } /^Priority: required/ { print p }' | sort -u)
want="$required apt kmod daxctl ndctl util-linux procps dkms
	linux-headers-$A612 linux-image-$A612"
# shellcheck disable=SC2086
sim=$(papt apt-get install -s -y $want 2>&1) || {
	printf '%s\n' "$sim" | tail -n 20 >&2
	kmm_die "apt cannot resolve the root's packages"
}
# "Inst NAME (VERSION SUITES [ARCH])", in apt's unpack order.
printf '%s\n' "$sim" | sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*\[\([^]]*\)\]).*/\1 \2 \3/p' >"$P/packages.tmp"
[ -s "$P/packages.tmp" ] || kmm_die "apt resolved nothing for the root"
if grep -qv ' arm64$\| all$' "$P/packages.tmp"; then
	kmm_die "a package of another architecture in the root: $(grep -v ' arm64$\| all$' "$P/packages.tmp" | head -n 3)"
fi
mv "$P/packages.tmp" "$P/packages"
kmm_log "pkgroot: $(wc -l <"$P/packages") packages; downloading what is not cached"
# shellcheck disable=SC2086
papt apt-get install -d -y -qq $want >/dev/null || kmm_die "apt could not download the root's packages"

# deb_of NAME VERSION ARCH: the downloaded file (apt writes an epoch's
# colon as %3a).
deb_of() { echo "$DEBS/${1}_${2//:/%3a}_${3}.deb"; }

# --- Unpack.
tree=$P/overlay.tmp/kmm-root
rm -rf "$P/overlay.tmp"
trap 'rm -rf "$P/overlay.tmp"' EXIT
mkdir -p "$tree/usr/bin" "$tree/usr/sbin" "$tree/usr/lib"
ln -s usr/bin "$tree/bin"
ln -s usr/sbin "$tree/sbin"
ln -s usr/lib "$tree/lib"
adm=$tree/var/lib/dpkg
mkdir -p "$adm/info" "$adm/updates" "$adm/triggers" "$adm/alternatives" "$adm/parts"
: >"$adm/diversions"
: >"$adm/statoverride"
: >"$adm/available"
: >"$adm/triggers/Unincorp"
: >"$adm/status"
echo 1 >"$adm/info/format"
work=$P/overlay.tmp/work
: >"$P/preinsts.tmp"
# The documentation left out (tests/mkrootfs-arm64.sh's dpkg filters).
excl=(--wildcards --exclude='./usr/share/man/*' --exclude='./usr/share/info/*'
	--exclude='./usr/share/lintian/*' --exclude='./usr/share/bash-completion/*'
	--exclude='./usr/share/locale/*' --exclude='./usr/share/doc/*')
while read -r name ver arch; do
	deb=$(deb_of "$name" "$ver" "$arch")
	[ -f "$deb" ] || kmm_die "not downloaded: $deb"
	rm -rf "$work"
	mkdir -p "$work/ctl"
	dpkg-deb -e "$deb" "$work/ctl"
	dpkg-deb --fsys-tarfile "$deb" >"$work/data.tar"
	# dpkg names a Multi-Arch: same package's files NAME:ARCH.
	pkey=$name
	[ "$(dpkg-deb -f "$deb" Multi-Arch)" = same ] && pkey=$name:$arch
	tar -tf "$work/data.tar" | sed 's|^\./|/|; s|/$||; s|^$|/.|' >"$adm/info/$pkey.list"
	tar -C "$tree" --keep-directory-symlink --same-owner -xpf "$work/data.tar" "${excl[@]}"
	# Each package's copyright stays, as in the guests' rootfs.
	tar -C "$tree" --keep-directory-symlink --same-owner -xpf "$work/data.tar" \
		--wildcards './usr/share/doc/*/copyright' 2>/dev/null || true
	conff=()
	if [ -f "$work/ctl/conffiles" ]; then
		while read -r c rest; do
			# dpkg 1.21: "remove-on-upgrade /path" lines name no file to install.
			[ "$c" = remove-on-upgrade ] && continue
			[ -e "$tree$c" ] || [ -L "$tree$c" ] || continue
			mv "$tree$c" "$tree$c.dpkg-new"
			conff+=("$c")
		done <"$work/ctl/conffiles"
	fi
	for f in preinst postinst prerm postrm config templates triggers shlibs symbols md5sums conffiles; do
		[ -f "$work/ctl/$f" ] && cp -p "$work/ctl/$f" "$adm/info/$pkey.$f"
	done
	[ -f "$work/ctl/preinst" ] && echo "$pkey" >>"$P/preinsts.tmp"
	# The status stanza: the control file, "Status" after "Package", the
	# conffiles dpkg has yet to install.
	{
		sed '/^Package:/a Status: install ok unpacked' "$work/ctl/control" | sed '/^$/d'
		if [ ${#conff[@]} -gt 0 ]; then
			echo "Conffiles:"
			printf ' %s newconffile\n' "${conff[@]}"
		fi
		echo
	} >>"$adm/status"
	# Trigger interests, as dpkg registers them at unpack.
	if [ -f "$work/ctl/triggers" ]; then
		while read -r what tname _; do
			case $what in
			interest) who=$pkey ;;
			interest-await) who=$pkey ;;
			interest-noawait) who=$pkey/noawait ;;
			*) continue ;;
			esac
			if [[ "$tname" == /* ]]; then
				echo "$tname $who" >>"$adm/triggers/File"
			else
				echo "$who" >>"$adm/triggers/$tname"
			fi
		done < <(sed 's/#.*//' "$work/ctl/triggers")
	fi
done <"$P/packages"
rm -rf "$work"
mv "$P/preinsts.tmp" "$P/preinsts"

# The root's /dev is the guest's (bind-mounted there); apt wants its
# directories.
mkdir -p "$tree/dev" "$tree/proc" "$tree/sys" "$tree/run" "$tree/tmp" \
	"$tree/var/lib/apt/lists/partial" "$tree/var/cache/apt/archives/partial"
chmod 1777 "$tree/tmp"
[ -e "$tree/usr/lib/ld-linux-aarch64.so.1" ] || kmm_die "no arm64 dynamic loader in the root"
[ -f "$tree/usr/lib/modules/$A612/kernel/drivers/dax/kmem.ko.xz" ] ||
	[ -f "$tree/lib/modules/$A612/kernel/drivers/dax/kmem.ko" ] ||
	ls "$tree"/usr/lib/modules/"$A612"/kernel/drivers/dax/kmem.ko* >/dev/null ||
	kmm_die "no in-tree kmem for $A612 in the root"

# The status as it will be once configured, for the host's apt to resolve
# what the guest's apt will want.
sed 's/^Status: install ok unpacked$/Status: install ok installed/' "$adm/status" >"$P/status.installed"

rm -rf "$out"
mv "$P/overlay.tmp" "$out"
trap - EXIT
echo "$key" >"$out/.kmm-ready"
kmm_log "wrote $out: $(wc -l <"$P/packages") packages unpacked, $(du -sm "$out" | cut -f1) MiB"
