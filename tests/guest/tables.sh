#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Where the page tables of the memmap and the section roots land while a
# driver binds a device, traced rather than asked: return probes on
# vmemmap_alloc_block() (every page-table page of the vmemmap, and with a
# memmap in RAM the memmap itself) and sparse_index_alloc() (mem_section
# roots) record the address each call returns, and the direct map's base;
# each address becomes a physical one and is looked up in the device's
# range.  The kernel's online policy is as booted (6.1: boot with
# memhp_default_state=online to meet the case), the memmap on the device.
# KMM_CASES: the drivers, bound and given back one after another in this
# guest: knob (the in-tree kmem with its own memmap_on_memory=1, 6.9+),
# kmem (the in-tree kmem as it is) or mom (kmem_mom memmap_on_memory=1).
# One "# tables|..." row per case.  On 7.x a case that ends in ZONE_NORMAL
# cannot be given back (the node's kswapd): it must be the guest's last.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

tr=/sys/kernel/tracing
[ -d $tr/events ] || tr=/sys/kernel/debug/tracing
read -ra cases <<<"${KMM_CASES//,/ }"
[ ${#cases[@]} -gt 0 ] || bail_out "KMM_CASES lists knob, kmem or mom"

tap_plan $((${#cases[@]} * 4 + 1))
aob=$(cat /sys/devices/system/memory/auto_online_blocks)
diag "kernel $(kver), auto_online_blocks=$aob," \
	"memmap_on_memory=$(cat /sys/module/memory_hotplug/parameters/memmap_on_memory)"
# Left as the recipe leaves it: unbound where 6.3+ waits for a KMEM-type
# driver, on device_dax where 6.1 binds it.  device_dax's own memmap
# makes the section roots (never freed), so a guest's first case is the
# one that meets them: one case per guest tells the whole story.
dev=$(setup_device "$KMM_DEVICE") || bail_out "no $KMM_DEVICE dax device"
read -r start size < <(echo "$(($(cat "/sys/bus/dax/devices/$dev/resource"))) $(cat "/sys/bus/dax/devices/$dev/size")")
end=$((start + size))
n=$(dax_fit_memblocks "$dev")
diag "$dev: $(printf '%#x-%#x' $start $((end - 1))), $n blocks"

echo 0 >$tr/tracing_on
echo >$tr/trace
echo >$tr/kprobe_events
check "return probes on vmemmap_alloc_block() and sparse_index_alloc()" bash -c "
	echo 'r:kmm/table vmemmap_alloc_block va=\$retval:x64 base=@page_offset_base:x64' >>$tr/kprobe_events &&
	echo 'r:kmm/root sparse_index_alloc va=\$retval:x64 base=@page_offset_base:x64' >>$tr/kprobe_events &&
	echo 1 >$tr/events/kmm/enable"

# where KIND: "total in-device" for the trace's KIND events.  The
# difference is taken in bash's 64-bit arithmetic (mawk has no hex).
where() {
	local va base p t=0 in_dev=0
	while read -r va base; do
		[ "$va" != 0x0 ] || continue
		t=$((t + 1))
		p=$((va - base))
		[ "$p" -ge "$start" ] && [ "$p" -lt "$end" ] && in_dev=$((in_dev + 1))
	done < <(awk -v kind=" $1: \\(" '
		$0 ~ kind {
			va = ""; base = ""
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^va=/) va = substr($i, 4)
				if ($i ~ /^base=/) base = substr($i, 6)
			}
			if (va != "" && base != "") print va, base
		}' $tr/trace)
	echo "$t $in_dev"
}

rows=()
for c in "${cases[@]}"; do
	t="[$c]"
	[ -z "$(dax_driver "$dev")" ] || daxctl disable-device "$dev" >/dev/null
	[ "$c" != knob ] || echo 1 >"/sys/bus/dax/devices/$dev/memmap_on_memory"
	echo >$tr/trace
	echo 1 >$tr/tracing_on
	# 6.3+ binds the waiting device as the driver loads; 6.1 through daxctl.
	case $c in
	knob | kmem) load_in_tree_kmem ;;
	mom) modprobe kmem_mom memmap_on_memory=1 ;;
	*) bail_out "unknown case $c" ;;
	esac
	force=
	[ "$aob" = offline ] || force=--force
	[ -n "$(dax_driver "$dev")" ] ||
		daxctl reconfigure-device --mode=system-ram -N $force "$dev" >/dev/null 2>&1 || true
	check_eq "$t bound to kmem, all $n blocks added" "kmem $n" "$(dax_driver "$dev") $(dax_memblocks "$dev")"
	echo 0 >$tr/tracing_on
	diag "$t probe hits and misses: $(tr -s ' ' <$tr/kprobe_profile | tr '\n' ';')"
	zones=$(dax_zones "$dev")
	read -r tables tables_in < <(where table)
	read -r roots roots_in < <(where root)
	diag "$t zones $zones; page-table pages $tables ($tables_in in $dev), section roots $roots ($roots_in in $dev)"
	check_eq "$t page-table pages of the vmemmap inside $dev" 0 "$tables_in"
	check_eq "$t section roots inside $dev" 0 "$roots_in"
	out=$(daxctl reconfigure-device --mode=devdax --force "$dev" 2>&1) && rc=0 || rc=$?
	gb=ok
	[ $rc = 0 ] || gb="stuck: $(tail -n 1 <<<"$out")"
	if kver_ge 7.0 && [ "${zones#* }" != "0 0" ]; then
		# 7.x puts the new node's kswapd in its first ZONE_NORMAL block:
		# such a case is the guest's last.
		check_busy "$t 7.x: the node's kswapd pins a ZONE_NORMAL block" $rc "$out"
	else
		check "$t back to devdax" test $rc = 0
	fi
	diag "$t give-back: $gb"
	rows+=("$c|$n|${zones// //}|$tables|$tables_in|$roots|$roots_in|$gb")
	modprobe -r kmem_mom kmem 2>/dev/null || rmmod kmem 2>/dev/null || true
done
for r in "${rows[@]}"; do
	echo "# tables|$(kver)|$KMM_DEVICE|$r"
done
tap_done
