#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make check: set up (idempotent), build matrix + DKMS, lint, guest suite,
# the Debian packages (make deb, installed in throwaway roots), and the
# benchmark's smoke run.
# Every stage reports TAP; the last line is "N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
logdir=$top/build/check
mkdir -p "$logdir"

t0=$(date +%s)

echo "TAP version 13"
n=0 pass=0 fail=0 skipped=0
count() { # count LOGFILE: tally its top-level TAP lines
	local line
	while IFS= read -r line; do
		case $line in
		"not ok "*) fail=$((fail + 1)) ;;
		"ok "*"# SKIP"*) skipped=$((skipped + 1)) ;;
		"ok "*) pass=$((pass + 1)) ;;
		*) continue ;;
		esac
		n=$((n + 1))
	done <"$1"
}

run_stage() { # run_stage NAME CMD...
	local name=$1 log=$logdir/$1.log s rc
	shift
	s=$(date +%s)
	echo "# --- $name"
	"$@" >"$log" 2>&1
	rc=$?
	# Renumber nothing: print the stage's own output, tally its results.
	grep -v '^TAP version\|^1\.\.' "$log"
	count "$log"
	if [ $rc != 0 ] && ! grep -q '^not ok ' "$log"; then
		n=$((n + 1)) fail=$((fail + 1))
		echo "not ok - $name exited $rc"
	fi
	echo "# $name: $(($(date +%s) - s)) s"
}

if ! "$top/scripts/setup.sh" >"$logdir/setup.log" 2>&1; then
	tail -n 30 "$logdir/setup.log" | sed 's/^/# /'
	echo "not ok - setup (scripts/setup.sh)"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "ok - setup ($(($(date +%s) - t0)) s)"
n=1 pass=1
run_stage matrix "$top/scripts/matrix.sh"
run_stage lint "$top/scripts/lint.sh"
run_stage guest "$top/tests/run.sh"
run_stage packages "$top/scripts/deb-check.sh"
run_stage bench-smoke "$top/scripts/bench-smoke.sh"

echo "1..$n"
echo "# make check took $(($(date +%s) - t0)) s; $skipped skipped"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
