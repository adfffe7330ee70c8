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
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

st=/kmm-linux/tools/testing/selftests/memory-hotplug/mem-on-off-test.sh

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
	out=$(bash $st -r $ratio 2>&1) || rc=$?
	diag "mem-on-off-test.sh -r $ratio (exit $rc):" "$out"
	# The device's blocks are memory32 and up (4 GiB / 128 MiB).
	n=$(grep -A1 '^online->offline memory3[2-9]$' <<<"$out" | grep -c -- '-> Success' || true)
	touched=$((touched + n))
	check_eq "mem-on-off-test.sh -r $ratio passes (exit 0)" 0 "$rc"
	check_eq "all of $dev's $blocks blocks are online afterwards" "$blocks" \
		"$(dax_online_memblocks "$dev")"
done
check "the selftest offlined and re-onlined device blocks ($touched)" test "$touched" -ge 1
check "memory-notifier-error-inject is unloaded" \
	bash -c '! grep -q "^memory_notifier_error_inject " /proc/modules'
check "$dev back to devdax" daxctl reconfigure-device --mode=devdax --force "$dev"
snapshot /tmp/end
check_eq "no drift" "$NO_DRIFT" "$(exact_drift /tmp/base /tmp/end)"
summary kselftest-memory-hotplug 2 - "$(drift /tmp/base /tmp/end)"
tap_done
