#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Faults, on the multi recipe (A, B: 256 MiB hmem, two blocks each) with the
# test build (make KMM_FAULT_INJECT=1), booted with
# memory_hotplug.memmap_on_memory=1:
#   1. an offline that cannot complete (memory-notifier-error-inject): the
#      return to devdax fails, says so, changes nothing; a retry works;
#   2. an add failing at every call, both memmap placements: full
#      rollback each time; two binds sharing too little RAM headroom at
#      the same time: one passes, the other is refused;
#   3. A and B bound and unbound concurrently, KMM_CONCURRENT (default 20)
#      times;
#   4. a bind failing midway whose added block cannot be offlined: the
#      device stays bound and degraded; the unbind gives everything back;
#      a bind whose attributes cannot be made after the kernel onlined its
#      memory: it fails and gives everything back; a rollback held open:
#      no block of the device goes online meanwhile, in any zone;
#   5. rmmod while bound: offline blocks are removed; online ones stay,
#      honestly reported, and keep working after the module is gone.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

rounds=${KMM_CONCURRENT:-20}
params=/sys/module/kmem_mom/parameters
drv=/sys/bus/dax/drivers
inject=/sys/kernel/debug/notifier-error-inject/memory/actions

tap_plan 52
stress_start multi
read -r A B _ <<<"$devs"
snapshot /tmp/base

# 1. Offline refused by a memory notifier.
check "bind $A" daxctl reconfigure-device --mode=system-ram "$A"
check "modprobe memory-notifier-error-inject" modprobe memory-notifier-error-inject
echo -16 >"$inject/MEM_GOING_OFFLINE/error"
dmesg_mark
out=$(daxctl reconfigure-device --mode=devdax --force "$A" 2>&1) && rc=0 || rc=$?
diag "daxctl with offlining refused (exit $rc): $out"
check "returning $A to devdax fails while offlining is refused" test "$rc" != 0
check_eq "$A stays bound to kmem" kmem "$(dax_driver "$A")"
check_eq "its 2 blocks stay online" 2 "$(dax_online_memblocks "$A")"
check_eq "counters: 1 device, 2 blocks, 0 stranded" "1 2 0" "$(mom_counters)"
check_eq "nothing was stranded (no 'cannot be hotremoved')" 0 \
	"$(dmesg_count 'cannot be hotremoved')"
echo 0 >"$inject/MEM_GOING_OFFLINE/error"
check "once offlining works again, the retry succeeds" \
	daxctl reconfigure-device --mode=devdax --force "$A"
check "modprobe -r memory-notifier-error-inject" modprobe -r memory-notifier-error-inject
snapshot /tmp/s1
check_eq "no drift after the refused offline" \
	"$NO_DRIFT" "$(exact_drift /tmp/base /tmp/s1)"
summary offline-refused 1 - "$(drift /tmp/base /tmp/s1)"

# 2. An add that fails at call k rolls back everything before it.  With
# the memmap on the device every block is a call of its own; in RAM each
# range is one call (A and B have one range each).
runs=0 bad=
for on in 1 0; do
	echo $on >"$params/memmap_on_memory"
	calls=2
	[ $on = 1 ] || calls=1
	for dev in $A $B; do
		for ((k = 1; k <= calls; k++)); do
			runs=$((runs + 1))
			echo "$k" >"$params/fail_add_at"
			if daxctl reconfigure-device --mode=system-ram "$dev" >/dev/null 2>&1; then
				bad+=" $dev/k=$k/mom=$on:bound"
			fi
			echo 0 >"$params/fail_add_at"
			[ -n "$(dax_driver "$dev")" ] ||
				daxctl reconfigure-device --mode=devdax "$dev" >/dev/null 2>&1 ||
				bad+=" $dev/k=$k/mom=$on:no-devdax"
			snapshot /tmp/s2
			d=$(exact_drift /tmp/base /tmp/s2)
			[ "$d" = "$NO_DRIFT" ] ||
				bad+=" $dev/k=$k/mom=$on:$d"
		done
	done
done
check_eq "$runs injected add failures: each refused and fully rolled back" "" "$bad"
check "each was announced in dmesg" test \
	"$(dmesg | grep -c 'injecting a failure into memory add call')" -ge "$runs"
echo 1 >"$params/memmap_on_memory"
check "after them, $A binds" daxctl reconfigure-device --mode=system-ram "$A"
check "and goes back to devdax" daxctl reconfigure-device --mode=devdax --force "$A"
snapshot /tmp/s2
summary add-failure "$runs" - "$(drift /tmp/base /tmp/s2)"

