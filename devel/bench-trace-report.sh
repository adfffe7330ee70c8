#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench-trace-report.sh TRACE.tsv: the markdown tables of
# devel/bench-trace.sh on stdout, one per kernel and size.  A row is a
# phase's function (or "wall": the phase as the user waits for it;
# "daxctl": daxctl's lifetime; "daxctl-children": the processes daxctl
# started; "sys:NAME": daxctl in that system call; "daxctl-user": daxctl
# outside the kernel; "exec:NAME": programs run); a cell is the median over the runs of its time in ms (min-max)
# and of its calls.  A function a run did not reach counts as 0 there.
# Rows under 0.5 ms for every driver are left out.
set -euo pipefail
tsv=${1:?usage: bench-trace-report.sh TRACE.tsv}

awk -F'\t' '
function sorted(list, a,   n, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n
}
function median(list,   a, n) {
	n = sorted(list, a)
	return n ? ((n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2) : 0
}
function span(list,   a, n) {
	n = sorted(list, a)
	return sprintf("%.1f-%.1f", a[1] / 1000, a[n] / 1000)
}
NR == 1 { next }
{
	kg = $1 " " $2
	if (!(kg in seen)) { seen[kg] = 1; kgs[++nkg] = kg }
	if (!((kg, $3) in hasdrv)) { hasdrv[kg, $3] = 1; drvs[kg] = drvs[kg] " " $3 }
	if ($6 == "wall") reps[kg, $3] = reps[kg, $3] " " $4
	row = $5 "|" $6
	if (!((kg, row) in hasrow)) { hasrow[kg, row] = 1; rows[kg] = rows[kg] "\n" row }
	us[kg, $3, $4, row] = $8; calls[kg, $3, $4, row] = $7
}
END {
	for (i = 1; i <= nkg; i++) {
		kg = kgs[i]; split(kg, g, " ")
		nd = split(drvs[kg], d, " ")
		printf "### %s, %s GiB: median ms (min-max) [calls] over the runs\n\n", g[1], g[2]
		printf "| phase | function |"
		for (j = 1; j <= nd; j++) printf " %s |", d[j]
		printf "\n|---|---|"
		for (j = 1; j <= nd; j++) printf "---|"
		printf "\n"
		nr = split(rows[kg], r, "\n")
		# Order: add before remove, wall and daxctl first, then by
		# the largest median.
		n = 0
		for (k = 1; k <= nr; k++) {
			if (r[k] == "") continue
			split(r[k], pf, "|")
			big = 0
			for (j = 1; j <= nd; j++) {
				t = ""; c = ""
				nrep = split(reps[kg, d[j]], rp, " ")
				for (q = 1; q <= nrep; q++) {
					t = t " " ((kg, d[j], rp[q], r[k]) in us ? us[kg, d[j], rp[q], r[k]] : 0)
					c = c " " ((kg, d[j], rp[q], r[k]) in calls ? calls[kg, d[j], rp[q], r[k]] : 0)
				}
				m = median(t)
				cell[r[k], j] = nrep ? sprintf("%.1f (%s) [%g]", m / 1000, span(t), median(c)) : "-"
				if (m > big) big = m
			}
			if (big < 500 && pf[2] !~ /^(wall|daxctl|exec:)/) continue
			rank = (pf[1] == "add" ? 0 : 1) * 1e12
			rank += (pf[2] ~ /^(wall|daxctl)/) ? length(pf[2]) : 1e11 - big
			key[++n] = sprintf("%020.0f %s", rank, r[k])
		}
		m = sorted_keys(key, n)
		for (k = 1; k <= n; k++) {
			row = substr(key[k], 22); split(row, pf, "|")
			printf "| %s | %s |", pf[1], pf[2]
			for (j = 1; j <= nd; j++) printf " %s |", cell[row, j]
			printf "\n"
		}
		printf "\n"
		delete key
	}
}
function sorted_keys(a, n,   i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n
}' "$tsv"
