#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: what the memmap costs with the in-tree kmem and with kmem_mom,
# in the same guests, on Debian's 6.1, 6.12 and 7.3, amd64 and arm64.
#   bench.sh [--kernels "K61 K612 K73 A612 A73"] [--sizes "1 4 16 64"]
#            [--scale "256 512"] [--blocks2g "4 16"] [--arm64-sizes "1 4"]
#            [--reps 10] [--reps-large 6] [--reps-oneway 3] [--out DIR]
#            [--smoke] [--no-trace]
#   bench.sh --merge "DIR..." [--out DIR]
# Up to 16 GiB one QEMU guest per kernel and size runs every driver,
# interleaved, --reps runs each; at larger sizes the drivers that keep the
# memmap in RAM get a guest and one try each (they exhaust DRAM and may
# take their guest down), and the others still share one guest,
# interleaved, --reps-large runs each.  Both are rounded to whole turns of
# the rotating driver order (tests/guest/benchlib.sh: bench_order), down
# unless that leaves fewer than five, so that every driver runs in every
# place equally often.  One guest runs at a time.  Node0 has 1 GiB
# of DRAM; node1 is a sparse soft-reserved device.  --blocks2g sizes run
# with 65 GiB of boot RAM (sparse), which gives x86 2 GiB memory blocks.
# Prints a markdown table per kernel, writes raw.tsv, bench.md, dram.png and
# time.png (gnuplot) to DIR (default results/latest), then the traced breakdown
# (devel/bench-trace.sh, trace.md) unless --no-trace.  Asserts nothing
# about timings; --smoke (1 GiB, 6.12, one rep) only checks that the
# pipeline produces its table.  --merge joins runs made separately (one
# kernel each, --kernels K --out DIR) into one report, without guests.
#
# arm64 (A612, A73: kernels-arm64.env) runs --arm64-sizes only, with
# tests/boot-guest.sh's arm64 recipes (virt has no memmap=): 6.12 the
# soft-reserved node1 of recipe_arm64_hmem, 7.3, whose dax_hmem sees no
# arm64 soft-reserved memory, the NVDIMM of recipe_arm64_nvdimm as a devdax
# namespace.  arm64 7.3 cannot give back a memmap on the device
# (tests/guest/leafsplit.sh): there the drivers that put it there
# (kmem-knob, mom1, and auto over its RAM budget) get a guest each,
# --reps-oneway guests, one add in each and no removal (status kept),
# while the others share one guest.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernels="K61 K612 K73 A612 A73" sizes="1 4 16 64" scale="256 512" blocks2g="4 16" reps=10
reps_large=6 arm64_sizes="1 4" reps_oneway=3
out=$KMM_TOP/results/latest smoke='' trace=1 merge=''
while [ $# -gt 0 ]; do
	case $1 in
	--kernels) kernels=$2; shift 2 ;;
	--sizes) sizes=$2; shift 2 ;;
	--scale) scale=$2; shift 2 ;;
	--blocks2g) blocks2g=$2; shift 2 ;;
	--arm64-sizes) arm64_sizes=$2; shift 2 ;;
	--reps-oneway) reps_oneway=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--reps-large) reps_large=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--no-trace) trace=''; shift ;;
	--merge) merge=$2; shift 2 ;;
	--smoke) smoke=1 kernels=K612 sizes=1 scale='' blocks2g='' reps=1 trace=''
		out=$KMM_TOP/build/bench-smoke; shift ;;
	*) kmm_die "unknown argument $1" ;;
	esac
done
mkdir -p "$out"
work=$KMM_TOP/build/bench
mkdir -p "$work"
raw=$out/raw.tsv
# raw.tsv's columns after the kernel: the fields of the guest's RESULT lines.
fields=(gib driver rep status add_s remove_s dram_kb node1_total_kb unmanaged_pages
	online_blocks memmap_pages dram_left_kb why block_mib slab_kb percpu_kb pt_kb top_caches
	offline_s unbind_s)
(IFS=$'\t'; echo "kernel	${fields[*]}") >"$raw"

if [ -n "$merge" ]; then
	for d in $merge; do tail -n +2 "$d/raw.tsv"; done >>"$raw"
	"$KMM_TOP/devel/bench-report.sh" "$raw" "$out"
	for d in $merge; do
		echo "# from $d"
		cat "$d/env.txt"
	done >"$out/env.txt"
	exit 0
