#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make check's package stage: make deb, then the two packages the way a
# fleet gets them, in throwaway roots (TAP):
#   bookworm with the 6.1 and 6.12 kernels: apt install, DKMS builds and
#   signs with a throwaway MOK key for both (the signature verified with
#   openssl against that key's certificate, and against another key's to
#   see it fail), the rules in place; a kernel upgrade (an older 6.1 ABI,
#   image and headers in one apt transaction) built without being asked;
#   the same kernel configured headers first, then image first (dpkg), and
#   its headers without the image; the cloud and rt flavours of 6.12
#   (built, or skipped: never a failed upgrade), and the cloud kernel
#   booted with its module; purge; the packaged module in the guest
#   suite's bind scenario on 6.1 and 6.12;
#   trixie with 7.3 (image and headers, dkms 3.2): the previous version
#   (built from git) installed, then upgraded to this one: the new module
#   built, the old conffile gone, dkms archives the in-tree kmem; a guest
#   booted from that tree gets the in-tree kmem from the archive when
#   kmem_mom cannot load, and another keeps a device bound across the
#   upgrade; apt remove puts the in-tree kmem back.
# The packages are made from a copy of the tree that only root can read,
# as a clone under /root is.
# The roots start from tarballs cached in $KMM_STATE/pkgroots (mmdebstrap,
# made once), extracted afresh for every run.
# --plan: how many TAP lines a run where everything works prints (make
# check's plan); a run that stops early is padded by make check.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
kmm_kernels_env

if [ "${1:-}" = --plan ]; then
	built=10 # check_built: two modules, five tests each
	# make deb 6 (kmem-mom-tools for amd64 and arm64); bookworm: install, 6.1 and 6.12 built, 4 checks; an
	# older 6.1 ABI: apt, built, twice dpkg + built, headers alone, its
	# image, built; flavours: apt, cloud built, its guest, rt; purge 4;
	# trixie: the previous version built and installed, this one over it
	# and 3 checks of the upgrade, built, 2 checks, 2 guests, remove and 2
	# checks; the bind guests 2.
	echo $((6 + (1 + 2 * built + 4) + (1 + built + 2 * (1 + built) + 2 + built) +
		(1 + built + 2) + 4 + (3 + 3 + built + 2 + 2 + 3) + 2))
	exit 0
fi

debs=$KMM_TOP/build/deb
priv=$(mktemp -d) # mode 0700
trap 'rm -rf "$priv"' EXIT
work=$KMM_TOP/build/pkgtest
mom=memory_hotplug.memmap_on_memory=1
signer="kmem_mom test MOK"
# What the bind scenario expects auto to say of the hmem device under
# KMM_HMAT=dram (an ERE; dots for the spaces that --env cannot carry).
auto_why='fast,.1.00x.DRAM.+:.fast.or.unknown.volatile.memory.->.device'
fail=0
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$KMM_TOP/dkms.conf")

kmm_copy_tree "$priv/kmem_mom"
# The previous version: the tree before the last change of PACKAGE_VERSION;
# where git has no such history (a shallow clone), this tree as 0.0.0.
bump=$(git -C "$KMM_TOP" log -1 --format=%H -G'^PACKAGE_VERSION=' -- dkms.conf 2>/dev/null)
prev=
[ -n "$bump" ] && git -C "$KMM_TOP" cat-file -e "$bump^" 2>/dev/null && prev=$bump^
"$priv/kmem_mom/devel/deb.sh" | sed 's/^\(not \)\{0,1\}ok - /&make deb (in a tree only root can read): /'
[ "${PIPESTATUS[0]}" = 0 ] || exit 1
rm -rf "$debs"
mkdir -p "${debs%/*}"
cp -a "$priv/kmem_mom/build/deb" "$debs"
pkgs="/src/$(basename "$debs"/kmem-mom-dkms_*.deb) /src/$(basename "$debs"/kmem-mom-tools_*_amd64.deb)"

