#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The kernel's own online policy, as users meet it: nothing is pinned but
# what a case names, and kmem-mom list must say what was measured.  udevd
# runs (KMM_UDEV=1) and kmem_mom is installed with its modprobe.d and udev
# rules, as on a host.  KMM_CASES lists the cases,
# comma-separated, each DRIVER:POLICY:PLACEMENT, run in order in this guest:
#   DRIVER     kmem     the in-tree kmem (kmem_mom not installed)
#              knob     the in-tree kmem with its own daxX.Y/memmap_on_memory
#                       set to 1 before the bind (6.9+; placement device)
#              mom      kmem_mom, online=kernel (the default)
#              movable  kmem_mom, online=movable
#   POLICY     booted (as the kernel booted: online on Debian 6.12 and 7.3,
#              offline on 6.1), offline, online, online_kernel,
#              online_movable (auto_online_blocks), or auto-movable
#              (online, with memory_hotplug.online_policy=auto-movable)
#   PLACEMENT  device   memmap_on_memory=1, booted with the boot parameter
#              fallback memmap_on_memory=1, booted without it
#              ram      memmap_on_memory=0
#              auto     memmap_on_memory=auto (the default): these recipes
#                       have no HMAT, so the device for hmem and CXL, RAM
#                       for pmem and NVDIMM (persistent) or without the boot
#                       parameter
# hmem and CXL devices are bound on arrival on 6.3+ (udev loads "kmem" for
# the device, whose driver takes it); pmem, NVDIMM and hmem on 6.1, go through
# daxctl reconfigure-device, with --force where the policy auto-onlines,
# as a user must.  Each case measures node 0's DRAM, node 1's MemTotal,
# MemFree and present - managed, and every block's zone; kmem_mom's sysfs
# must agree with what was measured; then the device goes back to devdax
# with nothing left behind, or, where the kernel itself pinned a
# ZONE_NORMAL block (7.x), the refusal is honest and the case is the
# guest's last.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

aob=/sys/devices/system/memory/auto_online_blocks
opol=/sys/module/memory_hotplug/parameters/online_policy
mdir=/etc/modprobe.d
booted_aob=$(cat $aob)
booted_opol=$(cat $opol)
boot_param=$(cat /sys/module/memory_hotplug/parameters/memmap_on_memory)

[ -n "${KMM_CASES:-}" ] || bail_out "KMM_CASES lists DRIVER:POLICY:PLACEMENT cases"
tap_plan
diag "kernel $(kver), device $KMM_DEVICE, booted: auto_online_blocks=$booted_aob" \
	"online_policy=$booted_opol memory_hotplug.memmap_on_memory=$boot_param"
[ "${KMM_UDEV:-}" = 1 ] && pgrep -x systemd-udevd >/dev/null ||
	bail_out "udevd is not running (KMM_UDEV=1)"

# Coldplug with the driver kept out: the cases load it.
dev=$(coldplug_without_driver "$KMM_DEVICE") || bail_out "no $KMM_DEVICE dax device"
node=$(dax_node "$dev")
n=$(dax_fit_memblocks "$dev")
memmap_kb=$(($(memmap_bytes "$n") / 1024))
# The linear map's tables of the device's blocks, spent in DRAM whatever
# the placement (arm64; 0 on x86): the DRAM windows below start there.
lin_kb=$(linmap_kb "$n")
# What a bind spends in DRAM besides the memmap grows with the blocks (their
# devices, sysfs files and resources; 2-5 KiB each, measured): 1 MiB plus
# 8 KiB a block.  At 8 blocks that is the 1 MiB the small guests always had.
slack_kb=$((1024 + 8 * (n > 8 ? n - 8 : 0)))
how=daxctl
if ! persistent_device "$KMM_DEVICE" && kver_ge 6.3; then
	how=arrival
	check_unbound "$dev waits unbound (no KMEM-type driver yet)" "$dev"
fi
diag "$dev on node $node: $n blocks, memmap $memmap_kb kB; bound by $how"

set_policy() {
	case $1 in
	booted) echo "$booted_aob" >$aob && echo "$booted_opol" >$opol ;;
	auto-movable) echo online >$aob && echo auto-movable >$opol ;;
	*) echo "$1" >$aob && echo contig-zones >$opol ;;
	esac
}

