#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Where the time of a bind and an unbind goes, from the kernel's own
# function_graph tracer: the guest of bench.sh (node1 KMM_BENCH_GIB GiB of
# soft-reserved memory), each driver of KMM_BENCH_DRIVERS in turn,
# KMM_BENCH_REPS times, interleaved.  Two phases are traced:
#   add     daxctl reconfigure-device --mode=system-ram (bind + online)
#   remove  daxctl offline-memory, then the unbind
# Only the hotplug path's functions (trace_functions below) are hooked, so
# the tracer costs little where it is not looking.  Fork, exec and exit
# events account for the processes that daxctl starts (the modprobe.d rule
# that libkmod runs for it).  Every function's calls and time per phase
# become "# TRACE ... fn=NAME calls=N us=T" lines for devel/bench-trace.sh;
# "fn=wall" is the phase's wall time, "fn=daxctl" daxctl's lifetime,
# "fn=daxctl-children" that of the processes daxctl started, "fn=sys:NAME"
# daxctl's time in a system call, and "fn=daxctl-user" the rest of it.  Nothing
# here asserts a timing.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh
. /kmm/benchlib.sh

reps=${KMM_BENCH_REPS:-5}
drivers=${KMM_BENCH_DRIVERS:-kmem-knob,mom1}
read -ra drivers <<<"${drivers//,/ }"
gib=${KMM_BENCH_GIB:?}
tr=/sys/kernel/tracing
echo offline >/sys/devices/system/memory/auto_online_blocks

# The entry points daxctl reaches (dax bus bind/unbind, memory block
# state), the hotplug core under them, and each driver's own functions.
trace_functions() {
	cat <<-EOT
		new_id_store bind_store unbind_store dax_bus_probe dax_bus_remove
		device_online device_offline memory_subsys_online memory_subsys_offline
		add_memory_driver_managed __add_memory_driver_managed
		add_memory_resource remove_memory
		offline_and_remove_memory try_remove_memory __remove_memory
		mem_hotplug_begin mem_hotplug_done lock_device_hotplug_sysfs
		register_memory_resource release_mem_region_adjustable
		memblock_add_node memblock_remove __try_online_node try_offline_node
		arch_add_memory arch_remove_memory __add_pages __remove_pages
		sparse_add_section sparse_remove_section vmemmap_populate vmemmap_free
		create_memory_block_devices remove_memory_block_devices
		create_altmaps_and_memory_blocks remove_memory_blocks_and_altmaps
		memory_group_register_static memory_group_unregister
		init_node_memory_type clear_node_memory_type
		online_pages offline_pages mhp_init_memmap_on_memory
		mhp_deinit_memmap_on_memory move_pfn_range_to_zone
		remove_pfn_range_from_zone online_pages_range build_all_zonelists
		init_per_zone_wmark_min kswapd_run kswapd_stop kcompactd_run
		kcompactd_stop scan_movable_pages do_migrate_range drain_all_pages
		lru_add_drain_all synchronize_rcu synchronize_rcu_expedited
		walk_memory_blocks kobject_uevent_env request_module
	EOT
	echo ":mod:kmem_mom :mod:kmem"
}

trace_setup() {
	local f kb
	[ -d $tr/options ] || mount -t tracefs nodev $tr
	echo 0 >$tr/tracing_on
	echo nop >$tr/current_tracer
	: >$tr/set_ftrace_filter
	# One at a time: a name this kernel does not have (or inlined) is
	# refused alone.
	for f in $(trace_functions); do
		echo "$f" >>$tr/set_ftrace_filter 2>/dev/null || true
	done
	grep -q . $tr/set_ftrace_filter || bail_out "no function could be traced"
	# About 16 KiB of entries per block and phase; 8 MiB at least.
	kb=$((gib * 1024 * 16 / ($(memblock_bytes) >> 20)))
	[ "$kb" -ge 8192 ] || kb=8192
	echo "$kb" >$tr/buffer_size_kb
	echo function_graph >$tr/current_tracer
	echo 1 >$tr/options/funcgraph-abstime
	echo 1 >$tr/options/funcgraph-tail
	echo 0 >$tr/options/funcgraph-irqs
	echo 1 >$tr/options/funcgraph-proc
	# Events of this shell and what it starts: process lifetimes and
	# daxctl's system calls.
	echo $$ >$tr/set_event_pid
	echo 1 >$tr/options/event-fork
	for f in sched/sched_process_fork sched/sched_process_exec \
		sched/sched_process_exit raw_syscalls/sys_enter raw_syscalls/sys_exit; do
		echo 1 >$tr/events/$f/enable
	done
}

