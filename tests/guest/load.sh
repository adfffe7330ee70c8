#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Hot-add and hot-remove under load: stress-ng's vm stressors allocate,
# write, verify and free memory on node 0 (bound) and on node 1 (preferred,
# so they fall back to node 0 while the device is away) for the whole run,
# while 1 GiB of hmem goes KMM_LOAD_CYCLES (default 20) times to system-ram
# and back through daxctl, memmap placement alternating.  Offlining migrates
# the stressors' pages off the device under their feet; stress-ng's own
# verification must find every byte intact.  Booted with
# memory_hotplug.memmap_on_memory=1.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

cycles=${KMM_LOAD_CYCLES:-20}
param=/sys/module/kmem_mom/parameters/memmap_on_memory

tap_plan 11
stress_start hmem
snapshot /tmp/base

to_ram() {
	echo $(($1 % 2)) >"$param"
	daxctl reconfigure-device --mode=system-ram "$dev" >/dev/null
}
# MemUsed is MemTotal - MemFree in unsigned arithmetic: while blocks come
# and go it can read as a wrapped-around 2^64 - x.  Those read as 0.
node1_used_kb() { node_meminfo_kb 1 MemUsed | awk '{ print ($1 < 2^40) ? $1 : 0 }'; }
stressor() { # stressor LOG NUMACTL-POLICY [stress-ng opts]: one vm worker until SIGINT
	numactl "$2" stress-ng --vm 1 --vm-bytes 192M --verify --timeout 3600s \
		--metrics-brief "${@:3}" >"$1" 2>&1 &
}
# The node-1 stressor prefers node 1 with MPOL_PREFERRED_MANY, not
# MPOL_PREFERRED: under MPOL_PREFERRED a THP fault first tries the
# preferred node alone (__GFP_THISNODE), and while the device is away that
# node is offline, so the kernel dumps a stack ("mempolicy: ... allocation
# from offline node 1", warn_if_node_offline()): seen on 6.1 and on 6.12
# (load-short, a busy host).  PREFERRED_MANY tries its nodes as a mask,
# with no such dump, and falls back the same way (5.15+).

check "cycle 1: system-ram" to_ram 1
stressor /tmp/load0.log --membind=0
pid0=$!
stressor /tmp/load1.log --preferred-many=1
pid1=$!
sleep 3

err= used1_max=0
for ((i = 1; i <= cycles; i++)); do
	if [ "$i" -gt 1 ] && ! out=$(to_ram "$i" 2>&1); then
		err="cycle $i: to system-ram: $out"
		break
	fi
	# Judge what the stressor touched, not how fast this machine is: wait
	# (up to 30 s) until it has 64 MiB on node 1, keeping the peak.
	for ((t = 0; t < 300; t++)); do
		used1=$(node1_used_kb)
		[ "$used1" -gt "$used1_max" ] && used1_max=$used1
		[ "$used1" -ge 65536 ] && break
		sleep 0.1
	done
	if ! out=$(daxctl reconfigure-device --mode=devdax --force "$dev" 2>&1); then
		err="cycle $i: to devdax: $out"
		break
	fi
	kill -0 $pid0 $pid1 2>/dev/null || { err="cycle $i: a stressor died"; break; }
done
done_cycles=$((i - 1))
diag "node 1 MemUsed peaked at $used1_max kB with the stressors running"
if [ -z "$err" ]; then
	ok "$cycles add/remove cycles under load"
else
	not_ok "$cycles add/remove cycles under load" "$err"
fi
within "the node-1 stressor used the device (MemUsed, kB)" "$used1_max" 65536 1048576

kill -INT $pid0 $pid1 2>/dev/null || true
rc0=0 rc1=0
wait $pid0 || rc0=$?
wait $pid1 || rc1=$?
for n in 0 1; do
	log=/tmp/load$n.log
	rc=$rc0
	[ $n = 1 ] && rc=$rc1
	if [ "$rc" = 0 ] && grep -q 'successful run completed' "$log" &&
		! grep -qE 'unsuccessful|failed: [1-9]|verif.*fail' "$log"; then
		ok "node-$n stressor: verification clean, exit 0"
	else
		not_ok "node-$n stressor: verification clean, exit 0" "exit $rc" "$(tail -n 20 "$log")"
	fi
done
diag "$(grep -h 'vm ' /tmp/load0.log /tmp/load1.log | tail -n 2)"
snapshot /tmp/end
diag "drift: $(drift /tmp/base /tmp/end)"
# Slab against the boot after two stress-ng --vm workers: measured +224 to
# +452 kB (results/stress/summary.md, 3 kernels), so +-1024 kB.
check_drift /tmp/base /tmp/end 1024
summary load "$done_cycles" - "$(drift /tmp/base /tmp/end)"
tap_done
