# SPDX-License-Identifier: GPL-2.0-only
#
# What the benchmark guests share (bench.sh, bench-trace.sh): the device
# (dax0.0 of the bench recipe), loading and unloading each driver under
# test, and taking the device back out.  Sourced after /kmm/lib.sh.
#   kmem       the in-tree kmem (memmap in system RAM)
#   kmem-knob  the in-tree kmem with its own daxX.Y/memmap_on_memory=1 (6.9+)
#   mom0       kmem_mom memmap_on_memory=0
#   mom1       kmem_mom memmap_on_memory=1
#   auto       kmem_mom memmap_on_memory=auto (the default)

dev=dax0.0

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# bench_device: the device without a driver that maps it (device_dax would
# give it a memmap in RAM of its own, which a big device cannot afford).
# The x86 bench recipe and arm64's hmem (6.12) are soft-reserved memory,
# dax0.0 of dax_hmem.  arm64 7.3 makes no hmem device (see
# tests/boot-guest.sh, recipe_arm64_hmem): there the device is the
# nvdimm recipe's devdax namespace, whose own memmap for device_dax is on
# the namespace (ndctl's map=dev), so it is the same for every driver.
bench_device() {
	case ${KMM_DEVICE:-bench} in
	bench | hmem)
		modprobe dax_hmem
		wait_for /sys/bus/dax/devices/$dev 30 || bail_out "no $dev"
		;;
	*) dev=$(setup_device "$KMM_DEVICE") || bail_out "no $KMM_DEVICE dax device" ;;
	esac
}

# unbind_all: offline the memory, then unbind from sysfs (daxctl would
# rebind device_dax).  offlined_at: when the offline was over (now() time).
# kept: the kernel's reason when it refused the offline as arm64 7.3 does
# a block whose memmap is on it (tests/guest/leafsplit.sh; EPERM, "...
# splits a leaf entry in vmemmap", the in-tree kmem alike): the device
# then stays bound and online until the guest ends, and nothing more can
# run on it.  Any other refusal still fails below.
unbind_all() {
	local drv
	drv=$(dax_driver "$dev")
	offlined_at=$(now) kept=
	[ -n "$drv" ] || return 0
	daxctl offline-memory "$dev" >/dev/null 2>&1 || true
	offlined_at=$(now)
	if [ "$(dax_online_memblocks "$dev")" != 0 ]; then
		kept=$(dmesg | grep -m1 'splits a leaf entry in vmemmap' |
			sed 's/^\[[^]]*\] //; s/[[:space:]]\+/_/g' || true)
		[ -z "$kept" ] || return 0
	fi
	echo "$dev" >"/sys/bus/dax/drivers/$drv/unbind"
	[ "$(node_memblocks 1)" = 0 ] || bail_out "$drv left $(node_memblocks 1) blocks on node1"
}

# load_mom POLICY: kmem_mom, then its stand-in for the name "kmem", as the
# first daxctl after a host loads kmem_mom would: the binds measured are
# the later ones, which start no process (see kmem_mom.conf).
load_mom() {
	modprobe kmem_mom memmap_on_memory="$1" && modprobe kmem
}

# load DRIVER: 2 if this kernel does not have it.
load() {
	case $1 in
	kmem) load_in_tree_kmem ;;
	kmem-knob)
		[ -e "/sys/bus/dax/devices/$dev/memmap_on_memory" ] || return 2
		echo 1 >"/sys/bus/dax/devices/$dev/memmap_on_memory" || return 2
		load_in_tree_kmem
		;;
	mom0) load_mom 0 ;;
	mom1) load_mom 1 ;;
	auto) load_mom auto ;;
	*) return 2 ;;
	esac
}

# bench_order REP DRIVER...: the drivers for run REP, rotated by one place
# per run, so that over as many runs as drivers each one takes every place
# in the order once (what runs just before a driver is not the same each
# time, and neither is its distance from the boot).
bench_order() {
	local rep=$1 n k
	shift
	n=$#
	for k in $(seq 0 $((n - 1))); do
		echo "${@:$(((rep - 1 + k) % n + 1)):1}"
	done
}

unload() {
	modprobe -r kmem_mom 2>/dev/null || true
	modprobe -r kmem 2>/dev/null || true
	[ -e "/sys/bus/dax/devices/$dev/memmap_on_memory" ] &&
		echo 0 >"/sys/bus/dax/devices/$dev/memmap_on_memory" 2>/dev/null || true
}

# load_unbound DRIVER: loaded, the device without a driver.  6.3+ bind a
# KMEM-type device as soon as the driver loads; that bind is not measured.
load_unbound() {
	load "$1" || return
	sleep 0.5
	unbind_all
	settle
}

# bench_load DRIVER REP: DRIVER loaded and the device unbound, or false: a
# driver this kernel does not have is skipped (once), a failed load fails.
bench_load() {
	local rc=0
	load_unbound "$1" || rc=$?
	[ $rc = 0 ] && return 0
	if [ $rc = 2 ]; then
		[ "$2" = 1 ] && skip "$1" "not in this kernel (kmem-knob: 6.9+)"
	else
		not_ok "$1: load failed"
	fi
	return 1
}
