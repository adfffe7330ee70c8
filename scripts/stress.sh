#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make stress: the reliability suite at full length on Debian's 6.1, 6.12
# and 7.3 (tests/run.sh -S stress): 200 devdax <-> system-ram cycles, data
# integrity across hot-remove, hot-add/remove under stress-ng, faults
# (refused offline, add failure at every block, concurrent binds, rmmod
# while bound), hostile input and an unprivileged user, the memmap-too-big
# regression, the kernel's own memory-hotplug selftest, and the online-policy
# matrix (every driver, policy, placement and device).
#   stress.sh [-k KVER]... [-s SCENARIO]...   (passed on to tests/run.sh)
# TAP on stdout; the last line is "N passed, N failed".  Each kernel's rows
# of the summary table go to results/stress/<kver>.rows (a later run of
# that kernel replaces them), and results/stress/summary.md is rebuilt from
# all of them.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

t0=$(date +%s)
log=$KMM_TOP/build/stress.log
mkdir -p "$KMM_TOP/build"
"$KMM_TOP/scripts/setup.sh" >"$KMM_TOP/build/stress-setup.log" 2>&1 ||
	kmm_tap_abort "setup (scripts/setup.sh)" "$KMM_TOP/build/stress-setup.log"
"$KMM_TOP/tests/run.sh" -S stress "$@" | tee "$log"
pass=$(grep -c '^ok ' "$log")
fail=$(grep -c '^not ok ' "$log")

out=$KMM_TOP/results/stress
mkdir -p "$out"
kmm_kernels_env
day=$(date -u +%Y-%m-%d)
# What the rows describe: the tree they ran from.
commit=$(git -C "$KMM_TOP" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
[ -z "$(git -C "$KMM_TOP" status --porcelain -- kmem_mom include tests tools scripts 2>/dev/null)" ] ||
	commit="$commit+changes"
for k in $K61 $K612 $K73; do
	p=$(grep -c "^ok [0-9]* - $k " "$log")
	f=$(grep -c "^not ok [0-9]* - $k " "$log")
	[ $((p + f)) -gt 0 ] || continue
	# A run of some scenarios (-s) replaces only the tables it has rows for.
	rows=$(grep -F "| $k |" "$KMM_TOP/build/summary-stress.md" || true)
	[ -z "$rows" ] || printf '%s\n' "$k: $p guest runs passed, $f failed, $day, commit $commit" "$rows" >"$out/$k.rows"
	rows=$(grep -F "| $k |" "$KMM_TOP/build/policy-stress.md" || true)
	[ -z "$rows" ] || printf '%s\n' "$k: $p guest runs passed, $f failed, $day, commit $commit" "$rows" >"$out/$k.policy"
	rows=$(grep -F "| $k |" "$KMM_TOP/build/tables-stress.md" || true)
	[ -z "$rows" ] || printf '%s\n' "$k: $day, commit $commit" "$rows" >"$out/$k.tables"
	rows=$(grep -F "| $k |" "$KMM_TOP/build/sizes-stress.md" || true)
	[ -z "$rows" ] || printf '%s\n' "$k: $p guest runs passed, $f failed, $day, commit $commit" "$rows" >"$out/$k.sizes"
done
{
	echo "# make stress"
	echo
	echo "QEMU TCG, 2 vCPUs; every guest booted with panic_on_warn=1 oops=panic and"
	echo "its console scanned for WARNING/BUG/Oops/Call Trace.  Drift: MemTotal (kB),"
	echo "/proc/iomem, the memory block list and kmem_mom's counters (lines differing"
	echo "from the baseline), unreclaimable slab (kB, noise)."
	echo
	for k in $K61 $K612 $K73; do
		[ -f "$out/$k.rows" ] && echo "- $(head -n 1 "$out/$k.rows")"
	done
	echo
	echo '| check | kernel | iterations | result | data lost (bytes) | drift |'
	echo '|---|---|---|---|---|---|'
	for k in $K61 $K612 $K73; do
		[ -f "$out/$k.rows" ] && tail -n +2 "$out/$k.rows"
	done
} >"$out/summary.md"
# kernel_rows EXT: each kernel's run line (with the commit it ran at), then
# the table of build/EXT-stress.md's header and every kernel's rows
# ($out/KVER.EXT).
kernel_rows() {
	local k

	for k in $K61 $K612 $K73; do
		[ -f "$out/$k.$1" ] && echo "- $(head -n 1 "$out/$k.$1")"
	done
	echo
	head -n 2 "$KMM_TOP/build/$1-stress.md"
	for k in $K61 $K612 $K73; do
		[ -f "$out/$k.$1" ] && tail -n +2 "$out/$k.$1"
	done
	return 0
}
{
	echo "# make stress: the online-policy matrix"
	echo
	echo "tests/guest/policy.sh under every online policy, unpinned, with udevd"
	echo "binding devices: the in-tree kmem (kmem), kmem_mom (mom) and kmem_mom"
	echo "online=movable (movable); memmap on the device, fallback (booted without"
	echo "memory_hotplug.memmap_on_memory) and memmap_on_memory=0 (ram).  Give-back"
	echo "'stuck' is the honest refusal where the kernel pinned a ZONE_NORMAL block."
	echo
	kernel_rows policy
} >"$out/policy.md"
{
	echo "# make stress: real sizes"
	echo
	echo "tests/guest/policy.sh at 72 and 512 GiB (sparse) of soft-reserved memory"
	echo "(hmem) and pmem, and a 72 GiB CXL region above all boot RAM, with 128 MiB"
	echo "and with 2 GiB blocks (65 GiB of boot RAM), under the online policy each"
	echo "kernel boots with (6.1 also with memhp_default_state=online), with the boot"
	echo "parameter memory_hotplug.memmap_on_memory on and off; the in-tree kmem"
	echo "(knob: with its own daxX.Y/memmap_on_memory=1), kmem_mom, and kmem_mom"
	echo "online=movable, in the same guests.  'first blocks': blocks kmem_mom added"
	echo "first for the page tables and section roots of their memmap.  Give-back"
	echo "'stuck' is the honest refusal where the kernel pinned a ZONE_NORMAL block"
	echo "(7.x: the node's kswapd), the in-tree kmem's as kmem_mom's."
	echo
	kernel_rows sizes
} >"$out/sizes.md"
{
	echo "# make stress: where the memmap's page tables land"
	echo
	echo "tests/guest/tables.sh: a 72 GiB soft-reserved device bound under the online"
	echo "policy as booted (6.1 with memhp_default_state=online), memmap on the device;"
	echo "return probes on vmemmap_alloc_block() and sparse_index_alloc() record every"
	echo "page-table page of the vmemmap and every mem_section root allocated during"
	echo "the bind, each looked up in the device's physical range.  One driver a guest:"
	echo "the roots a bind makes are never freed."
	echo
	kernel_rows tables
} >"$out/tables.md"
echo "# $((($(date +%s) - t0) / 60)) min; summary in ${out#"$KMM_TOP"/}/summary.md"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
