#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: what the memmap costs with the in-tree kmem and with kmem_mom,
# in the same guests, on Debian's 6.1, 6.12 and 7.3.
#   bench.sh [--kernels "K61 K612 K73"] [--sizes "1 4 16 64"] [--scale 256]
#            [--reps 3] [--out DIR] [--smoke]
# Up to 16 GiB one QEMU guest per kernel and size runs every driver; larger
# sizes get a guest per driver (a driver that exhausts DRAM may take its
# guest down).  Node0 always has 1 GiB of DRAM; node1 is a
# sparse soft-reserved device.  Prints a markdown table per kernel, writes
# raw.tsv, bench.md and dram.png (gnuplot) to DIR (default results/latest).
# Asserts nothing about timings; --smoke (1 GiB, 6.12, one rep) only checks
# that the pipeline produces its table.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# Same idempotent set-up as make check, so a fresh machine can run this alone.
"$KMM_TOP/scripts/setup.sh" >/dev/null
kmm_kernels_env

kernels="K61 K612 K73" sizes="1 4 16 64" scale=256 reps=3
out=$KMM_TOP/results/latest smoke=
while [ $# -gt 0 ]; do
	case $1 in
	--kernels) kernels=$2; shift 2 ;;
	--sizes) sizes=$2; shift 2 ;;
	--scale) scale=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--smoke) smoke=1 kernels=K612 sizes=1 scale= reps=1
		out=$KMM_TOP/build/bench-smoke; shift ;;
	*) kmm_die "unknown argument $1" ;;
	esac
done
mkdir -p "$out"
work=$KMM_TOP/build/bench
mkdir -p "$work"
raw=$out/raw.tsv
printf 'kernel\tgib\tdriver\trep\tstatus\tadd_s\tremove_s\tdram_kb\tnode1_total_kb\tunmanaged_pages\tonline_blocks\tmemmap_pages\tdram_left_kb\twhy\n' >"$raw"

for kname in $kernels; do
	kver=${!kname}
	ov=$("$KMM_TOP/scripts/stage.sh" "$kver")
	rootfs=$(kmm_rootfs_for "$kver")
	drivers="kmem mom0 mom1 auto"
	# The in-tree kmem's own per-device switch exists from 6.9.
	kmm_kver_at_least "$kver" 6.9 && drivers="kmem kmem-knob mom0 mom1 auto"
	for gib in $sizes $scale; do
		r=$reps
		[ "$gib" -ge 64 ] && r=$(((reps + 1) / 2))
		[ "$gib" -ge 128 ] && r=1
		# Up to 16 GiB every driver runs in the same guest, interleaved;
		# beyond, the memmap in RAM outgrows node0 and the in-tree kmem
		# can take its guest down, so each driver gets a guest of its own.
		groups=("$drivers")
		[ "$gib" -gt 16 ] && read -r -a groups <<<"$drivers"
		for drv in "${groups[@]}"; do
			o=$work/$kver-$gib-${drv// /+}
			kmm_log "$kver: $gib GiB, $drv, $r run(s)"
			KMM_BENCH_GIB=$gib "$KMM_TOP/tests/boot-guest.sh" --kernel "$kver" \
				--device bench --rootfs "$rootfs" --script tests/guest/bench.sh \
				--overlay "$ov" --allow-alloc-failures --timeout $((600 + gib * 6)) \
				--append "memory_hotplug.memmap_on_memory=1 KMM_BENCH_REPS=$r KMM_BENCH_DRIVERS=${drv// /,}" \
				--out "$o" >"$o.tap" 2>"$o.err" || true
			if grep -q '^# RESULT ' "$o.tap"; then
				sed -n 's/^# RESULT //p' "$o.tap" | awk -v k="$kname" '{
					for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = substr($i, length(kv[1]) + 2) }
					printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k, v["gib"],
						v["driver"], v["rep"], v["status"], v["add_s"], v["remove_s"], v["dram_kb"],
						v["node1_total_kb"], v["unmanaged_pages"], v["online_blocks"],
						v["memmap_pages"], v["dram_left_kb"], v["why"] }' >>"$raw"
			else
				# No result: the guest died.  Say how, from its console.
				why=$(grep -m1 -E 'WARNING:|BUG:|Kernel panic|Out of memory' "$o/console.log" 2>/dev/null |
					sed 's/^\[[^]]*\] //; s/[[:space:]]\+/_/g' || true)
				printf '%s\t%s\t%s\t1\tguest-died\t-\t-\t-\t-\t-\t-\t-\t-\t%s\n' \
					"$kname" "$gib" "$drv" "${why:-timeout}" >>"$raw"
			fi
		done
	done
done

"$KMM_TOP/scripts/bench-report.sh" "$raw" "$out"
[ -n "$smoke" ] || {
	{
		echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
		for kname in $kernels; do echo "$kname: ${!kname}"; done
		echo "qemu: $(qemu-system-x86_64 --version | head -n1)"
		echo "guest: -accel tcg -cpu max -smp 2; node0 1 GiB DRAM; node1 sparse soft-reserved (memmap=%)"
		echo "reps: $reps (64 GiB: $(((reps + 1) / 2)), >= 128 GiB: 1)"
	} >"$out/env.txt"
}