fi

# Same idempotent set-up as make check, so a fresh machine can run this
# alone (a merge needs none of it).
"$KMM_TOP/devel/setup.sh" >/dev/null
kmm_kernels_env

# run_guest KNAME LABEL BOOT_GIB GIB DRIVERS REPS [NTH]: one guest, its
# results appended to raw.tsv under LABEL.  REPS of at least one turn of
# the DRIVERS' rotation is rounded down to whole turns, or up where that
# would leave fewer than five runs (and fewer than asked for).  NTH tells
# apart the guests of one driver that runs once per guest (its output
# directory).
run_guest() {
	local kname=$1 label=$2 boot=$3 gib=$4 drv=$5 r=$6 kver o why n dev=bench tmo
	local genv=()
	kver=${!kname}
	tmo=$((900 + gib * 6 * r + boot * 4))
	case $kver in
	*-arm64)
		# No memmap= on arm64: the arm64 recipes, sized by
		# KMM_BOOT_GIB and KMM_DEV_GIB, told the size for bench.sh.
		# TCG emulates arm64 at about a third of x86's pace.
		dev=hmem
		! kmm_kver_at_least "$kver" 7.0 || dev=nvdimm
		genv=(KMM_BOOT_GIB="$boot" KMM_DEV_GIB="$gib")
		tmo=$((tmo * 3))
		;;
	esac
	n=$(($(tr -cd , <<<"$drv" | wc -c) + 1))
	if [ "$r" -ge "$n" ]; then
		r=$((r - r % n))
		[ "$r" -ge "$6" ] || [ "$r" -ge 5 ] || r=$((r + n))
	fi
	o=$work/$kver-$boot-$gib-${drv//,/+}${7:+-$7}
	kmm_log "$kver: $gib GiB, boot RAM $boot GiB, $drv, $r run(s)"
	# From 256 GiB a guest's memmap on the device touches 4 GiB or more
	# of host memory: such guests take turns, even between runs side by
	# side (a lock on the machine, not the tree), to keep the host within
	# its memory budget.
	local turn=()
	[ "$gib" -lt 256 ] || turn=(flock "$KMM_STATE/bench-large-guest.lock")
	env KMM_BENCH_GIB="$gib" KMM_BENCH_BOOT_GIB="$boot" ${genv[@]+"${genv[@]}"} \
		"${turn[@]}" "$KMM_TOP/tests/boot-guest.sh" --kernel "$kver" \
		--device "$dev" --rootfs "$(kmm_rootfs_for "$kver")" --script tests/guest/bench.sh \
		--overlay "${overlay[$kname]}" --allow-alloc-failures --env KMM_BENCH_GIB="$gib" \
		--timeout "$tmo" \
		--append "memory_hotplug.memmap_on_memory=1 KMM_BENCH_REPS=$r KMM_BENCH_DRIVERS=$drv" \
		--out "$o" >"$o.tap" 2>"$o.err" || true
	if grep -q '^# RESULT ' "$o.tap"; then
		kmm_kv_rows RESULT "$label" "${fields[@]}" <"$o.tap" >>"$raw"
	else
		# No result: the guest died.  Say how, from its console.
		why=$(grep -m1 -E 'WARNING:|BUG:|Kernel panic|Out of memory' "$o/console.log" 2>/dev/null |
			sed 's/^\[[^]]*\] //; s/[[:space:]]\+/_/g' || true)
		printf '%s\t%s\t%s\t1\tguest-died\t-\t-\t-\t-\t-\t-\t-\t-\t%s\t-\t-\t-\t-\t-\n' \
			"$label" "$gib" "$drv" "${why:-timeout}" >>"$raw"
	fi
}

# oneway_drivers KVER: the drivers whose device KVER may not give back,
# each bound once per guest: arm64 7.x refuses to offline a block whose
# memmap is on it (tests/guest/leafsplit.sh), the in-tree kmem's switch
# as kmem_mom's memmap_on_memory=1.  auto too: it keeps such a device's
# memmap in RAM while its budget (2 % of RAM) holds it, and puts it on the
# device above (1 GiB guest: RAM at 1 GiB, the device at 4 GiB).
oneway_drivers() {
	case $1 in
	*-arm64) ! kmm_kver_at_least "$1" 7.0 || echo kmem-knob mom1 auto ;;
	esac
}

