#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Does each committed result describe the module as it is now?  For every
# results/**/*.md but the index, one TAP line:
#   - the commits it ran at are those it names: "commit X", "commit: X",
#     "module of X", "module and tests of X", "unchanged since X", the
#     column of a table headed "commit", and the same in env.txt beside it or one
#     directory up (the bench and trace reports' run records);
#   - the module is what the build compiles: kmem_mom/, include/,
#     scripts/conftest.sh, scripts/probes/ and Kbuild (its comments aside);
#   - results/README.md (the index) has a row for the file whose state is
#     "current" when every commit has HEAD's module, or begins "older
#     module" when one does not (the row then says why it is kept);
#   - where the index says "x86 objects identical to the module of X", a
#     commit with X's module counts as HEAD's when devel/module-equiv.sh X
#     finds HEAD's x86 module the same code, section for section (run here:
#     one more line per kernel).
# A file that names no commit, a commit git cannot resolve or a tree with
# uncommitted changes ("+changes", "-dirty") fails, as does a row whose
# state is wrong either way.  One more line: the index lists no file that
# is gone.
#   results-check.sh [--plan]
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

index=results/README.md
files=$(find results -name '*.md' ! -path "$index" | LC_ALL=C sort)
# The module the x86 objects are declared identical to, if any.
equiv=$(grep -oE 'x86 objects identical to the module of [0-9a-f]{7,40}' "$index" |
	grep -oE '[0-9a-f]+$' | head -n1)
if [ "${1:-}" = --plan ]; then
	extra=0
	[ -z "$equiv" ] || extra=$("$top/devel/module-equiv.sh" "$equiv" --plan)
	echo $(($(echo "$files" | grep -c .) + 1 + extra))
	exit 0
fi

# A shallow clone lacks the commits results name: fetch them if it can.
if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
	git fetch -q --unshallow 2>/dev/null ||
		echo "# a shallow clone, and 'git fetch --unshallow' failed: older commits cannot be resolved"
fi

module_paths=(kmem_mom include scripts/conftest.sh scripts/probes)
# module_changes SHA: the module's files that differ between SHA and HEAD
# (Kbuild only if more than its comments); none: the same module.
module_changes() {
	git diff --name-only "$1" HEAD -- "${module_paths[@]}"
	git diff --quiet -I '^#' "$1" HEAD -- Kbuild || echo Kbuild
}

# named_commits FILE...: every commit the files name, one per line.
named_commits() {
	local f

	grep -hoIE '(commit:?|module (and tests )?of|unchanged since) +[0-9a-f]{7,40}(\+changes|-dirty)?' \
		"$@" | grep -oE '[0-9a-f]{7,40}(\+changes|-dirty)?$'
	# Markdown tables with a "commit" column.
	for f in "$@"; do
		awk -F'|' '/^\|/ && !c { for (i = 2; i < NF; i++) { h = $i; gsub(/ /, "", h)
							if (h == "commit") c = i } next }
			   /^\|---/ { next }
			   /^\|/ && c { v = $c; gsub(/ /, "", v); print v }
			   !/^\|/ { c = 0 }' "$f"
	done
}

# The index's rows: each file (relative to results/), a tab, its state.
index_rows=$(awk -F'|' '/^\| \[/ { n = $2; sub(/^ *\[/, "", n); sub(/\].*/, "", n)
				s = $(NF - 1); sub(/^ */, "", s); sub(/ *$/, "", s)
				print n "\t" s }' "$index")

pass=0
fail=0
# same_code SHA: SHA's module is the equivalence base's, whose x86 objects
# module-equiv.sh found identical to HEAD's.
same_code() {
	[ -n "$equiv" ] && [ "$equiv_ok" = 1 ] || return 1
	[ -z "$(git diff --name-only "$1" "$equiv" -- "${module_paths[@]}")" ] &&
		git diff --quiet -I '^#' "$1" "$equiv" -- Kbuild
}
point() { # point ok|not-ok DESCRIPTION [DETAIL...]
	if [ "$1" = ok ]; then
		echo "ok - $2"
		pass=$((pass + 1))
	else
		echo "not ok - $2"
		shift 2
		printf '# %s\n' "$@"
		fail=$((fail + 1))
	fi
}