# use_driver DRIVER PLACEMENT: what modprobe kmem (daxctl, udev) loads.
use_driver() {
	local on=1 online=kernel
	rm -f $mdir/kmem_mom.conf $mdir/kmm-case.conf
	if [ "$1" = kmem ] || [ "$1" = knob ]; then
		# A host without kmem_mom; udev's alias load must not find it.
		in_tree_kmem_conf $mdir/kmm-case.conf
		return 0
	fi
	[ "$2" = ram ] && on=0
	[ "$2" = auto ] && on=auto
	[ "$1" = movable ] && online=movable
	cp /tmp/kmem_mom.conf $mdir/kmem_mom.conf
	echo "options kmem_mom memmap_on_memory=$on online=$online" >$mdir/kmm-case.conf
}

# Where memmap_on_memory=auto must put the memmap in this guest.
auto_where() {
	if [ "$boot_param" = N ] || persistent_device "$KMM_DEVICE"; then
		echo ram
	else
		echo device
	fi
}

# The zone every block should end in: MOVABLE where the policy or
# online=movable says so; a kernel zone where the policy onlines by itself
# into one (on a memory-only node, "online" and auto-movable both do: the
# NUMA-aware auto-movable ratio finds no boot memory on the node); offline
# where nothing onlines them (daxctl onlines to MOVABLE).
want_zones() { # DRIVER POLICY
	local pol=$2
	[ "$pol" = booted ] && pol=$booted_aob
	if [ "$pol" = offline ]; then
		[ $how = daxctl ] && echo "$n 0 0" || echo "0 0 $n"
	elif [ "$1" = movable ] || [ "$pol" = online_movable ]; then
		echo "$n 0 0"
	else
		echo "0 $n 0"
	fi
}

# want_gigantic WHERE: the 1 GiB windows inside the device's blocks that
# can hold a gigantic page.  A memmap on the device sits at the start of
# each block and spoils the window it is in: all of them with 128 MiB
# blocks, every other one with 2 GiB blocks.
want_gigantic() {
	local bs s e w a n=0 g=$((1 << 30))
	bs=$(memblock_bytes)
	s=$(($(cat "/sys/bus/dax/devices/$dev/resource")))
	s=$(((s + bs - 1) / bs * bs)) e=$((s + n_blocks * bs))
	for ((w = (s + g - 1) / g * g; w + g <= e; w += g)); do
		a=$((s + (w - s + bs - 1) / bs * bs))
		[ "$1" = device ] && [ "$a" -lt $((w + g)) ] && continue
		n=$((n + 1))
	done
	echo $n
}

# want_who DRIVER POLICY: kmem_mom's onlined_by_kernel_blocks and
# onlined_by_userspace_blocks.  The kernel's policy onlines during the bind
# wherever it onlines by itself, except what online=movable holds from a
# kernel zone: the udev rule's helper (or daxctl) onlines that afterwards,
# as it does everything where the policy onlines nothing.
# A first block whose PMD table nothing else keeps, beyond the one such
# block kmem_mom can place (two ranges' ends each alone in a new 64 GiB
# reach), is held for userspace too: $lone of them, as the bind's dmesg
# line counts them.
want_who() {
	local pol=$2
	[ "$pol" = booted ] && pol=$booted_aob
	if [ "$pol" = offline ]; then
		[ $how = daxctl ] && echo "0 $n" || echo "0 0"
	elif [ "$1" = movable ] && [ "$pol" != online_movable ]; then
		echo "0 $n"
	else
		echo "$((n - lone)) $lone"
	fi
}

