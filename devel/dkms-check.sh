#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Exercise `dkms add/build/install` as a user would, for one kernel, in a
# private DKMS tree so the host's /usr/src, /var/lib/dkms and /lib/modules
# are untouched.  Usage: dkms-check.sh KVER   (prints one TAP line)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kver=${1:?usage: dkms-check.sh KVER}
root=$(kmm_env_root "$kver") || kmm_die "no headers for $kver"
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$KMM_TOP/dkms.conf")
work=$KMM_TOP/build/$kver/dkms
rm -rf "$work"
mkdir -p "$work/source/kmem_mom-$ver" "$work/tree" "$work/install/$kver" "$work/etc"
# dkms finds the headers through <installtree>/KVER/build, as in /lib/modules.
ln -s "$(kmm_kdir "$kver" "$root")" "$work/install/$kver/build"
kmm_copy_tree "$work/source/kmem_mom-$ver"

# arm64 kernels: dkms is told the target architecture (-a, which
# dkms.conf's BUILD_EXCLUSIVE_ARCH is matched against) and the build the
# cross compiler (kmm_kbuild_args, through the environment).
# dkms looks for headers in /lib/modules/KVER/build whatever --installtree
# says: the extracted arm64 trees are named by --kernelsourcedir.
# Nor is there a /lib/modules/KVER for depmod on this host: dkms is told
# not to run it, and it runs below on the private tree instead.
arch=
case $kver in *-arm64) arch="-a aarch64 --kernelsourcedir $(kmm_kdir "$kver" "$root") --no-depmod" ;; esac
# shellcheck disable=SC2046
export $(kmm_kbuild_args "$kver" "$root")
steps='set -e
	t="--dkmstree $1/tree --sourcetree $1/source --installtree $1/install $4"
	dkms add -m kmem_mom -v "$2" $t
	dkms build -m kmem_mom -v "$2" -k "$3" $t
	dkms install -m kmem_mom -v "$2" -k "$3" $t --force
	dkms status -m kmem_mom $t'
log=$work/dkms.log
if [ -z "$root" ]; then
	# 6.1 headers ship no vmlinux: read the layout from the guest image
	# (arm64 6.1: its raw Image and dax.ko's split BTF).
	KMM_BTF=$(kmm_image_vmlinuz "$kver")
	KMM_BTF_DAX=$(kmm_image_dax_ko "$kver")
	export KMM_BTF KMM_BTF_DAX
	KMM_MODPROBE_D=$work/etc KMM_UDEV_RULES_D=$work/etc KMM_HELPER_DIR=$work/etc bash -c "$steps" dkms "$work" "$ver" "$kver" "$arch" >"$log" 2>&1 &&
		rc=0 || rc=$?
else
	KMM_CHROOT_SRC=$work kmm_chroot "$root" /usr/bin/env \
		KMM_MODPROBE_D=/src/etc KMM_UDEV_RULES_D=/src/etc KMM_HELPER_DIR=/src/etc bash -c "$steps" dkms /src "$ver" "$kver" "$arch" >"$log" 2>&1 &&
		rc=0 || rc=$?
fi
if [ "$rc" = 0 ] && [ -n "$arch" ]; then
	mkdir -p "$work/depmod/lib"
	ln -s ../../install "$work/depmod/lib/modules"
	depmod -b "$work/depmod" "$kver" >>"$log" 2>&1 &&
		grep -q '^updates/dkms/kmem_mom.ko' "$work/install/$kver/modules.dep" || rc=1
fi
ko=$(find "$work/install" -name 'kmem_mom.ko*' | head -n1)
name=$(find "$work/install" -name 'kmem.ko*' | head -n1)
if [ "$rc" = 0 ] && [ -n "$ko" ] && [ "${name%/*}" = "${ko%/*}" ] && [ -f "$work/etc/kmem_mom.conf" ] && [ -f "$work/etc/80-kmem_mom.rules" ] && [ -x "$work/etc/kmem_mom-online-held" ] &&
	[ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$kver" ]; then
	echo "ok - dkms add/build/install for $kver (${ko#"$work/install/"})"
else
	echo "not ok - dkms add/build/install for $kver"
	sed 's/^/# /' "$log" | tail -n 25
	exit 1
fi
