#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make deb: kmem-mom-dkms and kmem-mom-tools, built by dpkg-buildpackage from
# a clean copy of the tree into build/deb/, then checked by lintian.  TAP
# lines; the packages' paths are in build/deb/debs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$KMM_TOP/dkms.conf")
deb_ver=$(cd "$KMM_TOP" && dpkg-parsechangelog -S Version)
out=$KMM_TOP/build/deb
fail=0
rm -rf "$out"
mkdir -p "$out"

# The version lives in dkms.conf; the changelog must say the same.
if [ "$deb_ver" = "$ver" ]; then
	echo "ok - debian/changelog is at dkms.conf's version ($ver)"
else
	echo "not ok - debian/changelog says $deb_ver, dkms.conf $ver: add a changelog entry (dch -v $ver)"
	exit 1
fi

src=$out/kmem-mom-$ver
kmm_copy_tree "$src"
if (cd "$src" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
	ls "$out"/*.deb >"$out/debs"
	while read -r deb; do
		echo "ok - built ${deb##*/} ($(stat -c %s "$deb") bytes)"
	done <"$out/debs"
else
	echo "not ok - dpkg-buildpackage"
	sed 's/^/# /' "$out/build.log" | tail -n 30
	exit 1
fi

# kmem-mom-tools for arm64, cross-built the way Debian cross-builds
# (dpkg-buildpackage -a arm64, binary-arch only) in a Debian 12 chroot with
# arm64 as a foreign architecture (devel/kernels-arm64.sh); kmem-mom-dkms
# is Architecture: all, the same package for both.
xroot=$KMM_STATE/arm64/envs/bookworm-x
asrc=$out/arm64/kmem-mom-$ver
kmm_copy_tree "$asrc"
adeb=$out/arm64/kmem-mom-tools_${ver}_arm64.deb
if KMM_CHROOT_SRC=$out/arm64 kmm_chroot "$xroot" /bin/sh -c \
	"cd /src/kmem-mom-$ver && dpkg-buildpackage -us -uc -B -a arm64" \
	>"$out/build-arm64.log" 2>&1 && [ -f "$adeb" ] &&
	dpkg-deb --fsys-tarfile "$adeb" | tar -xO ./usr/bin/kmem-mom | file - | grep -q 'ARM aarch64'; then
	echo "ok - built ${adeb##*/} ($(stat -c %s "$adeb") bytes, cross-built: usr/bin/kmem-mom is aarch64)"
	echo "$adeb" >>"$out/debs"
else
	echo "not ok - dpkg-buildpackage -a arm64 (kmem-mom-tools for arm64)"
	sed 's/^/# /' "$out/build-arm64.log" | tail -n 30
	fail=1
fi

# lintian: no error and no warning; what it says below that is shown.
# As an unprivileged user, as lintian wants, on a copy it can read, and
# from inside that copy: the checkout may sit where only root can go
# (/root), and lintian starts in its caller's directory.
lt=$(mktemp -d)
cp "$out"/*.changes "$out"/*.buildinfo "$out"/*.deb "$lt"/
[ ! -f "$adeb" ] || cp "$out"/arm64/*.changes "$out"/arm64/*.buildinfo "$out"/arm64/*.deb "$lt"/
chmod -R a+rX "$lt"
if (cd "$lt" && runuser -u nobody -- lintian --fail-on error,warning --display-level '>=info' \
	./*.changes) >"$out/lintian.log" 2>&1; then
	echo "ok - lintian: no errors, no warnings ($(grep -c '^[IP]:' "$out/lintian.log" || true) info/pedantic tags)"
else
	echo "not ok - lintian"
	fail=1
fi
sed 's/^/# /' "$out/lintian.log"
rm -rf "$lt"
exit $fail
