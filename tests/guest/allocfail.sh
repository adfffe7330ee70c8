#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Real allocation failures (the debug lane: a kernel with failslab and
# fail_page_alloc), on the multi recipe's A (256 MiB, two blocks), booted
# with memory_hotplug.memmap_on_memory=1.
#
# The task that writes A to kmem's bind (or unbind) file is the only one
# that fails, and it fails exactly its N-th allocation
# (/proc/thread-self/fail-nth).  A clean run counts the allocations of the
# write; then each attempt fails one of them, the 1st, 2nd, ... or, where
# there are more than KMM_FAILNTH_BUDGET (default 30), that many evenly
# spaced from the first to the last.  The kernel's own page-table work
# under x86 add_pages() is spared (its failure WARNs by design, whoever
# hot-adds): the stack filter rejects it.
#   sweeps: bind, memmap on the device, blocks left offline;
#           bind, memmap in RAM, the kernel onlining them (online_movable),
#           so that onlining fails too;
#           unbind of A bound with its blocks offline.
# After every attempt: a failed bind has left nothing (module counters,
# memory blocks, /proc/iomem) or stays bound, degraded, and gives everything
# back on unbind; a bind that succeeded gives everything back.  Each
# injected failure's call site (the first frame outside the allocators, in
# the stack the kernel dumps for it) is counted; allocations made with
# __GFP_NOWARN dump none.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

drv=/sys/bus/dax/drivers
params=/sys/module/kmem_mom/parameters
aob=/sys/devices/system/memory/auto_online_blocks
budget=${KMM_FAILNTH_BUDGET:-30}

tap_plan
stress_start multi
read -r A _ <<<"$devs"

# Both fault attributes fail sleeping allocations of order 0 too, only for
# tasks that ask (make-it-fail, fail-nth), never at random, and not under
# add_pages().
# [add_pages, the next symbol up): two passes, as the addresses are
# 16 hex digits wide a string comparison orders them.
rs=$(awk '$3 == "add_pages" { print $1; exit }' /proc/kallsyms)
[ -n "$rs" ] || bail_out "add_pages not in /proc/kallsyms"
re=$(awk -v a="$rs" '$1 > a && (e == "" || $1 < e) { e = $1 } END { print e }' /proc/kallsyms)
for a in failslab fail_page_alloc; do
	d=/sys/kernel/debug/$a
	[ -d $d ] || bail_out "$d missing: not the debug lane's kernel"
	echo 0 >$d/probability
	echo 1 >$d/task-filter
	echo N >$d/ignore-gfp-wait
	echo -1 >$d/times
	echo 2 >$d/verbose
	echo 0 >$d/verbose_ratelimit_interval_ms
	echo 0x$rs >$d/reject-start
	echo 0x$re >$d/reject-end
	echo 32 >$d/stacktrace-depth
done
echo 0 >/sys/kernel/debug/fail_page_alloc/min-order
diag "spared: add_pages [0x$rs, 0x$re)"

echo "$A" >$drv/kmem/new_id
snapshot /tmp/base
# nblocks: memory blocks in the system, any node, any state.
nblocks() {
	local b n=0
	for b in /sys/devices/system/memory/memory[0-9]*; do
		n=$((n + 1))
	done
	echo $n
}
base_blocks=$(nblocks)

# failnth FILE N: write A to FILE from a task whose N-th allocation fails;
# prints what is left of N afterwards (0: the N-th allocation was made, and
# failed), and returns the write's status.
# Every file the task needs is open before N is set: an open would be an
# allocation of its own.
failnth() {
	(
		exec 5>"$1" 6<>/proc/thread-self/fail-nth
		echo "$2" >&6
		rc=0
		echo "$A" >&5 || rc=$?
		read -r left <&6
		echo 0 >&6
		echo "${left:-?}"
		exit $rc
	) 2>/dev/null
}

# site: the call site of the failure just injected, from the stack the
# kernel dumped for it; "-" if it dumped none (__GFP_NOWARN).
site() {
	dmesg | awk '
		/FAULT_INJECTION: forcing a failure/ { f = 1; t = 0; next }
		f && /Call Trace:/ { t = 1; next }
		t && /<\/TASK>/ { exit }
		t {
			sub(/^.*\] /, ""); sub(/^ +/, "")
			if ($1 == "?" || $1 !~ /\+0x/) next
			fn = $1; sub(/\+0x.*/, "", fn)
			if (fn ~ /^(dump_stack|should_|__should_|fail_dump|prepare_alloc_pages|slab_|__slab|___slab|new_slab|allocate_slab|kmem_cache_alloc|__kmem_cache|kmalloc|__kmalloc|kvmalloc|__kvmalloc|kzalloc|kvzalloc|kmemdup|kstrdup|kstrndup|kvasprintf|kasprintf|krealloc|__do_krealloc|alloc_pages|__alloc_pages|alloc_pages_mpol|__folio_alloc|folio_alloc|__get_free_pages|get_zeroed_page|__vmalloc|vmalloc|vzalloc|__get_vm_area|alloc_vmap_area|__alloc_percpu|pcpu_|alloc_slab|xa_|xas_|__xa|idr_|ida_|radix_tree_|kobject_set_name|kstrdup_const|kvasprintf_const|mempool_)/) next
			if (!site) { site = fn; mod = ($0 ~ /\[kmem_mom\]/) }
			else if (!caller) caller = fn
			if ($0 ~ /\[kmem_mom\]/) mod = 1
		}
		END {
			if (!site) { print "-"; exit }
			printf "%s<%s%s\n", site, caller, mod ? " (kmem_mom)" : ""
		}'
}

