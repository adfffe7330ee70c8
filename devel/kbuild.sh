#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kbuild.sh KVER [make targets/vars...]
# Build kmem_mom for kernel KVER in its own copy of the tree
# (build/KVER/$KMM_SRC_DIR, default src),
# on the host for gcc-12 kernels or in the chroot whose headers match.
# KMM_BTF may name a vmlinux/vmlinuz to read struct layouts from (host path);
# host builds default to the fetched guest image's vmlinuz.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kver=${1:?usage: kbuild.sh KVER [make args]}
shift
root=$(kmm_env_root "$kver") || kmm_die "no headers for $kver (run devel/kernels.sh)"

dst=$KMM_TOP/build/$kver/${KMM_SRC_DIR:-src}
kmm_copy_tree "$dst"

kdir=$(kmm_kdir "$kver" "$root")
# shellcheck disable=SC2207
cross=($(kmm_kbuild_args "$kver" "$root"))

# Host builds read struct dev_dax from the fetched guest image: a vmlinuz
# (or, on arm64, a raw Image whose BTF conftest carves out), and where that
# BTF lacks the struct (arm64 6.1, dax is a module) dax.ko's split BTF.
btf=()
[ -z "$root" ] && [ -z "${KMM_BTF:-}" ] && KMM_BTF=$(kmm_image_vmlinuz "$kver")
if [ -n "${KMM_BTF:-}" ]; then
	[ -z "$root" ] || kmm_die "KMM_BTF is only supported for host builds"
	btf=("KMM_BTF=$KMM_BTF")
fi
if [ -z "$root" ] && [ -z "${KMM_BTF_DAX:-}" ]; then
	KMM_BTF_DAX=$(kmm_image_dax_ko "$kver")
	export KMM_BTF_DAX
fi

if [ -z "$root" ]; then
	exec make -C "$dst" KERNELRELEASE="$kver" KMM_WERROR=1 \
		KDIR="$kdir" ${cross[@]+"${cross[@]}"} "${btf[@]}" "$@"
fi
KMM_CHROOT_SRC=$dst kmm_chroot "$root" make -C /src KERNELRELEASE="$kver" KMM_WERROR=1 \
	KDIR="$kdir" ${cross[@]+"${cross[@]}"} "$@"