bind() { # bind TAG DRIVER
	local force=
	if [ "$2" = knob ]; then
		check "$1 daxX.Y/memmap_on_memory=1 before the bind" \
			sysfs_write "/sys/bus/dax/devices/$dev/memmap_on_memory" 1
	fi
	if [ $how = arrival ]; then
		# What udev does when the device appears: load its driver.
		udevadm trigger --settle --action=add "/sys/bus/dax/devices/$dev"
		bound_on_arrival
		check_eq "$1 bound to kmem on arrival" kmem "$(dax_driver "$dev")"
		return 0
	fi
	if [ "$(cat $aob)" != offline ]; then
		out=$(daxctl reconfigure-device --mode=system-ram "$dev" 2>&1) && rc=0 || rc=$?
		if [ $rc != 0 ] && [[ $out == *"kernel policy will auto-online memory, aborting"* ]] &&
			[ -z "$(dax_driver "$dev")" ]; then
			ok "$1 daxctl without --force aborts: kernel policy will auto-online memory"
		else
			not_ok "$1 daxctl without --force aborts: kernel policy will auto-online memory" \
				"exit $rc, driver '$(dax_driver "$dev")'" "$out"
		fi
		force=--force
	fi
	check "$1 daxctl reconfigure-device --mode=system-ram $force" \
		daxctl reconfigure-device --mode=system-ram $force "$dev"
	udev_settle
}

# check_tool TAG MOM ZONES SYSFS: kmem-mom, the command, says what was
# measured: the driver, the blocks and their zones, and kmem_mom's memmap
# blocks on the device, in RAM and in other hot-added memory.
check_tool() {
	local j drv=kmem
	[ -z "$2" ] || drv=kmem_mom
	j=$(kmem-mom list -d "$dev" 2>/tmp/km.err | jq -c '.[0]') ||
		{ not_ok "$1 kmem-mom list -d $dev" "$(cat /tmp/km.err)"; return 0; }
	check_eq "$1 kmem-mom list: driver, blocks (movable normal offline)" \
		"$drv $n $3" \
		"$(jq -r '"\(.driver) \(.total_memblocks) \(.memory.movable_blocks) \(.memory.normal_blocks) \(.memory.offline_blocks)"' <<<"$j")"
	[ -z "$2" ] || check_eq "$1 kmem-mom list: memmap blocks device/ram/hotplug" "$4" \
		"$(jq -r '.kmem_mom | "\(.memmap_device_blocks)/\(.memmap_ram_blocks)/\(.memmap_hotplug_blocks)"' <<<"$j")"
}

