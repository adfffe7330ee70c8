#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make stress: the reliability suite at full length on Debian's 6.1, 6.12
# and 7.3 (tests/run.sh -S stress): 200 devdax <-> system-ram cycles, data
# integrity across hot-remove, hot-add/remove under stress-ng, faults
# (refused offline, add failure at every block, concurrent binds, rmmod
# while bound), hostile input and an unprivileged user, the memmap-too-big
# regression, and the kernel's own memory-hotplug selftest.
#   stress.sh [-k KVER]... [-s SCENARIO]...   (passed on to tests/run.sh)
# TAP on stdout, the summary table also in results/stress/summary.md; the
# last line is "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/lib.sh"

t0=$(date +%s)
log=$KMM_TOP/build/stress.log
mkdir -p "$KMM_TOP/build"
if ! "$KMM_TOP/scripts/setup.sh" >"$KMM_TOP/build/stress-setup.log" 2>&1; then
	tail -n 30 "$KMM_TOP/build/stress-setup.log" | sed 's/^/# /'
	echo "not ok - setup (scripts/setup.sh)"
	echo "0 passed, 1 failed"
	exit 1
fi
"$KMM_TOP/tests/run.sh" -S stress "$@" | tee "$log"
pass=$(grep -c '^ok ' "$log")
fail=$(grep -c '^not ok ' "$log")

out=$KMM_TOP/results/stress
mkdir -p "$out"
{
	echo "# make stress, $(date -u +%Y-%m-%d)"
	echo
	echo "$pass guest runs passed, $fail failed, in $((($(date +%s) - t0) / 60)) min" \
		"(QEMU TCG, 2 vCPUs; guests booted with panic_on_warn=1 oops=panic)."
	echo "Drift: MemTotal (kB), /proc/iomem, memory block list and kmem_mom's"
	echo "counters (lines differing from the baseline), unreclaimable slab (kB)."
	echo
	cat "$KMM_TOP/build/summary-stress.md"
} >"$out/summary.md"
echo "# summary written to ${out#"$KMM_TOP"/}/summary.md"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
