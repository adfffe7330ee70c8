#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# An outside check: the kernel's own memory-hotplug selftest
# (tools/testing/selftests/memory-hotplug/mem-on-off-test.sh, from Debian's
# linux-source package of the guest kernel's series) run while 1 GiB of
# hmem is hot-added by kmem_mom.  Once with the kselftest default (-r 2),
# once offlining a quarter of the hot-pluggable blocks (-r 25), which
# reaches the device's blocks; each run also injects online and offline
# failures with memory-notifier-error-inject.  The device must come back
# whole and go back to devdax without drift.  Booted with
# memory_hotplug.memmap_on_memory=1.
#
# The selftest offlines boot memory too, and an offline retries until it
# succeeds or its context gets a signal (the kernel's memory-hotplug.rst
# suggests "timeout $TIMEOUT offline_block").  Here boot memory is DMA32
# on node 0 and the device is ZONE_MOVABLE on node 1: a boot block holding
# in-use movable pages (the rootfs's tmpfs) has no target, since the kernel
# migrates them only to other nodes, and only to kernel zones.  Meeting
# one is a matter of where the rootfs landed, not of the driver: 7.3 with
# kmem_mom met one in memory3 and retried until the guest's timeout; with
# the in-tree kmem, memory3 held an unmovable page and failed at once.  So
# an offline still retrying after $limit s gets a signal, which the
# selftest takes for a failed offline ("-> Failure"); each is reported, and
# boot-guest.sh lets through only the stack dumps of those failed target
# allocations (run.sh: offline-retries).
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

st=/kmm-linux/tools/testing/selftests/memory-hotplug/mem-on-off-test.sh
limit=30
interrupted=0

# selftest RATIO: mem-on-off-test.sh -r RATIO, its output in /tmp/st.out,
# its exit status returned.  The selftest runs in a shell that traps USR1,
# so a signal ends only the offline it is in: its echo to the block's state
# fails with EINTR, and the selftest counts a failure and goes on.  While
# it writes a block's state, its stdout is that file; /proc/PID/stack would
# say offline_pages only while the task sleeps, and a retrying offline
# mostly runs.
selftest() {
	local pid busy=0 now was=
	bash -c 'trap : USR1; . "$0" "$@"' $st -r "$1" >/tmp/st.out 2>&1 &
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		sleep 1
		now=$(readlink /proc/$pid/fd/1 2>/dev/null || true)
		if [[ "$now" == /sys/devices/system/memory/memory*/state && "$now" == "$was" ]]; then
			busy=$((busy + 1))
		else
			busy=0
		fi
		was=$now
		[ $busy -ge $limit ] || continue
		diag "${now%/state}: offline still retrying after $limit s, signalled"
		kill -USR1 $pid
		interrupted=$((interrupted + 1))
		busy=0 was=
	done
	wait $pid
}

tap_plan 10
[ -f $st ] || bail_out "$st missing (tests/run.sh puts it there)"
stress_start hmem
snapshot /tmp/base
check "bind $dev (memmap on the device) and online it" \
	daxctl reconfigure-device --mode=system-ram "$dev"
blocks=$(dax_fit_memblocks "$dev")
touched=0
for ratio in 2 25; do
	rc=0
	selftest $ratio || rc=$?
	out=$(cat /tmp/st.out)
	diag "mem-on-off-test.sh -r $ratio (exit $rc):" "$out"
	# The device's blocks are memory32 and up (4 GiB / 128 MiB).
	n=$(grep -A1 '^online->offline memory3[2-9]$' <<<"$out" | grep -c -- '-> Success' || true)
	touched=$((touched + n))
	check_eq "mem-on-off-test.sh -r $ratio passes (exit 0)" 0 "$rc"
	check_eq "all of $dev's $blocks blocks are online afterwards" "$blocks" \
		"$(dax_online_memblocks "$dev")"
done
check "the selftest offlined and re-onlined device blocks ($touched)" test "$touched" -ge 1
diag "offlines signalled after $limit s of retries: $interrupted"
check "memory-notifier-error-inject is unloaded" \
	bash -c '! grep -q "^memory_notifier_error_inject " /proc/modules'
check "$dev back to devdax" daxctl reconfigure-device --mode=devdax --force "$dev"
snapshot /tmp/end
check_eq "no drift" "$NO_DRIFT" "$(exact_drift /tmp/base /tmp/end)"
summary kselftest-memory-hotplug 2 - "$(drift /tmp/base /tmp/end)"
tap_done
