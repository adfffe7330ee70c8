#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# One benchmark guest: node0 has 1 GiB of DRAM, node1 KMM_BENCH_GIB GiB of
# soft-reserved memory (dax0.0).  Each driver hot-adds and onlines the whole
# device KMM_BENCH_REPS times and takes it back out:
#   kmem       the in-tree kmem (memmap in system RAM)
#   kmem-knob   the in-tree kmem with its own daxX.Y/memmap_on_memory=1 (6.9+)
#   mom0       kmem_mom memmap_on_memory=0
#   mom1       kmem_mom memmap_on_memory=1
#   auto       kmem_mom memmap_on_memory=auto (the default)
# Every run prints one "# RESULT k=v ..." line for scripts/bench.sh.  A
# failed hot-add is a result too (status=fail plus the kernel's reason), not
# a failed test.  Nothing here asserts a timing.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

reps=${KMM_BENCH_REPS:-3}
drivers=${KMM_BENCH_DRIVERS:-kmem,kmem-knob,mom0,mom1,auto}
drivers=${drivers//,/ }
gib=${KMM_BENCH_GIB:?}
# The in-tree kmem may exhaust node0 on purpose: keep the measuring shell.
echo -1000 >/proc/self/oom_score_adj
echo offline >/sys/devices/system/memory/auto_online_blocks

tap_plan
# device_dax would map the device with a memmap in RAM of its own: leave it out.
modprobe dax_hmem
wait_for /sys/bus/dax/devices/dax0.0 30 || bail_out "no dax0.0"
dev=dax0.0
diag "kernel $(uname -r); device $gib GiB; block $(($(memblock_bytes) >> 20)) MiB; reps $reps"
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# unbind_all: offline the memory, then unbind from sysfs (daxctl would
# rebind device_dax, whose own memmap in RAM a big device cannot afford).
unbind_all() {
	local drv
	drv=$(dax_driver "$dev")
	[ -n "$drv" ] || return 0
	daxctl offline-memory "$dev" >/dev/null 2>&1 || true
	echo "$dev" >"/sys/bus/dax/drivers/$drv/unbind"
	[ "$(node_memblocks 1)" = 0 ] || bail_out "$drv left $(node_memblocks 1) blocks on node1"
}

load() {
	case $1 in
	kmem) modprobe --ignore-install kmem ;;
	kmem-knob)
		[ -e "/sys/bus/dax/devices/$dev/memmap_on_memory" ] || return 2
		echo 1 >"/sys/bus/dax/devices/$dev/memmap_on_memory" || return 2
		modprobe --ignore-install kmem
		;;
	mom0) modprobe kmem_mom memmap_on_memory=0 ;;
	mom1) modprobe kmem_mom memmap_on_memory=1 ;;
	auto) modprobe kmem_mom memmap_on_memory=auto ;;
	esac
}

unload() {
	modprobe -r kmem_mom 2>/dev/null || true
	modprobe -r kmem 2>/dev/null || true
	[ -e "/sys/bus/dax/devices/$dev/memmap_on_memory" ] &&
		echo 0 >"/sys/bus/dax/devices/$dev/memmap_on_memory" 2>/dev/null || true
}

# Runs are interleaved (rep 1 of every driver, then rep 2, ...) so that a
# drift in the guest does not read as a difference between drivers.
declare -A runs
for rep in $(seq "$reps"); do
	for drv in $drivers; do
		rc=0
		load "$drv" || rc=$?
		if [ $rc = 2 ]; then
			[ "$rep" = 1 ] && skip "$drv" "no per-device memmap_on_memory in this kernel"
			continue
		elif [ $rc != 0 ]; then
			not_ok "$drv: load failed"
			continue
		fi
		# 6.3+ bind a KMEM-type device when the driver loads: not timed.
		sleep 0.5
		unbind_all
		settle
		d0=$(dram_free_kb 0) mm0=$(memmap_pages)
		dmesg_mark
		t0=$(now)
		status=ok
		daxctl reconfigure-device --mode=system-ram "$dev" >/dev/null 2>&1 || status=fail
		t1=$(now)
		settle
		d1=$(dram_free_kb 0) mm1=$(memmap_pages)
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
		line="RESULT kver=$(uname -r) gib=$gib driver=$drv rep=$rep status=$status"
		line+=" add_s=$(secs "$t0" "$t1") remove_s=$(secs "$t2" "$t3")"
		line+=" dram_kb=$((d0 - d1)) node1_total_kb=$total unmanaged_pages=$unmanaged"
		line+=" online_blocks=$online memmap_pages=$((${mm1:-0} - ${mm0:-0}))"
		line+=" dram_left_kb=$((d0 - d2)) why=${why:-none}"
		diag "$line"
		runs[$drv]=$((${runs[$drv]:-0} + 1))
		unload
	done
done
for drv in "${!runs[@]}"; do
	ok "$drv: ${runs[$drv]} runs"
done
tap_done