both() { # both CMD...: CMD A and CMD B at the same time; fails if either does
	local pa pb ra=0 rb=0
	"$@" "$A" >/tmp/a.log 2>&1 &
	pa=$!
	"$@" "$B" >/tmp/b.log 2>&1 &
	pb=$!
	wait $pa || ra=$?
	wait $pb || rb=$?
	[ $ra = 0 ] && [ $rb = 0 ] || { cat /tmp/a.log /tmp/b.log; return 1; }
}

# claim_for_kmem DEV...: the devices named in kmem's new_id while device_dax
# holds them (6.1 matches by id only; new_id's driver_attach finds them
# bound and leaves them), then released, so that writes to kmem's bind
# probe them, each in its own writer.  daxctl binds through new_id, whose
# driver_attach would probe every released device one after the other.
claim_for_kmem() {
	local d
	for d in "$@"; do
		echo "$d" >$drv/kmem/new_id
	done
	for d in "$@"; do
		[ "$(dax_driver "$d")" != device_dax ] || echo "$d" >$drv/device_dax/unbind
	done
}

# 2b. Two binds whose memmaps fit the RAM headroom only one at a time (the
# test build caps what the RAM check sees at 20 MiB; each needs 4 MiB of
# memmap plus 8 MiB of slack) run at the same time, each holding its
# promise for 3 s before it adds: exactly one may pass.  The two probes
# must really overlap: both devices written to the driver's bind at once.
echo 0 >"$params/memmap_on_memory"
echo $((20 << 20)) >"$params/ram_cap"
echo 3000 >"$params/promise_ms"
claim_for_kmem "$A" "$B"
dmesg_mark
both sysfs_write $drv/kmem/bind >/dev/null || true
echo 0 >"$params/ram_cap"
echo 0 >"$params/promise_ms"
bound=$( (dax_driver "$A"; dax_driver "$B") | grep -c '^kmem$' || true)
check_eq "concurrent binds sharing the headroom: exactly one is bound" 1 "$bound"
check_eq "the other was refused by the RAM check, counting the first's promise" 1 \
	"$(dmesg_count "not enough system RAM for the memmap of 2 memory block\\(s\\): 12 MiB needed, 8 MiB available")"
for d in $A $B; do
	daxctl reconfigure-device --mode=devdax --force "$d" >/dev/null 2>&1 || true
	echo "$d" >$drv/kmem/remove_id 2>/dev/null || true
done
check "with the headroom back, both bind" \
	bash -c "daxctl reconfigure-device -N --mode=system-ram $A && daxctl reconfigure-device -N --mode=system-ram $B"
for d in $A $B; do
	daxctl reconfigure-device --mode=devdax --force "$d" >/dev/null 2>&1 || true
done
snapshot /tmp/s2b
check_eq "no drift after them" "$NO_DRIFT" "$(exact_drift /tmp/base /tmp/s2b)"
summary ram-promise 1 - "$(drift /tmp/base /tmp/s2b)"

# 3. Concurrent binds and unbinds: the two probes, and the two removes, run
# at the same time, through kmem's bind and unbind files.  Not through two
# daxctl reconfigure-device at once: they race in daxctl, whatever the
# driver.  One device's new_id makes the dax bus attach every unbound
# device the driver matches, and from 6.3 a KMEM-type driver matches the
# other device, which the other daxctl has just taken from device_dax
# ("failed to disable") or is about to bind (its bind: EBUSY).  The shell
# that libkmod started for every daxctl until kmem_mom had its own module
# "kmem" made that window rare (round 1 failed on 6.12 and 7.3 without it).
# daxctl still offlines both at once (libdaxctl lists a device's memory
# blocks by scanning the node, and that scan races with the other
# device's blocks coming or going: seen with daxctl 76, 1 round in ~130).
claim_for_kmem "$A" "$B"
err=
for ((i = 1; i <= rounds; i++)); do
	echo $((i % 2)) >"$params/memmap_on_memory"
	out=$(both sysfs_write $drv/kmem/bind) || { err="round $i, bind: $out"; break; }
	on="$(dax_memblocks "$A") $(dax_memblocks "$B")"
	[ "$on" = "2 2" ] && [ "$(mom_counters)" = "2 4 0" ] ||
		{ err="round $i: blocks added $on, counters $(mom_counters)"; break; }
	out=$({ daxctl online-memory "$A" && daxctl online-memory "$B"; } 2>&1) ||
		{ err="round $i, online: $out"; break; }
	on="$(dax_online_memblocks "$A") $(dax_online_memblocks "$B")"
	[ "$on" = "2 2" ] || { err="round $i: online blocks $on"; break; }
	out=$(both daxctl offline-memory) || { err="round $i, offline: $out"; break; }
	out=$(both sysfs_write $drv/kmem/unbind) ||
		{ err="round $i, unbind: $out"; break; }
	[ "$(mom_counters)" = "0 0 0" ] || { err="round $i: after unbind, counters $(mom_counters)"; break; }
