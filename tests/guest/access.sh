#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Hostile input on every interface kmem_mom has, and who may use it.  Multi
# recipe, test build (make KMM_FAULT_INJECT=1, so fail_add_at is there too),
# A bound while it all happens:
#   - each module parameter gets garbage, empty, huge, negative and
#     out-of-range values, at load and at runtime: refused, value kept;
#   - each sysfs attribute (per device and module-wide) refuses writes, even
#     from root, and reads back the same afterwards;
#   - modes: nothing group/world-writable, physical addresses 0400;
#   - an unprivileged user (nobody) can read what is meant to be read, and
#     can neither write anything, read ranges, load the module, nor bind.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

params=/sys/module/kmem_mom/parameters
drv=/sys/bus/dax/drivers/kmem

tap_plan 25
devs=$(setup_device multi) || bail_out "no multi devices"
read -r A B _ <<<"$devs"
devdax_park $A $B
echo offline >/sys/devices/system/memory/auto_online_blocks
snapshot /tmp/base

# What a value is not: each must be refused by every parameter.
garbage=(maybe "" " " 2 -1 0x1 1.0 "1 1" 99999999999999999999999999 -99999999999999999999
	"$(head -c 5000 /dev/zero | tr '\0' 1)" "$(printf '\x01\xff')")
# valid P V: V is a legitimate value of P after all (fail_add_at is a
# count).
valid() {
	case "$1:$2" in
	fail_add_at:2 | fail_add_at:0x1 | memmap_ram_budget:2) return 0 ;;
	*) return 1 ;;
	esac
}

# 1. At load.  A bare flag is refused too: these are not plain bools.
bad=
for p in memmap_on_memory memmap_fallback memmap_ram_budget online fail_add_at; do
	for v in "${garbage[@]}"; do
		# The kernel splits "p=1 1" into p=1 and an unknown, ignored,
		# parameter "1": not ours to refuse.
		if valid $p "$v" || [ "$v" = "1 1" ]; then
			continue
		fi
		modprobe kmem_mom "$p=$v" 2>/dev/null && { bad+=" $p='${v:0:20}'"; modprobe -r kmem_mom; }
	done
	modprobe kmem_mom "$p" 2>/dev/null && { bad+=" $p(bare)"; modprobe -r kmem_mom; }
done
check_eq "every bad value at load is refused (5 parameters, ${#garbage[@]} values and a bare flag each)" "" "$bad"
check "and nothing stayed loaded" bash -c '! grep -q "^kmem_mom " /proc/modules'

# 2. At runtime, while A is bound.
check "modprobe kmem_mom; bind $A" \
	bash -c "modprobe kmem_mom && daxctl reconfigure-device --mode=system-ram $A"
snapshot /tmp/bound
ndev=$(find "/sys/bus/dax/devices/$A/kmem_mom/" -maxdepth 1 -type f | wc -l)
nmod=$(find $drv/kmem_mom/ -maxdepth 1 -type f | wc -l)
# Every file but the RAM check's headroom, a reading of free memory.
attr_state() {
	grep . $params/* "/sys/bus/dax/devices/$A/kmem_mom/"* $drv/kmem_mom/* |
		grep -v '/memmap_ram_headroom_bytes:'
}
before=$(attr_state)
bad=
dmesg_mark
for p in memmap_on_memory memmap_fallback memmap_ram_budget online fail_add_at; do
	for v in "${garbage[@]}"; do
		valid $p "$v" && continue
		# As echo writes it: an empty value is a lone newline.
		{ printf '%s\n' "$v" >"$params/$p"; } 2>/dev/null && bad+=" $p='${v:0:20}'"
	done
done
check_eq "every bad runtime value is refused" "" "$bad"
check "the refusals are explained in dmesg" test \
	"$(dmesg_count "kmem_mom: (memmap_on_memory|memmap_fallback|memmap_ram_budget|online): invalid value 'maybe'")" -ge 4
bad=
for f in "/sys/bus/dax/devices/$A/kmem_mom/"* $drv/kmem_mom/*; do
	for v in 0 1 "${garbage[@]}"; do
		{ printf '%s\n' "$v" >"$f"; } 2>/dev/null && bad+=" ${f##*/}"
	done
