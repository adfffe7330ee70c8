#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Harness self-test of the nvdimm and nvdimm-nonuma recipes with the
# IN-TREE kmem: a labelled devdax namespace on the QEMU NVDIMM.  On node 1
# it goes to system-ram and back; without NUMA information (target_node
# -1) kmem must refuse it.
#   tests/boot-guest.sh --kernel K61 --device nvdimm|nvdimm-nonuma \
#	--script tests/guest/recipe-nvdimm.sh --out DIR
set -euo pipefail
. /kmm/lib.sh

policy=/sys/devices/system/memory/auto_online_blocks

tap_plan 5
diag "kernel $(kver), device ${KMM_DEVICE:-?}"

dev=$(setup_device "${KMM_DEVICE:-nvdimm}") || bail_out "no nvdimm dax device"
diag "$dev: resource $(cat "/sys/bus/dax/devices/$dev/resource"), size $(cat "/sys/bus/dax/devices/$dev/size")"

old_policy=$(cat "$policy")
echo offline >"$policy"
trap 'echo "$old_policy" >"$policy"' EXIT

if [ "${KMM_DEVICE:-}" = nvdimm-nonuma ]; then
	check_eq "$dev has no target node" -1 "$(dax_node "$dev")"
	if daxctl reconfigure-device --mode=system-ram --force "$dev" >/dev/null 2>&1; then
		not_ok "daxctl cannot make $dev system-ram"
	else
		ok "daxctl cannot make $dev system-ram"
	fi
	check_eq "no memory blocks were added" 0 "$(dax_memblocks "$dev")"
	line=$(dmesg | grep -m1 "kmem $dev: rejecting DAX region with invalid node: -1" || true)
	if [ -n "$line" ]; then
		ok "kmem said why"
		diag "$line"
	else
		not_ok "kmem said why" "$(dmesg | grep "kmem" | tail -n 5)"
	fi
	drv=$(dax_driver "$dev")
	check_eq "$dev is not bound to kmem" yes \
		"$([ "$drv" != kmem ] && echo yes || echo "no ($drv)")"
else
	check_eq "$dev is backed by node 1" 1 "$(dax_node "$dev")"
	want=$(dax_fit_memblocks "$dev")
	check "daxctl reconfigure-device $dev to system-ram" \
		daxctl reconfigure-device --mode=system-ram --force "$dev"
	check_eq "all $want whole blocks were added" "$want" "$(dax_memblocks "$dev")"
	check "daxctl reconfigure-device $dev back to devdax" \
		daxctl reconfigure-device --mode=devdax --force "$dev"
	check_eq "its memory blocks are gone" 0 "$(dax_memblocks "$dev")"
fi

tap_done
