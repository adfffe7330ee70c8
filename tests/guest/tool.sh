#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kmem-mom, the command (its ASan/UBSan test build), against what the kernel
# says and what daxctl and cxl-cli print, for one device recipe (KMM_DEVICE:
# hmem, pmem, nvdimm, cxl):
#   1. its errors and exit codes: kmem_mom not loaded, no such device,
#      usage, plan as an unprivileged user; -uv; the libraries' logs as
#      DAXCTL_LOG says and silent without it; output into a pipe without a
#      reader and onto a full disk; a file it cannot read (/proc/zoneinfo);
#   2. list of the device in devdax mode, and bound to the in-tree kmem
#      (status then names the in-tree kmem as a problem); on CXL, a serial
#      and an interleave granularity libcxl cannot read left out, as cxl
#      list leaves them out;
#   3. for memmap_on_memory=1, 0 and auto: plan before the bind, then the
#      bind measured (node 0's DRAM, the node's MemTotal) within 1 MiB of
#      what plan predicted, and list checked field by field against sysfs
#      and /proc/zoneinfo; list run as nobody once;
#   4. status: the boot parameter as booted, then a bind into ZONE_NORMAL
#      and an unbind that strands its blocks, each reported with its fix.
# Every list is also compared with daxctl list for the same device, plain
# and -u, by the same jq expression: each key daxctl prints, with its value.
# Step 4 leaves the device's memory behind: it comes last.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

aob=/sys/devices/system/memory/auto_online_blocks
mdir=/etc/modprobe.d
sanitizer_reports=0

# km ARGS...: run kmem-mom (as "${as[@]}", if set); $out (stdout), $err
# (stderr), $rc.  km_scan: $err from /tmp/km.err, and any sanitizer report
# in it counted.
as=()
km_scan() {
	err=$(cat /tmp/km.err)
	if grep -qE 'Sanitizer|runtime error:' /tmp/km.err; then
		sanitizer_reports=$((sanitizer_reports + 1))
		diag "$1:" "$err"
	fi
}
km() {
	rc=0
	out=$("${as[@]}" kmem-mom "$@" 2>/tmp/km.err) || rc=$?
	km_scan "kmem-mom $*"
}
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
km_nobody() {
	local as=("${nobody[@]}")
	km "$@"
}
jqo() { jq -r "$1" <<<"$out"; }
# The device's object from either command's list (daxctl -u prints one
# device as an object, not an array).
one='if type == "array" then .[0] else . end'