done
if [ -z "$err" ]; then
	ok "$rounds rounds of concurrent bind/unbind of $A and $B"
else
	not_ok "$rounds rounds of concurrent bind/unbind of $A and $B" "$err"
fi
for d in $A $B; do
	[ "$(dax_driver "$d")" = device_dax ] ||
		daxctl reconfigure-device --mode=devdax --force "$d" >/dev/null || true
	echo "$d" >$drv/kmem/remove_id 2>/dev/null || true
done
snapshot /tmp/s3
check_eq "no drift after them" "$NO_DRIFT" "$(exact_drift /tmp/base /tmp/s3)"
summary concurrent $((i - 1)) - "$(drift /tmp/base /tmp/s3)"

# 4. A bind that fails midway and cannot give back what it added: the
# kernel onlines each block as it comes (auto_online_blocks=online), the
# second add fails, and offlining the first is refused.  The memory must
# keep an owner: the device stays bound, degraded, and an unbind retries.
aob=/sys/devices/system/memory/auto_online_blocks
echo online >$aob
echo 1 >"$params/memmap_on_memory"
check "modprobe memory-notifier-error-inject" modprobe memory-notifier-error-inject
echo -16 >"$inject/MEM_GOING_OFFLINE/error"
# <= 6.5 answer whether the memmap can go on the device with the first
# add, which kmem_mom keeps as a first block: held offline, then removed
# and added once more after block 1.  Failing that third call leaves
# block 1 online; failing the second would leave nothing to strand.
fail_at=2
kver_lt 6.6 && fail_at=3
echo $fail_at >"$params/fail_add_at"
dmesg_mark
out=$(daxctl reconfigure-device -N --force --mode=system-ram "$A" 2>&1) && rc=0 || rc=$?
echo 0 >"$params/fail_add_at"
diag "daxctl (add #$fail_at failing, offline refused): exit $rc: $out"
check_eq "$A stays bound to kmem, degraded" "kmem degraded" \
	"$(dax_driver "$A") $(mom_attr_or "$A" state)"
check_eq "with the block it could not remove (added, online)" "1 1" \
	"$(dax_memblocks "$A") $(dax_online_memblocks "$A")"
check_eq "counters: 1 device, 1 block, 0 stranded" "1 1 0" "$(mom_counters)"
check_eq "dmesg says so, and what to do" 1 \
	"$(dmesg_count "$A: bind failed \\(-12\\) and 1 memory block\\(s\\) could not be removed: the device stays bound, degraded")"
echo 0 >"$inject/MEM_GOING_OFFLINE/error"
echo offline >$aob
check "once offlining works, returning $A to devdax gives it all back" \
	daxctl reconfigure-device --mode=devdax --force "$A"
check "modprobe -r memory-notifier-error-inject" modprobe -r memory-notifier-error-inject
snapshot /tmp/s4
check_eq "no drift after the degraded bind" "$NO_DRIFT" "$(exact_drift /tmp/base /tmp/s4)"
summary degraded-bind 1 - "$(drift /tmp/base /tmp/s4)"

# 4b. The device's attributes cannot be made after the kernel has onlined
# its memory (found by the debug lane's allocation-failure sweep: the
# driver core made them after the probe and, failing, could only call
# remove, which stranded the online blocks).  The bind must fail and give
# everything back.
echo online_movable >$aob
echo 1 >"$params/fail_attrs"
dmesg_mark
out=$(daxctl reconfigure-device -N --force --mode=system-ram "$A" 2>&1) && rc=0 || rc=$?
echo 0 >"$params/fail_attrs"
echo offline >$aob
diag "daxctl (attributes failing): exit $rc: $out"
check "a bind whose attributes cannot be made fails" test "$rc" != 0
# daxctl's new_id attaches, then it binds: each probe meets the failure.
check "it was the injected failure, every time" test \
	"$(dmesg_count "injecting a failure into the creation of a device's attributes")" -ge 1