stuck=
rows=()
run_case() { # run_case DRIVER POLICY PLACEMENT
	local drv=$1 pol=$2 place=$3 t="[$1:$2:$3]" d0 d1 mm0 mm1 blocks0
	local zones want total memfree used unmanaged sysfs= first= lone=0 gb gib out rc mom=1 pol_row
	local where=$place
	[ "$drv" = kmem ] || [ "$drv" = knob ] && mom=
	[ "$place" = auto ] && where=$(auto_where)
	if [ -n "$stuck" ]; then
		not_ok "$t not run: $stuck"
		return 0
	fi
	case $place in
	device) [ "$boot_param" != N ] || { not_ok "$t needs memory_hotplug.memmap_on_memory=1"; return 0; } ;;
	fallback) [ "$boot_param" = N ] || { not_ok "$t needs a boot without memory_hotplug.memmap_on_memory"; return 0; } ;;
	esac
	use_driver "$drv" "$place"
	udev_restart
	set_policy "$pol"
	# Unbound: device_dax's own memmap would pollute the window.
	[ -z "$(dax_driver "$dev")" ] || daxctl disable-device "$dev" >/dev/null
	settle
	d0=$(dram_base) mm0=$(memmap_pages) blocks0=$(node_memblocks "$node")
	cp /proc/iomem /tmp/iomem.0
	dmesg_mark

	bind "$t" "$drv"
	check_eq "$t all $n blocks added" "$n" "$(dax_memblocks "$dev")"
	check_eq "$t /proc/iomem: one System RAM (kmem) spans them" \
		"$(dax_blocks_resource "$dev" "$n")" "$(dax_ram_resources "$dev")"
	zones=$(dax_zones "$dev") want=$(want_zones "$drv" "$pol")
	check_eq "$t zones of its blocks (movable normal offline)" "$want" "$zones"
	settle
	d1=$(dram_free_kb 0) mm1=$(memmap_pages)
	total=$(node_meminfo_kb "$node" MemTotal)
	memfree=$(node_meminfo_kb "$node" MemFree)
	used=$((total - $(dram_free_kb "$node")))
	unmanaged=$(node_unmanaged_pages "$node")
	[ -n "$mom" ] && sysfs="$(mom_attr_or "$dev" memmap_device_blocks)/$(mom_attr_or "$dev" memmap_ram_blocks)/$(mom_attr_or "$dev" memmap_hotplug_blocks)"
	diag "$t node0 DRAM spent $((d0 - d1)) kB; node$node MemTotal $total kB, used $used kB," \
		"present-managed $unmanaged pages; nr_memmap_pages ${mm0:-n/a} -> ${mm1:-n/a};" \
		"sysfs device/ram/hotplug ${sysfs:--}; zones $zones"

	if [ "$drv" = knob ]; then
		check_spent "$t memmap on the device: node0 DRAM spent < $slack_kb kB" "$d0" \
			$((lin_kb - 1024)) $((lin_kb + slack_kb - 1))
	fi
	if [ -n "$mom" ]; then
		if [ "$where" = device ]; then
			check_spent "$t memmap on the device: node0 DRAM spent < $slack_kb kB" "$d0" \
				$((lin_kb - 1024)) $((lin_kb + slack_kb - 1))
			check_eq "$t sysfs: device/ram/hotplug blocks" "$n/0/0" "$sysfs"
		else
			check_spent "$t memmap in RAM: node0 DRAM spent = memmap -1 MiB..+$slack_kb kB" "$d0" \
				$((memmap_kb + lin_kb - 1024)) $((memmap_kb + lin_kb + slack_kb))
			check_eq "$t sysfs: device/ram/hotplug blocks" "0/$n/0" "$sysfs"
		fi
		if [ "$place" = fallback ]; then
			check "$t the fallback is explained" reason_given "$dev" memmap_fallback_reason
		fi
		if [ "$place" = auto ]; then
			check_eq "$t memmap_policy" auto "$(mom_attr_or "$dev" memmap_policy)"
			check_eq "$t its reason, once in dmesg" 1 "$(dmesg_since |
				grep -cF "$dev: memmap placement: $(mom_attr_or "$dev" memmap_policy_reason)" || true)"
		fi
		check_eq "$t sysfs zones match the measured ones" "$zones" \
			"$(mom_attr_or "$dev" online_movable_blocks) $(mom_attr_or "$dev" online_normal_blocks) $(mom_attr_or "$dev" offline_blocks)"
		check_eq "$t nothing left for userspace to online" none "$(mom_attr_or "$dev" online_request)"
		lone=$(dmesg_since | sed -n "s/.*$dev: \([0-9]*\) memory block(s) held offline (the page tables of the device's memmap.*/\1/p" | tail -n 1)
		lone=${lone:-0}
		check_eq "$t sysfs: onlined by the kernel's policy, by userspace" "$(want_who "$drv" "$pol")" \
			"$(mom_attr_or "$dev" onlined_by_kernel_blocks) $(mom_attr_or "$dev" onlined_by_userspace_blocks)"
		# Read back from the page tables: none pins a block of the device.
		check_eq "$t page tables and section roots of its memmap in its own blocks" 0 \
			"$(mom_attr_or "$dev" memmap_tables_in_device)"
		check_eq "$t gigantic_pages: the 1 GiB windows no memmap spoils" \
			"$(n_blocks=$n want_gigantic "$where")" "$(mom_attr_or "$dev" gigantic_pages)"
		first=$(mom_attr_or "$dev" tables_first_blocks)
		diag "$t blocks added first for their page tables: $first"
		# Held only where the policy itself onlines into a kernel zone.
		if [ "$drv" = movable ] && [[ " online online_kernel " == *" $(cat $aob) "* ]]; then
			check_eq "$t held offline for udev, once" 1 "$(dmesg_count "$dev: $n memory block\\(s\\) held offline \\(online=movable\\)")"
		elif [ "$want" = "0 $n 0" ]; then
			check_eq "$t ZONE_NORMAL by policy is named, with the fix" 1 \
				"$(dmesg_count "$dev: the kernel's online policy put $((n - lone)) of $n memory block\\(s\\) in ZONE_NORMAL.*online=movable")"
		fi
	fi
	check_tool "$t" "$mom" "$zones" "$sysfs"
	# What the memmap measures to, online blocks only (offline ones are not
	# in MemTotal, and a memmap on the device is counted as they online).
	if [ "${zones##* }" = 0 ] && { [ -n "$mom" ] || [ "$drv" = knob ]; }; then
		if [ "$where" = device ]; then
			check_eq "$t node$node MemTotal = device - memmap" $((n * $(memblock_bytes) / 1024 - memmap_kb)) "$total"
			check_eq "$t node$node present-managed = memmap pages" $((memmap_kb / 4)) "$unmanaged"
		else
			check_eq "$t node$node MemTotal = whole device" $((n * $(memblock_bytes) / 1024)) "$total"
			check_eq "$t node$node present-managed = 0" 0 "$unmanaged"
		fi
		# A memmap chained into the device's own blocks shows here.
		within "$t node$node MemFree: the device's memory is free (used kB)" "$used" 0 2048
		if [ -n "$mm0" ]; then
			check_eq "$t nr_memmap_pages grew by the memmap" $((memmap_kb / 4)) $((mm1 - mm0))
		fi
	fi

	# Give it back.  A ZONE_NORMAL block can hold the kernel's own
	# allocations (kernel_pins_normal).
	gb=ok
	[ "$want" = "0 $n 0" ] && kernel_pins_normal "$node" && gb=stuck
	out=$(daxctl reconfigure-device --mode=devdax --force "$dev" 2>&1) && rc=0 || rc=$?
	if [ $gb = ok ]; then
		check "$t back to devdax" test $rc = 0
		[ $rc = 0 ] || diag "$out"
		[ -n "$mom" ] && check_eq "$t counters: nothing added, nothing stranded" "0 0 0" "$(mom_counters)"
		daxctl disable-device "$dev" >/dev/null 2>&1 || true
		settle
		check_eq "$t node$node memory blocks are gone" "$blocks0" "$(node_memblocks "$node")"
		check "$t /proc/iomem as before" diff -u /tmp/iomem.0 /proc/iomem
		# More coming back than was spent is others' memory, not a leak.
		# Below zero: freed caches of others. Measured -1260 kB at least over
		# 168 give-backs (1 to 512 GiB, 6.1 to 7.3), so -2048.
		check_spent "$t DRAM back, nothing kept (kB still spent)" "$d0" -2048 $((slack_kb - 1))
		modprobe -r kmem_mom kmem 2>/dev/null || true
		check "$t driver unloaded" bash -c '! grep -qE "^(kmem|kmem_mom) " /proc/modules'
	else
		diag "$t daxctl: $out"
		check_busy "$t the kernel pinned a ZONE_NORMAL block: daxctl says EBUSY" $rc "$out"
		check_eq "$t the device stays bound, whole" "kmem $n" "$(dax_driver "$dev") $(dax_memblocks "$dev")"
		[ -n "$mom" ] && check_eq "$t counters: 1 device, $n blocks, 0 stranded" "1 $n 0" "$(mom_counters)"
		check_eq "$t nothing claims to be stranded" 0 "$(dmesg_count 'cannot be hotremoved')"
		stuck="the device is held by the kernel since $t"
		[ $rc != 0 ] || gb="ok (expected stuck)"
	fi
	[ $rc = 0 ] || [ $gb = stuck ] || gb="FAILED: $(tail -n 1 <<<"$out")"
	pol_row=$pol
	[ "$pol" != booted ] || pol_row="as booted ($booted_aob)"
	# GiB as a decimal: a pmem namespace of 7 blocks is 0.875, not 0.
	gib=$(awk -v b=$((n * $(memblock_bytes))) 'BEGIN { printf "%g", b / 2^30 }')
	rows+=("$gib|$n x $(($(memblock_bytes) >> 20)) MiB|$boot_param|$drv|$pol_row|$place|$((d0 - d1))|$total|$memfree|$unmanaged|${sysfs:--}|${first:--}|${zones// //}|$gb")
}

for c in ${KMM_CASES//,/ }; do
	IFS=: read -r drv pol place <<<"$c"
	run_case "$drv" "$pol" "$place"
done
set_policy booted
for r in "${rows[@]}"; do
	echo "# policy|$(kver)|$KMM_DEVICE|$r"
done
tap_done
