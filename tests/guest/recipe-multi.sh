#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Harness self-test of the multi recipe with the IN-TREE kmem: three
# soft-reserved ranges become three dax devices on node 1; the two 256 MiB
# ones go to system-ram and back, the 64 MiB one is refused because no
# whole memory block is left after alignment.
#   tests/boot-guest.sh --kernel K612 --device multi \
#	--script tests/guest/recipe-multi.sh --out DIR
set -euo pipefail
. /kmm/lib.sh

policy=/sys/devices/system/memory/auto_online_blocks

tap_plan 16
diag "kernel $(kver), device ${KMM_DEVICE:-?}, ranges ${KMM_DAX_RES:-?}"

devs=$(setup_device multi) || bail_out "no multi dax devices"
read -r a b c <<<"$devs"
check_eq "three dax devices" 3 "$(wc -w <<<"$devs")"
for d in $a $b $c; do
	check_eq "$d is backed by node 1" 1 "$(dax_node "$d")"
done
# setup_device returns them in address order.
read -r ra rb rc <<<"${KMM_DAX_RES:-}"
check_eq "dax_by_resource $ra" "$a" "$(dax_by_resource "$ra")"
check_eq "dax_by_resource $rb (no 0x)" "$b" "$(dax_by_resource "${rb#0x}")"
check_eq "dax_by_resource $rc" "$c" "$(dax_by_resource "$rc")"
check_eq "$c has no whole memory block" 0 "$(dax_fit_memblocks "$c")"

# Same policy pin as smoke.sh: daxctl onlines, on every kernel.
old_policy=$(cat "$policy")
echo offline >"$policy"
trap 'echo "$old_policy" >"$policy"' EXIT

# On 6.3+ loading kmem binds every unbound hmem device at once (type
# match), so $b may already be system-ram when its turn comes; daxctl
# then only onlines it.
check "daxctl reconfigure-device $a to system-ram" \
	daxctl reconfigure-device --mode=system-ram --force "$a"
check "daxctl reconfigure-device $b to system-ram" \
	daxctl reconfigure-device --mode=system-ram --force "$b"
check_eq "$a and $b: 2 + 2 memory blocks" "2 2" \
	"$(dax_memblocks "$a") $(dax_memblocks "$b")"

if daxctl reconfigure-device --mode=system-ram --force "$c" >/dev/null 2>&1; then
	not_ok "daxctl refuses $c (too small)"
else
	ok "daxctl refuses $c (too small)"
fi
line=$(dmesg | grep -m1 "kmem $c: mapping0: .* too small after alignment" || true)
if [ -n "$line" ]; then
	ok "kmem said why"
	diag "$line"
else
	not_ok "kmem said why" "$(dmesg | grep "kmem" | tail -n 5)"
fi

check "daxctl reconfigure-device $a back to devdax" \
	daxctl reconfigure-device --mode=devdax --force "$a"
check "daxctl reconfigure-device $b back to devdax" \
	daxctl reconfigure-device --mode=devdax --force "$b"
check_eq "their memory blocks are gone" "0 0" \
	"$(dax_memblocks "$a") $(dax_memblocks "$b")"

tap_done
