# SPDX-License-Identifier: GPL-2.0-only
#
# In-guest memory accounting for kmem_mom's scenarios.  Sourced after
# /kmm/lib.sh.  Sizes in kB unless the name says pages.

# Let the numbers settle: drop clean caches so page cache churn from the
# tools we run does not pass for memmap, then wait (up to 5 s) until node
# 0's free memory holds still: RCU callbacks and lazy vmap purges keep
# handing memory back for a moment after a hot-(un)plug (seen on 7.3: 3 MB
# arriving during the next measurement).
settle() {
	local i now last
	udev_idle
	sync
	echo 3 >/proc/sys/vm/drop_caches
	kasan_drain
	now=$(dram_free_kb 0)
	for ((i = 0; i < 10; i++)); do
		sleep 0.5
		last=$now now=$(dram_free_kb 0)
		[ $((now - last)) -le 128 ] && [ $((last - now)) -le 128 ] && break
	done
	return 0
}

# kasan_kernel: the guest runs a KASAN kernel (the debug lane's).  Looked
# up once per guest, in the kernel's symbols.
kasan_kernel() {
	local k
	[ -f /tmp/kmm.kasan ] ||
		{ grep -qw kasan_quarantine_remove_cache /proc/kallsyms && echo 1 || echo 0; } >/tmp/kmm.kasan
	read -r k </tmp/kmm.kasan
	[ "$k" = 1 ]
}