# check_rc DESC WANT [MESSAGE-REGEX]: the last km's exit status, and what it
# said on stderr.
check_rc() {
	check_eq "$1: exit $2" "$2" "$rc"
	[ $# -lt 3 ] && return 0
	if grep -qE -e "$3" <<<"$err"; then
		ok "$1: says /$3/"
	else
		not_ok "$1: says /$3/" "stderr: $err"
	fi
}

# The TAP lines: 32 in 1, 19 in 2, 64 in 3, 14 in 4; check_source's per
# list (4: 1 or 3 for CXL), and CXL's two in 2.
cxl_lines=0 source_lines=1
[ "$KMM_DEVICE" = cxl ] && cxl_lines=2 source_lines=3
tap_plan $((32 + 19 + 64 + 14 + 4 * source_lines + cxl_lines))
boot_param=$(cat /sys/module/memory_hotplug/parameters/memmap_on_memory)
dev=$(setup_device "$KMM_DEVICE") || bail_out "no $KMM_DEVICE dax device"
dev=${dev%% *}
devdax_park "$dev"
echo offline >$aob
node=$(dax_node "$dev")
size=$(cat "/sys/bus/dax/devices/$dev/size")
diag "$dev: $size bytes on node $node; booted with memmap_on_memory=$boot_param"

# --- 1. Errors -----------------------------------------------------------
km status
check_rc "status, kmem_mom not loaded" 4 "kmem_mom is not loaded"
check_eq "status still reports: loaded false, installed true" "false true" \
	"$(jqo '"\(.kmem_mom.loaded) \(.kmem_mom.installed)"')"
km plan "$dev"
check_rc "plan, kmem_mom not loaded" 4 "kmem_mom is not loaded.*modprobe kmem_mom"
km list -d dax9.9
check_rc "list -d dax9.9" 3 "dax9.9: no such dax device"
km plan dax9.9
check_rc "plan dax9.9" 3 "dax9.9: no such dax device"
km frobnicate
check_rc "an unknown command" 2 "'frobnicate' is not a command"
km plan
check_rc "plan without a device" 2 "name one dax device"
km --help
check_rc "--help" 0
check "--help prints the usage on stdout" grep -q "usage: kmem-mom <command>" <<<"$out"
km plan -d "$dev" "$dev"
check_rc "plan -d" 2 "-d is list's option"
km_nobody plan "$dev"
check_rc "plan as an unprivileged user" 5 "plan needs root: the physical ranges"

# Options combine as getopt's do: -uv is -u and -v.
km list -uv -d "$dev"
check_rc "list -uv: -v lets the libraries log" 0 "libdaxctl: daxctl_unref: context .* released"
check_eq "list -uv: -u prints the size as daxctl list -u does" \
	"$(daxctl list -u -d "$dev" | jq -c "$one | .size")" "$(jq -c "$one | .size" <<<"$out")"
# The libraries log as the environment says, as for daxctl; else errors
# only.  The context's release is logged last, after any priority kmem-mom
# could have set.
DAXCTL_LOG=debug km list -d "$dev"
check_rc "DAXCTL_LOG=debug list: libdaxctl logs" 0 "libdaxctl: daxctl_unref: context .* released"
km list -d "$dev"
check_eq "list without -v or DAXCTL_LOG: exit 0, nothing on stderr" "0|" "$rc|$err"

# Output that is lost is a system error: a pipe whose reader is gone (the
# FIFO's only reader closed before kmem-mom writes, SIGPIPE ignored), a
# full disk.
rm -f /tmp/km.fifo
mkfifo /tmp/km.fifo
rc=0
(
	trap '' PIPE
	exec 3<>/tmp/km.fifo 4>/tmp/km.fifo 3<&-
	exec kmem-mom list -d "$dev" >&4
) 2>/tmp/km.err || rc=$?
km_scan "kmem-mom list into a closed pipe"
check_rc "list into a pipe without a reader" 6 "cannot write to standard output: Broken pipe"
rc=0
kmem-mom list -d "$dev" >/dev/full 2>/tmp/km.err || rc=$?
km_scan "kmem-mom list >/dev/full"
check_rc "list onto a full disk (/dev/full)" 6 "cannot write to standard output: No space left on device"

# A file that is there but cannot be read (a write-only sysfs file mounted
# over /proc/zoneinfo) is said and exits 6; what was read is printed.
rc=0
out=$(unshare -m sh -c 'mount --bind /sys/bus/dax/drivers_probe /proc/zoneinfo && exec kmem-mom list -d "$1"' \
	sh "$dev" 2>/tmp/km.err) || rc=$?
km_scan "kmem-mom list, /proc/zoneinfo unreadable"
check_rc "list, /proc/zoneinfo unreadable" 6 "/proc/zoneinfo: Permission denied"
check_eq "list, /proc/zoneinfo unreadable: the rest is printed, present_pages left out" \
	"$dev $node false" "$(jqo '.[0] | "\(.chardev) \(.node.node) \(.node | has("present_pages"))"')"

# --- 2. list: devdax, then the in-tree kmem ------------------------------

# check_source J: the device's origin as the subsystem's own tools say,
# under their names.
region_facts='[.region, .size, .interleave_ways, .interleave_granularity,
	(.mappings[0] | .position, .memdev, .decoder)]'
