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
# TAP on stdout; the last line is "N passed, N failed".  Each guest run is
# recorded in results/debug/runs.tsv with the commit it ran on (a run of
# some scenarios replaces only their rows), and results/debug/summary.md
# adds the record up (devel/debug-report.sh).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

t0=$(date +%s)
mkdir -p "$KMM_TOP/build"
log=$KMM_TOP/build/check-debug.log
echo "TAP version 13"
"$KMM_TOP/devel/setup.sh" >"$KMM_TOP/build/check-debug-setup.log" 2>&1 ||
	kmm_tap_abort "setup (devel/setup.sh)" "$KMM_TOP/build/check-debug-setup.log"
t1=$(date +%s)
rel=$("$KMM_TOP/devel/debug-kernel.sh" 2>"$KMM_TOP/build/debug-kernel.log") ||
	kmm_tap_abort "the debug kernel (devel/debug-kernel.sh)" "$KMM_TOP/build/debug-kernel.log"
[[ $rel =~ ^[0-9]+\.[0-9]+\.[0-9]+-kmm-debug$ ]] ||
	kmm_tap_abort "the debug kernel (devel/debug-kernel.sh) named no release (got '${rel:0:80}')" \
		"$KMM_TOP/build/debug-kernel.log"
dir=$(dirname "$(readlink -f "/usr/src/linux-headers-$rel")")
t2=$(date +%s)
echo "# debug kernel $rel: $((t2 - t1)) s here (a build from nothing took $(cat "$dir/build-seconds") s)"

"$KMM_TOP/tests/run.sh" -S debug -k "$rel" "$@" | tee "$log" | grep --line-buffered -v '^TAP version'
pass=$(grep -c '^ok ' "$log")
fail=$(grep -c '^not ok ' "$log")
t3=$(date +%s)

echo "$((t3 - t2))" >"$KMM_TOP/build/check-debug.seconds"
"$KMM_TOP/devel/debug-report.sh" "$rel"
echo "# $(((t3 - t0) / 60)) min; summary in results/debug/summary.md"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