# kasan_drain: on a KASAN kernel (the debug lane), empty its quarantine of
# freed objects (1/32 of RAM at most, and it drains when it likes): a
# cache's shrink hands back that cache's quarantined objects.
kasan_drain() {
	local f
	kasan_kernel || return 0
	for f in /sys/kernel/slab/*/shrink; do
		echo 1 >"$f" 2>/dev/null || true
	done
}

# dram_base: node 0's free DRAM as the baseline of a measurement, read after
# a settle: the largest of three readings a second apart.  Frees deferred
# from before (RCU callbacks, lazy vmap purges; 2 MB seen on a loaded host)
# only ever raise it, and landing after the baseline they would pass for
# memory the measured bind did not spend.  Also keeps /proc/meminfo for
# check_spent's diagnostics.
dram_base() {
	local i v max=0
	for ((i = 0; i < 3; i++)); do
		[ $i = 0 ] || sleep 1
		v=$(dram_free_kb 0)
		[ "$v" -gt "$max" ] && max=$v
	done
	cp /proc/meminfo /tmp/meminfo.base
	cp /proc/vmstat /tmp/vmstat.base
	echo "$max"
}

# check_spent DESC D0 LOW HIGH: node0's DRAM spent since D0 (a dram_free_kb 0
# read after a settle) is within LOW..HIGH kB.  Something else in the guest
# (a short-lived process, a slab that has not shrunk yet) can hold a few MB
# across one settle on a loaded host (2.5 MB seen once in 50 runs): out of
# range, settle and read again, up to 3 times, and say so.  A memmap really
# in RAM does not go away by waiting; each re-read is in the diagnostics, and
# a final miss shows which meminfo fields moved.  The value judged is left
# in check_spent_kb, for a report that must show the same figure.
check_spent() {
	local spent i low=$3
	# On the debug lane's kernel, memory others freed before the window
	# keeps arriving in it (KASAN's quarantine, RCU): more coming back is
	# not what is measured, and the upper bound stays.
	# It keeps arriving for longer there: three settles were not enough
	# once (6.12.118-kmm-debug, bind-hmem: 3980, 2140, 1932, then 1344 kB
	# for a memmap on the device; another guest 1212, 1156, then 648), so
	# the KASAN kernel gets ten.
	local tries=3
	kasan_kernel && low=$((low - 3072)) tries=10
	set -- "$1" "$2" "$low" "$4"
	spent=$(($2 - $(dram_free_kb 0)))
	for ((i = 1; i <= tries; i++)); do
		[ "$spent" -ge "$3" ] && [ "$spent" -le "$4" ] && break
		diag "$1: $spent kB is out of $3..$4; settling again ($i/$tries)"
		sleep 2
		settle
		spent=$(($2 - $(dram_free_kb 0)))
	done
	if [ "$spent" -lt "$3" ] || [ "$spent" -gt "$4" ]; then
		diag "since the baseline, meminfo fields that moved by 512 kB or more:"
		diag "$(awk 'NR == FNR { a[$1] = $2; next }
			($1 in a) && ($2 - a[$1] >= 512 || a[$1] - $2 >= 512) {
				printf "%s %d -> %d; ", $1, a[$1], $2 }' \
			/tmp/meminfo.base /proc/meminfo 2>/dev/null)"
		diag "and vmstat counters that moved by 128 pages or more:"
		diag "$(awk 'NR == FNR { a[$1] = $2; next }
			($1 in a) && ($2 - a[$1] >= 128 || a[$1] - $2 >= 128) {
				printf "%s %d -> %d; ", $1, a[$1], $2 }' \
			/tmp/vmstat.base /proc/vmstat 2>/dev/null)"
	fi
	check_spent_kb=$spent
	within "$1" "$spent" "$3" "$4"
}

# Where udevd runs (KMM_UDEV=1): wait for its event queue to drain and its
# worker processes, 2 MiB or so each, to go (a reload sends the idle ones
# away), so that they are not counted as memory a bind spent.  A daemon
# that udev_restart told to exit may still be finishing its workers: wait
# for it too (6 MiB seen arriving in the next window on a loaded host).
# Workers are named systemd-udevd (bookworm) or (udev-worker) (trixie).
udev_idle() {
	local i
	pgrep -x systemd-udevd >/dev/null || return 0
	udev_settle
	udev_control --reload
	for ((i = 0; i < 200; i++)); do
		if [ "$(pgrep -xc systemd-udevd)" -le 1 ] && ! pgrep -x '\(udev-worker\)' >/dev/null; then
			return 0
		fi
		sleep 0.1
	done
}

# udevadm's own limits (60 s to answer, 120 s to settle) are met by udevd
# on a debug kernel with other guests beside it: the guest's timeout is
# the limit that counts.  kmem_mom's rule hands its helper to a session of
# its own, or to a systemd unit (the field lane): settled includes the
# helper's end either way.  udevadm settle alone may answer before udevd
# has read a uevent the kernel already sent (its ping and the event arrive
# together, and the ping can be served first): a test's own triggers use
# "udevadm trigger --settle", which waits for those very events.
udev_settle() {
	udevadm settle --timeout=1800
	while pgrep -f /usr/lib/kmem_mom/kmem_mom-online-held >/dev/null; do
		sleep 0.5
	done
}
udev_control() { udevadm control --timeout=1800 "$@"; }

# udevd's module loader reads modprobe.d when udevd starts; a reload is
# asynchronous and may come after events already queued.  Restart it.  An
# exiting udevd has closed its uevent socket, so what can outlive its exit
# is a worker finishing an event it already had, with the old modprobe.d:
# wait for those (10 s at most), and name any left in the log, with where
# it waits.  pgrep -x takes 15 characters at most: one call per name.
udev_pids() {
	pgrep -x systemd-udevd || true
	pgrep -x '\(udev-worker\)' || true
}
udev_stop() {
	local i
	udev_control --exit 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		[ -n "$(udev_pids)" ] || return 0
		sleep 0.1
	done
	echo "udev_stop: 10 s after udevd's exit, still running: $(udev_ps)" >&2
	return 0
}
# udev_ps: udevd's processes on one line: state, where each waits, age.
udev_ps() {
	local pids
	pids=$(udev_pids | paste -sd,)
	[ -z "$pids" ] || ps -o pid=,stat=,wchan:32=,etime=,args= -p "$pids" | tr -s ' ' | tr '\n' ';'
	return 0
}
# It reads its rules before it serves: ready when it answers.
udev_start() {
	/usr/lib/systemd/systemd-udevd --daemon --resolve-names=never &&
		udev_control --ping
}
udev_restart() {
	udev_stop
	udev_start
}

# udevd kills a worker after its event timeout (180 s), but not the module
# load the worker was in: a bind on arrival that outlasts it (72 GiB of
# emulated CXL under TCG) goes on in the kernel after udevadm settle has
# returned.  bound_on_arrival: wait for every module's init, where the
# driver probed the device, then for the events of the bind.
module_coming() {
	local f st

	for f in /sys/module/*/initstate; do
		{ read -r st <"$f"; } 2>/dev/null && [ "$st" = coming ] && return 0
	done
	return 1
}
bound_on_arrival() {
	udev_settle
	while module_coming; do
		sleep 1
	done
	udev_settle
}

