#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Boot ONE QEMU (TCG) guest, run one test script inside it and judge the run.
#
#   tests/boot-guest.sh --kernel KVER --device DEVICE --script PATH
#		[--rootfs bookworm|trixie] [--overlay DIR]... [--modules ROOT]
#		[--append "cmdline"] [--env NAME=VALUE]... [--timeout SECONDS]
#		--out DIR
#
# --modules ROOT: the kernel's modules from ROOT's module tree (a root that
# apt and DKMS installed into, with whatever DKMS moved away or added in
# updates/), not from the fetched image; built afresh for the run.  A
# kernel the suite does not fetch (a flavour such as -cloud) boots from
# ROOT's /boot when ROOT has it installed.
#
# DEVICE is one of the recipe_* functions below: none, hmem, hmem-twoinit,
# hmem-hmat-overflow, pmem, multi, pair, pair-nodes, nvdimm, nvdimm-nonuma,
# cxl.
#
# arm64: a KVER ending in -arm64 (devel/kernels-arm64.sh) boots under
# qemu-system-aarch64 (TCG, virt, -cpu max) through UEFI (AAVMF,
# devel/aavmf-arm64.sh), which gives it ACPI; the rootfs is
# <rootfs>-arm64.cpio (tests/mkrootfs-arm64.sh), the console the first
# PL011 (ttyAMA0), the TAP stream the second (ttyAMA1).  Its devices are
# the recipe_arm64_* functions: none, nvdimm, hmem (6.12+; no firmware,
# see there).
#
# The guest boots $KMM_STATE/rootfs/<rootfs>.cpio (tests/mkrootfs.sh;
# default bookworm) with a small per-run cpio appended: the kernel's
# dax/nvdimm/cxl modules, the --overlay trees, tests/guest/ as /kmm/ with
# the script as /kmm/test.sh, and a bash /init.  The script's output comes
# back on the second serial port ($OUT/tap.log, TAP), the kernel log on the
# first ($OUT/console.log).
#
# stdout: the guest's TAP stream only.  stderr: everything else.
# Exit 0 only if the script exited 0 and the console is free of warnings,
# oopses and panics.
set -euo pipefail
. "$(dirname "$0")/../devel/lib.sh"
umask 022

usage() {
	cat >&2 <<EOT
usage: $0 --kernel KVER --device DEVICE --script PATH
	[--rootfs bookworm|trixie] [--overlay DIR]... [--modules ROOT] [--append "cmdline"]
	[--env NAME=VALUE]... [--timeout SECONDS] [--allow-alloc-failures]
	[--allow-injected-failures] [--allow-offline-migration-failures] --out DIR
DEVICE: none hmem hmem-twoinit hmem-hmat-overflow pmem multi pair pair-nodes nvdimm nvdimm-nonuma cxl bench (KMM_BENCH_GIB)
EOT
	exit 2
}

# Seconds between two "date +%s.%N" stamps, one decimal.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

kver= device= script= append= timeout=300 out= rootfs_suite=bookworm
allow_alloc_traces= allow_injected= allow_offline_migration=
overlays=() uenv=() mods_root=
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kver=${2:?}; shift 2 ;;
	--device) device=${2:?}; shift 2 ;;
	--script) script=${2:?}; shift 2 ;;
	--rootfs) rootfs_suite=${2:?}; shift 2 ;;
	--overlay) overlays+=("${2:?}"); shift 2 ;;
	--modules) mods_root=${2:?}; shift 2 ;;
	--append) append=${2?}; shift 2 ;;
	--env) uenv+=("${2:?}"); shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--out) out=${2:?}; shift 2 ;;
	--allow-alloc-failures) allow_alloc_traces=1; shift ;;
	--allow-injected-failures) allow_injected=1; shift ;;
	--allow-offline-migration-failures) allow_offline_migration=1; shift ;;
	-h | --help) usage ;;
	*) kmm_log "unknown argument: $1"; usage ;;
	esac
done
[ -n "$kver" ] && [ -n "$device" ] && [ -n "$script" ] && [ -n "$out" ] || usage
[[ "$timeout" =~ ^[0-9]+$ ]] || kmm_die "--timeout wants seconds, got '$timeout'"

# Accept the kernels.env names (K61, K612, K73) as well as release strings.
if [[ "$kver" =~ ^K[0-9]+$ ]]; then
	kmm_kernels_env
	kver=${!kver:-}
	[ -n "$kver" ] || kmm_die "--kernel: no such name in kernels.env"
fi
# ... and kernels-arm64.env's (A61, A612, A73).
if [[ "$kver" =~ ^A[0-9]+$ ]]; then
	[ -f "$KMM_STATE/kernels-arm64.env" ] ||
		kmm_die "$KMM_STATE/kernels-arm64.env missing: run devel/kernels-arm64.sh"
	# shellcheck disable=SC1091
	. "$KMM_STATE/kernels-arm64.env"
	kver=${!kver:-}
	[ -n "$kver" ] || kmm_die "--kernel: no such name in kernels-arm64.env"
fi
# The guest's architecture follows the kernel's release.
arch=x86
case $kver in *-arm64) arch=arm64 ;; esac