memdev_facts='[.memdev, .serial, .host]'
check_source() {
	local j=$1 path ns region
	path=$(readlink -f "/sys/bus/dax/devices/$dev")
	case $KMM_DEVICE in
	hmem)
		check_eq "source: soft-reserved, its hmem device" \
			"soft-reserved $(grep -o 'hmem\.[0-9]*' <<<"$path")" \
			"$(jq -r '"\(.source.type) \(.source.provider)"' <<<"$j")"
		;;
	pmem | nvdimm)
		ns=$(ndctl list -N | jq -r --arg d "$dev" \
			'.[] | select(.chardev == $d or (.daxregion.devices // [] | map(.chardev) | index($d))) | .dev')
		region=$(basename "$(dirname "$(readlink -f "/sys/bus/nd/devices/$ns")")")
		local labelled=false
		[ "$KMM_DEVICE" = nvdimm ] && labelled=true
		check_eq "source: nvdimm $region $ns, labelled $labelled" \
			"nvdimm $region $ns $labelled" \
			"$(jq -r '"\(.source.type) \(.source.region) \(.source.namespace) \(.source.labelled)"' <<<"$j")"
		;;
	cxl)
		region=$(cxl list -R | jq -r '.[0].region')
		check_eq "source: cxl $region, under its root decoder" \
			"cxl $region $(grep -o 'decoder[0-9]*\.[0-9]*' <<<"$path" | head -n1)" \
			"$(jq -r '"\(.source.type) \(.source.region) \(.source.root_decoder)"' <<<"$j")"
		check_eq "source: the region as cxl list -R -T (size, interleave, mapping)" \
			"$(cxl list -R -T | jq -c ".[0] | $region_facts")" \
			"$(jq -c ".source | $region_facts" <<<"$j")"
		check_eq "source: its memdev, serial and host as cxl list -M" \
			"$(cxl list -M | jq -c ".[0] | $memdev_facts")" \
			"$(jq -c ".source.mappings[0] | $memdev_facts" <<<"$j")"
		;;
	esac
}

# check_device J DRIVER MODE: the fields every device has.
check_device() {
	check_eq "$2: chardev size target_node mode driver" \
		"$dev $size $node $3 $2" \
		"$(jq -r '"\(.chardev) \(.size) \(.target_node) \(.mode) \(.driver)"' <<<"$1")"
}

# check_memory J TAG: blocks, zones and node against sysfs and zoneinfo.
check_memory() {
	check_eq "$2: memory blocks and their zones (total_memblocks movable normal offline)" \
		"$(dax_memblocks "$dev") $(dax_zones "$dev")" \
		"$(jq -r '"\(.total_memblocks) \(.memory | "\(.movable_blocks) \(.normal_blocks) \(.offline_blocks)")"' <<<"$1")"
	check_eq "$2: node MemTotal (bytes) and present/managed pages as zoneinfo" \
		"$(($(node_meminfo_kb "$node" MemTotal) * 1024)) $(node_pages "$node")" \
		"$(jq -r '.node | "\(.memtotal) \(.present_pages) \(.managed_pages)"' <<<"$1")"
}

# dsize: a number of bytes as daxctl -u prints it, computed here (its
# util/json.c display_size(): below 5000 KiB the number; MiB and MB below
# 2 GiB, GiB and GB below 2 TiB, TiB and TB above; 1/100ths rounded).
dsize='def two: tostring | if length < 2 then "0" + . else . end;
def fmt(d): ((. * 200 / d | floor) + 1) / 2 | floor |
	"\(. / 100 | floor).\(. % 100 | two)";
def dsize: if . < 5120000 then .
	elif . < 2147483648 then "\(fmt(1048576)) MiB (\(fmt(1000000)) MB)"
	elif . < 2199023255552 then "\(fmt(1073741824)) GiB (\(fmt(1000000000)) GB)"
	else "\(fmt(1099511627776)) TiB (\(fmt(1000000000000)) TB)" end;'
