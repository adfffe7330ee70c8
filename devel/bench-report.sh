#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench-report.sh RAW.tsv OUTDIR: turn devel/bench.sh's raw results into
# OUTDIR/bench.md (a table per kernel, also printed), OUTDIR/dram.png and
# OUTDIR/time.png.
set -euo pipefail
raw=${1:?usage: bench-report.sh RAW.tsv OUTDIR}
out=${2:?usage: bench-report.sh RAW.tsv OUTDIR}

# One summary row per kernel/size/driver, tab-separated, in run order:
# kernel gib driver ok/runs dram-MiB-per-GiB capacity-MiB memmap-% waste-MiB
# add(med lo hi) remove(med lo hi) dram-MiB both(med lo hi) block-MiB
# dram-KiB-per-block slab-KiB-per-block percpu-KiB-per-block top-caches
# page-table-KiB-per-block unbind(med lo hi; empty for runs that did not
# time it) runs-kept.  Per GiB is per GiB hot-added: the blocks onlined
# times their size, the device's size wherever it is a whole number of
# blocks (every x86 row; an NVDIMM namespace, arm64 7.3, gives up its
# first block to its own metadata and the alignment).  A run whose device
# the kernel kept (status kept: arm64 7.3 refuses to offline a block with
# its memmap on it) counts for the add and the DRAM, and has no removal:
# its removal columns are empty.
summary=$out/summary.tsv
awk -F'\t' '
function median(list,   n, a, i, j, t) {
	n = split(list, a, " ")
	if (n == 0) return ""
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function lo(list,   n, a, i, m) { n = split(list, a, " "); m = a[1]; for (i = 2; i <= n; i++) if (a[i] + 0 < m + 0) m = a[i]; return m }
function hi(list,   n, a, i, m) { n = split(list, a, " "); m = a[1]; for (i = 2; i <= n; i++) if (a[i] + 0 > m + 0) m = a[i]; return m }
function per_gib(x, gib) { return x == "" ? "" : sprintf("%.4f", x / gib) }
function per_gib3(x, gib) { return x == "" ? "" : sprintf("%.3f", x / gib) }
NR == 1 { next }
{
	key = $1 SUBSEP $2 SUBSEP $3
	if (!(key in runs)) order[++nk] = key
	runs[key]++
	if ($5 == "ok" || $5 == "kept") {
		okn[key]++
		add[key] = add[key] " " $6
		if ($5 == "ok") {
			rem[key] = rem[key] " " $7
			both[key] = both[key] " " ($6 + $7)
			if ($21 != "") unb[key] = unb[key] " " $21
		} else {
			kept[key]++
		}
		bmib[key] = $15; blocks[key] = blocks[key] " " $11
		slab[key] = slab[key] " " $16; pcpu[key] = pcpu[key] " " $17
		pt[key] = pt[key] " " $18
		if ($19 != "") caches[key] = $19
		dram[key] = dram[key] " " $8; total[key] = total[key] " " $9
		unm[key] = unm[key] " " $10
	} else {
		why[key] = $5 ": " $14
	}
}
END {
	for (i = 1; i <= nk; i++) {
		split(order[i], k, SUBSEP)
		key = order[i]; gib = k[2]
		if (okn[key] == 0) {
			printf "%s\t%s\t%s\t0/%d\t\t\t\t\t\t\t\t\t%s\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\n", k[1], gib, k[3], runs[key], why[key]
			continue
		}
		d = median(dram[key]); t = median(total[key]); u = median(unm[key])
		nb = median(blocks[key])
		# GiB hot-added: the blocks onlined, else the device size.
		g = (nb > 0 && bmib[key] > 0) ? nb * bmib[key] / 1024 : gib
		memmap_kb = (u > 0) ? u * 4 : d
		spent_mib = (g * 1048576 - t) / 1024
		extra = spent_mib - ((u > 0) ? g * 16 : 0)
		printf "%s\t%s\t%s\t%d/%d\t%.2f\t%.1f\t%.4f\t%.1f\t%.3f\t%.3f\t%.3f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\t%.1f\t%.1f\t%s\t%.2f\t%s\t%s\t%s\t%d\n",
			k[1], gib, k[3], okn[key], runs[key], d / 1024 / g, spent_mib,
			memmap_kb / (g * 1048576) * 100, extra,
			median(add[key]) / g, lo(add[key]) / g, hi(add[key]) / g,
			per_gib3(median(rem[key]), g), per_gib3(lo(rem[key]), g), per_gib3(hi(rem[key]), g), d / 1024,
			per_gib3(median(both[key]), g), per_gib3(lo(both[key]), g), per_gib3(hi(both[key]), g), bmib[key],
			(nb > 0 ? d / nb : 0), (nb > 0 ? median(slab[key]) / nb : 0),
			(nb > 0 ? median(pcpu[key]) / nb : 0), caches[key],
			(nb > 0 ? median(pt[key]) / nb : 0),
			per_gib(median(unb[key]), g), per_gib(lo(unb[key]), g), per_gib(hi(unb[key]), g),
			kept[key]
	}
}' "$raw" >"$summary"

# ref_of LABEL: the reference of a row label: the in-tree kmem with its
# own switch where the kernel has it (6.9+), else the in-tree kmem.
ref_of() {
	if grep -qP "^$1\t[0-9]+\tkmem-knob\t" "$summary"; then echo kmem-knob; else echo kmem; fi
}

{
	for k in $(cut -f1 "$summary" | uniq); do
		ref=$(ref_of "$k")
		echo "### $k"
		echo
		echo "| GiB | driver | runs ok | DRAM spent, MiB per GiB | DRAM per block, KiB (of it slab, per-cpu, page tables) | device capacity spent, MiB | memmap / device (limit 1.5625 %) | waste beyond memmap, MiB | add+online, s per GiB (min-max) | vs $ref | offline+remove, s per GiB (min-max) | vs $ref | of it the unbind, s per GiB (min-max) | vs $ref | both, s per GiB (min-max) | vs $ref |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
		awk -F'\t' -v k="$k" -v ref="$ref" '
		function ratio(a, b) { return (b > 0 && a != "") ? sprintf("%.2f", a / b) : "-" }
		$1 != k { next }
		$3 == ref && $5 != "" { ra[$2] = $9; rr[$2] = $12; rb[$2] = $16; ru[$2] = $25 }
		{ row[++n] = $0 }
		END {
			for (i = 1; i <= n; i++) {
				split(row[i], f, "\t")
				if (f[5] == "") {
					printf "| %s | %s | %s | - | - | - | - | - | - | - | - | - | - | - | - | - |\n", f[2], f[3], f[4]
					printf "|  | ↳ %s |  |  |  |  |  |  |  |  |  |  |  |  |  |  |\n", f[13]
					continue
				}
				unbind = f[25] == "" ? "-" : sprintf("%s (%s-%s)", f[25], f[26], f[27])
				remove = f[12] == "" ? "-" : sprintf("%s (%s-%s)", f[12], f[13], f[14])
				both = f[16] == "" ? "-" : sprintf("%s (%s-%s)", f[16], f[17], f[18])
				printf "| %s | %s | %s | %s | %s (%s, %s, %s) | %s | %s %% | %s | %s (%s-%s) | %s | %s | %s | %s | %s | %s | %s |\n",
					f[2], f[3], f[4], f[5], f[20], f[21], f[22], f[24], f[6], f[7], f[8],
					f[9], f[10], f[11], ratio(f[9], ra[f[2]]),
					remove, ratio(f[12], rr[f[2]]),
					unbind, ratio(f[25], ru[f[2]]),
					both, ratio(f[16], rb[f[2]])
				if (f[28] > 0)
					printf "|  | ↳ no removal in %d run(s): the kernel would not give the device back with its memmap on it |  |  |  |  |  |  |  |  |  |  |  |  |  |  |\n", f[28]
			}
		}' "$summary"
		echo
		# Where the per-block DRAM goes, for kmem_mom with the memmap on
		# the device at the largest size (slab caches that grew most).
		awk -F'\t' -v k="$k" '$1 == k && $3 == "mom1" && $23 != "" { g = $2; c = $23; b = $19 }
			END { if (g != "") printf "Largest slab growth, mom1 at %s GiB (%s MiB blocks), kB for the whole device: %s\n\n", g, b, c }' "$summary"
	done
	# The targets at a glance: kmem_mom's medians over the reference's,
	# each phase on its own, every kernel and size both ran.
	echo "### kmem_mom against the in-tree kmem: median time over the reference's median"
	echo
	echo "Reference: \`kmem-knob\` where the kernel has it (6.9+), else \`kmem\`; below 1.00 kmem_mom is faster."
	echo
	echo "| kernel | GiB | reference | mom1 add+online | mom1 offline+remove | mom1 of it the unbind | auto add+online | auto offline+remove | auto of it the unbind |"
	echo "|---|---|---|---|---|---|---|---|---|"
	awk -F'\t' '
	function ratio(a, b) { return (b > 0 && a != "") ? sprintf("%.2f", a / b) : "-" }
	$5 == "" { next }
	{ key = $1 SUBSEP $2; if (!(key in seen)) { seen[key]; ord[++n] = key } }
	$3 == "kmem" { ka[key] = $9; kr[key] = $12; ku[key] = $25 }
	$3 == "kmem-knob" { na[key] = $9; nr[key] = $12; nu[key] = $25 }
	$3 == "mom1" || $3 == "auto" { a[key, $3] = $9; r[key, $3] = $12; u[key, $3] = $25 }
	END {
		for (i = 1; i <= n; i++) {
			key = ord[i]; split(key, k, SUBSEP)
			if (key in na) { ref = "kmem-knob"; ba = na[key]; br = nr[key]; bu = nu[key] }
			else if (key in ka) { ref = "kmem"; ba = ka[key]; br = kr[key]; bu = ku[key] }
			else continue
			printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", k[1], k[2], ref,
				ratio(a[key, "mom1"], ba), ratio(r[key, "mom1"], br), ratio(u[key, "mom1"], bu),
				ratio(a[key, "auto"], ba), ratio(r[key, "auto"], br), ratio(u[key, "auto"], bu)
			gm(k[1], 1, a[key, "mom1"], ba); gm(k[1], 2, r[key, "mom1"], br)
			gm(k[1], 3, u[key, "mom1"], bu); gm(k[1], 4, a[key, "auto"], ba)
			gm(k[1], 5, r[key, "auto"], br); gm(k[1], 6, u[key, "auto"], bu)
			if (!(k[1] in kn)) { kn[k[1]]; kord[++nkern] = k[1] }
		}
		for (i = 1; i <= nkern; i++) {
			printf "| %s | all sizes | geometric mean |", kord[i]
			for (c = 1; c <= 6; c++)
				printf " %s |", gcount[kord[i], c] ? sprintf("%.2f", exp(glog[kord[i], c] / gcount[kord[i], c])) : "-"
			printf "\n"
		}
	}
	# One size-independent figure per kernel and column: the geometric
	# mean of the ratios, which weighs 0.8x and 1.25x alike.
	function gm(kern, col, x, base) {
		if (x == "" || base <= 0 || x <= 0) return
		glog[kern, col] += log(x / base); gcount[kern, col]++
	}' "$summary"
	echo
	# Scale the per-block cost measured at each kernel's largest size up to
	# a 16 TiB device: per-block DRAM times the blocks it would have at the
	# same block size; the memmap in RAM scales by DRAM per GiB.
	echo "### What a 16 TiB device would spend in DRAM (from the largest size measured)"
	echo
	echo "| kernel | block, MiB | blocks | mom1: KiB per block (measured at GiB) | mom1 | kmem-knob | memmap in RAM (kmem) |"
	echo "|---|---|---|---|---|---|---|"
	awk -F'\t' '
	$5 == "" { next }
	$3 == "mom1" { g[$1] = $2; b[$1] = $19; pb[$1] = $20; if (!($1 in seen)) { seen[$1]; ord[++n] = $1 } }
	$3 == "kmem-knob" { kb[$1] = $20 }
	$3 == "kmem" { km[$1] = $5 }
	END {
		for (i = 1; i <= n; i++) {
			k = ord[i]; nb = 16 * 1048576 / b[k]
			printf "| %s | %s | %d | %.1f (%s) | %.2f GiB | %s | %s |\n", k, b[k], nb, pb[k], g[k],
				nb * pb[k] / 1048576,
				(k in kb) ? sprintf("%.2f GiB", nb * kb[k] / 1048576) : "-",
				(k in km) ? sprintf("%.0f GiB", km[k] * 16) : "-"
		}
	}' "$summary"
	echo
	cat <<'EOT'
Drivers: `kmem` = in-tree kmem (memmap in system RAM); `kmem-knob` = in-tree
kmem with its own `daxX.Y/memmap_on_memory=1` (6.9+); `mom0`/`mom1`/`auto` =
kmem_mom with `memmap_on_memory=0/1/auto` (soft-reserved memory without
HMAT: `auto` chooses the device, and says why in the guest log).  DRAM spent = node0 MemFree + per-cpu
free pages before minus after the hot-add, caches dropped.  Capacity spent =
device size minus node1 MemTotal.  DRAM per block = DRAM spent over the
memory blocks onlined; slab and per-cpu = node0's Slab and Percpu grown by
the hot-add, over the same blocks; page tables = those of the direct map's
growth, from /proc/meminfo's DirectMap4k/2M/1G (the vmemmap's own tables
add 4 KiB per 64 GiB; the rest is pages no counter names).  Both = add+online plus offline+remove of the same
run.  Waste beyond memmap = capacity spent minus
the 16 MiB per GiB memmap when it is on the device (goal 0).  Times are TCG
wall clock: compare the ratios, not the seconds.

arm64 (`A612`, `A73`): 6.12's device is soft-reserved memory, 7.3's an
NVDIMM devdax namespace, whose first block goes to its own metadata and
the alignment (7 of 8 blocks at 1 GiB, 31 of 32 at 4 GiB): per GiB there
is per GiB hot-added.  Page tables there are the linear map's, computed
from the blocks added (Debian's arm64 kernels map hot-added memory page
by page: 4 KiB per 2 MiB, 256 KiB per 128 MiB block, whatever the
memmap's placement); no counter holds them, and DRAM spent includes them.
arm64 7.3 does not give back a device whose memmap is on it: such runs
(`kmem-knob`, `mom1`, and `auto` over its RAM budget) have no removal and
get a guest each, one add in each, the first bind after boot; their
ratios are to each other.  `kmem` and `mom0` (and `auto` at 1 GiB, which
keeps the memmap in RAM there) share another guest, so their "vs
kmem-knob" compares two guests.
EOT
} >"$out/bench.md"
cat "$out/bench.md"

# DRAM spent vs device size, one panel per kernel, failed runs left out.
command -v gnuplot >/dev/null || exit 0
plot=$out/plot.gp

# multiplot PNG TITLE: a grid of one panel per row label of the summary,
# three to a row.
multiplot() {
	local panels cols rows
	panels=$(cut -f1 "$summary" | uniq | wc -l)
	cols=$((panels < 3 ? panels : 3)) rows=$(((panels + 2) / 3))
	echo "set terminal pngcairo noenhanced size $((cols * 460)),$((rows * 380 + 40)) font ',10'"
	echo "set output '$1'"
	echo "set multiplot layout $rows,$cols title '$2'"
}

{
	multiplot "$out/dram.png" 'DRAM spent by hot-adding the device (guest with 1 GiB of DRAM; log-log); memmap is 16 MiB per GiB'
	echo "set logscale xy 2; set grid; set key top left Left reverse"
	echo "set xlabel 'device GiB'; set ylabel 'MiB of DRAM'; set yrange [0.0625:*]"
	for k in $(cut -f1 "$summary" | uniq); do
		echo "set title '$k'"
		awk -F'\t' -v k="$k" '$1 == k { if (!n++ || $2 < lo) lo = $2; if ($2 > hi) hi = $2 }
			END { printf "set xrange [%g:%g]\n", lo / 2, hi * 2 }' "$summary"
		printf 'plot '
		sep=
		# A driver keeps its colour and mark in every panel.
		lt=0
		for d in kmem kmem-knob mom0 mom1 auto; do
			lt=$((lt + 1))
			grep -qP "^$k\t[0-9]+\t$d\t[0-9]+/[0-9]+\t[0-9]" "$summary" || continue
			awk -F'\t' -v k="$k" -v d="$d" '$1 == k && $3 == d && $5 != "" { print $2, ($15 > 0.0625 ? $15 : 0.0625) }' \
				"$summary" >"$out/plot-$k-$d.dat"
			printf "%s'%s' with linespoints lt %d lw 2 title '%s'" "$sep" "$out/plot-$k-$d.dat" "$lt" "$d"
			sep=', '
		done
		# Runs that never finished, drawn where their memmap would be.
		awk -F'\t' -v k="$k" '$1 == k && $5 == "" { print $2, $2 * 16 }' "$summary" >"$out/plot-$k-died.dat"
		[ -s "$out/plot-$k-died.dat" ] &&
			printf "%s'%s' with points pt 2 ps 2.5 lw 2 lc rgb 'black' title 'no result (memmap > DRAM)'" \
				"$sep" "$out/plot-$k-died.dat"
		echo
	done
	echo "unset multiplot"
} >"$plot"
gnuplot "$plot"
rm -f "$out"/plot-*.dat "$plot"

# Time against the target: kmem_mom's median over the reference's, per
# phase and size, one panel per kernel; the bars are kmem_mom's fastest and
# slowest run over the same reference median, i.e. the spread the ratio
# is read against.
{
	multiplot "$out/time.png" 'kmem_mom (memmap_on_memory=1) time over the reference (kmem-knob 6.9+, else kmem): median, bars min-max of runs'
	echo "set logscale x 2; set grid; set key top right; set yrange [0:2.5]"
	echo "set xlabel 'device GiB'; set ylabel 'time / reference median'"
	for k in $(cut -f1 "$summary" | uniq); do
		ref=$(ref_of "$k")
		awk -F'\t' -v k="$k" -v ref="$ref" '
			$1 != k || $5 == "" { next }
			$3 == ref { ra[$2] = $9; rr[$2] = $12 }
			$3 == "mom1" { g[++n] = $2; a[$2] = $9 " " $10 " " $11; r[$2] = $12 " " $13 " " $14 }
			END {
				for (i = 1; i <= n; i++) {
					x = g[i]
					if (!(x in ra)) continue
					split(a[x], pa, " "); split(r[x], pr, " ")
					printf "%s %.3f %.3f %.3f", x, pa[1] / ra[x], pa[2] / ra[x], pa[3] / ra[x]
					# No removal (a device the kernel kept): no point.
					if (pr[1] != "" && rr[x] > 0)
						printf " %.3f %.3f %.3f\n", pr[1] / rr[x], pr[2] / rr[x], pr[3] / rr[x]
					else
						printf " NaN NaN NaN\n"
				}
			}' "$summary" >"$out/plot-$k-ratio.dat"
		echo "set title '$k against $ref'"
		awk 'NR == 1 { lo = hi = $1 } $1 < lo { lo = $1 } $1 > hi { hi = $1 }
			END { if (NR) printf "set xrange [%g:%g]\n", lo / 2, hi * 2 }' "$out/plot-$k-ratio.dat"
		if [ -s "$out/plot-$k-ratio.dat" ]; then
			printf "plot 1 with lines lc rgb 'black' dt 2 notitle, "
			printf "'%s' using (\$1*0.93):2:3:4 with yerrorlines lw 2 title 'add+online', " "$out/plot-$k-ratio.dat"
			printf "'%s' using (\$1*1.07):5:6:7 with yerrorlines lw 2 title 'offline+remove'\n" "$out/plot-$k-ratio.dat"
		else
			echo "set label 1 'no reference in this run' at graph 0.5,0.5 center; plot 1 with lines lc rgb 'black' dt 2 notitle; unset label 1"
		fi
	done
	echo "unset multiplot"
} >"$plot"
gnuplot "$plot"
rm -f "$out"/plot-*.dat "$plot"