# Relative script paths are relative to the repo (the caller's cwd as a
# fallback), so the driver can say tests/guest/foo.sh from anywhere.
if [[ "$script" != /* ]]; then
	if [ -f "$KMM_TOP/$script" ]; then
		script=$KMM_TOP/$script
	else
		script=$(realpath -e -- "$script" 2>/dev/null) ||
			kmm_die "--script: not found in $KMM_TOP or cwd"
	fi
fi
[ -f "$script" ] || kmm_die "--script $script: no such file"
for o in ${overlays[@]+"${overlays[@]}"}; do
	[ -d "$o" ] || kmm_die "--overlay $o: not a directory"
done

case "$rootfs_suite" in
bookworm | trixie) ;;
*) kmm_die "--rootfs $rootfs_suite: want bookworm or trixie" ;;
esac
if [ "$arch" = arm64 ]; then
	rootfs=$KMM_STATE/rootfs/$rootfs_suite-arm64.cpio
	[ -f "$rootfs" ] || kmm_die "$rootfs missing: run tests/mkrootfs-arm64.sh $rootfs_suite"
else
	rootfs=$KMM_STATE/rootfs/$rootfs_suite.cpio
	[ -f "$rootfs" ] || kmm_die "$rootfs missing: run tests/mkrootfs.sh $rootfs_suite"
fi

# ---------------------------------------------------------------------------
# Guest kernel image.  6.x packages ship boot/vmlinuz-* and lib/modules/;
# 7.x ships everything under usr/lib/modules/<kver>/.
img=$KMM_STATE/images/$kver ready=$KMM_STATE/images/$kver/.kmm-ready
if [ ! -f "$ready" ] && [ -n "$mods_root" ] && [ -f "$mods_root/boot/vmlinuz-$kver" ]; then
	img=$mods_root ready=$mods_root/boot/vmlinuz-$kver
fi
[ -f "$ready" ] || kmm_die "$img missing: run devel/kernels.sh"
vmlinuz= moddir=
for f in "$img/boot/vmlinuz-$kver" "$img/usr/lib/modules/$kver/vmlinuz" \
	"$img/lib/modules/$kver/vmlinuz"; do
	[ -f "$f" ] && { vmlinuz=$f; break; }
done
for d in "$img/usr/lib/modules/$kver" "$img/lib/modules/$kver"; do
	[ -d "$d/kernel" ] && { moddir=$d; break; }
done
[ -n "$vmlinuz" ] || kmm_die "no vmlinuz for $kver under $img"
[ -n "$moddir" ] || kmm_die "no modules for $kver under $img"
if [ -n "$mods_root" ]; then
	moddir=
	for d in "$mods_root/usr/lib/modules/$kver" "$mods_root/lib/modules/$kver"; do
		[ -d "$d/kernel" ] && { moddir=$d; break; }
	done
	[ -n "$moddir" ] || kmm_die "--modules $mods_root: no modules for $kver there"
fi

# ---------------------------------------------------------------------------
# Device recipes: two NUMA nodes, node0 = DRAM, node1 = device memory.
# A recipe appends to qargs (QEMU) and kcmd (kernel command line), may
# change qcpu, and may hand the guest facts it cannot find out by itself
# through genv ("NAME=value", appended to /kmm/env), and set qsmp (QEMU's
# -smp, default 2).  To add a device, add
# a recipe_<name> function ('-' in --device maps to '_' in <name>); the
# --device value is checked against the functions defined here.
qargs=() kcmd= qcpu=max qsmp=2 genv=() hmat_override=

# kver_ge MAJOR.MINOR: the guest kernel is at least that version.
kver_ge() { [ "$(printf '%s\n' "$1" "$kver" | sort -V | head -n1)" = "$1" ]; }

# node0: KMM_BOOT_GIB (default 1) GiB of DRAM, its first GiB below 4 GiB
# and the rest from 4 GiB on; node1: KMM_DEV_GIB (default 1) GiB right
# after it, at dev_base (4 GiB for the defaults).  Without
# max-ram-below-4g=1G QEMU splits RAM at 2 GiB (q35) and the memmap= ranges
# below land misaligned across the hole.  Anything larger than the default
# is backed sparsely (reserve=off): QEMU only allocates what the guest
# touches.  x86 gives a guest 2 GiB memory blocks when its boot RAM ends at
# or above 64 GiB on a 2 GiB boundary (probe_memory_block_size()):
# KMM_BOOT_GIB=65 ends it at 68 GiB.
boot_gib=${KMM_BOOT_GIB:-1} dev_gib=${KMM_DEV_GIB:-1}
[[ "$boot_gib" =~ ^[1-9][0-9]*$ ]] || kmm_die "KMM_BOOT_GIB: want GiB, got '$boot_gib'"
[[ "$dev_gib" =~ ^[1-9][0-9]*$ ]] || kmm_die "KMM_DEV_GIB: want GiB, got '$dev_gib'"
dev_base=$((boot_gib + 3))G
sparse() { [ "$boot_gib$dev_gib" = 11 ] || echo ,reserve=off; }
numa_2x1g() {
	qargs+=(-machine "q35,max-ram-below-4g=1G${KMM_HMAT:+,hmat=on}" -m $((boot_gib + dev_gib))G
		-object "memory-backend-ram,id=mem0,size=${boot_gib}G$(sparse)"
		-object "memory-backend-ram,id=mem1,size=${dev_gib}G$(sparse)"
		-numa node,nodeid=0,cpus=0-1,memdev=mem0
		-numa "node,nodeid=1,memdev=mem1${KMM_HMAT:+,initiator=0}")
	[ "$boot_gib$dev_gib" = 11 ] || genv+=("KMM_BOOT_GIB=$boot_gib" "KMM_DEV_GIB=$dev_gib")
	hmat 1
}

# hmat NODE...: with KMM_HMAT=slow|dram, an ACPI HMAT in which the memory
# of these nodes is slow (3x DRAM's latency, 1/4 of its bandwidth: 12x
# DRAM's abstract distance) or exactly as fast as DRAM, as seen from the
# CPUs of node0.  The nodes need initiator=0 in their -numa options.
# Linux then registers soft-reserved memory per SRAT range, so a node's
# memory must be soft-reserved entirely to become one dax device.
hmat() {
	local lat=100 bw=20G t
	case ${KMM_HMAT:-} in
	'') return 0 ;;
	slow) lat=300 bw=5G ;;
	dram) ;;
	*) kmm_die "KMM_HMAT=$KMM_HMAT: want slow or dram" ;;
	esac
	genv+=("KMM_HMAT=$KMM_HMAT")
	hmat_lb 0 100 20G
	for t; do
		hmat_lb "$t" $lat $bw
	done
}

hmat_lb() { # hmat_lb TARGET LATENCY_NS BANDWIDTH [INITIATOR], default node0
	qargs+=(-numa "hmat-lb,initiator=${4:-0},target=$1,hierarchy=memory,data-type=access-latency,latency=$2"
		-numa "hmat-lb,initiator=${4:-0},target=$1,hierarchy=memory,data-type=access-bandwidth,bandwidth=$3")
}

# Soft-reserved memory on node1 between two nodes of CPUs and DRAM, node0
# (CPU 0) and node2 (CPU 1), with an HMAT in which node1 is slow from
# node0 (3x DRAM's latency, 1/4 of its bandwidth) and as fast as DRAM from
# node2.  The memory tiers take the best initiator's figures (6.7+), and
# so must kmem_mom's own HMAT reader (6.1): 1.00x DRAM, not 12.00x.
recipe_hmem_twoinit() {
	# A socket each: CPUs of one package on two nodes make the scheduler WARN.
	qsmp=2,sockets=2,cores=1,threads=1
	qargs+=(-machine q35,max-ram-below-4g=1G,hmat=on -m 2560M
		-object memory-backend-ram,id=mem0,size=1G
		-object memory-backend-ram,id=mem1,size=1G
		-object memory-backend-ram,id=mem2,size=512M
		-numa node,nodeid=0,cpus=0,memdev=mem0,initiator=0
		-numa node,nodeid=1,memdev=mem1,initiator=2
		-numa node,nodeid=2,cpus=1,memdev=mem2,initiator=2)
	# Linux numbers the proximity domains as SRAT lists them, CPUs first:
	# PXM 0 and 2 become nodes 0 and 1, the device's PXM 1 node 2.
	genv+=("KMM_HMAT=twoinit" "KMM_DEV_NODE=2")
	hmat_lb 0 100 20G 0
	hmat_lb 1 300 5G 0
	hmat_lb 2 100 20G 2
	hmat_lb 1 100 20G 2
	kcmd+=" memmap=1G%4G-1+0xefffffff"
}

# No device memory: one node, smallest useful guest.
recipe_none() {
	qargs+=(-machine q35 -m 1G)
}

# Soft-reserved (EFI_MEMORY_SP style) range: node1's RAM retyped from E820
# RAM (1) to soft-reserved (0xefffffff); dax_hmem turns it into dax0.0.
recipe_hmem() {
	numa_2x1g
	kcmd+=" memmap=${dev_gib}G%$dev_base-1+0xefffffff"
}

# hmem with QEMU's HMAT replaced, through the kernel's ACPI table upgrade,
# by one whose device bandwidth entry overflows 64 bits times its base
# unit (tests/helpers/kmm-hmat-table.c): early_tables gets the table.
recipe_hmem_hmat_overflow() {
	KMM_HMAT=slow
	recipe_hmem
	hmat_override=1
}

# Benchmarks: node0 KMM_BENCH_BOOT_GIB (default 1) GiB of DRAM, node1
# $KMM_BENCH_GIB GiB of soft-reserved memory, both sparse on the host
# (reserve=off): QEMU only allocates what the guest touches, i.e. the
# memmap when it lives on the device.  x86 gives a guest 2 GiB memory
# blocks when its RAM ends at or above 64 GiB on a 2 GiB boundary
# (probe_memory_block_size()): KMM_BENCH_BOOT_GIB=65 ends it at 68 GiB (1 GiB
# below 4 GiB, the rest from 4 GiB on).
recipe_bench() {
	local gib=${KMM_BENCH_GIB:-1} boot=${KMM_BENCH_BOOT_GIB:-1}
	[[ "$gib" =~ ^[0-9]+$ ]] && [ "$gib" -ge 1 ] || kmm_die "KMM_BENCH_GIB: want GiB, got '$gib'"
	[[ "$boot" =~ ^[0-9]+$ ]] && [ "$boot" -ge 1 ] || kmm_die "KMM_BENCH_BOOT_GIB: want GiB, got '$boot'"
	qargs+=(-machine q35,max-ram-below-4g=1G -m $((gib + boot))G
		-object "memory-backend-ram,id=mem0,size=${boot}G,reserve=off"
		-object "memory-backend-ram,id=mem1,size=${gib}G,reserve=off"
		-numa node,nodeid=0,cpus=0-1,memdev=mem0
		-numa node,nodeid=1,memdev=mem1)
	kcmd+=" memmap=${gib}G%$((boot + 3))G-1+0xefffffff"
	genv+=("KMM_BENCH_GIB=$gib" "KMM_BENCH_BOOT_GIB=$boot")
}

# Legacy (E820 type 12) pmem over node1: nd_e820 + nd_pmem, then an ndctl
# devdax namespace.
recipe_pmem() {
	numa_2x1g
	kcmd+=" memmap=${dev_gib}G!$dev_base"
}

# Three soft-reserved ranges in node1 (SIZE@START), with RAM between them
# so e820 keeps them apart: dax_hmem makes one dax device per range, in
# address order.  A and B are two memory blocks each; C is smaller than one
# 128 MiB block and not block-aligned, so kmem has nothing left of it after
# alignment.  The guest gets the start addresses as KMM_DAX_RES.
MULTI_RANGES='256M@0x100000000 256M@0x118000000 64M@0x132000000'
recipe_multi() {
	local r starts=
	numa_2x1g
	for r in $MULTI_RANGES; do
		kcmd+=" memmap=${r%@*}%${r#*@}-1+0xefffffff"
		starts+=" ${r#*@}"
	done
	genv+=("KMM_DAX_RES=${starts# }")
}

# Two soft-reserved devices that share node1 and nothing else: A (512 MiB)
# and B (384 MiB), with 128 MiB of reserved (not RAM) memory between them
# so e820 keeps them apart, and no boot RAM on the node.  A memmap meant for
# RAM finds the node's only ZONE_NORMAL memory in the other device.
recipe_pair() {
	numa_2x1g
	kcmd+=" memmap=512M%4G-1+0xefffffff memmap=128M\$0x120000000"
	kcmd+=" memmap=384M%0x128000000-1+0xefffffff"
	genv+=("KMM_DAX_RES=0x100000000 0x128000000")
}

# Two soft-reserved devices on memory-only nodes of their own: A (node1)
# and B (node2), 512 MiB each, node1 and node2 soft-reserved entirely (the
# HMAT case above).  For budgets across devices.
recipe_pair_nodes() {
	qargs+=(-machine "q35,max-ram-below-4g=1G${KMM_HMAT:+,hmat=on}" -m 2G
		-object memory-backend-ram,id=mem0,size=1G
		-object memory-backend-ram,id=mem1,size=512M
		-object memory-backend-ram,id=mem2,size=512M
		-numa node,nodeid=0,cpus=0-1,memdev=mem0
		-numa "node,nodeid=1,memdev=mem1${KMM_HMAT:+,initiator=0}"
		-numa "node,nodeid=2,memdev=mem2${KMM_HMAT:+,initiator=0}")
	hmat 1 2
	kcmd+=" memmap=512M%4G-1+0xefffffff memmap=512M%0x120000000-1+0xefffffff"
	genv+=("KMM_DAX_RES=0x100000000 0x120000000")
}

# QEMU NVDIMM with a label area.  QEMU carves the label area out of the
# backend's tail: 1 GiB + 128 KiB leaves a 1 GiB persistent range (at
# 4 GiB, the start of the hotplug area above -m).  RAM-backed and sparse,
# so every boot starts with blank labels and nothing to clean up.
# nvdimm_dimm OPTIONS [GIB]: GIB GiB of persistent range (default 1).
nvdimm_dimm() {
	qargs+=(-object "memory-backend-ram,id=nvmem1,size=$(((${2:-1} << 30) + (128 << 10))),reserve=off"
		-device "nvdimm,id=nvdimm1,memdev=nvmem1,label-size=128K$1")
}

# The NVDIMM on a memory-less node1: its NFIT range and SRAT entry carry
# proximity domain 1.  node0 has all the DRAM and both CPUs.
recipe_nvdimm() {
	qargs+=(-machine q35,nvdimm=on -m 1G,slots=2,maxmem=3G
		-object memory-backend-ram,id=mem0,size=1G
		-numa node,nodeid=0,cpus=0-1,memdev=mem0
		-numa node,nodeid=1)
	nvdimm_dimm ,node=1
}

# The same NVDIMM as firmware without NUMA information would describe it:
# a dax device whose target_node is NUMA_NO_NODE (-1), which kmem rejects
# ("rejecting DAX region with invalid node: -1"; sysfs then hides
# target_node).  Dropping -numa is not enough: with memory slots QEMU
# makes a node 0 itself and the NVDIMM's SRAT entry says PXM 0.
# numa=noacpi makes Linux ignore SRAT ("No NUMA configuration found"), so
# the NFIT proximity domain maps to no node and the address lookup
# fallback finds none either (the range is above the boot RAM).
recipe_nvdimm_nonuma() {
	qargs+=(-machine q35,nvdimm=on -m 1G,slots=2,maxmem=3G)
	nvdimm_dimm ""
	kcmd+=" numa=noacpi"
}

# CXL type-3 volatile memory (KMM_DEV_GIB, default 1 GiB) behind a CXL
# host bridge (pxb-cxl) and root port, decoded by one fixed memory window of
# at least 4 GiB, which QEMU places above all of the guest's RAM.  node0
# (KMM_BOOT_GIB of DRAM) is the only node QEMU describes in SRAT; Linux
# gives the window (CEDT CFMWS) a node of its own, node1.  Nothing is
# programmed at boot: the guest creates and commits a RAM region
# (setup_device cxl).  hypervisor=off: with the hypervisor CPUID bit Linux
# cannot flush CPU caches for the region and the commit fails ("Failed to
# synchronize CPU cache state", plus a WARN).
recipe_cxl() {
	local win=$(((dev_gib + 3) / 4 * 4))
	kver_ge 6.3 || kmm_die "--device cxl: $kver has no CXL RAM regions/dax_cxl (6.3+)"
	qcpu=max,hypervisor=off
	qargs+=(-machine q35,cxl=on -m ${boot_gib}G
		-object "memory-backend-ram,id=mem0,size=${boot_gib}G$(sparse)"
		-numa node,nodeid=0,cpus=0-1,memdev=mem0
		-object "memory-backend-ram,id=cxlmem1,size=${dev_gib}G,reserve=off"
		-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1
		-device cxl-rp,port=0,bus=cxl.1,id=cxl_rp0,chassis=0,slot=2
		-device cxl-type3,bus=cxl_rp0,volatile-memdev=cxlmem1,id=cxl-vmem0
		-M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=${win}G)
	[ "$boot_gib$dev_gib" = 11 ] || genv+=("KMM_BOOT_GIB=$boot_gib" "KMM_DEV_GIB=$dev_gib")
}

# ---------------------------------------------------------------------------
# arm64 (QEMU's virt machine).  UEFI gives the guest ACPI: SRAT for the
# nodes, NFIT for an NVDIMM.  Guest RAM starts at 1 GiB (0x40000000); the
# hotplug area, and with it an NVDIMM, starts at the next GiB boundary after
# it (2 GiB for KMM_BOOT_GIB=1).  virt has no memmap= soft-reserve (an
# x86 boot parameter) and QEMU 10.0's virt no CXL (no cxl=on): no hmem,
# pmem or cxl recipes here.
aavmf=$KMM_STATE/arm64/aavmf
arm64_virt() { # arm64_virt OPTIONS: the machine, its firmware
	[ -f "$aavmf/.kmm-ready" ] || kmm_die "$aavmf missing: run devel/aavmf-arm64.sh"
	# The variable store is opened as a snapshot: the guest's writes to it
	# go to a temporary overlay, never into the shared file.
	qargs+=(-machine "virt,gic-version=3$1"
		-drive "if=pflash,format=raw,readonly=on,file=$aavmf/AAVMF_CODE.no-secboot.fd"
		-drive "if=pflash,format=raw,snapshot=on,file=$aavmf/AAVMF_VARS.fd")
}

recipe_arm64_none() {
	arm64_virt ""
	qargs+=(-m 1G)
}

# The x86 nvdimm recipe on virt: node0 has the CPUs and KMM_BOOT_GIB of
# DRAM, the NVDIMM (KMM_DEV_GIB, default 1, sparse) sits on the memory-less
# node1.  maxmem leaves QEMU's per-slot alignment room.
recipe_arm64_nvdimm() {
	arm64_virt ,nvdimm=on
	qargs+=(-m "${boot_gib}G,slots=2,maxmem=$((boot_gib + dev_gib + 2))G"
		-object "memory-backend-ram,id=mem0,size=${boot_gib}G$(sparse)"
		-numa node,nodeid=0,cpus=0-1,memdev=mem0
		-numa node,nodeid=1)
	nvdimm_dimm ,node=1 "$dev_gib"
	[ "$boot_gib$dev_gib" = 11 ] || genv+=("KMM_BOOT_GIB=$boot_gib" "KMM_DEV_GIB=$dev_gib")
}

# Soft-reserved memory on arm64, for dax_hmem (6.12: Debian's arm64 6.1
# builds no DEV_DAX_HMEM_DEVICES, nothing turns such memory into a device).
# Linux learns of EFI_MEMORY_SP only from the UEFI memory map, and neither
# QEMU 10.0's virt nor AAVMF can mark memory so (QEMU's spm=on, 11.1+, is
# x86 only; edk2 passes it through in OVMF only).  So this recipe boots
# without firmware, from QEMU's device tree, and hands the kernel the two
# things the EFI stub would have put in /chosen: a system table and a
# memory map, made here (efi_handoff below): node0's RAM conventional,
# the 64 KiB holding them reserved, node1's RAM (KMM_DEV_GIB) conventional
# with EFI_MEMORY_SP.  Linux takes that map instead of the DT's memory
# nodes (efi_init, reserve_regions), inserts node1's range as "Soft
# Reserved" and dax_hmem makes dax0.0 of it on node 1, which the DT's
# numa-node-id names (6.12; 7.3's dax_hmem looks only in the tree where
# x86's e820 puts soft-reserved ranges, soft_reserve_resource, and never
# sees arm64's, which its EFI code still inserts into iomem_resource: the
# guest boots with "Soft Reserved" in /proc/iomem and no dax device).  No
# runtime services (efi=noruntime: the system table has none) and no GIC ITS
# (its=off): its LPI tables want the EFI memreserve table, which only a
# real stub provides, and warn without it.  This is the boot protocol of
# an EFI-booted arm64 machine with specific-purpose memory, not firmware:
# what it tests is the kernel and kmem_mom from dax_hmem on, as x86's
# memmap=...% does.
efi_handoff=
recipe_arm64_hmem() {
	kver_ge 6.12 || kmm_die "--device hmem: Debian's arm64 $kver makes no hmem devices (no DEV_DAX_HMEM_DEVICES)"
	qargs+=(-machine virt,gic-version=3,its=off -m $((boot_gib + dev_gib))G
		-object "memory-backend-ram,id=mem0,size=${boot_gib}G$(sparse)"
		-object "memory-backend-ram,id=mem1,size=${dev_gib}G$(sparse)"
		-numa node,nodeid=0,cpus=0-1,memdev=mem0
		-numa node,nodeid=1,memdev=mem1)
	[ "$boot_gib$dev_gib" = 11 ] || genv+=("KMM_BOOT_GIB=$boot_gib" "KMM_DEV_GIB=$dev_gib")
	kcmd+=" efi=noruntime"
	efi_handoff=1
}

# le VALUE BYTES: VALUE little-endian, as raw bytes.
le() {
	local i
	for ((i = 0; i < $2; i++)); do
		printf "\\x$(printf %02x $((($1 >> (8 * i)) & 255)))"
	done
}

# efi_blob FILE BASE: an EFI system table at BASE (64 KiB, reserved in its
# own map) and, at BASE + 0x200, the memory map; recipe_arm64_hmem's
# layout: virt's RAM starts at 1 GiB, node0's then node1's.
efi_blob() {
	local f=$1 base=$2 ram=$((1 << 30)) dev=$(((1 + boot_gib) << 30))
	{
		# EFI_SYSTEM_TABLE: header ("IBI SYST", revision 2.70, size
		# 120), firmware vendor, no consoles, no runtime or boot
		# services, one configuration table.
		le 0x5453595320494249 8; le $(((2 << 16) | 70)) 4; le 120 4; le 0 8
		le $((base + 0x118)) 8; le 0 8
		le 0 48
		le 0 16; le 1 8; le $((base + 0x100)) 8
	} >"$f"
	truncate -s 256 "$f"
	# The configuration table: a zero GUID, which no kernel looks for
	# (an empty array makes early_memremap() warn); then the vendor.
	{ le 0 24; printf 'k\0m\0m\0\0\0'; } >>"$f"
	truncate -s 512 "$f"
	# EFI_MEMORY_DESCRIPTORs (48 bytes: type, physical start, virtual
	# start, pages, attributes): EfiConventionalMemory (7) write-back
	# (0x8), EfiReservedMemoryType (0), and node1 with EFI_MEMORY_SP.
	desc() { le "$1" 8; le "$2" 8; le 0 8; le "$3" 8; le "$4" 8; le 0 8; }
	{
		desc 7 $ram $(((base - ram) >> 12)) 0x8
		desc 0 "$base" 16 0x8
		desc 7 $dev $((dev_gib << 18)) $((0x8 | 0x40000))
	} >>"$f"
	truncate -s 65536 "$f"
}

recipe=recipe_${device//-/_}
[ "$arch" = arm64 ] && recipe=recipe_arm64_${device//-/_}
declare -F "$recipe" >/dev/null || {
	have=$(declare -F | sed -n 's/.* recipe_//p' | grep -v '^arm64_')
	[ "$arch" = arm64 ] && have=$(declare -F | sed -n 's/.* recipe_arm64_//p')
	kmm_die "--device $device: unknown for $arch (have: $(echo "$have" | tr '_\n' '- '))"
}
# Recipes only fill in qargs/kcmd/qcpu/genv; run it now so the guest's
# /kmm/env can carry genv.
"$recipe"

# ---------------------------------------------------------------------------
# Module subset, cached per kernel under $KMM_STATE/guestmods/<kver>/.
# Everything under these directories plus named extras, and the closure of
# their "depends" and "softdep" fields.
MOD_DIRS='drivers/dax drivers/nvdimm drivers/cxl drivers/acpi/nfit'
MOD_NAMES='kmem dax_hmem device_dax dax_pmem dax_cxl nd_pmem nd_e820 nd_btt
	libnvdimm nfit notifier_error_inject memory_notifier_error_inject'
MOD_GLOBS='cxl_*'

# The key changes when the image is re-fetched or the recipe above changes.
modkey() {
	printf '%s\n' "$MOD_DIRS" "$MOD_NAMES" "$MOD_GLOBS" "$moddir"
	stat -c '%n %s %Y %i' "$ready" "$vmlinuz" "$moddir/modules.order"
}

build_guestmods() {
	local dst=$1 tmp=$1.tmp name path dep
	local -A path_of=() want=()
	local -a queue=()

	rm -rf "$tmp"
	mkdir -p "$tmp/usr/lib/modules/$kver"
	# name -> path map over the whole image (names use '_', files may use '-').
	while read -r path; do
		name=${path##*/}
		name=${name%%.ko*}
		path_of[${name//-/_}]=$path
	done < <(cd "$moddir" && find kernel -name '*.ko*')

	for name in "${!path_of[@]}"; do
		path=${path_of[$name]}
		for dep in $MOD_DIRS; do
			[[ "$path" == kernel/$dep/* ]] && queue+=("$name")
		done
		# shellcheck disable=SC2254
		case "$name" in $MOD_GLOBS) queue+=("$name") ;; esac
	done
	for name in $MOD_NAMES; do
		[ -n "${path_of[$name]:-}" ] && queue+=("$name")
	done

	# Breadth-first closure; unknown names are built-ins (or absent).
	while [ ${#queue[@]} -gt 0 ]; do
		name=${queue[0]}
		queue=("${queue[@]:1}")
		[ -n "${want[$name]:-}" ] && continue
		path=${path_of[$name]:-}
		[ -n "$path" ] || continue
		want[$name]=1
		for dep in $(modinfo -F depends "$moddir/$path" | tr ',' ' ') \
			$(modinfo -F softdep "$moddir/$path" | tr ' ' '\n' | grep -v ':$' || true); do
			queue+=("${dep//-/_}")
		done
	done

	for name in "${!want[@]}"; do
		path=${path_of[$name]}
		mkdir -p "$tmp/usr/lib/modules/$kver/${path%/*}"
		cp "$moddir/$path" "$tmp/usr/lib/modules/$kver/$path"
	done
	# depmod needs these to know the built-ins and the load order.
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		[ -f "$moddir/$f" ] && cp "$moddir/$f" "$tmp/usr/lib/modules/$kver/"
	done
	# What DKMS installed (--modules).
	[ -d "$moddir/updates" ] && cp -a "$moddir/updates" "$tmp/usr/lib/modules/$kver/"
	modkey >"$tmp/.key"
	rm -rf "$dst"
	mv "$tmp" "$dst"
	kmm_log "cached ${#want[@]} modules for $kver in $dst"
}

if [ -n "$mods_root" ]; then
	mkdir -p "$out"
	gm=$(cd "$out" && pwd)/.guestmods
	build_guestmods "$gm"
else
	gm=$KMM_STATE/guestmods/$kver
	mkdir -p "$KMM_STATE/guestmods"
	(
		# Parallel boots of the same kernel must not build the cache twice.
		flock 9
		if [ "$(cat "$gm/.key" 2>/dev/null)" != "$(modkey)" ]; then
			build_guestmods "$gm"
		fi
	) 9>"$KMM_STATE/guestmods/.lock"
fi

# ---------------------------------------------------------------------------
# Per-run cpio.
mkdir -p "$out"
out=$(cd "$out" && pwd)
# QEMU's -serial file:PATH and -initrd split their arguments on commas.
[[ "$out" != *,* ]] || kmm_die "--out $out: no commas please (QEMU option syntax)"
rm -f "$out/console.log" "$out/tap.log" "$out/run.cpio"
stage=$(mktemp -d "$out/.stage.XXXXXX")
initrd=$out/.initrd.cpio
cleanup() {
	rm -rf "$stage" "$initrd"
	[ -z "$mods_root" ] || rm -rf "$gm"
}
trap cleanup EXIT

t0=$(date +%s.%N)
cp -a "$gm/usr" "$stage/"
for o in ${overlays[@]+"${overlays[@]}"}; do
	cp -a "$o/." "$stage/"
done
# The rootfs is usr-merged: a real bin/, sbin/, lib/ or lib64/ in this
# archive would replace the symlink and break /init (error -2).  Fold any
# that an overlay brought into usr/.
for d in bin sbin lib lib64; do
	if [ -d "$stage/$d" ] && [ ! -L "$stage/$d" ]; then
		mkdir -p "$stage/usr/$d"
		cp -a "$stage/$d/." "$stage/usr/$d/"
		rm -rf "${stage:?}/$d"
	fi
done
# depmod -b reads <base>/lib/modules: point it at usr/lib for the run only,
# after the overlays so updates/ is indexed.
ln -s usr/lib "$stage/lib"
depmod -b "$stage" "$kver" || kmm_die "depmod failed for $kver"
rm "$stage/lib"

mkdir -p "$stage/kmm"
[ -d "$KMM_TOP/tests/guest" ] && cp -a "$KMM_TOP/tests/guest/." "$stage/kmm/"
install -m 755 "$script" "$stage/kmm/test.sh"
# What the guest cannot find out by itself.
cat >"$stage/kmm/env" <<EOT
KMM_DEVICE=$device
KMM_KVER=$kver
KMM_SCRIPT=${script##*/}
KMM_ROOTFS=$rootfs_suite
EOT
for kv in ${genv[@]+"${genv[@]}"} ${uenv[@]+"${uenv[@]}"}; do
	printf '%s=%q\n' "${kv%%=*}" "${kv#*=}"
done >>"$stage/kmm/env"

cat >"$stage/init" <<'EOT'
#!/bin/bash
# kmem_mom guest init (written by tests/boot-guest.sh): mount the API
# filesystems, run /kmm/test.sh with its output on @TAP_TTY_NAME@, power off.
# No "set -e": if init dies the kernel panics and the log says less.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb LC_ALL=C
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# The kernel's boot is over: from here on, anything that dies is a failure
# of the run (tests/boot-guest.sh retries a boot only before this line).
echo "kmm-init: start"
mkdir -p /dev/pts /dev/shm
# devtmpfs hides the rootfs's /dev links; bash's <(...) needs /dev/fd.
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
# Hold the TAP port open for the whole run: reopening a tty while its last
# user is still closing it fails with EAGAIN and the exit line was lost.
exec 3>@TAP_TTY@
# Raw: no \n -> \r\n on the TAP port.
stty raw -echo <&3
# KMM_UDEV=1: udevd runs as on a booted system (rules, modalias loads,
# kmem_mom's rule); the test triggers the coldplug when it is ready.
. /kmm/env
if [ "${KMM_UDEV:-}" = 1 ]; then
	# Started when it answers, as systemd waits for it at boot.
	/usr/lib/systemd/systemd-udevd --daemon --resolve-names=never &&
		udevadm control --timeout=1800 --ping &&
		echo "kmm-init: systemd-udevd started"
fi
# A kernel with kmemleak (the debug lane): what was unreferenced before the
# test is not the test's; what is after it fails the run.
kml=/sys/kernel/debug/kmemleak
if [ -w $kml ]; then
	echo scan >$kml && echo clear >$kml && echo "kmm-init: kmemleak cleared"
fi
echo "kmm-init: running /kmm/test.sh on $(uname -r)"
cd /kmm
/kmm/test.sh </dev/null >&3 2>&1
rc=$?
if [ -w $kml ]; then
	# kmemleak reports objects older than 5 s; scan twice so that a
	# pointer in flight during one scan is not taken for a leak.
	sleep 6
	echo scan >$kml
	echo scan >$kml
	leaks=$(grep -c '^unreferenced object' $kml)
	echo "# kmemleak: $leaks unreferenced object(s) after the test" >&3
	if [ "$leaks" != 0 ]; then
		sed 's/^/# kmemleak: /' $kml >&3
		echo "kmm-init: kmemleak found $leaks unreferenced object(s)"
		[ $rc != 0 ] || rc=1
	fi
fi
echo "# kmm-exit $rc" >&3
echo "kmm-init: test exited $rc, powering off"
sync
busybox poweroff -f
# Only reached if poweroff failed; -no-reboot turns a reboot into an exit.
echo b >/proc/sysrq-trigger
EOT
# The TAP port: the second 16550 on x86, virt's second PL011 on arm64.
tap_tty=/dev/ttyS1
[ "$arch" = arm64 ] && tap_tty=/dev/ttyAMA1
sed -i "s|@TAP_TTY@|$tap_tty|; s|@TAP_TTY_NAME@|${tap_tty#/dev/}|" "$stage/init"
chmod 755 "$stage/init"

(cd "$stage" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --quiet) >"$out/run.cpio"
# ACPI tables for the kernel's table upgrade come first, in an archive of
# their own (kernel/firmware/acpi/*.aml).
early=()
if [ -n "$hmat_override" ]; then
	gen=
	for o in ${overlays[@]+"${overlays[@]}"}; do
		[ -x "$o/usr/bin/kmm-hmat-table" ] && gen=$o/usr/bin/kmm-hmat-table
	done
	[ -n "$gen" ] || kmm_die "--device $device needs the helpers overlay (kmm-hmat-table)"
	mkdir -p "$stage/early/kernel/firmware/acpi"
	"$gen" "$stage/early/kernel/firmware/acpi/hmat.aml"
	(cd "$stage/early" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) >"$out/early.cpio"
	early=("$out/early.cpio")
fi
# The kernel unpacks concatenated newc archives in order; later entries win.
cat ${early[@]+"${early[@]}"} "$rootfs" "$out/run.cpio" >"$initrd"
rm -rf "$stage"
t1=$(date +%s.%N)

# ---------------------------------------------------------------------------
# Boot.
# nokaslr: a randomly placed kernel can land inside the device-memory
# range and split it (seen with a 64 GiB soft-reserved range).
cmdline="console=ttyS0 nokaslr panic_on_warn=1 oops=panic panic=-1 loglevel=7 rdinit=/init$kcmd${append:+ $append}"
qemu=(qemu-system-x86_64 -accel tcg -cpu "$qcpu" -smp "$qsmp"
	-nographic -display none -monitor none -no-reboot
	-nic none -vga none
	"${qargs[@]}"
	-kernel "$vmlinuz" -initrd "$initrd" -append "$cmdline"
	-serial "file:$out/console.log" -serial "file:$out/tap.log")
# arm64: the firmware loads -kernel/-initrd through fw_cfg and starts the
# kernel's EFI stub.  virt (10.0+) makes a second PL011 for a second
# -serial and lists both in ACPI (ttyAMA0, ttyAMA1).
# KMM_ARM64_CPU: another CPU model, e.g. neoverse-n1, without LPA2: a
# 52-bit kernel (6.12+) then runs with 48-bit addresses, one page-table
# level folded at run time (-cpu max has LPA2: five levels).
if [ "$arch" = arm64 ]; then
	qcpu=${KMM_ARM64_CPU:-$qcpu}
	cmdline=${cmdline/console=ttyS0/console=ttyAMA0}
	qemu=(qemu-system-aarch64 -accel tcg -cpu "$qcpu" -smp "$qsmp"
		-nographic -display none -monitor none -no-reboot -nic none
		"${qargs[@]}"
		-kernel "$vmlinuz" -initrd "$initrd" -append "$cmdline"
		-serial "file:$out/console.log" -serial "file:$out/tap.log")
fi
# recipe_arm64_hmem: QEMU's own device tree for this machine, with the
# stub's /chosen properties added, and the blob they point at loaded into
# the last 64 KiB of node0's RAM.
if [ -n "$efi_handoff" ]; then
	command -v fdtput >/dev/null || kmm_die "fdtput missing: run devel/setup-host.sh"
	efi_base=$(((1 + boot_gib) * (1 << 30) - 65536))
	"${qemu[@]}" -machine "dumpdtb=$out/virt.dtb" </dev/null >"$out/dumpdtb.log" 2>&1 ||
		kmm_die "qemu could not dump its device tree: $(cat "$out/dumpdtb.log")"
	efi_blob "$out/efi.bin" "$efi_base"
	# fdtput -t x takes hexadecimal cells; two make a 64-bit value.
	hi=$(printf %x $((efi_base >> 32))) lo=$(printf %x $((efi_base & 0xffffffff)))
	mm=$(printf %x $(((efi_base & 0xffffffff) + 0x200)))
	fdtput -t x "$out/virt.dtb" /chosen linux,uefi-system-table $hi $lo &&
		fdtput -t x "$out/virt.dtb" /chosen linux,uefi-mmap-start $hi $mm &&
		fdtput -t x "$out/virt.dtb" /chosen linux,uefi-mmap-size 0x90 &&
		fdtput -t x "$out/virt.dtb" /chosen linux,uefi-mmap-desc-size 0x30 &&
		fdtput -t x "$out/virt.dtb" /chosen linux,uefi-mmap-desc-ver 1 &&
		fdtput -t x "$out/virt.dtb" /chosen linux,uefi-secure-boot 0 ||
		kmm_die "fdtput failed on $out/virt.dtb"
	qemu+=(-dtb "$out/virt.dtb" -device "loader,file=$out/efi.bin,addr=$efi_base,force-raw=on")
fi
printf '%q ' "${qemu[@]}" >"$out/qemu.cmd"
echo >>"$out/qemu.cmd"

# A guest that has not started /init by then hangs in the emulator (seen:
# 7.3 under TCG, silent from 2 s into the boot for 14 minutes, where /init
# starts within 15 s): it is stopped and booted again below, rather than
# left to use up the whole time-out.  KMM_BOOT_LIMIT overrides it.
boot_limit=${KMM_BOOT_LIMIT:-$((timeout / 4 > 300 ? timeout / 4 : 300))}

# reached_init: the guest's /init has started (its first console line);
# its udevd, kmemleak's first scan and the test come after it.
reached_init() { grep -q '^kmm-init: start' "$out/console.log" 2>/dev/null; }

# watch_boot PID: stop the guest (PID: its timeout(1)) if /init has not
# started within boot_limit seconds.
watch_boot() {
	local waited=0
	while [ "$waited" -lt "$boot_limit" ]; do
		reached_init && return 0
		sleep 1
		waited=$((waited + 1))
	done
	echo "no /init after ${boot_limit}s" >"$out/boot-hung"
	kill -TERM "$1" 2>/dev/null || true
}

boot() {
	local qpid wpid
	kmm_log "$kver/$device: booting ${script#"$KMM_TOP"/} (timeout ${timeout}s)"
	rm -f "$out/console.log" "$out/tap.log" "$out/boot-hung"
	qrc=0
	timeout --kill-after=10 "$timeout" "${qemu[@]}" </dev/null >"$out/qemu.log" 2>&1 &
	qpid=$!
	watch_boot "$qpid" &
	wpid=$!
	wait "$qpid" || qrc=$?
	kill "$wpid" 2>/dev/null || true
	wait "$wpid" 2>/dev/null || true
}
boot
# A guest that died before /init started ran none of our code: no process
# of ours, no module of ours, no test (seen: an int3 oops in early
# timekeeping on 7.3 under TCG, a code-patching race of the emulator).
# Boot it once more and say so; its console is kept (console.boot1.log),
# and what the kernel complained of there is printed with the verdict.
# Anything from /init's first line on counts.
retried=
if ! reached_init; then
	retried=$(grep -m1 -E 'BUG:|Oops|Kernel panic|WARNING:' "$out/console.log" 2>/dev/null |
		tr -d '\r' | cut -c1-120 || true)
	[ ! -e "$out/boot-hung" ] || retried="stopped: $(cat "$out/boot-hung")"
	retried=${retried:-qemu exited $qrc without output from /init}
	mv "$out/console.log" "$out/console.boot1.log" 2>/dev/null || true
	kmm_log "the guest died before /init ($retried); booting it again"
	boot
fi
t2=$(date +%s.%N)
[ ! -e "$out/boot-hung" ] || kmm_log "the guest was stopped: $(cat "$out/boot-hung")"

# ---------------------------------------------------------------------------
# Verdict.
touch "$out/console.log" "$out/tap.log"
fail=0
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	kmm_log "guest timed out after ${timeout}s; last 40 console lines:"
	tail -n 40 "$out/console.log" | tr -d '\r' >&2
	fail=1
elif [ "$qrc" != 0 ]; then
	kmm_log "qemu exited $qrc:"
	cat "$out/qemu.log" >&2
	fail=1
fi

bad='WARNING:|BUG:|Oops|Call Trace|Kernel panic'
# Stack dumps that are a run's record, not a failure, each let through
# only at most 8 lines after its report's header (and one per header);
# any other stack trace stays a failure:
# --allow-alloc-failures: allocation failures (warn_alloc: "page
#   allocation failure", "vmemmap alloc failure", "vmalloc error"), where
#   benchmarks push the in-tree kmem into vmemmap allocation failures on
#   purpose;
# --allow-injected-failures: those and each injected failure's own dump
#   (the debug lane's allocation-failure loop);
# --allow-offline-migration-failures: the kernel's memory-hotplug
#   selftest offlines boot memory; when a boot block's pages have no other
#   node's kernel zone to go to (the only other node is the device, in
#   ZONE_MOVABLE), offline_pages() retries until signalled and warn_alloc()
#   reports each failed migration target.  Such a dump must also have
#   do_migrate_range() and offline_pages() in its stack.
# stray_traces CONSOLE HDRS [FRAMES]: the traces of CONSOLE that no header
# matching HDRS explains, or (FRAMES: space-separated) whose stack lacks
# one of FRAMES.
# arm64 says "Call trace:" and ends a trace with its last frame line
# ("[ time]  func+0x../0x.."), x86 says "Call Trace:" and ends it with
# </TASK>.
stray_traces() {
	tr -d '\r' <"$1" | awk -v hdrs="$2" -v frames="${3:-}" -v arm="$([ "$arch" = arm64 ] && echo 1)" '
		BEGIN { nf = split(frames, need, " ") }
		function verdict(   i, ok) {
			if (!at)
				return
			ok = hdr && at - hdr <= 8
			for (i = 1; i <= nf; i++)
				if (!(need[i] in seen))
					ok = 0
			if (!ok)
				print at ": " line
			at = hdr = 0
			split("", seen)
		}
		arm && at && !/\] +[^ ]+\+0x[0-9a-f]+\/0x[0-9a-f]+/ { verdict() }
		$0 ~ hdrs { verdict(); hdr = NR }
		/Call Trace:/ || (arm && /Call trace:/) { verdict(); at = NR; line = $0; next }
		at { for (i = 1; i <= nf; i++) if (index($0, need[i])) seen[need[i]] = 1 }
		at && /<\/TASK>/ { verdict() }
		END { verdict() }'
}
# arm64's stack dumps say "Call trace:".
[ "$arch" = arm64 ] && bad+='|Call trace:'
alloc_hdrs='allocation failure|alloc failure|vmalloc error: size'
traced_hdrs= traced_frames=
if [ -n "$allow_alloc_traces" ]; then
	traced_hdrs=$alloc_hdrs
	printf '# kmm-alloc-failures %s\n' "$(grep -cE 'allocation failure|alloc failure' "$out/console.log" || true)"
fi
if [ -n "$allow_injected" ]; then
	traced_hdrs="FAULT_INJECTION: forcing a failure|$alloc_hdrs"
	printf '# kmm-injected-failures %s\n' "$(grep -c 'FAULT_INJECTION: forcing a failure' "$out/console.log" || true)"
fi
if [ -n "$allow_offline_migration" ]; then
	traced_hdrs='page allocation failure:' traced_frames='do_migrate_range offline_pages'
	printf '# kmm-offline-migration-failures %s\n' \
		"$(grep -c 'page allocation failure:' "$out/console.log" || true)"
fi
if [ -n "$traced_hdrs" ]; then
	bad='WARNING:|BUG:|Oops|Kernel panic'
	if [ -n "$(stray_traces "$out/console.log" "$traced_hdrs" "$traced_frames")" ]; then
		kmm_log "a stack trace that none of the allowed reports explains:"
		stray_traces "$out/console.log" "$traced_hdrs" "$traced_frames" | head -n 5 >&2
		fail=1
	fi
fi
if grep -qE "$bad" "$out/console.log"; then
	kmm_log "kernel complained on the console:"
	grep -nE -B 3 -A 25 "$bad" "$out/console.log" | tr -d '\r' | head -n 120 >&2
	fail=1
fi

reached_init ||
	kmm_log "/init never started (see $out/console.log)"
exit_line=$(tr -d '\r' <"$out/tap.log" | grep -E '^# kmm-exit [0-9]+$' | tail -n 1 || true)
if [ -z "$exit_line" ]; then
	kmm_log "no '# kmm-exit' line: the test script did not finish"
	fail=1
elif [ "${exit_line##* }" != 0 ]; then
	kmm_log "test script exited ${exit_line##* }"
	fail=1
fi
# A failed run's record of which driver served "kmem", and why (the
# modprobe.d rule's line, kmem_mom's own): the console stays in the build
# directory, the verdict is all a CI log shows.
if [ "$fail" = 1 ]; then
	tr -d '\r' <"$out/console.log" | grep -E 'kmem_mom: |kmem: ' | tail -n 12 |
		sed 's/^/console: /' >&2 || true
fi

if [ -n "$retried" ]; then
	echo "# kmm-boot-retry: the first boot died before /init ($retried); see console.boot1.log"
	tr -d '\r' <"$out/console.boot1.log" 2>/dev/null | grep -E "$bad" | head -n 5 |
		sed 's/^/# kmm-boot1: /' || true
fi
tr -d '\r' <"$out/tap.log"
kmm_log "$kver/$device: cpio $(elapsed "$t0" "$t1")s, guest $(elapsed "$t1" "$t2")s wall" \
	"-> $([ $fail = 0 ] && echo PASS || echo FAIL)"
exit $fail
