#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make demo: set up (idempotent), build + install kmem_mom for Debian's
# 6.12 kernel, boot it in QEMU as Debian does (udevd, the kernel onlining
# hot-added memory) with 1 GiB of soft-reserved device memory, and hot-add
# it with daxctl through the in-tree kmem, then through kmem_mom: one table
# of what each cost (tests/guest/demo.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
kver=${KMM_DEMO_KERNEL:-}
"$KMM_TOP/devel/setup.sh" >/dev/null
kmm_kernels_env
kver=${kver:-$K612}
ov=$("$KMM_TOP/devel/stage.sh" "$kver")
exec "$KMM_TOP/tests/boot-guest.sh" --kernel "$kver" --device hmem \
	--script tests/guest/demo.sh --overlay "$ov" --env KMM_UDEV=1 \
	--append memory_hotplug.memmap_on_memory=1 --out "$KMM_TOP/build/$kver/demo"