# left_behind: what A, bound to no driver, still holds.
left_behind() {
	local why=
	[ "$(mom_counters)" = "0 0 0" ] || why+=" counters $(mom_counters)"
	[ "$(nblocks)" = "$base_blocks" ] || why+=" blocks $(nblocks)"
	diff -q /tmp/iomem.unbound /proc/iomem >/dev/null || why+=" iomem"
	echo "${why# }"
}

# give_back: A offlined and unbound with nothing left; prints "" or what
# went wrong.
give_back() {
	local b
	if [ "$(dax_driver "$A")" = kmem ]; then
		for b in $(dax_block_dirs "$A"); do
			[ "$(cat "$b/state")" = offline ] || echo offline >"$b/state" 2>/dev/null ||
				{ echo "${b##*/} would not go offline"; return 0; }
		done
		echo "$A" >$drv/kmem/unbind 2>/dev/null || { echo "unbind failed"; return 0; }
	fi
	left_behind
}

# prepare FILE: A as a write to FILE expects it: unbound for a bind, bound
# (blocks offline) for an unbind.
prepare() {
	[ "$1" = bind ] || echo "$A" >$drv/kmem/bind
}

# sweep NAME FILE: how many allocations a write of A to FILE makes (a run
# with fail-nth past the end: what is left of it says), then fail the 1st,
# 2nd, ... of them, one per attempt, or evenly spaced ones when there are
# more than KMM_FAILNTH_BUDGET (a debug guest takes ~15 s an attempt).
sweep() {
	local name=$1 file=$2 n left rc s total step tries=0 hit=0 bad='' sites=()
	local ok=0 failed=0 degraded=0 refused=0 why
	local -A seen=()
	prepare "$file"
	left=$(failnth "$drv/kmem/$file" 1000000) && rc=0 || rc=$?
	total=$((1000000 - left))
	[ "$file" = bind ] && give_back >/dev/null
	check "$name: a clean run ($total allocations, with none failing)" test "$rc" = 0
	step=$(((total + budget - 1) / budget))
	for ((n = 1; n <= total; n += step)); do
		prepare "$file"
		dmesg -C
		s=-
		left=$(failnth "$drv/kmem/$file" "$n") && rc=0 || rc=$?
		tries=$((tries + 1))
		if [ "$left" = 0 ]; then
			hit=$((hit + 1))
			s=$(site)
			[ -n "${seen[$s]:-}" ] || sites+=("$s")
			seen[$s]=1
		fi
		if [ "$file" = bind ]; then
			if [ "$(dax_driver "$A")" = kmem ]; then
				if [ "$(mom_attr_or "$A" state)" = degraded ]; then
					degraded=$((degraded + 1))
				else
					ok=$((ok + 1))
				fi
				why=$(give_back)
			else
				failed=$((failed + 1))
				why=$(left_behind)
			fi
		elif [ "$(dax_driver "$A")" != kmem ]; then
			why=$(left_behind)
		elif [ "$rc" != 0 ]; then
			# The write failed before it reached the driver: A is
			# as it was, and a clean unbind must still work.
			refused=$((refused + 1))
			why=$(give_back)
		else
			why="still bound after the unbind"
		fi
		[ -z "$why" ] || { bad+=" n=$n($s):$why"; break; }
	done
	diag "$name: $total allocations; $tries attempts (a step of $step), $hit failures injected;" \
		"binds failed $failed, succeeded $ok, degraded $degraded; writes refused before" \
		"the driver $refused; ${#sites[@]} distinct call sites:" \
		"$(printf '%s\n' "${sites[@]}" | sort | tr '\n' ' ')"
	check_eq "$name: every attempt left nothing behind" "" "${bad# }"
	check "$name: failures were injected ($hit of $tries attempts)" test "$hit" -gt 0
	echo "# allocfail|$name|$total|$tries|$hit|${#sites[@]}|$(printf '%s\n' "${sites[@]}" |
		grep -c 'kmem_mom' || true)|$failed|$ok|$degraded"
	summary "allocfail-$name" "$tries" - "$(left_behind || true)"
}

echo offline >$aob
echo 1 >$params/memmap_on_memory
echo "$A" >$drv/device_dax/unbind
# /proc/iomem with A on no driver: what every attempt must return to.
cp /proc/iomem /tmp/iomem.unbound
sweep bind-device bind
check "A unbound again" test -z "$(dax_driver "$A")"

echo online_movable >$aob
echo 0 >$params/memmap_on_memory
sweep bind-ram-online bind
check "A unbound again" test -z "$(dax_driver "$A")"

echo offline >$aob
echo 1 >$params/memmap_on_memory
sweep unbind unbind

for a in failslab fail_page_alloc; do
	echo 0 >/sys/kernel/debug/$a/task-filter
done
echo "$A" >$drv/device_dax/bind
check "A binds and returns to devdax with daxctl after it all" \
	bash -c "daxctl reconfigure-device --mode=system-ram $A && daxctl reconfigure-device --mode=devdax --force $A"
snapshot /tmp/end
check_eq "no drift over the sweeps" "$NO_DRIFT" "$(exact_drift /tmp/base /tmp/end)"
tap_done