# sizes: the device's stable part (its size, align, blocks and kmem_mom's
# attributes), each size through F ("." or "dsize").
sizes() {
	echo "$dsize {size, align, memory, kmem_mom} |
		reduce paths(numbers) as \$p (.; if (\$p[-1] | tostring |
			test(\"^(size|align|block_size)\$|_bytes\$\")) then
			setpath(\$p; getpath(\$p) | $1) else . end)"
}

# check_daxctl TAG: kmem-mom list -d and daxctl list -d, plain and -u, read
# by the same jq: each key daxctl prints has daxctl's value in kmem-mom's;
# daxctl's blocks, alike; -u changes only how sizes print.
check_daxctl() {
	local u d k p e='[.online_memblocks, .total_memblocks, .movable]'
	for u in "" -u; do
		d=$(daxctl list $u -d "$dev" | jq -cS "$one")
		k=$(kmem-mom list $u -d "$dev" 2>/dev/null | jq -cS --argjson d "${d:-null}" \
			"$one | with_entries(select(.key as \$k | \$d | has(\$k)))")
		check_eq "$1: list${u:+ $u}: every key of daxctl list${u:+ $u}, with its value" \
			"${d:-nothing from daxctl list $u}" "$k"
	done
	check_eq "$1: online_memblocks, total_memblocks, movable as daxctl list's" \
		"$(daxctl list -d "$dev" | jq -c "$one | $e")" \
		"$(kmem-mom list -d "$dev" 2>/dev/null | jq -c "$one | $e")"
	p=$(kmem-mom list -d "$dev" 2>/dev/null | jq -cS "$one | $(sizes dsize)")
	check_eq "$1: list -u: the same values, each size as daxctl -u prints it" \
		"$p" "$(kmem-mom list -u -d "$dev" 2>/dev/null | jq -cS "$one | $(sizes .)")"
}

km list
check_rc "list, devdax" 0
j=$(jq --arg d "$dev" '.[] | select(.chardev == $d)' <<<"$out")
check_device "$j" device_dax devdax
check_source "$j"
check_daxctl devdax
if [ "$KMM_DEVICE" = cxl ]; then
	# What libcxl cannot read (a write-only sysfs file mounted over it) is
	# left out by cxl list and by kmem-mom alike, where kmem-mom printed
	# -1 and 4294967295.
	memdev=$(jq -r '.source.mappings[0].memdev' <<<"$j")
	region=$(jq -r '.source.region' <<<"$j")
	rc=0
	got=$(unshare -m bash -c 'set -o pipefail
		for f in "$1/$2/serial" "$1/$3/interleave_granularity"; do
			mount --bind /sys/bus/dax/drivers_probe "$f" || exit
		done
		echo "cxl: $(cxl list -M | jq -c ".[0] | has(\"serial\")")" \
			"$(cxl list -R | jq -c ".[0] | has(\"interleave_granularity\")")"
		kmem-mom list -d "$4" | jq -r ".[0].source | \"kmem-mom: \(.mappings[0] |
			has(\"serial\")) \(has(\"interleave_granularity\"))\""' \
		sh /sys/bus/cxl/devices "$memdev" "$region" "$dev" 2>/tmp/km.err) || rc=$?
	km_scan "kmem-mom list, $memdev/serial unreadable"
	check_eq "cxl: a serial and an interleave granularity libcxl cannot read are left out" \
		"cxl: false false kmem-mom: false false 0" "${got//$'\n'/ } $rc"
	check_eq "cxl: list -u: region size and serial as cxl list -u prints them" \
		"$(cxl list -u -R | jq -c "$one | .size")$(cxl list -u -M | jq -c "$one | .serial")" \
		"$(kmem-mom list -u -d "$dev" 2>/dev/null | jq -c '.[0].source | .size, .mappings[0].serial' | tr -d '\n')"
fi

mv $mdir/kmem_mom.conf /tmp/kmem_mom.conf
in_tree_kmem_conf $mdir/kmm-in-tree.conf
check "the in-tree kmem binds $dev" daxctl reconfigure-device --mode=system-ram "$dev"
km list -d "$dev"
check_rc "list, in-tree kmem" 0
j=$(jqo '.[0]')
check_device "$j" kmem system-ram
check_memory "$j" "in-tree kmem"
check_eq "in-tree kmem: no kmem_mom facts" null "$(jq -c .kmem_mom <<<"$j")"
check_daxctl "in-tree kmem"
km status
check_rc "status, in-tree kmem bound" 4
check_eq "status: the in-tree kmem is named as a problem, with its fix" \
	"1 1" "$(jq -r --arg d "$dev" '[.problems[] | select(.id == "in-tree-kmem")] |
		"\(length) \(map(select((.problem | contains($d)) and (.fix | contains("modprobe kmem_mom")))) | length)"' <<<"$out")"
check "back to devdax, in-tree kmem unloaded" bash -c \
	"daxctl reconfigure-device --mode=devdax --force $dev >/dev/null && modprobe -r kmem"
rm $mdir/kmm-in-tree.conf
mv /tmp/kmem_mom.conf $mdir/kmem_mom.conf

# --- 3. plan, bind, list, for each placement -----------------------------

# check_mom J TAG: every file of kmem_mom's attribute directory is in the
# list, with the same value, and nothing else is (ranges: lines joined by ",").
check_mom() {
	local f sysfs list
	sysfs=$(for f in "/sys/bus/dax/devices/$dev/kmem_mom"/*; do
		printf '%s=%s\n' "${f##*/}" "$(paste -sd, "$f")"
	done | sort)
	list=$(jq -r '.kmem_mom | to_entries[] |
		"\(.key)=\(if .key == "ranges" then (.value | join(",")) else .value end)"' <<<"$1" | sort)
	if [ "$sysfs" = "$list" ]; then
		ok "$2: list's kmem_mom fields are its $(wc -l <<<"$sysfs") sysfs files, value for value"
	else
		not_ok "$2: list's kmem_mom fields are its sysfs files, value for value" \
			"$(diff <(echo "$sysfs") <(echo "$list") || true)"
	fi
}

for p in 1 0 auto; do
	t="[memmap_on_memory=$p]"
	check "$t modprobe kmem_mom" modprobe kmem_mom memmap_on_memory=$p
	# device_dax frees its own memmap as it lets go: not the bind's cost.
	check "$t daxctl disable-device" daxctl disable-device "$dev"
	km plan "$dev"
	check_rc "$t plan" 0
	read -r where dram added choice memmap <<<"$(jqo '.placements[.now] as $n |
		"\($n.memmap) \($n.dram_cost) \($n.system_ram_added) \(.placements.auto.chooses) \(.memmap)"')"
	diag "plan: memmap $where, DRAM $dram, system RAM $added; auto chooses $choice"
	check_eq "$t plan: the memmap of every block (kmem_mom's block_memmap_bytes)" \
		$(($(dax_fit_memblocks "$dev") * $(cat /sys/bus/dax/drivers/kmem/kmem_mom/block_memmap_bytes))) \
		"$memmap"
	settle
	d0=$(dram_base) t0=$(node_meminfo_kb "$node" MemTotal)
	check "$t bind" daxctl reconfigure-device --mode=system-ram "$dev"
	settle
	check_spent "$t node0 DRAM spent = plan's dram_cost +-1 MiB (kB)" "$d0" \
		$((dram / 1024 - 1024)) $((dram / 1024 + 1024))
	within "$t node$node MemTotal gained = plan's system_ram_added +-1 MiB (kB)" \
		$(($(node_meminfo_kb "$node" MemTotal) - t0 - added / 1024)) -1024 1024
	if [ "$(mom_attr "$dev" memmap_device_blocks)" -gt 0 ]; then got=device; else got=ram; fi
	check_eq "$t the memmap is where plan said" "$where" "$got"
	[ $p = auto ] && check_eq "$t auto chose what plan said" "$choice" \
		"$(mom_attr "$dev" memmap_requested)"
	km list -d "$dev"
	check_rc "$t list" 0
	j=$(jqo '.[0]')
	check_device "$j" kmem_mom system-ram
	check_source "$j"
	check_memory "$j" "$t"
	check_mom "$j" "$t"
	# A snapshot of free memory, read while kmem-mom ran (its ASan shadow
	# and quarantine took 10-25 MB of it) and again after it exited, with
	# the page cache and the other guest's load moving: the same within
	# 64 MiB, not a number of its own making.
	within "$t dram_headroom is kmem_mom's memmap_ram_headroom_bytes, +-64 MiB (kB)" \
		$((($(jq .dram_headroom <<<"$j") - $(cat /sys/bus/dax/drivers/kmem/kmem_mom/memmap_ram_headroom_bytes)) / 1024)) \
		-65536 65536
	check_daxctl "$t"
	if [ $p = 1 ]; then
		# Unprivileged, list leaves out what needs root, as daxctl does.
		km_nobody list -d "$dev"
		check_rc "$t list as nobody" 0
		d=$("${nobody[@]}" daxctl list -d "$dev" | jq -cS "$one")
		check_eq "$t list as nobody: every key of daxctl list as nobody, with its value" \
			"${d:-nothing from daxctl list}" \
			"$(jq -cS --argjson d "${d:-null}" "$one | with_entries(select(.key as \$k | \$d | has(\$k)))" <<<"$out")"
		check_eq "$t list as nobody: no blocks, no kmem_mom ranges (root's); the rest" \
			"false false false false false true true true" \
			"$(jqo '.[0] | [has("online_memblocks"), has("total_memblocks"), has("movable"),
				has("memory"), (.kmem_mom | has("ranges")), (.kmem_mom | has("state")),
				has("source"), (.node | has("memtotal"))] | map(tostring) | join(" ")')"
	fi
	check "$t back to devdax" daxctl reconfigure-device --mode=devdax --force "$dev"
	check "$t modprobe -r kmem_mom" modprobe -r kmem_mom
done

# --- 4. status: problems, each with its fix ------------------------------

# problems: the ids status reported, sorted, on one line.
problems() { jqo '[.problems[].id] | sort | join(" ")'; }

check "modprobe kmem_mom" modprobe kmem_mom
km status
param_problem=
[ "$boot_param" = N ] && param_problem=boot-parameter-off
if [ -n "$param_problem" ]; then
	check_rc "status, booted without the boot parameter" 1
else
	check_rc "status, nothing wrong" 0
fi
check_eq "status: problems" "$param_problem" "$(problems)"
check_eq "status: the boot parameter as the kernel has it" "$boot_param" \
	"$(jqo .kernel.memmap_on_memory)"
check_eq "status: counters and parameters" "0 0 0 auto" \
	"$(jqo '.kmem_mom | "\(.devices) \(.blocks) \(.stranded_blocks) \(.parameters.memmap_on_memory)"')"

check "bind $dev into ZONE_NORMAL (daxctl --no-movable)" \
	daxctl reconfigure-device --no-movable --mode=system-ram "$dev"
km status
check_rc "status, blocks in ZONE_NORMAL" 1
check_eq "status: problems" "$(echo $param_problem zone-normal | xargs -n1 | sort | xargs)" "$(problems)"
check "status: the ZONE_NORMAL problem names $dev and the fix" \
	jq -e --arg d "$dev" '.problems[] | select(.id == "zone-normal") |
		select((.problem | contains($d)) and (.fix | contains("online=movable")))' <<<"$out"

check "unbind $dev with its blocks online (they stay: stranded)" \
	sysfs_write /sys/bus/dax/drivers/kmem/unbind "$dev"
km status
check_rc "status, stranded blocks" 1
check_eq "status: problems" "$(echo $param_problem stranded | xargs -n1 | sort | xargs)" "$(problems)"
check "status: the stranded problem counts the blocks and says reboot" \
	jq -e --arg n "$(cat /sys/bus/dax/drivers/kmem/kmem_mom/stranded_blocks)" \
	'.problems[] | select(.id == "stranded") |
		select((.problem | startswith($n + " memory block")) and (.fix | startswith("reboot")))' <<<"$out"
check_eq "no sanitizer report from any run of kmem-mom" 0 "$sanitizer_reports"
tap_done
