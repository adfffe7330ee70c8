#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# debug-report.sh REL: results/debug/summary.md from the last make
# check-debug on the debug kernel REL (build/check-debug.log, the guests'
# consoles and TAP under build/REL/guest/): kernel, config hash, commit,
# what the debug options reported, every guest run (and any the run did not
# finish), and the allocation-failure sweeps.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

rel=${1:?usage: debug-report.sh REL}
log=$KMM_TOP/build/check-debug.log
guests=$KMM_TOP/build/$rel/guest
dir=$(dirname "$(readlink -f "/usr/src/linux-headers-$rel")")
[ -f "$log" ] || kmm_die "$log missing: run make check-debug"

# reports REGEX: console lines matching it, over every guest.
reports() { cat "$guests"/*/console.log 2>/dev/null | tr -d '\r' | grep -cE "$1" || true; }
pass=$(grep -c '^ok ' "$log")
fail=$(grep -c '^not ok ' "$log")
planned=$("$KMM_TOP/tests/run.sh" -S debug -k "$rel" -l | cut -d' ' -f2)
ran=$(sed -n 's/^\(not \)\{0,1\}ok [0-9]* - [^ ]* \([^ ]*\).*/\2/p' "$log")
missing=$(comm -23 <(sort <<<"$planned") <(sort <<<"$ran") | tr '\n' ' ')

out=$KMM_TOP/results/debug
mkdir -p "$out"
{
	echo "# make check-debug"
	echo
	echo "- kernel: $rel, from Debian's linux-source-6.12 $(basename "$dir" | sed 's/-[0-9a-f]*$//')," \
		"config options hash ${dir##*-} (tests/debug/kmem_mom-debug.config)"
	echo "- commit: $(git -C "$KMM_TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)," \
		"$(date -u -r "$log" +%Y-%m-%d)"
	echo "- the kernel's build from nothing: $(cat "$dir/build-seconds") s on 2 cores; guest runs:" \
		"$(cat "$KMM_TOP/build/check-debug.seconds" 2>/dev/null || echo '?') s, two at a time"
	echo "- guest runs: $pass passed, $fail failed, of $(wc -w <<<"$planned") in the debug set${missing:+; not finished: $missing}"
	echo
	echo "| report | count |"
	echo "|---|---|"
	echo "| KASAN | $(reports 'BUG: KASAN') |"
	echo "| lockdep | $(reports 'possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|lock held when returning|bad unlock balance') |"
	echo "| kmemleak (unreferenced objects after each guest's test) | $(cat "$guests"/*/tap.log 2>/dev/null | tr -d '\r' |
		awk '/^# kmemleak: [0-9]+ unreferenced/ { s += $3 } END { print s + 0 }') |"
	echo "| DEBUG_VM | $(reports 'VM_BUG_ON|page dumped because|BUG: Bad page') |"
	echo "| list debugging | $(reports 'list_add corruption|list_del corruption') |"
	echo "| KFENCE | $(reports 'BUG: KFENCE') |"
	echo "| sleeping in atomic context | $(reports 'sleeping function called from invalid context') |"
	echo "| any other WARNING/BUG/Oops | $(reports 'WARNING:|BUG:|Oops') |"
	echo
	echo "| guest run | result | seconds |"
	echo "|---|---|---|"
	sed -n 's/^\(not ok\|ok\) [0-9]* - [^ ]* \([^ ]*\)\( (\([0-9]*\) s.*)\)\{0,1\}$/| \2 | \1 | \4 |/p' "$log"
	echo
	echo "Allocation-failure sweeps (tests/guest/allocfail.sh): a clean run counts"
	echo "the allocations of the write to bind or unbind; each attempt then fails"
	echo "one of them (fail-nth), evenly spaced."
	echo
	echo "| sweep | allocations | attempts | failures injected | distinct call sites | of them with kmem_mom on the stack | binds failed | succeeded | degraded |"
	echo "|---|---|---|---|---|---|---|---|---|"
	grep -h '^    # allocfail|' "$log" | cut -d'|' -f2- |
		awk -F'|' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }'
} >"$out/summary.md"
cat "$out/summary.md" | sed 's/^/# /'