# coldplug_without_driver KIND: the device of KIND arrives with udevd
# running and no kmem driver to bind it (kmem_mom's modprobe.d rule parked
# in /tmp/kmem_mom.conf, kmem's load a no-op); prints the dax device.  The
# new udevd must not hold the caller's $(...) pipe open: stdout to null.
coldplug_without_driver() {
	local mdir=/etc/modprobe.d dev

	mv $mdir/kmem_mom.conf /tmp/kmem_mom.conf
	printf 'install kmem /bin/true\nblacklist kmem_mom\n' >$mdir/kmm-case.conf
	# A large pmem device goes to devdax without nd_pmem (setup_device).
	[ "$1" != pmem ] || large_pmem_without_nd_pmem || true
	udev_restart >/dev/null
	udevadm trigger --settle --action=add >/dev/null
	udev_settle
	dev=$(setup_device "$1") || return 1
	udev_settle
	echo "$dev"
}

# check_unbound DESC DEV: DEV has no driver; if it has one, what bound it:
# the modules loaded, the kernel's lines about kmem and dax, the udevd
# processes (two daemons at once load drivers with two configurations).
check_unbound() {
	local drv
	drv=$(dax_driver "$2")
	if [ -z "$drv" ]; then
		ok "$1"
		return 0
	fi
	not_ok "$1" "expected: no driver" "got: $drv" \
		"modules: $(grep -E '^(kmem|kmem_mom|device_dax|dax_hmem|dax_pmem) ' /proc/modules | cut -d' ' -f1,3,5 | tr '\n' ';')" \
		"udevd: $(udev_ps)" \
		"modprobe.d: $(ls /etc/modprobe.d /run/modprobe.d /usr/lib/modprobe.d /lib/modprobe.d 2>/dev/null | tr '\n' ' ')" \
		"$(dmesg | grep -E 'kmem|dax|udev' | tail -n 20)"
}

# kernel_pins_normal NODE: the kernel is known to keep a ZONE_NORMAL block
# of a device on NODE: 7.x puts the new node's kswapd and kcompactd there,
# and KASAN (the debug lane) the shadow of the node's blocks as they go
# online, in the blocks of the device already online.  Elsewhere EBUSY
# from a give-back is a failure.
kernel_pins_normal() { kver_ge 7.0 || [ "$(kasan_shadow_kb "$1")" -gt 0 ]; }

# DRAM really free on node N: MemFree plus the pages parked on per-cpu free
# lists, which MemFree does not count and which hot-add drains, plus what
# KASAN's shadow of hot-added memory holds there (kasan_shadow_kb).
dram_free_kb() {
	local free pcp
	free=$(awk '$3 == "MemFree:" {print $4}' "/sys/devices/system/node/node$1/meminfo")
	pcp=$(awk -v n="$1" '
		$1 == "Node" { cur = ($2 == n",") }
		cur && $1 == "count:" { s += $2 }
		END { print s + 0 }' /proc/zoneinfo)
	echo $((free + pcp * 4 + $(kasan_shadow_kb "$1")))
}

# kasan_shadow_kb N: on a KASAN kernel (the debug lane), the shadow that
# KASAN's memory notifier vmallocs for each block going online, 1/8 of it,
# on node N, read from /proc/vmallocinfo (0 on kernels without KASAN).  It
# is the debug kernel's cost of hot-added memory, not the memmap's, so the
# memmap measurements leave it out.  The notifier names its own caller as
# the area's, the notifier chain.
kasan_shadow_kb() {
	kasan_kernel || { echo 0; return 0; }
	awk -v n="N$1=" '/ (kasan_mem_notifier|notifier_call_chain)\+/ {
			for (i = 1; i <= NF; i++)
				if (index($i, n) == 1) s += substr($i, length(n) + 1)
		} END { print s * 4 }' /proc/vmallocinfo
}

node_meminfo_kb() { # node_meminfo_kb NODE FIELD
	awk -v k="$2:" '$3 == k {print $4}' "/sys/devices/system/node/node$1/meminfo" 2>/dev/null ||
		echo 0
}

# present - managed over node N's zones: pages the node owns but cannot
# hand out, i.e. a memmap living on the node's own memory.
node_unmanaged_pages() {
	local present managed
	read -r present managed <<<"$(node_pages "$1")"
	echo $((present - managed))
}

# node_pages NODE: "PRESENT MANAGED", summed over the node's zones.
node_pages() {
	awk -v n="$1" '
		$1 == "Node" { cur = ($2 == n",") }
		cur && $1 == "present" { p += $2 }
		cur && $1 == "managed" { m += $2 }
		END { print p + 0, m + 0 }' /proc/zoneinfo
}

