#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make check: set up (idempotent), build matrix + DKMS, lint, guest suite,
# the Debian packages (make deb, installed in throwaway roots), and the
# benchmark's smoke run.
# Every stage reports TAP and names its plan (--plan, or run.sh -l): their
# sum is printed first, every test point is numbered in one sequence, and
# the last line is "N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/devel/lib.sh"
logdir=$top/build/check
mkdir -p "$logdir"

t0=$(date +%s)

echo "TAP version 13"
n=0 pass=0 fail=0 skipped=0
declare -A planned=()
rows=() failed_points=()

# point LINE: one of make check's own test points, numbered in sequence
# whatever number (or none) its stage gave it.
point() {
	local verdict=ok rest=$1
	case $rest in
	"not ok"*) verdict="not ok" rest=${rest#not ok} ;;
	*) rest=${rest#ok} ;;
	esac
	rest=${rest#"${rest%%[! 0-9]*}"}
	rest=${rest#- }
	n=$((n + 1))
	case $verdict in
	"not ok") fail=$((fail + 1)) failed_points+=("$n - $rest") ;;
	*) case $rest in *"# SKIP"*) skipped=$((skipped + 1)) ;; *) pass=$((pass + 1)) ;; esac ;;
	esac
	echo "$verdict $n - $rest"
}

# report NAME RC SECONDS: a finished stage's output, its top-level TAP lines
# numbered in make check's sequence.  A stage that reports fewer tests than
# it planned gets a failed point for each one missing, so that the plan
# printed first holds; one that exits non-zero with no failure, or reports
# more than it planned, gets a failed point of its own.
report() {
	local log=$logdir/$1.log line got=0 failed=0 want=${planned[$1]}
	local pass0=$pass fail0=$fail
	echo "# --- $1"
	while IFS= read -r line; do
		case $line in
		"TAP version"* | 1..*) ;;
		"ok "* | "not ok "* | ok | "not ok")
			got=$((got + 1))
			[[ $line == "not ok"* ]] && failed=1
			point "$line"
			;;
		*) printf '%s\n' "$line" ;;
		esac
	done <"$log"
	while [ "$got" -lt "$want" ]; do
		got=$((got + 1)) failed=1
		point "not ok - $1: test $got of its $want did not report (the stage exited $2)"
	done
	[ "$got" = "$want" ] ||
		point "not ok - $1 reported $got tests, its plan named $want"
	[ "$2" = 0 ] || [ "$failed" = 1 ] || point "not ok - $1 exited $2"
	echo "# $1: $3 s"
	rows+=("| $1 | $want | $((pass - pass0)) | $((fail - fail0)) | $2 | $3 |")
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

# The stages print bare TAP lines, counted here against their plans.
export KMM_TAP_BARE=1

# Setup first: the plans need its kernels.env.  Then every stage's plan,
# asked of the stage itself, and their sum as make check's plan.
"$top/devel/setup.sh" >"$logdir/setup.log" 2>&1 ||
	kmm_tap_abort "setup (devel/setup.sh)" "$logdir/setup.log"
setup_secs=$(($(date +%s) - t0))
kmm_kernels_env
planned[matrix]=$("$top/devel/matrix.sh" --plan)
planned[lint]=$("$top/devel/lint.sh" --plan)
planned[packages]=$("$top/devel/deb-check.sh" --plan)
planned[guest]=$("$top/tests/run.sh" -l | wc -l)
planned[bench-smoke]=$("$top/devel/bench-smoke.sh" --plan)
total=1
for stage in "${!planned[@]}"; do
	[[ ${planned[$stage]} =~ ^[0-9]+$ ]] ||
		kmm_tap_abort "the $stage stage names no plan (got '${planned[$stage]}')" /dev/null
	total=$((total + planned[$stage]))
done
echo "1..$total"
point "ok - setup ($setup_secs s)"
run_stage matrix "$top/devel/matrix.sh"
run_stage lint "$top/devel/lint.sh"
# The package stage is mostly downloads, unpacking and DKMS builds: it runs
# beside the guests, which keep the CPUs busy without it only in bursts.
start_stage packages "$top/devel/deb-check.sh"
run_stage guest "$top/tests/run.sh"
finish_stage packages
run_stage bench-smoke "$top/devel/bench-smoke.sh"

secs=$(($(date +%s) - t0))
# The run's record (results/check/ keeps the one of a fresh clone).
# "commit X" as devel/results-check.sh reads it; "+changes" fails it.
ran_at="commit $(git -C "$top" rev-parse --short=12 HEAD 2>/dev/null || echo '(no git)')$(
	[ -z "$(git -C "$top" status --porcelain 2>/dev/null)" ] || echo '+changes (uncommitted)')"
# The guests' measurements beside it: the summary, policy and size rows.
for t in summary policy sizes tables; do
	# Rows below the header's two lines, or nothing to keep.
	n=$(grep -c '^|' "$top/build/$t-check.md" 2>/dev/null)
	[ "${n:-0}" -gt 2 ] || continue
	{
		echo "# make check's $t rows, $(date -u +%F), at $ran_at"
		echo
		cat "$top/build/$t-check.md"
	} >"$logdir/$t-rows.md"
done
{
	echo "# make check at $ran_at"
	echo
	echo "$(date -u +%F), $(nproc) CPUs, $(awk '$1 == "MemTotal:" { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo);" \
		"kernels $K61, $K612, $K73 (guests), $K72 (build only), $A61, $A612, $A73 (arm64: built, DKMS, guests); $secs s in all."
	echo
	echo "| stage | planned | passed | failed | exit | seconds |"
	echo "|---|---|---|---|---|---|"
	echo "| setup | 1 | 1 | 0 | 0 | $setup_secs |"
	printf '%s\n' "${rows[@]}"
	echo "| all | $total | $pass | $fail | | $secs |"
	if [ "$fail" != 0 ]; then
		echo
		echo "Failed:"
		echo
		printf -- '- %s\n' "${failed_points[@]}"
	fi
} >"$logdir/summary.md"
echo "# make check took $secs s; $skipped skipped; its record: build/check/summary.md"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
