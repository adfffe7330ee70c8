#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make check-debug: the guest scenarios that drive kmem_mom's code paths, on
# a debug kernel built from Debian's own linux-source-6.12 (KASAN, lockdep,
# kmemleak, DEBUG_VM, DEBUG_LIST, KFENCE, failslab and fail_page_alloc; see
# tests/debug/kmem_mom-debug.config), plus the allocation-failure sweeps.
# A run fails on any report of those options: the console scan catches
# KASAN, lockdep, DEBUG_VM, list debugging and KFENCE (all print BUG: or
# WARNING:), and each guest ends with a kmemleak scan.
#   check-debug.sh [-s SCENARIO]...   (passed on to tests/run.sh)
# TAP on stdout; the last line is "N passed, N failed".  The summary goes
# to results/debug/summary.md, with the commit it was measured on.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

t0=$(date +%s)
mkdir -p "$KMM_TOP/build"
log=$KMM_TOP/build/check-debug.log
echo "TAP version 13"
if ! "$KMM_TOP/scripts/setup.sh" >"$KMM_TOP/build/check-debug-setup.log" 2>&1; then
	tail -n 30 "$KMM_TOP/build/check-debug-setup.log" | sed 's/^/# /'
	echo "not ok 1 - setup (scripts/setup.sh)"
	echo "0 passed, 1 failed"
	exit 1
fi
t1=$(date +%s)
rel=$("$KMM_TOP/scripts/debug-kernel.sh" 2>"$KMM_TOP/build/debug-kernel.log") || {
	tail -n 30 "$KMM_TOP/build/debug-kernel.log" | sed 's/^/# /'
	echo "not ok 1 - the debug kernel (scripts/debug-kernel.sh)"
	echo "0 passed, 1 failed"
	exit 1
}
dir=$(dirname "$(readlink -f "/usr/src/linux-headers-$rel")")
t2=$(date +%s)
echo "# debug kernel $rel: $((t2 - t1)) s here (a build from nothing took $(cat "$dir/build-seconds") s)"

"$KMM_TOP/tests/run.sh" -S debug -k "$rel" "$@" | tee "$log" | grep -v '^TAP version'
pass=$(grep -c '^ok ' "$log")
fail=$(grep -c '^not ok ' "$log")
t3=$(date +%s)

# What the debug options reported, over every guest's console.
guests=$KMM_TOP/build/$rel/guest
reports() { cat "$guests"/*/console.log 2>/dev/null | tr -d '\r' | grep -cE "$1" || true; }
out=$KMM_TOP/results/debug
mkdir -p "$out"
{
	echo "# make check-debug"
	echo
	echo "- kernel: $rel, from Debian's linux-source-6.12 $(basename "$dir" | sed 's/-[0-9a-f]*$//')," \
		"config fragment hash ${dir##*-} (tests/debug/kmem_mom-debug.config)"
	echo "- commit: $(git -C "$KMM_TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
		"$(git -C "$KMM_TOP" diff --quiet HEAD -- 2>/dev/null || echo '(with uncommitted changes)'), $(date -u +%Y-%m-%d)"
	echo "- build from nothing: $(cat "$dir/build-seconds") s on $(nproc) cores; guest runs: $((t3 - t2)) s"
	echo "- guest runs: $pass passed, $fail failed"
	echo
	echo "| report | count |"
	echo "|---|---|"
	echo "| KASAN | $(reports 'BUG: KASAN')|"
	echo "| lockdep | $(reports 'possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|lock held when returning|bad unlock balance')|"
	echo "| kmemleak (unreferenced objects after each guest) | $(cat "$guests"/*/tap.log 2>/dev/null | tr -d '\r' |
		awk '/^# kmemleak: [0-9]+ unreferenced/ { s += $3 } END { print s + 0 }')|"
	echo "| DEBUG_VM | $(reports 'VM_BUG_ON|page dumped because|BUG: Bad page')|"
	echo "| list debugging | $(reports 'list_add corruption|list_del corruption|list_debug')|"
	echo "| KFENCE | $(reports 'BUG: KFENCE')|"
	echo "| any other WARNING/BUG/Oops | $(reports 'WARNING:|BUG:|Oops')|"
	echo
	echo "| guest run | result | seconds |"
	echo "|---|---|---|"
	sed -n 's/^\(not ok\|ok\) [0-9]* - [^ ]* \([^ ]*\)\( (\([0-9]*\) s.*)\)\{0,1\}$/| \2 | \1 | \4 |/p' "$log"
	echo
	echo "Allocation-failure sweeps (tests/guest/allocfail.sh): every allocation"
	echo "of the writing task failed once, in order."
	echo
	echo "| sweep | allocations failed | distinct call sites | of them under kmem_mom | binds failed | succeeded | degraded |"
	echo "|---|---|---|---|---|---|---|"
	grep -h '^    # allocfail|' "$log" | cut -d'|' -f2- |
		awk -F'|' '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }'
} >"$out/summary.md"
echo "# $(((t3 - t0) / 60)) min; summary in results/debug/summary.md"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