# old_debs: the previous version's packages, built from git into $debs/old.
old_debs() {
	mkdir -p "$priv/old/src" "$debs/old"
	if [ -n "$prev" ]; then
		git -C "$KMM_TOP" archive "$prev" | tar -C "$priv/old/src" -xf - || return 1
	else
		kmm_copy_tree "$priv/old/src"
		sed -i 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="0.0.0"/' "$priv/old/src/dkms.conf"
		sed -i '1s/([^)]*)/(0.0.0)/' "$priv/old/src/debian/changelog"
	fi
	(cd "$priv/old/src" && dpkg-buildpackage -us -uc -b) >"$priv/old/build.log" 2>&1 ||
		{ tail -n 20 "$priv/old/build.log"; return 1; }
	cp "$priv"/old/kmem-mom-dkms_*.deb "$priv"/old/kmem-mom-tools_*_amd64.deb "$debs/old/"
}

tap() { # tap DESC CMD...: one TAP line; the command's output on failure
	local desc=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	if [ $rc = 0 ]; then
		echo "ok - $desc"
	else
		echo "not ok - $desc"
		printf '%s\n' "$out" | tail -n 25 | sed 's/^/# /'
		fail=1
	fi
	return $rc
}

# base_tar SUITE: the cached root for SUITE, made once.  bookworm: the 6.1
# kernel (its image: 6.1's headers carry no BTF) and 6.12's headers from
# backports; trixie: 7.3's image and headers from backports (the image's
# tree is what dkms 3.1+ rearranges).  INITRD=No: no initramfs for kernels
# that never boot here.  The cache is named after its recipe.
base_tar() {
	local suite=$1 tar kernels
	case $suite in
	bookworm) kernels="linux-image-$K61 linux-headers-$K61 -t bookworm-backports linux-headers-$K612" ;;
	trixie) kernels="-t trixie-backports linux-image-$K73 linux-headers-$K73" ;;
	esac
	tar=$KMM_STATE/pkgroots/$suite-$(echo "$kernels" | md5sum | cut -c1-8).tar
	if [ -f "$tar" ]; then
		echo "$tar"
		return 0
	fi
	mkdir -p "$KMM_STATE/pkgroots"
	INITRD=No mmdebstrap --variant=apt --mode=root --components=main \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--include=dkms,dwarves,openssl,xz-utils,zstd,kmod,ca-certificates \
		--customize-hook="chroot \"\$1\" env INITRD=No apt-get install -y -qq --no-install-recommends $kernels" \
		--skip=cleanup/apt/lists \
		"$suite" "$tar.tmp.tar" "deb $KMM_MIRROR $suite main" \
		"deb $KMM_MIRROR $suite-updates main" "deb $KMM_MIRROR $suite-backports main" \
		"deb ${KMM_MIRROR%/debian}/debian-security $suite-security main" \
		>"$KMM_STATE/pkgroots/$suite.log" 2>&1 ||
		kmm_die "mmdebstrap $suite failed, see $KMM_STATE/pkgroots/$suite.log"
	mv "$tar.tmp.tar" "$tar"
	echo "$tar"
}

# new_root SUITE: a fresh root under $work/SUITE, with a throwaway MOK key.
new_root() {
	local root=$work/$1 tar
	tar=$(base_tar "$1") || return 1
	rm -rf "$root"
	mkdir -p "$root"
	tar -C "$root" -xf "$tar"
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	mkdir -p "$root/var/lib/dkms"
	openssl req -new -x509 -nodes -days 3650 -subj "/CN=$signer/" -newkey rsa:2048 \
		-keyout "$root/var/lib/dkms/mok.key" -outform DER \
		-out "$root/var/lib/dkms/mok.pub" >/dev/null 2>&1
	echo "$root"
}

# inroot ROOT CMD...: run in ROOT, the packages at /src.
inroot() {
	local root=$1
	shift
	KMM_CHROOT_SRC=$debs kmm_chroot "$root" /usr/bin/env INITRD=No "$@"
}