# /proc/vmstat nr_memmap_pages (6.10+; counts memmap wherever it lives), or
# "" where the kernel does not have it.
memmap_pages() { awk '$1 == "nr_memmap_pages" {print $2}' /proc/vmstat; }

# within DESC VALUE LOW HIGH: LOW <= VALUE <= HIGH.
within() {
	if [ "$2" -ge "$3" ] && [ "$2" -le "$4" ]; then
		ok "$1 ($2)"
	else
		not_ok "$1" "got $2, want $3..$4"
	fi
}

# dmesg_count REGEX: lines of the kernel log since the last dmesg_mark.
dmesg_mark() { dmesg | wc -l >/tmp/dmesg.mark; }
dmesg_since() { dmesg | tail -n +$(($(cat /tmp/dmesg.mark 2>/dev/null || echo 0) + 1)); }
dmesg_count() { dmesg_since | grep -cE "$1" || true; }

# check_busy DESC EXIT OUTPUT: a command failed because the kernel refused
# to offline a block (EBUSY: a ZONE_NORMAL block holding the kernel's own
# allocations), and said so.
check_busy() {
	if [ "$2" != 0 ] && [[ $3 == *"Device or resource busy"* ]]; then
		ok "$1"
	else
		not_ok "$1" "exit $2" "$3"
	fi
}

# The attribute directory kmem_mom gives a bound device.
mom_attr() { cat "/sys/bus/dax/devices/$1/kmem_mom/$2"; }
# The same, "?" where the file is missing (a failed check, not an abort).
mom_attr_or() { cat "/sys/bus/dax/devices/$1/kmem_mom/$2" 2>/dev/null || echo '?'; }
# reason_given DEV ATTR: the attribute exists and gives a reason ("none"
# or a missing file fails).
reason_given() {
	local r
	r=$(mom_attr_or "$1" "$2")
	[ -n "$r" ] && [ "$r" != none ] && [ "$r" != '?' ]
}

# Expected memmap bytes for BLOCKS blocks of this guest's block size.
memmap_bytes() { echo $(($1 * $(memblock_bytes) / 4096 * 64)); }

# linmap_kb N: what the kernel spends in node 0's DRAM, besides the
# memmap, on the linear map of N new memory blocks, in kB, wherever the
# memmap goes.  x86 maps hot-added memory with 2 MiB/1 GiB pages: nothing
# a tolerance here notices (0).  arm64 maps it page by page whenever the
# linear map may later be changed page by page (can_set_direct_map():
# rodata=full, Debian's default, or a KFENCE that can start late, Debian's
# kfence.sample_interval=0): a 4 KiB table per 2 MiB, 2 MiB per GiB.
# Measured on Debian's arm64 6.12 (in-tree kmem, memmap in RAM): 7 blocks
# 16004 kB for 14336 kB of memmap, 62 blocks 142916 kB for 126976 kB
# (+256 kB a block); booted "rodata=off kfence.sample_interval=100",
# 14204 kB.
linmap_kb() {
	[ "$(uname -m)" = aarch64 ] || { echo 0; return 0; }
	if grep -qE '(^| )rodata=(off|noalias)( |$)' /proc/cmdline &&
		grep -qE '(^| )kfence.sample_interval=[1-9]' /proc/cmdline; then
		echo 0
		return 0
	fi
	echo $(($1 * $(memblock_bytes) / 512 / 1024))
}

# placement_mark NODE: remember node0's free DRAM and NODE's present -
# managed before a bind, for check_placement.
placement_mark() {
	settle
	_pm_dram=$(dram_base) _pm_unmanaged=$(node_unmanaged_pages "$1")
}

# check_placement TAG NODE BLOCKS WHERE: after a bind of BLOCKS blocks on
# NODE, the memmap measures as WHERE (ram, device) says: node0 DRAM spent
# and NODE's present - managed, against placement_mark (3 TAP lines).
check_placement() {
	local kb spent grew lin
	kb=$(($(memmap_bytes "$3") / 1024)) lin=$(linmap_kb "$3")
	settle
	spent=$((_pm_dram - $(dram_free_kb 0)))
	grew=$(($(node_unmanaged_pages "$2") - _pm_unmanaged))
	if [ "$lin" = 0 ]; then
		diag "$1 node0 DRAM spent $spent kB, node$2 present-managed +$grew pages"
	else
		diag "$1 node0 DRAM spent $spent kB (linear map $lin kB of it), node$2 present-managed +$grew pages"
	fi
	# The linear map's tables (arm64) are spent in both cases; the
	# windows are unchanged where there are none (x86).
	if [ "$4" = ram ]; then
		check_spent "$1 memmap in RAM: node0 DRAM spent = memmap +-1 MiB" "$_pm_dram" $((kb + lin - 1024)) $((kb + lin + 1024))
		check_eq "$1 node$2 present-managed unchanged" 0 "$grew"
	else
		check_spent "$1 memmap on the device: node0 DRAM spent < 1 MiB" "$_pm_dram" $((lin - 1024)) $((lin + 1023))
		check_eq "$1 node$2 present-managed grew by the memmap" $((kb / 4)) "$grew"
	fi
}

