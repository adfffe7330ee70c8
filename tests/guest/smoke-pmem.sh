#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Smoke test of the legacy-pmem recipe with the IN-TREE kmem only: an ndctl
# devdax namespace on node 1, hot-added as system RAM and taken back.
#   tests/boot-guest.sh --kernel K61 --device pmem --script tests/guest/smoke-pmem.sh --out DIR
set -euo pipefail
. /kmm/lib.sh

policy=/sys/devices/system/memory/auto_online_blocks

tap_plan 5
diag "kernel $(kver), device ${KMM_DEVICE:-?}"

dev=$(setup_device pmem) || bail_out "no pmem dax device"
check_eq "$dev is backed by node 1" 1 "$(dax_node "$dev")"

# Same policy pinning as smoke.sh: one code path on every kernel.
old_policy=$(cat "$policy")
echo offline >"$policy"
trap 'echo "$old_policy" >"$policy"' EXIT

before=$(node_memblocks 1)
check "daxctl reconfigure-device $dev to system-ram" \
	daxctl reconfigure-device --mode=system-ram --force "$dev"
# The namespace keeps its metadata (struct pages) at the front of the
# 1 GiB: only 7 of the 8 blocks are left for kmem.
check_eq "node 1 gained 7 memory blocks" 7 "$(($(node_memblocks 1) - before))"

check "daxctl reconfigure-device $dev back to devdax" \
	daxctl reconfigure-device --mode=devdax --force "$dev"
check_eq "node 1 memory blocks are gone" "$before" "$(node_memblocks 1)"

tap_done
