#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Everything make check, make demo and make bench need, idempotently: host
# packages, kernels (headers, chroots, guest images; amd64 and arm64), the
# arm64 guests' firmware and the guest root filesystems of both.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/devel/setup-host.sh"
"$top/devel/kernels.sh"
"$top/devel/kernels-arm64.sh"
"$top/tests/mkrootfs.sh" bookworm
"$top/tests/mkrootfs.sh" trixie
"$top/devel/aavmf-arm64.sh"
"$top/tests/mkrootfs-arm64.sh" bookworm
"$top/tests/mkrootfs-arm64.sh" trixie
