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

# block_state DIR: the memory block's state into $st, read by the shell
# itself: a 512 GiB device has 4096 blocks, and a process per read costs
# minutes under TCG.
block_state() { st=; read -r st <"$1/state" 2>/dev/null || true; }

# node_online_memblocks NODE: the subset that is online.
node_online_memblocks() {
	local n=0 b st
	for b in /sys/devices/system/node/node"$1"/memory[0-9]*; do
		block_state "$b"
		[ "$st" = online ] && n=$((n + 1))
	done
	echo "$n"
}

# Memory block size in bytes (128 MiB in these guests).
memblock_bytes() {
	echo $((16#$(cat /sys/devices/system/memory/block_size_bytes)))
}

# range_memblocks START END: memory blocks (any node, any state) that start
# in [START, END).  Addresses in any form bash arithmetic takes (0x...).
range_memblocks() { range_block_dirs "$1" "$2" | wc -l; }

# range_block_dirs START END: the sysfs directories of those blocks.
range_block_dirs() {
	local start=$(($1)) end=$(($2)) bs b a
	bs=$(memblock_bytes)
	for b in /sys/devices/system/memory/memory[0-9]*; do
		a=$((${b##*memory} * bs))
		[ "$a" -ge "$start" ] && [ "$a" -lt "$end" ] && echo "$b"
	done
	return 0
}

# dax_block_dirs DEV: the directories of the memory blocks present inside
# the dax device's span.
# dax_memblocks DEV: how many; dax_online_memblocks DEV: of them online.
# dax_fit_memblocks DEV: whole blocks that fit in the span, i.e. what kmem
# can add after aligning both ends.  All take the span as resource + size,
# which is exact for the single-range devices of our recipes.
dax_block_dirs() {
	local d=/sys/bus/dax/devices/$1 start
	start=$(($(cat "$d/resource")))
	range_block_dirs "$start" $((start + $(cat "$d/size")))
}
dax_memblocks() { dax_block_dirs "$1" | wc -l; }

# dax_ram_resources DEV: the resources right under DEV's in /proc/iomem,
# one "start-end name" per line.
# dax_blocks_resource DEV N: what one resource for DEV's N whole blocks
# reads as, the in-tree kmem's single add and kmem_mom's merged per-block
# adds alike.
dax_ram_resources() {
	awk -v d="$1" '
		inside && match($0, /^ */) && RLENGTH <= indent { exit }
		inside { sub(/^ */, ""); sub(/ : /, " "); print }
		$NF == d { inside = 1; match($0, /^ */); indent = RLENGTH }
	' /proc/iomem
}
dax_blocks_resource() {
	local bs s
	bs=$(memblock_bytes)
	s=$(($(cat "/sys/bus/dax/devices/$1/resource")))
	s=$(((s + bs - 1) / bs * bs))
	printf '%08x-%08x System RAM (kmem)\n' "$s" $((s + $2 * bs - 1))
}
dax_online_memblocks() {
	local b n=0 st
	for b in $(dax_block_dirs "$1"); do
		block_state "$b"
		[ "$st" = online ] && n=$((n + 1))
	done
	echo "$n"
}
dax_fit_memblocks() {
	local d=/sys/bus/dax/devices/$1 start end bs first
	start=$(($(cat "$d/resource"))) bs=$(memblock_bytes)
	end=$((start + $(cat "$d/size")))
	first=$(((start + bs - 1) / bs))
	[ $((end / bs)) -gt "$first" ] && echo $((end / bs - first)) || echo 0
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

# wait_until SECONDS CMD...: run CMD every 0.1 s until it succeeds (its
# output is that of the successful run).  For what probes asynchronously.
wait_until() {
	local i n=$(($1 * 10))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# dax_by_resource HEXSTART: the dax device (e.g. dax1.0) whose memory
# starts at physical address HEXSTART (0x optional, digits in any case), from
# /sys/bus/dax/devices/*/resource.  Status 1 and no output if none does.
dax_by_resource() {
	local want=$((16#${1#0x})) d res
	for d in /sys/bus/dax/devices/dax*; do
		res=$(cat "$d/resource" 2>/dev/null) || continue
		[ -n "$res" ] || continue
		if [ $((16#${res#0x})) = "$want" ]; then
			echo "${d##*/}"
			return 0
		fi
	done
	return 1
}

# ndctl_chardev JSON: the dax device of "ndctl create-namespace -m devdax".
ndctl_chardev() {
	local dev
	dev=$(jq -r '.daxregion.devices[0].chardev' <<<"$1")
	if [ -z "$dev" ] || [ "$dev" = null ]; then
		echo "setup_device: no dax device in: $1" >&2
		return 1
	fi
	wait_for "/sys/bus/dax/devices/$dev" || return 1
	echo "$dev"
}

# sysfs_write FILE VALUE: a write that names itself when the kernel says no.
sysfs_write() {
	echo "$2" >"$1" 2>/dev/null || {
		echo "setup_device: echo $2 > $1 failed" >&2
		return 1
	}
}

# CXL, as the cxl recipe of tests/boot-guest.sh builds it: one type-3
# memdev (mem0) with volatile capacity under one fixed memory window.
CXL=/sys/bus/cxl/devices

# cxl_root_decoder: the window's root decoder (the one that makes RAM
# regions), e.g. decoder0.0.
cxl_root_decoder() {
	local d
	for d in "$CXL"/decoder*; do
		[ -e "$d/create_ram_region" ] && [ "$(cat "$d/cap_ram")" = 1 ] || continue
		echo "${d##*/}"
		return 0
	done
	return 1
}

# cxl_endpoint_decoder: mem0's first HDM decoder (endpoint decoders are the
# ones with a DPA), e.g. decoder2.0.  It appears once cxl_mem has probed
# mem0 and the endpoint port, asynchronously.
cxl_endpoint_decoder() {
	local d
	for d in "$CXL"/decoder*.0; do
		[ -e "$d/dpa_size" ] || continue
		echo "${d##*/}"
		return 0
	done
	return 1
}

# setup_cxl [tool|sysfs]: create, commit and enable a RAM region over all of
# mem0's volatile capacity and print the dax device that dax_cxl makes of
# it.  "tool" is "cxl create-region -t ram", which ndctl 76 (bookworm)
# refuses ("not supported yet"); "sysfs" is the same steps by hand.
# Default: the tool when cxl is v80 or newer (trixie has 81).
setup_cxl() {
	local how=${1:-} root ep region size start ver json
	if [ -z "$how" ]; then
		ver=$(cxl version 2>/dev/null || echo 0)
		how=sysfs
		[ "${ver%%.*}" -ge 80 ] 2>/dev/null && how=tool
	fi
	modprobe -a cxl_acpi cxl_pci cxl_mem dax_cxl device_dax >&2 || return 1
	ep=$(wait_until 30 cxl_endpoint_decoder) || {
		echo "setup_device: no CXL endpoint decoder (mem0 not probed?)" >&2
		return 1
	}
	root=$(cxl_root_decoder) || {
		echo "setup_device: no CXL root decoder with RAM capability" >&2
		return 1
	}
	size=$(($(cat "$CXL/mem0/ram/size")))
	[ "$size" -gt 0 ] || {
		echo "setup_device: mem0 has no volatile capacity" >&2
		return 1
	}
	echo "setup_device: cxl via $how: $root -> $ep, $size bytes" >&2
	case "$how" in
	tool)
		json=$(cxl create-region -m -t ram -d "$root" -w 1 -s "$size" mem0) || return 1
		echo "$json" >&2
		region=$(jq -r '.region // empty' <<<"$json")
		;;
	sysfs)
		# The order matters: ways before size (the HPA allocation uses
		# it), the endpoint's DPA before it joins the region.
		region=$(cat "$CXL/$root/create_ram_region") &&
			sysfs_write "$CXL/$root/create_ram_region" "$region" &&
			sysfs_write "$CXL/$region/interleave_granularity" \
				"$(cat "$CXL/$root/interleave_granularity")" &&
			sysfs_write "$CXL/$region/interleave_ways" 1 || return 1
		if [ "$(cat "$CXL/$ep/mode")" != ram ]; then
			sysfs_write "$CXL/$ep/mode" ram || return 1
		fi
		sysfs_write "$CXL/$ep/dpa_size" "$size" &&
			sysfs_write "$CXL/$region/size" "$size" &&
			sysfs_write "$CXL/$region/target0" "$ep" &&
			sysfs_write "$CXL/$region/commit" 1 &&
			sysfs_write /sys/bus/cxl/drivers/cxl_region/bind "$region" || return 1
		;;
	*)
		echo "setup_device: cxl: unknown method '$how' (tool or sysfs)" >&2
		return 1
		;;
	esac
	[ -n "$region" ] && [ -e "$CXL/$region/resource" ] || {
		echo "setup_device: no region on $ep after create" >&2
		return 1
	}
	start=$(cat "$CXL/$region/resource")
	echo "setup_device: $region at $start" >&2
	wait_until 10 dax_by_resource "$start" || {
		echo "setup_device: no dax device at $start for $region" >&2
		return 1
	}
}

# setup_device DEVICE [ARG]: load the in-tree drivers for a boot-guest.sh
# --device recipe and print the dax device(s) it provides:
#   hmem, hmem-twoinit, pmem, nvdimm,	one name (e.g. dax0.0)
#   nvdimm-nonuma
#   multi, pair				one per soft-reserved range, in address
#					order, space separated (KMM_DAX_RES)
#   cxl [tool|sysfs]			one name; see setup_cxl
# large_pmem_without_nd_pmem: true for a large pmem device
# (KMM_DEV_GIB), which setup_device takes to devdax without nd_pmem; keeps
# modprobe (and udev's loads) from loading nd_pmem.
large_pmem_without_nd_pmem() {
	[ "${KMM_DEV_GIB:-1}" -gt 1 ] || return 1
	echo "blacklist nd_pmem" >/etc/modprobe.d/kmm-pmem.conf
}

# Diagnostics go to stderr so "dev=$(setup_device hmem)" stays clean.
setup_device() {
	local dev json res r names=() big mods
	case "$1" in
	hmem | hmem-twoinit)
		modprobe -a dax_hmem device_dax >&2 || return 1
		wait_for /sys/bus/dax/devices/dax0.0 || {
			echo "setup_device: no dax0.0 after modprobe dax_hmem" >&2
			return 1
		}
		dev=dax0.0
		;;
	pmem)
		# Large (KMM_DEV_GIB): no nd_pmem.  On a legacy (e820) region it
		# maps the raw namespace with struct pages for all of it, in RAM
		# (8 GiB for 512 GiB, more than a guest holding its device's
		# memmap has), until the namespace becomes devdax, which needs
		# only dax_pmem; coldplug_without_driver keeps udev from loading
		# it too.
		mods=(nd_e820 nd_pmem dax_pmem device_dax)
		large_pmem_without_nd_pmem && mods=(nd_e820 dax_pmem device_dax)
		modprobe -a "${mods[@]}" >&2 || return 1
		wait_for /sys/bus/nd/devices/namespace0.0 || {
			echo "setup_device: no namespace0.0 after modprobe nd_e820" >&2
			return 1
		}
		# Large (KMM_DEV_GIB): device_dax's own memmap in RAM, in 1 GiB
		# compound pages whose vmemmap the kernel shares (a few pages a
		# GiB), rather than 1/64 of the namespace written on the device.
		big=()
		[ "${KMM_DEV_GIB:-1}" -gt 1 ] && big=(-M mem -a 1G)
		json=$(ndctl create-namespace -f -e namespace0.0 -m devdax ${big[@]+"${big[@]}"}) || {
			echo "setup_device: ndctl create-namespace failed" >&2
			return 1
		}
		dev=$(ndctl_chardev "$json") || return 1
		;;
	multi | pair | pair-nodes)
		modprobe -a dax_hmem device_dax >&2 || return 1
		# Numeric sort: the hex strings may differ in length.
		for res in $(for r in ${KMM_DAX_RES:-}; do
			echo "$((16#${r#0x})) $r"
		done | sort -n | cut -d' ' -f2); do
			dev=$(wait_until 10 dax_by_resource "$res") || {
				echo "setup_device: no dax device at $res after modprobe dax_hmem" >&2
				return 1
			}
			names+=("$dev")
		done
		[ ${#names[@]} -gt 0 ] || {
			echo "setup_device: KMM_DAX_RES is empty (boot with --device multi)" >&2
			return 1
		}
		dev=${names[*]}
		;;
	nvdimm | nvdimm-nonuma)
		modprobe -a nfit nd_pmem dax_pmem device_dax >&2 || return 1
		wait_for /sys/bus/nd/devices/region0 || {
			echo "setup_device: no region0 after modprobe nfit" >&2
			return 1
		}
		# QEMU hands over a blank label area: write empty label indexes
		# (region disabled meanwhile) before carving a namespace.
		{ ndctl disable-region region0 && ndctl init-labels all &&
			ndctl enable-region region0; } >&2 || {
			echo "setup_device: ndctl init-labels failed" >&2
			return 1
		}
		json=$(ndctl create-namespace -r region0 -m devdax) || {
			echo "setup_device: ndctl create-namespace -r region0 failed" >&2
			return 1
		}
		dev=$(ndctl_chardev "$json") || return 1
		;;
	cxl)
		dev=$(setup_cxl "${2:-}") || return 1
		;;
	*)
		echo "setup_device: unknown device '$1'" >&2
		return 1
		;;
	esac
	echo "$dev"
}

# devdax_park DEV...: put the unbound ones on device_dax.  On 6.3+ a
# KMEM-type driver grabs unbound hmem and CXL devices the moment it loads;
# parked ones wait for daxctl.
devdax_park() {
	local d
	for d; do
		[ -n "$(dax_driver "$d")" ] || daxctl reconfigure-device --mode=devdax "$d" >/dev/null
	done
}

# stress_start DEVICE: the common start of the reliability scenarios: the
# recipe's devices in $devs (the first also in $dev), the first two parked
# on device_dax (multi's third is smaller than a block, and 7.3's device_dax
# refuses it), hot-added blocks left offline for daxctl to online as it
# chooses, and kmem_mom loaded (one TAP line).
stress_start() {
	local two
	devs=$(setup_device "$1") || bail_out "no $1 dax device"
	dev=${devs%% *}
	read -ra two <<<"$devs"
	devdax_park "${two[@]:0:2}"
	echo offline >/sys/devices/system/memory/auto_online_blocks
	check "modprobe kmem_mom" modprobe kmem_mom
}

# persistent_device KIND: a recipe whose dax device is persistent memory
# (a pmem or NVDIMM namespace in devdax mode): bound through daxctl, never
# on arrival (dax_pmem hands it to device_dax), and RAM for its memmap
# under memmap_on_memory=auto.
persistent_device() {
	case $1 in
	pmem | nvdimm | nvdimm-nonuma) return 0 ;;
	esac
	return 1
}

# dax_node DEV: the NUMA node the dax device's memory is added to.  That is
# target_node: numa_node is the nearest *online* node, and the memory-only
# node 1 is offline until kmem adds memory to it.  The dax bus hides
# target_node when it is NUMA_NO_NODE: print -1 then.
dax_node() {
	local d=/sys/bus/dax/devices/$1
	if [ -d "$d" ] && [ ! -e "$d/target_node" ]; then
		echo -1
		return 0
	fi
	cat "$d/target_node"
}

# dax_driver DEV: the driver the dax device is bound to (kmem, device_dax, "").
dax_driver() {
	local l=/sys/bus/dax/devices/$1/driver
	[ -L "$l" ] && basename "$(readlink "$l")"
	return 0
}

# load_in_tree_kmem: the in-tree kmem, by its path: with kmem_mom installed
# the name "kmem" finds kmem_mom's stand-in (see kmem_mom.conf).
load_in_tree_kmem() {
	insmod /lib/modules/"$(uname -r)"/kernel/drivers/dax/kmem.ko*
}

# in_tree_kmem_conf FILE: a modprobe.d file that makes this guest a host
# without kmem_mom: "kmem" is the in-tree module, and udev's alias load
# finds nothing else.
in_tree_kmem_conf() {
	printf '%s\n' "blacklist kmem_mom" \
		'install kmem /sbin/insmod /lib/modules/$(uname -r)/kernel/drivers/dax/kmem.ko*' >"$1"
}

# no_in_tree_kmem: the in-tree kmem is not loaded.  A loaded module "kmem"
# must be kmem_mom's stand-in for the name: it has kmem_mom's version (the
# in-tree kmem has none) and holds a reference on kmem_mom.
no_in_tree_kmem() {
	[ ! -e /sys/module/kmem ] && return 0
	[ "$(cat /sys/module/kmem/version 2>/dev/null)" = "$(cat /sys/module/kmem_mom/version 2>/dev/null)" ] &&
		[ "$(cat /sys/module/kmem_mom/refcnt)" -ge 1 ]
}

# summary CHECK ITERATIONS LOST DRIFT: one row of the stress summary table
# (tests/run.sh collects them).  The result column is this script's TAP
# verdict so far.  LOST: bytes of data lost, "-" where no data is checked.
summary() {
	local result=pass
	[ "$_tap_fail" = 0 ] || result=fail
	printf '# summary|%s|%s|%s|%s|%s\n' "$1" "$2" "$result" "$3" "$4"
}