# trace_phase NAME CMD...: run CMD traced; one TRACE line per function.
trace_phase() {
	local name=$1 t0 t1 lost
	shift
	: >$tr/trace
	echo 1 >$tr/tracing_on
	t0=$(now)
	"$@" || diag "$name: $* failed"
	t1=$(now)
	echo 0 >$tr/tracing_on
	lost=$(awk '/^overrun:/ { n += $2 } END { print n + 0 }' $tr/per_cpu/cpu*/stats)
	[ "$lost" = 0 ] || diag "$name: $lost trace entries lost"
	awk -v head="TRACE kver=$(uname -r) gib=$gib driver=$drv rep=$rep phase=$name" \
		-v wall="$(secs "$t0" "$t1")" -v me=$$ '
		function dur(s) { return s ~ /us$/ ? s + 0 : -1 }
		BEGIN {
			n = split("0 read 1 write 2 open 3 close 4 stat 5 fstat 6 lstat 8 lseek " \
				"9 mmap 10 mprotect 11 munmap 12 brk 13 rt_sigaction " \
				"14 rt_sigprocmask 16 ioctl 17 pread64 21 access 56 clone " \
				"59 execve 61 wait4 72 fcntl 79 getcwd 89 readlink " \
				"217 getdents64 231 exit_group 257 openat 262 newfstatat " \
				"267 readlinkat 302 prlimit64 318 getrandom 332 statx 435 clone3", a, " ")
			for (i = 1; i < n; i += 2) scname[a[i]] = a[i + 1]
		}
		# What daxctl starts (libkmod running the modprobe.d rule),
		# from fork to exit; and daxctl itself.
		/sched_process_fork:/ {
			match($0, / pid=[0-9]+/); parent = substr($0, RSTART + 5, RLENGTH - 5)
			match($0, /child_pid=[0-9]+/); child = substr($0, RSTART + 10, RLENGTH - 10)
			born[child] = $1
			if (parent in daxctl) started[child] = 1
		}
		/sched_process_exit:/ {
			match($0, / pid=[0-9]+/); p = substr($0, RSTART + 5, RLENGTH - 5)
			if (!(p in born)) next
			if (p in started) { kids++; kid_us += ($1 - born[p]) * 1e6 }
			if (p in daxctl) { runs++; run_us += ($1 - born[p]) * 1e6 }
		}
		/sched_process_exec:/ {
			match($0, /filename=[^ ]+/)
			f = substr($0, RSTART + 9, RLENGTH - 9); sub(/.*\//, "", f)
			execs[f]++
			match($0, / pid=[0-9]+/)
			if (f == "daxctl") daxctl[substr($0, RSTART + 5, RLENGTH - 5)] = 1
		}
		# The system calls of daxctl, from entry to exit; the pid is the
		# end of the "comm-pid" column.
		/sys_enter: NR / || /sys_exit: NR / {
			split($0, col, "|")
			if (!match(col[2], /-[0-9]+ *$/)) next
			p = substr(col[2], RSTART + 1, RLENGTH - 1) + 0
			if (!(p in daxctl)) next
			match($0, /NR [0-9]+/); nr = substr($0, RSTART + 3, RLENGTH - 3)
			if ($0 ~ /sys_enter/) { entered[p] = $1; next }
			if (!(p in entered)) next
			sc = (nr in scname) ? scname[nr] : "nr" nr
			scalls[sc]++; sus[sc] += ($1 - entered[p]) * 1e6
			sys_us += ($1 - entered[p]) * 1e6
			delete entered[p]
			next
		}
		# "NAME();" (a leaf) and "} /* NAME */" carry the duration, in
		# the column before the name.
		/\|/ && (/\(\);/ || /\/\* [^:]+ \*\/$/) {
			n = split($0, col, "|")
			d = col[n - 1]; gsub(/[ !#*@$+]/, "", d); sub(/^[0-9]+\)/, "", d)
			fn = col[n]; gsub(/[ {}();]|\/\*|\*\//, "", fn)
			if (d !~ /us$/ || fn == "") next
			calls[fn]++; us[fn] += dur(d)
		}
		END {
			printf "%s fn=wall calls=1 us=%d\n", head, wall * 1e6
			printf "%s fn=daxctl calls=%d us=%d\n", head, runs, run_us
			printf "%s fn=daxctl-children calls=%d us=%d\n", head, kids, kid_us
			# daxctl outside the kernel: its own code, and waiting
			# for a CPU.
			if (runs) printf "%s fn=daxctl-user calls=%d us=%d\n", head, runs, run_us - sys_us
			for (f in scalls) printf "%s fn=sys:%s calls=%d us=%d\n", head, f, scalls[f], sus[f]
			for (f in execs) printf "%s fn=exec:%s calls=%d us=0\n", head, f, execs[f]
			for (f in calls) printf "%s fn=%s calls=%d us=%d\n", head, f, calls[f], us[f]
		}' $tr/trace | sed 's/^/# /'
}

add_device() { daxctl reconfigure-device --mode=system-ram "$dev" >/dev/null; }

tap_plan
bench_device
trace_setup_ok=
diag "kernel $(uname -r); device $gib GiB; block $(($(memblock_bytes) >> 20)) MiB; reps $reps"
declare -A runs
for rep in $(seq "$reps"); do
	for drv in $(bench_order "$rep" "${drivers[@]}"); do
		bench_load "$drv" "$rep" || continue
		# The filter names the loaded driver's functions.
		trace_setup
		trace_setup_ok=1
		trace_phase add add_device
		[ "$(node_online_memblocks 1)" -gt 0 ] ||
			not_ok "$drv rep $rep: nothing online on node1"
		trace_phase remove unbind_all
		runs[$drv]=$((${runs[$drv]:-0} + 1))
		echo nop >$tr/current_tracer
		unload
	done
done
[ -n "$trace_setup_ok" ] || not_ok "no driver could be traced"
for drv in "${!runs[@]}"; do
	ok "$drv: ${runs[$drv]} traced runs"
done
tap_done
