#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make stress: the reliability suite at full length on Debian's 6.1, 6.12
# and 7.3 (tests/run.sh -S stress): 200 devdax <-> system-ram cycles, data
# integrity across hot-remove, hot-add/remove under stress-ng, faults
# (refused offline, add failure at every block, concurrent binds, rmmod
# while bound), hostile input and an unprivileged user, the memmap-too-big
# regression, the kernel's own memory-hotplug selftest, and the online-policy
# matrix (every driver, policy, placement and device).
#   stress.sh [-k KVER]... [-s SCENARIO]...   (passed on to tests/run.sh)
#   stress.sh -s arm64-packages   (only the arm64 packages run below)
# Without arguments it also runs devel/arm64-pkg-check.sh after the guest
# suite: the packages installed with apt on an arm64 Debian 12 root in an
# arm64 6.12 guest, DKMS building the module natively under TCG (9 to
# 11 minutes; too long for make check's package stage), the packaged
# module bound to an NVDIMM and given back, apt remove; its timings go to
# results/stress/arm64-packages.md.
#   stress.sh --report   (rebuild results/stress/*.md from the stored rows)
# TAP on stdout; the last line is "N passed, N failed".  Each kernel's rows
# of each table are stored in results/stress/<kver>.{summary,policy,sizes,
# tables}, every row with the commit it ran at; a later run replaces the
# rows of the cases it ran and keeps the others, and the tables
# (summary.md, policy.md, sizes.md, tables.md) are rebuilt from them.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