done
check_eq "no attribute takes a write, not even from root ($ndev per device, $nmod module-wide; $((${#garbage[@]} + 2)) values each)" "" "$bad"
check_eq "parameters and attributes read as before" "$before" \
	"$(attr_state)"
snapshot /tmp/after
check_eq "and nothing changed underneath" "$NO_DRIFT" "$(exact_drift /tmp/bound /tmp/after)"

# 3. Modes.
modes=$(stat -c '%a %n' $params/* "/sys/bus/dax/devices/$A/kmem_mom/"* $drv/kmem_mom/*)
diag "$modes"
check_eq "nothing is group- or world-writable" "" \
	"$(awk '{ m = substr($1, 2) } m ~ /[2367]/' <<<"$modes")"
check_eq "ranges (physical addresses) is 0400" 400 \
	"$(stat -c %a "/sys/bus/dax/devices/$A/kmem_mom/ranges")"
check_eq "the driver's bind/unbind/new_id are root-only (200)" "200 200 200" \
	"$(stat -c %a $drv/bind $drv/unbind $drv/new_id | tr '\n' ' ' | sed 's/ $//')"

# 4. An unprivileged user.
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
check "nobody reads the parameters" nobody cat $params/memmap_on_memory $params/memmap_fallback $params/memmap_ram_budget $params/online
check "nobody reads the counters" nobody cat $drv/kmem_mom/devices $drv/kmem_mom/blocks
check "nobody reads memmap_device_blocks" nobody cat "/sys/bus/dax/devices/$A/kmem_mom/memmap_device_blocks"
check "nobody cannot read ranges" bash -c "! setpriv --reuid=65534 --regid=65534 --clear-groups cat /sys/bus/dax/devices/$A/kmem_mom/ranges"
bad=
for f in $params/* "/sys/bus/dax/devices/$A/kmem_mom/"* $drv/kmem_mom/* $drv/bind $drv/unbind $drv/new_id; do
	for v in 0 1 "$A" "$B"; do
		nobody sh -c "printf '%s' '$v' >'$f'" 2>/dev/null && bad+=" ${f##*/}=$v"
	done
done
check_eq "nobody can write any parameter, attribute or bind file" "" "$bad"
out=$(nobody modprobe -r kmem_mom 2>&1) && rc=0 || rc=$?
check "nobody cannot unload the module ($out)" \
	bash -c "[ $rc != 0 ] && [[ '$out' == *'not permitted'* ]]"
out=$(nobody insmod "$(modinfo -n kmem_mom)" memmap_on_memory=0 2>&1) && rc=0 || rc=$?
check "nobody cannot load it ($out)" bash -c "[ $rc != 0 ] && [[ '$out' == *'not permitted'* ]]"

check "nobody cannot reconfigure $B" \
	bash -c "! setpriv --reuid=65534 --regid=65534 --clear-groups daxctl reconfigure-device --mode=system-ram $B 2>/dev/null"
check "nobody cannot return $A to devdax" \
	bash -c "! setpriv --reuid=65534 --regid=65534 --clear-groups daxctl reconfigure-device --mode=devdax --force $A 2>/dev/null"
check_eq "parameters and attributes still read as before" "$before" \
	"$(attr_state)"
check_eq "$A still bound, $B still devdax" "kmem device_dax" "$(dax_driver "$A") $(dax_driver "$B")"

check "$A back to devdax" daxctl reconfigure-device --mode=devdax --force "$A"
check "modprobe -r kmem_mom" modprobe -r kmem_mom
snapshot /tmp/end
check_eq "no drift" "$NO_DRIFT" "$(exact_drift /tmp/base /tmp/end)"
summary hostile-input "${#garbage[@]} values x (5 params + $((ndev + nmod)) attrs)" - \
	"$(drift /tmp/base /tmp/end)"
tap_done
