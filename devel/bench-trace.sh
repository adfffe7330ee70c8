#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench-trace: where a bind and an unbind spend their time, kmem_mom
# next to the in-tree kmem, from function_graph traces taken inside the
# guests (tests/guest/bench-trace.sh).
#   bench-trace.sh [--kernels "K61 K612 K73"] [--sizes "1 4"] [--reps 5]
#                  [--drivers LIST] [--out DIR]
# One guest per kernel and size runs the drivers interleaved: on 6.1 the
# in-tree kmem (no per-device switch there) and kmem_mom with the memmap
# in RAM and on the device; from 6.9 kmem-knob and kmem_mom's mom1 as well.
# Writes DIR/trace.tsv and DIR/trace.md (default results/latest): per
# phase and function, the median over the runs of its calls and time.
# Times are under the tracer, which slows the hooked functions a little;
# the drivers are measured alike.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
"$KMM_TOP/devel/setup.sh" >/dev/null
kmm_kernels_env

kernels="K61 K612 K73" sizes="1 4" reps=5 drivers='' out=$KMM_TOP/results/latest
while [ $# -gt 0 ]; do
	case $1 in
	--kernels) kernels=$2; shift 2 ;;
	--sizes) sizes=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--drivers) drivers=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) kmm_die "unknown argument $1" ;;
	esac
done
mkdir -p "$out" "$KMM_TOP/build/bench-trace"
tsv=$out/trace.tsv
fields=(gib driver rep phase fn calls us)
(IFS=$'\t'; echo "kernel	${fields[*]}") >"$tsv"

for kname in $kernels; do
	kver=${!kname}
	ov=$("$KMM_TOP/devel/stage.sh" "$kver")
	rootfs=$(kmm_rootfs_for "$kver")
	drv=$drivers
	[ -n "$drv" ] || drv=$(kmm_bench_drivers "$kver" | tr ' ' ,)
	for gib in $sizes; do
		o=$KMM_TOP/build/bench-trace/$kver-$gib
		kmm_log "$kver: $gib GiB, $drv, $reps run(s) each, traced"
		KMM_BENCH_GIB=$gib "$KMM_TOP/tests/boot-guest.sh" --kernel "$kver" \
			--device bench --rootfs "$rootfs" --script tests/guest/bench-trace.sh \
			--overlay "$ov" --timeout $((900 + reps * (240 + gib * 12))) \
			--append "memory_hotplug.memmap_on_memory=1 KMM_BENCH_REPS=$reps KMM_BENCH_DRIVERS=$drv" \
			--out "$o" >"$o.tap" 2>"$o.err" || kmm_log "$kver $gib GiB: the guest failed (see $o.tap)"
		kmm_kv_rows TRACE "$kname" "${fields[@]}" <"$o.tap" >>"$tsv"
	done
done

"$KMM_TOP/devel/bench-trace-report.sh" "$tsv" >"$out/trace.md"
cat "$out/trace.md"
