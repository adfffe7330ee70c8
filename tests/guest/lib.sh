# SPDX-License-Identifier: GPL-2.0-only
#
# In-guest TAP (version 13) helpers for kmem_mom's guest scripts.  Sourced
# from /kmm/lib.sh by /kmm/test.sh; tests/boot-guest.sh reads the stream on
# the second serial port.  Bash only.
#
#   tap_plan [N]		"TAP version 13" and "1..N" (no N: plan printed by tap_done)
#   ok DESC / not_ok DESC [DIAG...]
#   check DESC CMD...		ok if CMD succeeds, else not ok + CMD's output as diagnostics
#   skip DESC REASON		"ok N - DESC # SKIP REASON" (counted as skipped, not passed)
#   tap_done			summary; returns 1 if anything failed or the plan was missed
#   diag MSG...			"# MSG" lines

[ -f /kmm/env ] && . /kmm/env

# stdout is the TAP stream (ttyS1) and /init sends stderr there too: turn
# whatever tools print on stderr into "# " diagnostics so the stream stays
# valid TAP.  Line-buffered so it interleaves in order with stdout.
exec 2> >(sed -u 's/^/# /')

_tap_n=0 _tap_pass=0 _tap_fail=0 _tap_skip=0 _tap_planned=

diag() {
	local line
	# Every line, including those of multi-line arguments, gets its "# ".
	printf '%s\n' "$@" | while IFS= read -r line; do
		printf '# %s\n' "$line"
	done
}

tap_plan() {
	echo "TAP version 13"
	if [ $# -gt 0 ]; then
		_tap_planned=$1
		echo "1..$1"
	fi
}

ok() {
	_tap_n=$((_tap_n + 1)) _tap_pass=$((_tap_pass + 1))
	echo "ok $_tap_n - $1"
}

not_ok() {
	_tap_n=$((_tap_n + 1)) _tap_fail=$((_tap_fail + 1))
	echo "not ok $_tap_n - $1"
	shift
	[ $# -gt 0 ] && diag "$@"
	return 0
}

skip() {
	_tap_n=$((_tap_n + 1)) _tap_skip=$((_tap_skip + 1))
	echo "ok $_tap_n - $1 # SKIP ${2:-no reason given}"
}

# check DESC CMD...: the command's output is only shown when it fails.
check() {
	local desc=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	if [ $rc = 0 ]; then
		ok "$desc"
	else
		not_ok "$desc" "command: $*" "exit: $rc" ${out:+"$out"}
	fi
	return 0
}

# check_eq DESC EXPECTED ACTUAL: equality with both values in the diagnostics.
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "expected: $2" "got: $3"
	fi
}

tap_done() {
	[ -z "$_tap_planned" ] && echo "1..$_tap_n"
	echo "# $_tap_pass passed, $_tap_fail failed, $_tap_skip skipped"
	if [ -n "$_tap_planned" ] && [ "$_tap_planned" != "$_tap_n" ]; then
		echo "# planned $_tap_planned tests but ran $_tap_n"
		return 1
	fi
	[ "$_tap_fail" = 0 ]
}

# A failing script must not leave the TAP stream without a summary.
bail_out() {
	echo "Bail out! $*"
	exit 1
}

# --- Kernel version -----------------------------------------------------

kver() { uname -r; }

# kver_ge MAJOR.MINOR: true if the running kernel is at least that version.
kver_ge() {
	local want=$1 have
	have=$(uname -r | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')
	[ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -n1)" = "$want" ]
}

# kver_lt MAJOR.MINOR
kver_lt() { ! kver_ge "$1"; }

# --- Memory blocks --------------------------------------------------------

# node_memblocks NODE: memory blocks (online or not) that belong to NODE.
node_memblocks() {
	local n=0 b
	for b in /sys/devices/system/node/node"$1"/memory[0-9]*; do
		[ -e "$b" ] && n=$((n + 1))
	done
	echo "$n"
}

# node_online_memblocks NODE: the subset that is online.
node_online_memblocks() {
	local n=0 b
	for b in /sys/devices/system/node/node"$1"/memory[0-9]*; do
		[ "$(cat "$b/state" 2>/dev/null)" = online ] && n=$((n + 1))
	done
	echo "$n"
}

# Memory block size in bytes (128 MiB in these guests).
memblock_bytes() {
	echo $((16#$(cat /sys/devices/system/memory/block_size_bytes)))
}

# --- Devices --------------------------------------------------------------

# wait_for PATH [SECONDS]: dax devices appear asynchronously after modprobe.
wait_for() {
	local i
	for ((i = 0; i < ${2:-10} * 10; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# setup_device hmem|pmem: load the in-tree drivers and print the name of
# the dax device backed by node 1 (e.g. dax0.0).  Diagnostics go to stderr
# so "dev=$(setup_device hmem)" stays clean.
setup_device() {
	local dev json
	case "$1" in
	hmem)
		modprobe -a dax_hmem device_dax >&2 || return 1
		wait_for /sys/bus/dax/devices/dax0.0 || {
			echo "setup_device: no dax0.0 after modprobe dax_hmem" >&2
			return 1
		}
		dev=dax0.0
		;;
	pmem)
		modprobe -a nd_e820 nd_pmem dax_pmem device_dax >&2 || return 1
		wait_for /sys/bus/nd/devices/namespace0.0 || {
			echo "setup_device: no namespace0.0 after modprobe nd_e820" >&2
			return 1
		}
		json=$(ndctl create-namespace -f -e namespace0.0 -m devdax) || {
			echo "setup_device: ndctl create-namespace failed" >&2
			return 1
		}
		dev=$(jq -r '.daxregion.devices[0].chardev' <<<"$json")
		[ -n "$dev" ] && [ "$dev" != null ] || {
			echo "setup_device: no dax device in: $json" >&2
			return 1
		}
		wait_for "/sys/bus/dax/devices/$dev" || return 1
		;;
	*)
		echo "setup_device: unknown device '$1'" >&2
		return 1
		;;
	esac
	echo "$dev"
}

# dax_node DEV: the NUMA node the dax device's memory is added to.  That is
# target_node: numa_node is the nearest *online* node, and the memory-only
# node 1 is offline until kmem adds memory to it.
dax_node() {
	cat "/sys/bus/dax/devices/$1/target_node"
}

# dax_driver DEV: the driver the dax device is bound to (kmem, device_dax, "").
dax_driver() {
	local l=/sys/bus/dax/devices/$1/driver
	[ -L "$l" ] && basename "$(readlink "$l")"
	return 0
}
