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

# report NAME RC SECONDS: print a finished stage's own output (renumbering
# nothing) and tally its results.
report() {
	local log=$logdir/$1.log
	echo "# --- $1"
	grep -v '^TAP version\|^1\.\.' "$log"
	count "$log"
	if [ "$2" != 0 ] && ! grep -q '^not ok ' "$log"; then
		n=$((n + 1)) fail=$((fail + 1))
		echo "not ok - $1 exited $2"
	fi
	echo "# $1: $3 s"
}

run_stage() { # run_stage NAME CMD...
	local name=$1 s rc
	shift
	s=$(date +%s)
	"$@" >"$logdir/$name.log" 2>&1
	rc=$?
	report "$name" $rc $(($(date +%s) - s))
}

# start_stage NAME CMD... / finish_stage NAME: a stage run beside the next
# ones, reported when finish_stage collects it.
start_stage() {
	local name=$1
	shift
	# A verdict is this run's or none: never the last run's.
	rm -f "$logdir/$name.rc"
	(
		s=$(date +%s)
		"$@" >"$logdir/$name.log" 2>&1
		echo "$? $(($(date +%s) - s))" >"$logdir/$name.rc"
	) &
}
finish_stage() {
	local rc=255 secs='?'
	wait
	if [ -f "$logdir/$1.rc" ]; then
		read -r rc secs <"$logdir/$1.rc"
	else
		echo "the $1 stage left no exit status" >>"$logdir/$1.log"
	fi
	report "$1" "$rc" "$secs"
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
# The package stage is mostly downloads, unpacking and DKMS builds: it runs
# beside the guests, which keep the CPUs busy without it only in bursts.
start_stage packages "$top/scripts/deb-check.sh"
run_stage guest "$top/tests/run.sh"
finish_stage packages
run_stage bench-smoke "$top/scripts/bench-smoke.sh"

echo "1..$n"
echo "# make check took $(($(date +%s) - t0)) s; $skipped skipped"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