check_eq "nothing is left: counters 0 0 0, no block of $A" "0 0 0 0" \
	"$(mom_counters) $(dax_memblocks "$A")"
check_eq "nothing was stranded" 0 "$(dmesg_count 'cannot be hotremoved')"
[ -n "$(dax_driver "$A")" ] || daxctl reconfigure-device --mode=devdax "$A" >/dev/null 2>&1 || true
snapshot /tmp/s4b
check_eq "no drift after it" "$NO_DRIFT" "$(exact_drift /tmp/base /tmp/s4b)"
summary attrs-failure 1 - "$(drift /tmp/base /tmp/s4b)"

# 4c. A failed bind rolls back under a hold: from its first failure until
# its removals are done, no block of the device goes online, in any zone,
# so that neither udev nor daxctl can slip one in between.  The test build
# makes the rollback wait (rollback_ms) with block 0 added and offline.
echo offline >$aob
echo 1 >"$params/memmap_on_memory"
echo 2 >"$params/fail_add_at"
echo 4000 >"$params/rollback_ms"
dmesg_mark
daxctl reconfigure-device -N --mode=system-ram "$A" >/tmp/rb.log 2>&1 &
pid=$!
wait_until 60 bash -c "dmesg | tail -n +$(($(cat /tmp/dmesg.mark) + 1)) | grep -q 'injecting a failure into memory add call #2'" ||
	diag "no injected failure seen"
blk=$(dax_block_dirs "$A" | sed -n 1p)
m=refused k=refused
[ -n "$blk" ] && echo online_movable >"$blk/state" 2>/dev/null && m=onlined
[ -n "$blk" ] && echo online_kernel >"$blk/state" 2>/dev/null && k=onlined
wait $pid && rc=0 || rc=$?
echo 0 >"$params/fail_add_at"
echo 0 >"$params/rollback_ms"
diag "daxctl (add #2 failing, rollback held 4 s): exit $rc: $(tr '\n' ' ' </tmp/rb.log)"
check_eq "during the rollback, online_movable and online_kernel of its added ${blk##*/} are refused" \
	"refused refused" "$m $k"
check "the bind failed" test "$rc" != 0
check_eq "and gave everything back: counters 0 0 0, no block of $A" "0 0 0 0" \
	"$(mom_counters) $(dax_memblocks "$A")"
[ -n "$(dax_driver "$A")" ] || daxctl reconfigure-device --mode=devdax "$A" >/dev/null 2>&1 || true

# 5. rmmod while bound.  B offline: removed with the module.  A online:
# stays until reboot, said so, and still serves memory.
echo 1 >"$params/memmap_on_memory"
check "bind $A and online it" daxctl reconfigure-device --mode=system-ram "$A"
check "bind $B without onlining" daxctl reconfigure-device -N --mode=system-ram "$B"
check_eq "counters: 2 devices, 4 blocks" "2 4 0" "$(mom_counters)"
dmesg_mark
check "modprobe -r kmem_mom while both are bound" modprobe -r kmem_mom
check_eq "$A: the unload says its 2 blocks cannot be hotremoved until the next reboot" 1 \
	"$(dmesg_count "$A: mapping0: .*: 2 memory block\\(s\\) cannot be hotremoved until the next reboot")"
check_eq "$B: removed without complaint" 0 "$(dmesg_count "$B: .*cannot be hotremoved")"
check_eq "$A's 2 blocks are still online, $B's are gone" "2 0" \
	"$(dax_online_memblocks "$A") $(dax_memblocks "$B")"
check "module gone, the stranded memory still holds data (64 MiB pattern)" \
	bash -c 'echo | kmm-pattern 1 64 7'
check "/proc/iomem still names it" grep -q 'System RAM (kmem)' /proc/iomem
# 6.3+ would auto-bind the unbound B to the new module: park it first.
check "$B to devdax while no kmem is loaded" daxctl reconfigure-device --mode=devdax "$B"
check "modprobe kmem_mom again" modprobe kmem_mom
check_eq "a fresh module starts from zero" "0 0 0" "$(mom_counters)"
check "$B binds again" daxctl reconfigure-device --mode=system-ram "$B"
check "$B back to devdax" daxctl reconfigure-device --mode=devdax --force "$B"
dmesg_mark
check "binding $A fails: its range is still in use" \
	bash -c "! daxctl reconfigure-device --mode=system-ram $A"
summary rmmod-bound 1 - "online blocks stranded as designed (2), offline ones removed"
tap_done