# module ROOT KVER [NAME]: the installed module's path inside ROOT, or
# nothing.  NAME: kmem_mom (the default) or kmem, its stand-in for the name.
module() {
	find "$1/lib/modules/$2/updates/dkms" -name "${3:-kmem_mom}.ko*" 2>/dev/null | head -n1
}

# verify_signature KO CERT: the module's appended PKCS#7 signature (module
# data | signature | struct module_signature, 12 bytes, sig_len big-endian
# at its end | "~Module signature appended~\n") verifies against CERT.
verify_signature() {
	local ko=$1 cert=$2 tmp size siglen datalen rc
	tmp=$(mktemp -d)
	case $ko in
	*.xz) xz -dc "$ko" >"$tmp/ko" ;;
	*.zst) zstd -qdc "$ko" >"$tmp/ko" ;;
	*) cp "$ko" "$tmp/ko" ;;
	esac
	size=$(stat -c %s "$tmp/ko")
	if [ "$(tail -c 28 "$tmp/ko")" != "~Module signature appended~" ]; then
		echo "no appended signature"
		rm -rf "$tmp"
		return 1
	fi
	siglen=$(tail -c 32 "$tmp/ko" | head -c 4 | od -An -tu1 |
		awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
	datalen=$((size - 28 - 12 - siglen))
	head -c "$datalen" "$tmp/ko" >"$tmp/data"
	tail -c $((siglen + 40)) "$tmp/ko" | head -c "$siglen" >"$tmp/sig"
	openssl x509 -inform DER -in "$cert" -out "$tmp/cert.pem" 2>/dev/null ||
		cp "$cert" "$tmp/cert.pem"
	openssl cms -verify -binary -inform DER -in "$tmp/sig" -content "$tmp/data" \
		-certfile "$tmp/cert.pem" -nointern -noverify -out /dev/null
	rc=$?
	rm -rf "$tmp"
	return $rc
}

# check_built ROOT KVER TAG: built, installed, for KVER, signed by the
# throwaway key and verifiably so.
check_built() {
	local root=$1 kver=$2 ko m
	for m in kmem_mom kmem; do
		ko=$(module "$root" "$kver" $m)
		tap "$3: $m built and installed for $kver" test -n "$ko" || return 0
		tap "$3: $m: vermagic $kver" test "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$kver"
		tap "$3: $m: signed by \"$signer\" (modinfo -F signer, sig_id $(modinfo -F sig_id "$ko"))" \
			test "$(modinfo -F signer "$ko")" = "$signer"
		tap "$3: $m: the signature verifies against the key's certificate (openssl cms)" \
			verify_signature "$ko" "$root/var/lib/dkms/mok.pub"
		tap "$3: $m: and not against another key's" not_verified "$ko" "$work/other.der"
	done
}
not_verified() { ! verify_signature "$@" >/dev/null 2>&1; }

# verify_owner ROOT PATH: the package that ships PATH has every file as
# shipped (dpkg --verify).
verify_owner() {
	local pkg out
	pkg=$(chroot "$1" dpkg-query -S "$2" | cut -d: -f1) || return 1
	out=$(chroot "$1" dpkg --verify "$pkg")
	echo "$pkg: ${out:-as shipped}"
	[ -z "$out" ]
}

# owned ROOT PKG PATH: PATH is PKG's, and not a conffile.
owned() {
	chroot "$1" dpkg-query -L "$2" | grep -qx "$3" &&
		! chroot "$1" dpkg-query -W -f='${Conffiles}' "$2" | grep -q " $3 "
}

