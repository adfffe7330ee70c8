#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The benchmark's smoke run for make check: 1 GiB, 6.12, one run per driver.
# It checks that the pipeline still produces its table and plots and that
# every driver completed a run; it never judges a timing.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$top/build/bench-smoke
"$top/scripts/bench.sh" --smoke >"$top/build/bench-smoke.log" 2>&1
rc=$?
if [ $rc = 0 ] && [ -s "$dir/bench.md" ] && [ -s "$dir/dram.png" ] && [ -s "$dir/time.png" ]; then
	echo "ok - make bench --smoke produced bench.md, dram.png and time.png"
else
	echo "not ok - make bench --smoke (exit $rc)"
	tail -n 20 "$top/build/bench-smoke.log" | sed 's/^/# /'
	exit 1
fi
fail=0
for d in kmem kmem-knob mom0 mom1 auto; do
	if grep -qE "^\| 1 \| $d \| 1/1 \|" "$dir/bench.md"; then
		echo "ok - bench smoke: $d completed its run"
	else
		echo "not ok - bench smoke: $d has no completed run"
		grep -E "\| $d \|" "$dir/bench.md" | sed 's/^/# /'
		fail=1
	fi
done
exit $fail
