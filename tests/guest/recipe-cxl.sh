#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Harness self-test of the cxl recipe with the IN-TREE kmem: a committed
# CXL RAM region becomes a dax device on node 1 that nothing binds until a
# kmem-type driver exists; it goes to system-ram and back.  The region is
# made by "cxl create-region" with ndctl 80+ (trixie rootfs), through
# /sys/bus/cxl otherwise; KMM_CXL_HOW=tool|sysfs on the kernel command line
# (boot-guest.sh --append) picks one.
#   tests/boot-guest.sh --kernel K73 --rootfs trixie --device cxl \
#	--script tests/guest/recipe-cxl.sh --out DIR
set -euo pipefail
. /kmm/lib.sh

policy=/sys/devices/system/memory/auto_online_blocks

tap_plan 6
diag "kernel $(kver), device ${KMM_DEVICE:-?}, rootfs ${KMM_ROOTFS:-?}, cxl $(cxl version)"

dev=$(setup_device cxl "${KMM_CXL_HOW:-}") || bail_out "no CXL dax device"
diag "$dev: resource $(cat "/sys/bus/dax/devices/$dev/resource"), size $(cat "/sys/bus/dax/devices/$dev/size")"
check_eq "$dev is backed by node 1" 1 "$(dax_node "$dev")"
# A KMEM-type region: device_dax does not match it, kmem is not loaded.
check_eq "$dev is unbound before kmem loads" "" "$(dax_driver "$dev")"

old_policy=$(cat "$policy")
echo offline >"$policy"
trap 'echo "$old_policy" >"$policy"' EXIT

want=$(dax_fit_memblocks "$dev")
check "daxctl reconfigure-device $dev to system-ram" \
	daxctl reconfigure-device --mode=system-ram --force "$dev"
check_eq "all $want whole blocks were added" "$want" "$(dax_memblocks "$dev")"
check "daxctl reconfigure-device $dev back to devdax" \
	daxctl reconfigure-device --mode=devdax --force "$dev"
check_eq "its memory blocks are gone" 0 "$(dax_memblocks "$dev")"

tap_done