equiv_ok=0
if [ -n "$equiv" ]; then
	equiv_log=$top/build/module-equiv.log
	mkdir -p "${equiv_log%/*}"
	"$top/devel/module-equiv.sh" "$equiv" >"$equiv_log" 2>&1 && equiv_ok=1
	got=0
	while IFS= read -r line; do
		got=$((got + 1))
		case $line in
		"ok - "*) point ok "${line#ok - }" ;;
		"not ok - "*) point not-ok "${line#not ok - }" "log: $equiv_log" ;;
		*) got=$((got - 1)) ;;
		esac
	done <"$equiv_log"
	# A run that died early still answers for every kernel of its plan.
	while [ "$got" -lt "$("$top/devel/module-equiv.sh" "$equiv" --plan)" ]; do
		got=$((got + 1))
		equiv_ok=0
		point not-ok "module-equiv.sh $equiv: kernel $got reported" "$(tail -n 3 "$equiv_log")"
	done
fi

for f in $files; do
	d=$(dirname "$f")
	sources=("$f")
	for e in "$d/env.txt" "$(dirname "$d")/env.txt"; do
		[ -f "$e" ] && sources+=("$e")
	done
	commits=$(named_commits "${sources[@]}" | grep -E '^[0-9a-f]{7,40}' | LC_ALL=C sort -u)
	state=$(awk -F'\t' -v f="${f#results/}" '$1 == f { print $2 }' <<<"$index_rows")
	old=()
	bad=()
	via=
	for c in $commits; do
		case $c in
		*+changes | *-dirty) bad+=("$c: ran from a tree with uncommitted changes") ;;
		*)
			if ! git rev-parse -q --verify "$c^{commit}" >/dev/null; then
				bad+=("$c: not a commit of this repository")
			elif [ -n "$(module_changes "$c")" ]; then
				if same_code "$c"; then
					via=" (x86 objects identical to HEAD's)"
				else
					old+=("$c")
				fi
			fi
			;;
		esac
	done
	named=$(tr "\n" " " <<<"$commits")
	named=${named% }
	if [ -z "$commits" ]; then
		point not-ok "$f names the commit it ran at" "no commit named (see ${0##*/})"
	elif [ ${#bad[@]} -gt 0 ]; then
		point not-ok "$f names commits of this repository" "${bad[@]}"
	elif [ -z "$state" ]; then
		point not-ok "$f is in $index" "no row for ${f#results/}"
	elif [ ${#old[@]} -eq 0 ] && [ "$state" = current ]; then
		point ok "$f: the module of HEAD ($named)$via"
	elif [ ${#old[@]} -gt 0 ] && [ "${state#older module}" != "$state" ]; then
		point ok "$f: older module (${old[*]}), and $index says so"
	elif [ ${#old[@]} -gt 0 ]; then
		point not-ok "$f describes the module of HEAD" \
			"${old[*]}: the module differs from HEAD's in: $(for c in "${old[@]}"; do
				module_changes "$c"
			done | sort -u | tr '\n' ' ')" \
			"re-run it, or mark its row in $index 'older module: why it is kept'"
	else
		point not-ok "$f: its row in $index says '$state'" \
			"every commit it names ($named) has HEAD's module: the state is 'current'"
	fi
done

gone=$(cut -f1 <<<"$index_rows" | while read -r n; do [ -f "results/$n" ] || echo "$n"; done)
if [ -z "$gone" ]; then
	point ok "$index lists only files that exist"
else
	point not-ok "$index lists only files that exist" "$(tr "\n" " " <<<"$gone")"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