# --- Drift: what a full return to devdax must give back -------------------

MOM_STATS=/sys/bus/dax/drivers/kmem/kmem_mom

# snapshot DIR: MemTotal, /proc/iomem, the memory block list, kmem_mom's
# module-wide counters, and unreclaimable slab after dropping caches.
snapshot() {
	local f
	mkdir -p "$1"
	settle
	awk '$1 == "MemTotal:" {print $2}' /proc/meminfo >"$1/memtotal"
	awk '$1 == "SUnreclaim:" {print $2}' /proc/meminfo >"$1/sunreclaim"
	cp /proc/iomem "$1/iomem"
	ls /sys/devices/system/memory | grep '^memory[0-9]' | sort -V >"$1/blocks"
	for f in devices blocks stranded_blocks; do
		echo "$f $(cat "$MOM_STATS/$f" 2>/dev/null || echo -)"
	done >"$1/counters"
}

# drift BASE NOW: one line, "memtotal=+0kB iomem=0 blocks=0 counters=0
# sunreclaim=+4kB"; iomem/blocks/counters count differing lines.
# mom_counters: kmem_mom's module-wide counters on one line,
# "DEVICES BLOCKS STRANDED_BLOCKS".
mom_counters() {
	echo $(cat "$MOM_STATS/devices" "$MOM_STATS/blocks" "$MOM_STATS/stranded_blocks")
}

# NO_DRIFT is what exact_drift BASE NOW prints when nothing leaked: the
# part of drift (below) that must come back exactly, slab left out.
NO_DRIFT="memtotal=+0kB iomem=0 blocks=0 counters=0"
exact_drift() { drift "$1" "$2" | cut -d' ' -f1-4; }

_ndiff() { diff "$1/$3" "$2/$3" | grep -c '^[<>]' || true; }
drift() {
	printf 'memtotal=%+dkB iomem=%d blocks=%d counters=%d sunreclaim=%+dkB\n' \
		$(($(cat "$2/memtotal") - $(cat "$1/memtotal"))) \
		"$(_ndiff "$1" "$2" iomem)" "$(_ndiff "$1" "$2" blocks)" \
		"$(_ndiff "$1" "$2" counters)" \
		$(($(cat "$2/sunreclaim") - $(cat "$1/sunreclaim")))
}

# check_drift BASE NOW SLAB_KB: every exact item back to BASE, unreclaimable
# slab within SLAB_KB (caches warm up and breathe; a per-cycle leak does not
# stay under it).  Diffs go to the diagnostics.
check_drift() {
	local slab
	check_eq "MemTotal back to baseline" "$(cat "$1/memtotal")" "$(cat "$2/memtotal")"
	check "/proc/iomem back to baseline" diff -u "$1/iomem" "$2/iomem"
	check "memory block list back to baseline" diff -u "$1/blocks" "$2/blocks"
	check "kmem_mom counters back to baseline ($(tr '\n' ' ' <"$2/counters"))" \
		diff -u "$1/counters" "$2/counters"
	slab=$(($(cat "$2/sunreclaim") - $(cat "$1/sunreclaim")))
	within "unreclaimable slab drift (kB)" "$slab" "-$3" "$3"
}

# dax_zones DEV: the device's blocks as "MOVABLE NORMAL OFFLINE", from each
# block's state and valid_zones (an online block's is the zone it is in).
dax_zones() {
	local b mv=0 nm=0 off=0 st z
	for b in $(dax_block_dirs "$1"); do
		block_state "$b"
		z=
		[ "$st" != online ] || read -r z <"$b/valid_zones"
		if [ "$st" != online ]; then
			off=$((off + 1))
		elif [ "$z" = Movable ]; then
			mv=$((mv + 1))
		else
			nm=$((nm + 1))
		fi
	done
	echo "$mv $nm $off"
}
