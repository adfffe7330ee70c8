#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# stage.sh KVER [std|fi]
# Build kmem_mom and kmem-mom for KVER and `make install` them, as a user
# would (the command in its sanitized test build), into
# build/KVER/overlay-VARIANT (usr-merged, ready to lay over a guest rootfs).
# "fi" is the fault-injection test build (make KMM_FAULT_INJECT=1).
# Prints the overlay path; the build log is build/KVER/install-VARIANT.log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kver=${1:?usage: stage.sh KVER [std|fi]}
v=${2:-std}
src=$KMM_TOP/build/$kver/src-$v
ov=$KMM_TOP/build/$kver/overlay-$v
log=$KMM_TOP/build/$kver/install-$v.log
root=$(kmm_env_root "$kver") || kmm_die "no headers for $kver"
if [ -z "$root" ]; then inst=$src/stage; else inst=/src/stage; fi
mkdir -p "$KMM_TOP/build/$kver"
rm -rf "$src/stage" "$ov"
# Guests run the test build of the kmem-mom command (ASan + UBSan).
extra=(KMM_TOOL_SANITIZE=1)
[ "$v" = fi ] && extra+=(KMM_FAULT_INJECT=1)
case $kver in
*-arm64)
	# The module as make matrix builds it; the command cross-built against
	# the arm64 libraries of the guest's release (bookworm's ndctl 76 for
	# 6.x, trixie's 81 for 7.x), in that release's cross chroot.
	KMM_SRC_DIR=src-$v "$KMM_TOP/devel/kbuild.sh" "$kver" install-module \
		INSTALL_MOD_PATH="$inst" "${extra[@]}" >"$log" 2>&1 ||
		kmm_die "build/install of the module for $kver ($v) failed: $log"
	# trixie's static ASan for arm64 crashes at start: the 7.x guests'
	# rootfs has the sanitizer runtimes instead (tests/mkrootfs-arm64.sh).
	xroot=$(kmm_rootfs_for "$kver")
	san=()
	[ "$xroot" = bookworm ] || san=(SANITIZE_STATIC=0)
	KMM_CHROOT_SRC=$src kmm_chroot "$KMM_STATE/arm64/envs/$xroot-x" make -C /src install-tool \
		INSTALL_MOD_PATH=/src/stage KMM_WERROR=1 "${extra[@]}" ${san[@]+"${san[@]}"} \
		CC=aarch64-linux-gnu-gcc PKG_CONFIG=aarch64-linux-gnu-pkg-config >>"$log" 2>&1 ||
		kmm_die "cross-building kmem-mom for $kver ($v) failed: $log"
	;;
*)
	KMM_SRC_DIR=src-$v "$KMM_TOP/devel/kbuild.sh" "$kver" install \
		INSTALL_MOD_PATH="$inst" "${extra[@]}" >"$log" 2>&1 ||
		kmm_die "build/install for $kver ($v) failed: $log"
	;;
esac
mkdir -p "$ov/usr"
cp -a "$src/stage/lib" "$ov/usr/"
cp -a "$src/stage/etc" "$ov/"
cp -a "$src/stage/usr/." "$ov/usr/"
echo "$ov"
