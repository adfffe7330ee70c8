#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The benchmark's smoke run for make check: 1 GiB, 6.12, one run per driver.
# It checks that the pipeline still produces its table and plots, that
# every driver completed a run, and where each put the memmap (16 MiB for
# 1 GiB): in RAM (kmem, mom0: node 0 DRAM spent at least 15 MiB per GiB,
# none of the device) or on the device (kmem-knob, mom1, auto on this fast
# device: 16.0 MiB of its capacity, under 1 MiB of DRAM per GiB; measured
# 16.04-16.21 and 0.05-0.18: results/latest/bench.md and this smoke run).
# It never judges a timing.
# --plan: how many TAP lines a run prints (make check's plan).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$top/build/bench-smoke
drivers=(kmem kmem-knob mom0 mom1 auto)
if [ "${1:-}" = --plan ]; then
	echo $((1 + 2 * ${#drivers[@]}))
	exit 0
fi
"$top/devel/bench.sh" --smoke >"$top/build/bench-smoke.log" 2>&1
rc=$?
if [ $rc = 0 ] && [ -s "$dir/bench.md" ] && [ -s "$dir/dram.png" ] && [ -s "$dir/time.png" ]; then
	echo "ok - make bench --smoke produced bench.md, dram.png and time.png"
else
	echo "not ok - make bench --smoke (exit $rc)"
	tail -n 20 "$top/build/bench-smoke.log" | sed 's/^/# /'
	exit 1
fi
fail=0
for d in "${drivers[@]}"; do
	if grep -qE "^\| 1 \| $d \| 1/1 \|" "$dir/bench.md"; then
		echo "ok - bench smoke: $d completed its run"
	else
		echo "not ok - bench smoke: $d has no completed run"
		grep -E "\| $d \|" "$dir/bench.md" | sed 's/^/# /'
		fail=1
	fi
	where=device
	case $d in kmem | mom0) where=ram ;; esac
	# Columns: DRAM spent (MiB per GiB), device capacity spent (MiB).
	read -r dram cap < <(awk -F'|' -v d="$d" '$2 + 0 == 1 && $3 ~ "^ " d " $" {
		gsub(/ /, "", $5); gsub(/ /, "", $7); print $5, $7; exit }' "$dir/bench.md")
	if [ "$where" = ram ]; then
		ok=$(awk -v m="${dram:-x}" -v c="${cap:-x}" 'BEGIN { print (m + 0 >= 15 && c == "0.0") }')
	else
		ok=$(awk -v m="${dram:-x}" -v c="${cap:-x}" 'BEGIN { print (m != "x" && m + 0 < 1 && c == "16.0") }')
	fi
	if [ "$ok" = 1 ]; then
		echo "ok - bench smoke: $d put the memmap in $where ($dram MiB of DRAM per GiB, $cap MiB of the device)"
	else
		echo "not ok - bench smoke: $d did not put the memmap in $where (${dram:-?} MiB of DRAM per GiB, ${cap:-?} MiB of the device)"
		fail=1
	fi
done
exit $fail
