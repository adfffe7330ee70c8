#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Everything make check, make demo and make bench need, idempotently: host
# packages, kernels (headers, chroots, guest images; amd64 and arm64) and
# both guest rootfs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/devel/setup-host.sh"
"$top/devel/kernels.sh"
"$top/devel/kernels-arm64.sh"
"$top/tests/mkrootfs.sh" bookworm
"$top/tests/mkrootfs.sh" trixie