# run_sizes KNAME LABEL BOOT_GIB SIZES...: every driver at every size.
run_sizes() {
	local kname=$1 label=$2 boot=$3 kver drivers gib drv ondev oneway shared i
	shift 3
	kver=${!kname}
	drivers="$(kmm_bench_drivers "$kver") auto"
	oneway=$(oneway_drivers "$kver")
	for gib in "$@"; do
		if [ -n "$oneway" ]; then
			shared=''
			for drv in $drivers; do
				[[ " $oneway " == *" $drv "* ]] || shared=${shared:+$shared,}$drv
			done
			run_guest "$kname" "$label" "$boot" "$gib" "$shared" "$reps"
			for ((i = 1; i <= reps_oneway; i++)); do
				for drv in $oneway; do
					run_guest "$kname" "$label" "$boot" "$gib" "$drv" 1 "$i"
				done
			done
			continue
		fi
		# Up to 16 GiB every driver runs in the same guest, interleaved.
		# Beyond, the memmap in RAM (kmem, mom0) outgrows node0 (1 GiB)
		# and may take its guest down: a guest and one try each for
		# those, while the drivers that put it on the device still
		# share one guest, so that their ratios come from one run.
		if [ "$gib" -le 16 ] || [ "$boot" -gt 1 ]; then
			run_guest "$kname" "$label" "$boot" "$gib" "${drivers// /,}" "$reps"
			continue
		fi
		ondev=''
		for drv in $drivers; do
			case $drv in
			kmem | mom0) run_guest "$kname" "$label" "$boot" "$gib" "$drv" 1 ;;
			*) ondev=${ondev:+$ondev,}$drv ;;
			esac
		done
		run_guest "$kname" "$label" "$boot" "$gib" "$ondev" "$reps_large"
	done
}

# Written first, so that a run stopped part-way still says what it ran on.
[ -n "$smoke" ] || {
	{
		echo "started: $(date -u +%Y-%m-%dT%H:%MZ)"
		echo "commit: $(git -C "$KMM_TOP" describe --always --dirty 2>/dev/null || echo unknown)"
		for kname in $kernels; do echo "$kname: ${!kname}"; done
		if [[ " $kernels " == *" K"* ]]; then
			echo "qemu: $(qemu-system-x86_64 --version | head -n1)"
			echo "guest: -accel tcg -cpu max -smp 2; node0 1 GiB DRAM; node1 sparse soft-reserved (memmap=%)"
			echo "sizes: $sizes; scale: $scale"
			echo "2 GiB blocks: sizes $blocks2g, node0 65 GiB (sparse)"
		fi
		if [[ " $kernels " == *" A"* ]]; then
			echo "qemu-arm64: $(qemu-system-aarch64 --version | head -n1)"
			echo "guest-arm64: -M virt,gic-version=3 -accel tcg -cpu max -smp 2; node0 1 GiB DRAM; node1: 6.12 soft-reserved through an EFI memory map of our own (hmem), 7.x an NVDIMM devdax namespace (nvdimm)"
			echo "arm64 sizes: $arm64_sizes; one-way drivers (7.x: kmem-knob, mom1, auto): $reps_oneway guests each, one run in each"
		fi
		echo "reps: $reps up to 16 GiB, $reps_large above, each rounded to whole turns of the driver order (above 16 GiB, kmem and mom0: 1, their memmap outgrows the guest's DRAM)"
	} >"$out/env.txt"
}

declare -A overlay
x86=''
for kname in $kernels; do
	overlay[$kname]=$("$KMM_TOP/devel/stage.sh" "${!kname}")
	case ${!kname} in
	*-arm64)
		# shellcheck disable=SC2086
		[ -z "$arm64_sizes" ] || run_sizes "$kname" "$kname" 1 $arm64_sizes
		continue
		;;
	esac
	x86+=" $kname"
	# shellcheck disable=SC2086
	run_sizes "$kname" "$kname" 1 $sizes $scale
	# shellcheck disable=SC2086
	[ -z "$blocks2g" ] || run_sizes "$kname" "$kname-2G-blocks" 65 $blocks2g
done

"$KMM_TOP/devel/bench-report.sh" "$raw" "$out"
# The traced breakdown is x86's (tests/guest/bench-trace.sh).
[ -z "$trace" ] || [ -z "$x86" ] || "$KMM_TOP/devel/bench-trace.sh" --kernels "${x86# }" --out "$out"
