#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Harness self-test with the IN-TREE kmem (boot without the kmem_mom
# overlay): hot-add the hmem dax device to node 1 and take it back.
#   tests/boot-guest.sh --kernel K61 --device hmem --script tests/guest/smoke.sh --out DIR
set -euo pipefail
. /kmm/lib.sh

policy=/sys/devices/system/memory/auto_online_blocks

tap_plan 6
diag "kernel $(kver), device ${KMM_DEVICE:-?}"

dev=$(setup_device hmem) || bail_out "no hmem dax device"
check_eq "$dev is backed by node 1" 1 "$(dax_node "$dev")"

# 6.12+ auto-online hot-added blocks and daxctl then refuses to online them
# itself; 6.1 leaves them offline.  Pin the policy to offline so all kernels
# take the same path (daxctl onlines them as movable), restore it after.
old_policy=$(cat "$policy")
echo offline >"$policy"
trap 'echo "$old_policy" >"$policy"' EXIT

before=$(node_memblocks 1)
check "daxctl reconfigure-device $dev to system-ram" \
	daxctl reconfigure-device --mode=system-ram --force "$dev"
# 1 GiB of 128 MiB blocks.
check_eq "node 1 gained 8 memory blocks" 8 "$(($(node_memblocks 1) - before))"
check_eq "all 8 are online" 8 "$(node_online_memblocks 1)"

check "daxctl reconfigure-device $dev back to devdax" \
	daxctl reconfigure-device --mode=devdax --force "$dev"
check_eq "node 1 memory blocks are gone" "$before" "$(node_memblocks 1)"

tap_done
