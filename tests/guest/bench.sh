#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# One benchmark guest: node0 has 1 GiB of DRAM, node1 KMM_BENCH_GIB GiB of
# soft-reserved memory (dax0.0; on arm64 7.3 an NVDIMM's devdax namespace,
# benchlib.sh).  Each driver (benchlib.sh) hot-adds and onlines the whole
# device KMM_BENCH_REPS times and takes it back out.  Where the kernel
# refuses to take it back (arm64 7.3, memmap on the device) the run is
# status=kept, without removal times, and the guest's last.
# Every run prints one "# RESULT k=v ..." line for devel/bench.sh.  A
# failed hot-add is a result too (status=fail plus the kernel's reason), not
# a failed test.  Nothing here asserts a timing.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh
. /kmm/benchlib.sh

reps=${KMM_BENCH_REPS:-3}
drivers=${KMM_BENCH_DRIVERS:-kmem,kmem-knob,mom0,mom1,auto}
read -ra drivers <<<"${drivers//,/ }"
gib=${KMM_BENCH_GIB:?}
# The in-tree kmem may exhaust node0 on purpose: keep the measuring shell.
echo -1000 >/proc/self/oom_score_adj
echo offline >/sys/devices/system/memory/auto_online_blocks

tap_plan
bench_device
diag "kernel $(uname -r); device $gib GiB; block $(($(memblock_bytes) >> 20)) MiB; reps $reps"

# dram_parts: what node0's DRAM holds that a hot-add grows, in kB, one
# "NAME KB" per line: the node's slab, the per-cpu areas, each slab cache
# (bytes of its slabs), and the direct map by page size.  No counter holds
# the kernel's page tables; the direct map's share follows from how much
# of it each page size maps (DirectMap*, x86).
dram_parts() {
	echo "slab $(node_meminfo_kb 0 Slab)"
	awk '/^(Percpu|DirectMap[0-9]+[kMG]):/ { print tolower(substr($1, 1, length($1) - 1)), $2 }' /proc/meminfo
	awk 'NR > 2 { printf "cache:%s %d\n", $1, $3 * $4 / 1024 }' /proc/slabinfo
	# arm64 has no DirectMap counters.  Debian's arm64 kernels map
	# hot-added memory in the linear map page by page (mem.sh, linmap_kb:
	# rodata=full, a late KFENCE): what DirectMap4k would say, the kB of
	# node1's blocks, from which pt_kb follows as on x86.  Computed from
	# the blocks added, not read from a counter (none holds these tables).
	[ "$(uname -m)" != aarch64 ] || echo "directmap4k $(($(linmap_kb "$(node_memblocks 1)") * 512))"
}

# dram_parts_delta BEFORE AFTER: "slab_kb=N percpu_kb=N pt_kb=N
# top_caches=A:kB,B:kB,C:kB".  pt_kb: the page-table pages that map the
# direct map's growth, one 4 kB table per 2 MiB mapped with 4 kB pages,
# per 1 GiB with 2 MiB pages, per 512 GiB with 1 GiB pages.
dram_parts_delta() {
	awk 'NR == FNR { was[$1] = $2; next }
		{ d = $2 - was[$1] }
		$1 == "slab" { slab = d } $1 == "percpu" { pcpu = d }
		$1 == "directmap4k" { pt += d / 2048 } $1 == "directmap2m" { pt += d / 1048576 }
		$1 == "directmap1g" { pt += d / 536870912 }
		$1 ~ /^cache:/ && d > 0 { print d, substr($1, 7) > "/tmp/caches" }
		END { printf "slab_kb=%d percpu_kb=%d pt_kb=%.3f top_caches=", slab, pcpu, pt * 4 }' "$1" "$2"
	sort -rn /tmp/caches 2>/dev/null | head -n 3 | awk '{ printf "%s%s:%d", (NR > 1 ? "," : ""), $2, $1 }'
	rm -f /tmp/caches
}

# Runs are interleaved (rep 1 of every driver, then rep 2, ...), in an
# order that rotates (bench_order), so that a drift in the guest or the
# driver run before does not read as a difference between drivers.
declare -A runs
for rep in $(seq "$reps"); do
	for drv in $(bench_order "$rep" "${drivers[@]}"); do
		bench_load "$drv" "$rep" || continue
		d0=$(dram_free_kb 0) mm0=$(memmap_pages)
		dram_parts >/tmp/parts0
		dmesg_mark
		t0=$(now)
		status=ok
		daxctl reconfigure-device --mode=system-ram "$dev" >/dev/null 2>&1 || status=fail
		t1=$(now)
		settle
		d1=$(dram_free_kb 0) mm1=$(memmap_pages)
		dram_parts >/tmp/parts1
		total=$(node_meminfo_kb 1 MemTotal)
		unmanaged=$(node_unmanaged_pages 1)
		online=$(node_online_memblocks 1)
		why=$(dmesg_since | { grep -E 'kmem|memory add|alloc failure|cannot' || true; } |
			tail -n 1 | sed 's/^\[[^]]*\] //; s/ /_/g')
		t2=$(now)
		unbind_all
		t3=$(now)
		settle
		d2=$(dram_free_kb 0)
		rem=$(secs "$t2" "$t3") left=$((d0 - d2))
		off=$(secs "$t2" "$offlined_at") unb=$(secs "$offlined_at" "$t3")
		if [ -n "$kept" ]; then
			# The kernel refused to give the memory back (arm64 7.3,
			# memmap on the device): the add is measured, the removal
			# is not there to measure.
			[ "$status" != ok ] || status=kept
			rem=- left=- off=- unb=- why=$kept
		fi
		line="RESULT kver=$(uname -r) gib=$gib driver=$drv rep=$rep status=$status"
		line+=" add_s=$(secs "$t0" "$t1") remove_s=$rem"
		line+=" dram_kb=$((d0 - d1)) node1_total_kb=$total unmanaged_pages=$unmanaged"
		line+=" online_blocks=$online memmap_pages=$((${mm1:-0} - ${mm0:-0}))"
		line+=" dram_left_kb=$left block_mib=$(($(memblock_bytes) >> 20))"
		line+=" $(dram_parts_delta /tmp/parts0 /tmp/parts1) why=${why:-none}"
		# The removal's two halves: daxctl's offline, the same kernel
		# code whichever driver added the memory, and the unbind, the
		# driver's own.
		line+=" offline_s=$off unbind_s=$unb"
		diag "$line"
		runs[$drv]=$((${runs[$drv]:-0} + 1))
		if [ -n "$kept" ]; then
			diag "$drv: the device stays online ($kept): no more runs in this guest"
			break 2
		fi
		unload
	done
done
for drv in "${!runs[@]}"; do
	ok "$drv: ${runs[$drv]} runs"
done
tap_done