# intree_resolves ROOT KVER: no modprobe.d rule left, and modprobe finds the
# in-tree kmem in the kernel's own tree, where its package put it.
intree_resolves() {
	local out path real
	out=$(chroot "$1" modprobe -S "$2" --show-depends kmem 2>&1)
	echo "$out"
	path=${out#insmod }
	path=${path%% *}
	real=$(chroot "$1" realpath "$path")
	# dpkg knows the file by its path in the package: /lib on bookworm,
	# /usr/lib on trixie.
	[ -z "$(ls "$1"/etc/modprobe.d/kmem_mom* "$1"/usr/lib/modprobe.d/kmem_mom* 2>/dev/null)" ] &&
		[[ "$out" =~ ^insmod\ /(usr/)?lib/modules/"$2"/kernel/drivers/dax/kmem\.ko ]] &&
		{ chroot "$1" dpkg-query -S "$path" 2>/dev/null || chroot "$1" dpkg-query -S "$real"; }
}

# rt_skipped ROOT KVER: not built, and dkms says 77 (BUILD_EXCLUSIVE).
rt_skipped() {
	local rc=0
	[ -z "$(find "$1/lib/modules/$2" -name 'kmem_mom.ko*' 2>/dev/null)" ] || return 1
	inroot "$1" dkms build "kmem_mom/$ver" -k "$2" >"$work/rt.log" 2>&1 || rc=$?
	cat "$work/rt.log"
	[ $rc = 77 ]
}

# configure_in_order ROOT KVER FIRST SECOND: the kernel purged (DKMS takes
# its module away), then its image and headers unpacked together from apt's
# cache and configured FIRST then SECOND, each running its kernel hook.
configure_in_order() {
	local root=$1 kver=$2 debs_of
	inroot "$root" apt-get purge -y -q "linux-image-$kver" "linux-headers-$kver" || return 1
	[ -z "$(find "$root/lib/modules/$kver" -name 'kmem_mom.ko*' 2>/dev/null)" ] || {
		echo "the purge left kmem_mom.ko for $kver"
		return 1
	}
	debs_of=$(cd "$root" && ls var/cache/apt/archives/linux-image-"$kver"_*.deb \
		var/cache/apt/archives/linux-headers-"$kver"_*.deb | sed 's|^|/|')
	inroot "$root" dpkg --unpack $debs_of &&
		inroot "$root" dpkg --configure "linux-$3-$kver" &&
		inroot "$root" dpkg --configure "linux-$4-$kver"
}

# headers_alone ROOT KVER: the image's vmlinuz away, the module uninstalled,
# the headers' hook run: nothing installed, and the build's log ends in the
# one line of the refusal.
headers_alone() {
	local root=$1 kver=$2 rc
	inroot "$root" dkms remove "kmem_mom/$ver" -k "$kver" >/dev/null 2>&1
	mv "$root/boot/vmlinuz-$kver" "$work/vmlinuz-$kver"
	inroot "$root" /etc/kernel/header_postinst.d/dkms "$kver" >"$work/headers-alone.log" 2>&1
	mv "$work/vmlinuz-$kver" "$root/boot/vmlinuz-$kver"
	[ -z "$(find "$root/lib/modules/$kver" -name 'kmem_mom.ko*')" ] &&
		grep -h "cannot build for $kver: found no BTF.*Install linux-image-$kver" \
			"$root/var/lib/dkms/kmem_mom/$ver/build/make.log"
	rc=$?
	[ $rc = 0 ] || tail -n 20 "$work/headers-alone.log"
	return $rc
}

# rule_overlay ROOT DIR: the package's modprobe.d and udev rules and the
# rule's helper, as apt installed them in ROOT, in an overlay tree DIR.
rule_overlay() {
	mkdir -p "$2/usr/lib/modprobe.d" "$2/usr/lib/udev/rules.d" "$2/usr/lib/kmem_mom"
	cp "$1/usr/lib/modprobe.d/kmem_mom.conf" "$2/usr/lib/modprobe.d/"
	cp "$1/usr/lib/udev/rules.d/80-kmem_mom.rules" "$2/usr/lib/udev/rules.d/"
	cp -a "$1/usr/lib/kmem_mom/." "$2/usr/lib/kmem_mom/"
}

no_dep_names_it() { ! grep -lE 'kmem_mom|updates/.*kmem\.ko' "$1"/lib/modules/*/modules.dep; }

version_is() { [ "$(chroot "$1" kmem-mom --version)" = "kmem-mom $ver" ]; }

mkdir -p "$work"
helpers=$work/helpers
"$KMM_TOP/tests/helpers/build.sh" "$helpers" >/dev/null || kmm_die "test helpers do not build"
openssl req -new -x509 -nodes -days 3650 -subj "/CN=another key/" -newkey rsa:2048 \
	-keyout "$work/other.key" -outform DER -out "$work/other.der" >/dev/null 2>&1

# --- bookworm: 6.1 and 6.12 ------------------------------------------------
root=$(new_root bookworm) || { echo "not ok - bookworm root"; exit 1; }
inroot "$root" apt-get update -qq >/dev/null 2>&1
tap "bookworm: apt install kmem-mom-dkms and kmem-mom-tools" \
	inroot "$root" apt-get install -y -q $pkgs
for kver in "$K61" "$K612"; do
	check_built "$root" "$kver" bookworm
done
tap "the modprobe.d rule is the package's, in /usr/lib/modprobe.d (not a conffile)" \
	owned "$root" kmem-mom-dkms /usr/lib/modprobe.d/kmem_mom.conf
tap "dkms 3.0 left the in-tree kmem where the kernel package put it" \
	bash -c "ls $root/lib/modules/$K61/kernel/drivers/dax/kmem.ko* && ! ls -d $root/var/lib/dkms/kmem_mom/original_module"
tap "the udev rule and its helper are in place; DKMS added no second copy" \
	test -f "$root/usr/lib/udev/rules.d/80-kmem_mom.rules" -a \
	-x "$root/usr/lib/kmem_mom/kmem_mom-online-held" -a ! -e "$root/etc/udev/rules.d/80-kmem_mom.rules"
tap "kmem-mom --version runs from the package" version_is "$root"

# The packaged modules, for the guests below, before anything is removed.
for kver in "$K61" "$K612"; do
	ov=$work/overlay-$kver
	rm -rf "$ov"
	ko=$(module "$root" "$kver")
	[ -n "$ko" ] || continue
	mkdir -p "$ov/usr/lib/modules/$kver/updates/dkms"
	cp "$ko" "$(module "$root" "$kver" kmem)" "$ov/usr/lib/modules/$kver/updates/dkms/"
	rule_overlay "$root" "$ov"
done

# A kernel upgrade: the newest 6.1 ABI before ours, image and headers in one
# apt transaction.  Then the same kernel again through dpkg, in each order
# of configuration (both packages unpacked first, as apt does), and its
# headers alone (6.1 reads its BTF from the image: one clear line, and the
# image's own hook builds the module when it comes).
old=$(chroot "$root" apt-cache search --names-only '^linux-headers-6\.1\.0-[0-9]+-amd64$' |
	sed -n 's/^linux-headers-\(6\.1\.0-[0-9]*-amd64\) .*/\1/p' | sort -V |
	awk -v cur="$K61" '$0 == cur { print prev } { prev = $0 }')
if [ -n "$old" ]; then
	tap "upgrade: apt install linux-image-$old linux-headers-$old (one transaction)" \
		inroot "$root" apt-get install -y -q "linux-image-$old" "linux-headers-$old"
	check_built "$root" "$old" upgrade
	for first in headers image; do
		second=image
		[ $first = image ] && second=headers
		tap "$first configured before $second: dpkg --unpack both, --configure one by one" \
			configure_in_order "$root" "$old" "$first" "$second"
		check_built "$root" "$old" "$first first"
	done
	tap "headers without their image: the build stops with one line naming the image" \
		headers_alone "$root" "$old"
	tap "then the image's own hook builds it" \
		inroot "$root" /etc/kernel/postinst.d/dkms "$old"
	check_built "$root" "$old" "image after headers"
else
	echo "not ok - no 6.1 ABI older than $K61 in the archive"
	fail=1
fi

# Flavours of 6.12: cloud has a dax bus, rt has none.
cloud=${K612%-amd64}-cloud-amd64 rt=${K612%-amd64}-rt-amd64
tap "flavours: apt install linux-headers-$cloud linux-headers-$rt succeeds" \
	inroot "$root" apt-get install -y -q -t bookworm-backports "linux-headers-$cloud" "linux-headers-$rt"
check_built "$root" "$cloud" cloud
# The cloud kernel itself (its headers brought its image): booted from the
# root, its modules as DKMS left them, the packaged module loaded.
ovc=$work/overlay-cloud
rm -rf "$ovc"
rule_overlay "$root" "$ovc"
tap "$cloud: booted from the root, the module DKMS built for it passes the bind scenario (tests/guest/bind.sh, hmem)" \
	env KMM_HMAT=dram "$KMM_TOP/tests/boot-guest.sh" --kernel "$cloud" --device hmem \
	--script tests/guest/bind.sh --rootfs bookworm --modules "$root" --overlay "$ovc" \
	--overlay "$helpers" --append "$mom" --env KMM_HMAT=dram \
	--env "KMM_AUTO_WHY=$auto_why" \
	--out "$work/guest-cloud"
tap "rt: skipped, not failed (no CONFIG_DEV_DAX: BUILD_EXCLUSIVE, dkms exit 77)" \
	rt_skipped "$root" "$rt"
grep -i 'exclu' "$work/rt.log" | head -n 2 | sed 's/^/# rt: /'

tap "purge both packages" inroot "$root" apt-get purge -y -q kmem-mom-dkms kmem-mom-tools
tap "purge leaves no module, rule, helper, DKMS tree or sources" \
	test -z "$(find "$root/lib/modules" "$root/usr/lib/modules" \( -name 'kmem_mom.ko*' -o -path '*/updates/*kmem.ko*' \) 2>/dev/null)" -a \
	! -e "$root/usr/lib/modprobe.d/kmem_mom.conf" -a ! -e "$root/usr/lib/udev/rules.d/80-kmem_mom.rules" -a \
	! -e "$root/usr/lib/kmem_mom" -a ! -e "$root/var/lib/dkms/kmem_mom" -a \
	-z "$(ls -d "$root"/usr/src/kmem_mom-* 2>/dev/null)"
tap "depmod: no modules.dep names kmem_mom or its kmem" \
	no_dep_names_it "$root"
tap "after the purge, modprobe kmem is the in-tree kmem of $K61" intree_resolves "$root" "$K61"
rm -rf "$root"

# --- trixie: 7.3 -----------------------------------------------------------
root=$(new_root trixie) || { echo "not ok - trixie root"; exit 1; }
inroot "$root" apt-get update -qq >/dev/null 2>&1
old_pkgs=
from="no git history: this tree as 0.0.0"
[ -z "$prev" ] || from="git: ${prev:0:12}^"
if tap "the previous version's packages build ($from)" old_debs; then
	old_pkgs="/src/old/$(basename "$debs"/old/kmem-mom-dkms_*.deb) /src/old/$(basename "$debs"/old/kmem-mom-tools_*_amd64.deb)"
	old_ver=$(dpkg-deb -f "$debs"/old/kmem-mom-dkms_*.deb Version)
	tap "trixie: apt install kmem-mom $old_ver" inroot "$root" apt-get install -y -q $old_pkgs
	# The old build's files, for the guest that upgrades with a device bound.
	rm -rf "$work/old-$K73"
	mkdir -p "$work/old-$K73/kmm-old"
	cp "$(module "$root" "$K73")" "$(module "$root" "$K73" kmem)" "$work/old-$K73/kmm-old/"
fi
tap "trixie: apt install kmem-mom-dkms and kmem-mom-tools ${old_pkgs:+(upgrade from $old_ver)}" \
	inroot "$root" apt-get install -y -q $pkgs
if [ -n "$old_pkgs" ]; then
	tap "upgrade: dkms has $ver installed for $K73, and $old_ver no more" \
		bash -c "chroot $root dkms status kmem_mom | tee /dev/stderr | grep -q '^kmem_mom/$ver, $K73, x86_64: installed' &&
			! chroot $root dkms status kmem_mom | grep -q '$old_ver'"
	tap "upgrade: the installed module is $ver" \
		test "$(modinfo -F version "$(module "$root" "$K73")")" = "$ver"
	tap "upgrade: $old_ver's conffile /etc/modprobe.d/kmem_mom.conf is gone, the rule is in /usr/lib/modprobe.d" \
		test ! -e "$root/etc/modprobe.d/kmem_mom.conf" -a -f "$root/usr/lib/modprobe.d/kmem_mom.conf"
fi
check_built "$root" "$K73" trixie
tap "trixie: kmem-mom runs against ndctl 81's libraries" version_is "$root"
archive=/var/lib/dkms/kmem_mom/original_module/$K73/x86_64
tap "trixie: dkms $(chroot "$root" dpkg-query -W -f='${Version}' dkms) archived the in-tree kmem in $archive" \
	bash -c "ls $root$archive/kmem.ko* && grep -x '/.*/modules/$K73/kernel/drivers/dax/kmem.ko.*' $root$archive/kmem.ko*.origin &&
		! ls $root/usr/lib/modules/$K73/kernel/drivers/dax/kmem.ko*"
# The guest below boots this tree: the modules as DKMS left them, the
# archive, and the package's rules.
ovt=$work/overlay-trixie
rm -rf "$ovt"
mkdir -p "$ovt/var/lib/dkms/kmem_mom"
cp -a "$root/var/lib/dkms/kmem_mom/original_module" "$ovt/var/lib/dkms/kmem_mom/"
rule_overlay "$root" "$ovt"
tap "$K73: booted from the tree dkms installed into, the in-tree kmem serves from its archive when kmem_mom cannot load (tests/guest/takeover.sh, hmem)" \
	"$KMM_TOP/tests/boot-guest.sh" --kernel "$K73" --device hmem \
	--script tests/guest/takeover.sh --rootfs trixie --modules "$root" \
	--overlay "$ovt" --overlay "$helpers" --append "$mom" --out "$work/guest-takeover-$K73"
if [ -n "$old_pkgs" ]; then
	tap "$K73: upgraded from $old_ver to $ver with a device bound: the running module keeps it, the next load is $ver (tests/guest/upgrade.sh, hmem)" \
		"$KMM_TOP/tests/boot-guest.sh" --kernel "$K73" --device hmem \
		--script tests/guest/upgrade.sh --rootfs trixie --modules "$root" \
		--overlay "$ovt" --overlay "$work/old-$K73" --overlay "$helpers" --append "$mom" \
		--out "$work/guest-upgrade-$K73"
fi
tap "trixie: apt remove kmem-mom-dkms" inroot "$root" apt-get remove -y -q kmem-mom-dkms
tap "after apt remove, modprobe kmem is the in-tree kmem of $K73, back in place" \
	intree_resolves "$root" "$K73"
tap "and dpkg --verify finds every file of the package that ships it as shipped" \
	verify_owner "$root" "/usr/lib/modules/$K73/kernel/drivers/dax/kmem.ko.xz"
rm -rf "$root"

# --- the packaged module in the guest suite's bind scenario ---------------
for kver in "$K61" "$K612"; do
	ov=$work/overlay-$kver
	if [ ! -d "$ov" ]; then
		echo "not ok - $kver: no packaged module to boot"
		fail=1
		continue
	fi
	out=$work/guest-$kver
	tap "$kver: the packaged module passes the bind scenario (tests/guest/bind.sh, hmem)" \
		env KMM_HMAT=dram "$KMM_TOP/tests/boot-guest.sh" --kernel "$kver" --device hmem \
		--script tests/guest/bind.sh --rootfs bookworm --overlay "$ov" --overlay "$helpers" \
		--append "$mom" --env KMM_HMAT=dram --env "KMM_AUTO_WHY=$auto_why" --out "$out"
done
exit $fail
