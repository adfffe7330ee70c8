#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make demo: set up (idempotent), build + install kmem_mom for Debian's
# 6.12 kernel, boot it in QEMU with 1 GiB of soft-reserved device memory and
# watch daxctl hot-add it through kmem_mom with the memmap on the device.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
kver=${KMM_DEMO_KERNEL:-}
"$KMM_TOP/devel/setup.sh" >/dev/null
kmm_kernels_env
kver=${kver:-$K612}
ov=$("$KMM_TOP/devel/stage.sh" "$kver")
exec "$KMM_TOP/tests/boot-guest.sh" --kernel "$kver" --device hmem \
	--script tests/guest/demo.sh --overlay "$ov" \
	--append memory_hotplug.memmap_on_memory=1 --out "$KMM_TOP/build/$kver/demo"