t0=$(date +%s)
out=$KMM_TOP/results/stress
[ $# = 0 ] || KMM_STRESS_ARGS_GIVEN=1
if [ "${1:-}" = --report ]; then
	report_only=1
else
	report_only=0
	log=$KMM_TOP/build/stress.log
	mkdir -p "$KMM_TOP/build"
	"$KMM_TOP/devel/setup.sh" >"$KMM_TOP/build/stress-setup.log" 2>&1 ||
		kmm_tap_abort "setup (devel/setup.sh)" "$KMM_TOP/build/stress-setup.log"
	# The arm64 packages: with no arguments, or asked for by name (-s
	# arm64-packages, which tests/run.sh does not know).
	pkg=0 guests=1 args=()
	[ $# = 0 ] && pkg=1
	while [ $# -gt 0 ]; do
		if [ "$1" = -s ] && [ "${2:-}" = arm64-packages ]; then
			pkg=1
			shift 2
			continue
		fi
		args+=("$1")
		shift
	done
	[ "$pkg" = 1 ] && [ ${#args[@]} = 0 ] && [ -n "${KMM_STRESS_ARGS_GIVEN:-}" ] && guests=0
	nguest=0 npkg=0
	if [ "$guests" = 1 ]; then
		nguest=$("$KMM_TOP/tests/run.sh" -S stress ${args[@]+"${args[@]}"} -l | wc -l)
	fi
	[ "$pkg" = 0 ] || npkg=$("$KMM_TOP/devel/arm64-pkg-check.sh" --plan)
	plan=$((nguest + npkg))
	# One plan for both: tests/run.sh's own header lines go, the package
	# run's unnumbered lines are numbered on from the guest suite's plan.
	{
		echo "TAP version 13"
		echo "1..$plan"
		if [ "$guests" = 1 ]; then
			"$KMM_TOP/tests/run.sh" -S stress ${args[@]+"${args[@]}"} | grep -v '^TAP version\|^1\.\.[0-9]*$'
		fi
		if [ "$pkg" = 1 ]; then
			KMM_TAP_BARE=1 "$KMM_TOP/devel/arm64-pkg-check.sh" | awk -v n="$nguest" '
				/^ok - / { print "ok " ++n " - " substr($0, 6); next }
				/^not ok - / { print "not ok " ++n " - " substr($0, 10); next }
				{ print }'
		fi
	} | tee "$log"
	pass=$(grep -c '^ok ' "$log")
	fail=$(grep -c '^not ok ' "$log")
	# A planned test that never reported counts as failed.
	[ $((pass + fail)) -ge "$plan" ] || fail=$((plan - pass))
	if [ "$pkg" = 1 ] && [ -f "$KMM_TOP/build/arm64-pkg/times" ]; then
		mkdir -p "$out"
		{
			echo "# make stress: the packages on arm64"
			echo
			echo "devel/arm64-pkg-check.sh, $(date -u +%F), at commit" \
				"$(git -C "$KMM_TOP" rev-parse --short=12 HEAD 2>/dev/null || echo unknown):" \
				"$(grep -c '^ok .* - arm64 packages: ' "$log") of $npkg passed."
			echo "Seconds of wall time on this host (QEMU TCG, 2 vCPUs, arm64 6.12):"
			echo
			echo "| step | s |"
			echo "|---|---|"
			sed 's/^\([^ ]*\) \(.*\)$/| \1 | \2 |/' "$KMM_TOP/build/arm64-pkg/times"
		} >"$out/arm64-packages.md"
	fi
fi

# store EXT NKEY: this run's rows of build/EXT-stress.md for kernel $k, each
# ending in the commit it ran at, merged into $out/$k.EXT (line 1: the last
# run; 2-3: the table's header; then the rows).  A row replaces the stored
# one of the same case (the same first NKEY columns) in its place; rows of
# cases this run did not touch stay, with their own commits; rows of an
# older table layout (another column count) are dropped, and said so.
store() {
	local nkey=$2 file=$out/$k.$1 new dropped
	local table=$KMM_TOP/build/$1-stress.md

	new=$(grep -F "| $k |" "$table" | sed "s/\$/ $commit |/") || return 0
	{
		echo "$k: last run $day at commit $commit: $kpass guest runs passed, $kfail failed"
		head -n 2 "$table" | sed '1s/$/ commit |/; 2s/$/---|/'
		if [ ! -f "$file" ]; then
			echo "$new"
		else
			tail -n +4 "$file" | NEWROWS=$new awk -F'|' -v n="$nkey" '
			function key(line,   c, i, s) {
				split(line, c, "|")
				for (i = 2; i <= n + 1; i++)
					s = s "|" c[i]
				return s
			}
			BEGIN {
				cnt = split(ENVIRON["NEWROWS"], r, "\n")
				for (i = 1; i <= cnt; i++) {
					k = key(r[i]); row[k] = r[i]; order[i] = k
				}
				nf = split(r[1], tmp, "|")
			}
			NF != nf { dropped++; next }
			key($0) in row { if (!(key($0) in used)) print row[key($0)]; used[key($0)] = 1; next }
			{ print }
			END {
				for (i = 1; i <= cnt; i++)
					if (!(order[i] in used)) { print row[order[i]]; used[order[i]] = 1 }
				if (dropped)
					printf "%d\n", dropped >"/dev/stderr"
			}' 2>"$file.dropped"
		fi
	} >"$file.new"
	dropped=$(cat "$file.dropped" 2>/dev/null)
	[ -z "$dropped" ] || echo "# $k: $dropped stored rows of ${file#"$KMM_TOP"/} were of an older table layout: dropped"
	rm -f "$file.dropped"
	mv "$file.new" "$file"
}

if [ "$report_only" = 0 ]; then
	mkdir -p "$out"
	kmm_kernels_env
	day=$(date -u +%Y-%m-%d)
	# What the rows describe: the tree they ran from.
	commit=$(git -C "$KMM_TOP" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
	[ -z "$(git -C "$KMM_TOP" status --porcelain -- kmem_mom include Kbuild tests tools scripts devel 2>/dev/null)" ] ||
		commit="$commit+changes"
	for k in $K61 $K612 $K73; do
		kpass=$(grep -c "^ok [0-9]* - $k " "$log")
		kfail=$(grep -c "^not ok [0-9]* - $k " "$log")
		[ $((kpass + kfail)) -gt 0 ] || continue
		# The cases: a check and its kernel; a device, size, blocks, boot
		# parameter, driver, policy and placement; a driver of a device.
		store summary 2
		store policy 8
		store sizes 8
		store tables 4
	done
fi

# kernel_rows EXT: each kernel's last run line, then the table: the header
# and rows of every kernel's $out/KVER.EXT, kernels in version order.
kernel_rows() {
	local files k

	files=$(ls "$out"/*."$1" 2>/dev/null | sort -V)
	[ -n "$files" ] || return 0
	echo "Each kernel's last run; each row ends in the commit it ran at."
	echo
	for k in $files; do
		echo "- $(head -n 1 "$k")"
	done
	echo
	sed -n '2,3p' "$(echo "$files" | head -n 1)"
	for k in $files; do
		tail -n +4 "$k"
	done
}
{
	echo "# make stress"
	echo
	echo "QEMU TCG, 2 vCPUs; every guest booted with panic_on_warn=1 oops=panic and"
	echo "its console scanned for WARNING/BUG/Oops/Call Trace.  Drift: MemTotal (kB),"
	echo "/proc/iomem, the memory block list and kmem_mom's counters (lines differing"
	echo "from the baseline), unreclaimable slab (kB, noise)."
	echo
	kernel_rows summary
} >"$out/summary.md"
{
	echo "# make stress: the online-policy matrix"
	echo
	echo "tests/guest/policy.sh under every online policy, unpinned, with udevd"
	echo "binding devices: the in-tree kmem (kmem), kmem_mom (mom) and kmem_mom"
	echo "online=movable (movable); memmap on the device, fallback (booted without"
	echo "memory_hotplug.memmap_on_memory) and memmap_on_memory=0 (ram).  Give-back"
	echo "'stuck' is the honest refusal where the kernel pinned a ZONE_NORMAL block."
	echo
	kernel_rows policy
} >"$out/policy.md"
{
	echo "# make stress: real sizes"
	echo
	echo "tests/guest/policy.sh at 72 and 512 GiB (sparse) of soft-reserved memory"
	echo "(hmem) and pmem, and a 72 GiB CXL region above all boot RAM, with 128 MiB"
	echo "and with 2 GiB blocks (65 GiB of boot RAM), under the online policy each"
	echo "kernel boots with (6.1 also with memhp_default_state=online), with the boot"
	echo "parameter memory_hotplug.memmap_on_memory on and off; the in-tree kmem"
	echo "(knob: with its own daxX.Y/memmap_on_memory=1), kmem_mom, and kmem_mom"
	echo "online=movable, in the same guests.  'first blocks': blocks kmem_mom added"
	echo "first for the page tables and section roots of their memmap.  Give-back"
	echo "'stuck' is the honest refusal where the kernel pinned a ZONE_NORMAL block"
	echo "(7.x: the node's kswapd), the in-tree kmem's as kmem_mom's."
	echo
	kernel_rows sizes
} >"$out/sizes.md"
{
	echo "# make stress: where the memmap's page tables land"
	echo
	echo "tests/guest/tables.sh: a 72 GiB soft-reserved device bound under the online"
	echo "policy as booted (6.1 with memhp_default_state=online), memmap on the device;"
	echo "return probes on vmemmap_alloc_block() and sparse_index_alloc() record every"
	echo "page-table page of the vmemmap and every mem_section root allocated during"
	echo "the bind, each looked up in the device's physical range.  One driver a guest:"
	echo "the roots a bind makes are never freed."
	echo
	kernel_rows tables
} >"$out/tables.md"
[ "$report_only" = 0 ] || exit 0
echo "# $((($(date +%s) - t0) / 60)) min; summary in ${out#"$KMM_TOP"/}/summary.md"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
