#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# debug-report.sh REL: record the last make check-debug on the debug kernel
# REL (build/check-debug.log, the guests' consoles and TAP under
# build/REL/guest/) and write results/debug/summary.md.
#
# The record is kept per guest run, so that a run of some scenarios (-s)
# replaces only their rows: results/debug/runs.tsv has one row per guest
# (result, seconds, the commit and day it ran on, and what each debug
# option reported on its console), results/debug/allocfail.tsv the sweeps
# of the last allocation-failure guest.  The summary adds them up, and
# names the guests of the debug set that have no row.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

rel=${1:?usage: debug-report.sh REL}
log=$KMM_TOP/build/check-debug.log
guests=$KMM_TOP/build/$rel/guest
dir=$(dirname "$(readlink -f "/usr/src/linux-headers-$rel")")
[ -f "$log" ] || kmm_die "$log missing: run make check-debug"
out=$KMM_TOP/results/debug
runs=$out/runs.tsv
mkdir -p "$out"

# What each debug option prints, as console regexes, in the column order of
# runs.tsv, counted over both consoles of a guest booted twice (a first
# boot that died before /init is retried, not forgotten).  kmemleak is
# counted from the guest's own scan in its TAP.  A failed offline's "page dumped because: unmovable page" is the kernel's
# report of a busy block, not a DEBUG_VM one (those name the VM_ check).
kinds=(KASAN lockdep DEBUG_VM "list debugging" KFENCE "sleeping in atomic context"
	"any WARNING/BUG/Oops, the above included")
regexes=('BUG: KASAN'
	'possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|lock held when returning|bad unlock balance'
	'VM_BUG_ON|VM_WARN|BUG: Bad page'
	'list_add corruption|list_del corruption'
	'BUG: KFENCE'
	'sleeping function called from invalid context'
	'WARNING:|BUG:|Oops')

commit=$(git -C "$KMM_TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)
day=$(date -u -r "$log" +%Y-%m-%d)
header='guest	result	seconds	commit	day	kernel	first boot died before /init	kmemleak (unreferenced objects after the test)'
for k in "${kinds[@]}"; do header+="	$k"; done
[ -s "$runs" ] || echo "$header" >"$runs"

# This run's guests replace their rows.
sed -n 's/^\(not ok\|ok\) [0-9]* - [^ ]* \([^ ]*\)\( (\([0-9]*\) s.*)\)\{0,1\}$/\2 \1 \4/p' "$log" |
	sed 's/^\([^ ]*\) not ok/\1 fail/; s/^\([^ ]*\) ok/\1 ok/' |
	while read -r name result secs; do
		retry=$(sed -n 's/^# kmm-boot-retry: the first boot died before \/init (\(.*\)); see.*/\1/p' \
			"$guests/$name.tap" 2>/dev/null | tr -d '\t')
		row="$name	$result	${secs:--}	$commit	$day	$rel	${retry:--}"
		row+="	$(tr -d '\r' <"$guests/$name/tap.log" 2>/dev/null |
			awk '/^# kmemleak: [0-9]+ unreferenced/ { s += $3 } END { print s + 0 }')"
		for re in "${regexes[@]}"; do
			row+="	$(cat "$guests/$name/console.boot1.log" "$guests/$name/console.log" 2>/dev/null |
				tr -d '\r' | grep -cE "$re")"
		done
		awk -F'\t' -v n="$name" '$1 != n' "$runs" >"$runs.new"
		echo "$row" >>"$runs.new"
		mv "$runs.new" "$runs"
	done
if grep -q '^    # allocfail|' "$log"; then
	grep -h '^    # allocfail|' "$log" | cut -d'|' -f2- | tr '|' '\t' >"$out/allocfail.tsv"
fi

planned=$("$KMM_TOP/tests/run.sh" -S debug -k "$rel" -l | cut -d' ' -f2)
missing=$(comm -23 <(sort <<<"$planned") <(tail -n +2 "$runs" | cut -f1 | sort) | tr '\n' ' ')
{
	echo "# make check-debug"
	echo
	echo "- kernels of the rows: $(tail -n +2 "$runs" | cut -f6 | sort -u | tr '\n' ' ')(the kernel column)"
	echo "- the last run's kernel: $rel, from Debian's linux-source-6.12 $(basename "$dir" | sed 's/-[0-9a-f]*$//')," \
		"config options hash ${dir##*-} (tests/debug/kmem_mom-debug.config)"
	echo "- the kernel's build from nothing: $(cat "$dir/build-seconds") s on 2 cores; the last" \
		"run's guests: $(cat "$KMM_TOP/build/check-debug.seconds" 2>/dev/null || echo '?') s, two at a time"
	awk -F'\t' -v n="$(wc -w <<<"$planned")" -v m="$missing" 'NR > 1 { r[$2]++ }
		END { printf "- guest runs: %d passed, %d failed, of %d in the debug set%s\n",
			r["ok"], r["fail"], n, m == "" ? "" : "; no run yet: " m }' "$runs"
	echo
	echo "| report, over the last run of every guest | count |"
	echo "|---|---|"
	awk -F'\t' 'NR == 1 { for (i = 8; i <= NF; i++) name[i] = $i; nf = NF; next }
		{ for (i = 8; i <= NF; i++) s[i] += $i }
		END { for (i = 8; i <= nf; i++) printf "| %s | %d |\n", name[i], s[i] }' "$runs"
	echo
	echo "A guest whose first boot dies before /init's first line (before any of"
	echo "kmem_mom's code or the test's own script runs) is booted again"
	echo "(tests/boot-guest.sh); the counts above are over both boots' consoles,"
	echo "and the guest table names the first boot's report."
	echo
	echo "| guest run | result | seconds | commit | day | kernel | first boot died before /init |"
	echo "|---|---|---|---|---|---|---|"
	tail -n +2 "$runs" | awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }'
	echo
	echo "Allocation-failure sweeps (tests/guest/allocfail.sh): a clean run counts"
	echo "the allocations of the write to bind or unbind; each attempt then fails"
	echo "one of them (fail-nth), evenly spaced."
	echo
	echo "| sweep | allocations | attempts | failures injected | distinct call sites | of them with kmem_mom on the stack | binds failed | succeeded | degraded |"
	echo "|---|---|---|---|---|---|---|---|---|"
	awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }' \
		"$out/allocfail.tsv" 2>/dev/null
} >"$out/summary.md"
sed 's/^/# /' "$out/summary.md"
