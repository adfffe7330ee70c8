#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kmem_mom's configure step: find out what the target kernel offers and write
# include/generated/kmem_mom_config.h.  Three kinds of evidence, never a
# version number:
#   1. compile probes (scripts/probes/*.c), built in one parallel kbuild pass;
#   2. exports, read from the target's Module.symvers;
#   3. the layout of the private dax structs, read from the target kernel's
#      own BTF and checked against our declarations by a second compile.
# Usage: conftest.sh --kdir DIR [--kver REL] [--btf FILE] [--out FILE]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kdir= kver= btf=${KMM_BTF:-} out=$top/include/generated/kmem_mom_config.h
while [ $# -gt 0 ]; do
	case $1 in
	--kdir) kdir=$2; shift 2 ;;
	--kver) kver=$2; shift 2 ;;
	--btf) btf=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) echo "conftest: unknown argument $1" >&2; exit 2 ;;
	esac
done

# One line, on stderr and in include/generated/kmem_mom_refused: DKMS runs
# this as PRE_BUILD and ignores its exit status, so the build that follows
# (Kbuild) repeats the same line as its error instead of another one.
refused=$(dirname "$out")/kmem_mom_refused
refuse() {
	local msg="kmem_mom: cannot build for ${kver:-this kernel}: $*"
	echo "$msg" >&2
	mkdir -p "$(dirname "$refused")"
	rm -f "$out"
	printf '%s\n' "$msg" | tr '\n' ' ' | tr -s ' ' | sed 's/ $/\n/' >"$refused"
	exit 1
}
rm -f "$refused"

[ -n "$kdir" ] || refuse "no --kdir given"
[ -f "$kdir/Module.symvers" ] && [ -f "$kdir/.config" ] ||
	refuse "$kdir is not a prepared kernel build tree (install linux-headers-${kver:-\$(uname -r)})"
if [ -z "$kver" ]; then
	kver=$(cat "$kdir/include/config/kernel.release" 2>/dev/null) ||
		refuse "cannot read the kernel release from $kdir"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kmm-conftest.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- 0. Kernel configuration --------------------------------------------
config() { grep -E "^$1=" "$kdir/.config" | cut -d= -f2; }
[ "$(config CONFIG_MEMORY_HOTPLUG)" = y ] ||
	refuse "CONFIG_MEMORY_HOTPLUG is not set; this kernel cannot hot-add memory"
[ "$(config CONFIG_SPARSEMEM_VMEMMAP)" = y ] ||
	refuse "CONFIG_SPARSEMEM_VMEMMAP is not set; memmap placement needs it"
case $(config CONFIG_DEV_DAX) in
y | m) ;;
*) refuse "CONFIG_DEV_DAX is not set; there is no dax bus to bind to" ;;
esac
[ "$(config CONFIG_DEV_DAX_KMEM)" = y ] &&
	refuse "CONFIG_DEV_DAX_KMEM=y: the built-in kmem owns the driver name 'kmem'"

# --- 1. Exports ---------------------------------------------------------
exported() { grep -qP "^0x[0-9a-f]+\t$1\t" "$kdir/Module.symvers"; }
for sym in __dax_driver_register dax_driver_unregister \
	add_memory_driver_managed remove_memory offline_and_remove_memory \
	memory_block_size_bytes mhp_get_pluggable_range pfn_to_online_page \
	register_memory_notifier unregister_memory_notifier mem_section \
	memory_group_register_static memory_group_unregister \
	init_node_memory_type clear_node_memory_type alloc_memory_type; do
	exported "$sym" || refuse "the kernel does not export $sym"
done

# --- 2. Compile probes --------------------------------------------------
# Each scripts/probes/NAME.c is an independent object; they never depend on
# each other's results, so one `make -k` compiles them all in parallel.
pdir=$work/probes
mkdir -p "$pdir"
names=()
for p in "$top"/scripts/probes/*.c; do
	n=$(basename "$p" .c)
	names+=("$n")
	cp "$p" "$pdir/"
done
{
	echo "ccflags-y := -Werror"
	for n in "${names[@]}"; do echo "obj-m += $n.o"; done
} >"$pdir/Kbuild"
make -k -j"$(nproc)" -C "$kdir" M="$pdir" \
	$(printf '%s.o ' "${names[@]}") >"$work/probes.log" 2>&1 || true

have() { [ -f "$pdir/$1.o" ]; }
defs=$work/defs.h
: >"$defs"
emit() { printf '#define %s %s\n' "$1" "$2" >>"$defs"; }
flag() { if "$@"; then echo 1; else echo 0; fi; }

for n in "${names[@]}"; do
	macro=KMM_HAVE_$(echo "$n" | tr '[:lower:]' '[:upper:]')
	emit "$macro" "$(flag have "$n")"
done
# Declared is not enough: 6.1 declares mhp_supports_memmap_on_memory() but
# does not export it.
emit KMM_EXPORT_MHP_SUPPORTS_MEMMAP_ON_MEMORY \
	"$(flag exported mhp_supports_memmap_on_memory)"
# Placement is read from the page tables, never taken from the request
# (include/kmem_mom/vmemmap_walk.h): x86 exports its walk, lookup_address()
# and slow_virt_to_phys(); arm64 exports none, and the module walks from
# TTBR1_EL1 with the kernel's inline accessors.
x86_walk() {
	have lookup_address && exported lookup_address &&
		have slow_virt_to_phys && exported slow_virt_to_phys
}
x86_walk || have ttbr1_walk ||
	refuse "found no way to read this kernel's page tables (x86: lookup_address() and slow_virt_to_phys() exported; arm64: probe ttbr1_walk): kmem_mom could not check where a memmap lives"

for n in add_memory_driver_managed_mhp mhp_memmap_on_memory mhp_merge_resource \
	memory_groups; do
	have "$n" || {
		sed 's/^/  | /' "$work/probes.log" | grep -A3 "$n" | head -n 20 >&2 || true
		refuse "probe $n failed: this kernel's memory hotplug API is too old (need 5.15+)"
	}
done
have remove_memory_start_size || have remove_memory_nid_start_size ||
	refuse "no usable remove_memory() prototype"
have memtier_find_alloc || have memtier_destroy || have memtier_put ||
	refuse "no usable memory-tier API (need alloc_memory_type with destroy_memory_type, put_memory_type or mt_find_alloc_memory_type)"

# --- 3. Private dax layout from the target's BTF ------------------------
# Candidates, most to least direct.  Debian's 6.12+ headers ship a BTF-only
# vmlinux; for older headers use the installed image or the running kernel.
extract_vmlinux() {
	local img=$1 dst=$2 magic off tool
	for magic in 'xz:\xfd\x37\x7a\x58\x5a\x00' 'zstd:\x28\xb5\x2f\xfd' \
		'gzip:\x1f\x8b\x08' 'lz4:\x02\x21\x4c\x18'; do
		tool=${magic%%:*}
		for off in $(LC_ALL=C grep -obUaP "${magic#*:}" "$img" | cut -d: -f1); do
			tail -c +$((off + 1)) "$img" | "$tool" -dc >"$dst" 2>/dev/null || true
			if [ "$(head -c4 "$dst" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
				return 0
			fi
		done
	done
	return 1
}
# carve_btf IMG DST: arm64's vmlinuz is a raw, uncompressed Image, not an
# ELF: its .BTF section sits inside it as is.  Find the header (magic
# 0xeb9f, version 1, 24 bytes) and cut the blob at the length it gives.
carve_btf() {
	local off hdr
	for off in $(LC_ALL=C grep -obUaP '\x9f\xeb\x01\x00\x18\x00\x00\x00' "$1" | cut -d: -f1); do
		# type_off type_len str_off str_len, little-endian u32s after the magic.
		hdr=$(od -An -tu4 -v -j $((off + 8)) -N 16 "$1") || continue
		set -- "$1" "$2" $hdr
		dd if="$1" of="$2" bs=1M iflag=skip_bytes,count_bytes status=none \
			skip="$off" count=$((24 + ($3 + $4 > $5 + $6 ? $3 + $4 : $5 + $6))) || continue
		pahole -F btf -C list_head "$2" 2>/dev/null | grep -q 'struct list_head {' && return 0
	done
	return 1
}
# The BTF of vmlinux alone, or of a module split against it (--btf_base).
pahole_btf() { pahole -F btf ${base:+--btf_base "$base"} "$@"; }
has_dev_dax() { pahole_btf -C dev_dax "$1" 2>/dev/null | grep -q 'struct dev_dax {'; }
has_btf() { base= pahole_btf -C list_head "$1" 2>/dev/null | grep -q 'struct list_head {'; }

command -v pahole >/dev/null || refuse "pahole (package dwarves) is needed to read the kernel's BTF"
# First the kernel's own BTF, from wherever this kernel offers it.
vmlinux=
for cand in "$btf" "$kdir/vmlinux" \
	"$([ "$(uname -r)" = "$kver" ] && echo /sys/kernel/btf/vmlinux)" \
	"/boot/vmlinuz-$kver" "/usr/lib/modules/$kver/vmlinuz" "/lib/modules/$kver/vmlinuz"; do
	[ -n "$cand" ] && [ -r "$cand" ] || continue
	if has_btf "$cand"; then
		vmlinux=$cand
	elif extract_vmlinux "$cand" "$work/vmlinux" && has_btf "$work/vmlinux"; then
		vmlinux=$work/vmlinux
	elif carve_btf "$cand" "$work/vmlinux.btf"; then
		vmlinux=$work/vmlinux.btf
	else
		continue
	fi
	btf_origin=$cand
	break
done
# struct dev_dax is in vmlinux's BTF where dax is built in or its types are
# shared with built-in code; otherwise (arm64 6.1) only in dax.ko's own
# BTF, split against vmlinux's.
src= base=
if [ -n "$vmlinux" ] && has_dev_dax "$vmlinux"; then
	src=$vmlinux
elif [ -n "$vmlinux" ]; then
	base=$vmlinux
	for cand in "${KMM_BTF_DAX:-}" \
		"$([ "$(uname -r)" = "$kver" ] && echo /sys/kernel/btf/dax)" \
		/lib/modules/"$kver"/kernel/drivers/dax/dax.ko*; do
		[ -n "$cand" ] && [ -r "$cand" ] || continue
		case $cand in
		*.xz) xz -dc "$cand" >"$work/dax.ko" 2>/dev/null || continue; f=$work/dax.ko ;;
		*.zst) zstd -qdc "$cand" >"$work/dax.ko" 2>/dev/null || continue; f=$work/dax.ko ;;
		*) f=$cand ;;
		esac
		has_dev_dax "$f" || continue
		src=$f btf_origin="$cand (split against $btf_origin)"
		break
	done
fi
[ -n "$src" ] || refuse "found no BTF describing struct dev_dax.
  struct dev_dax is private to drivers/dax and its layout changes between
  kernels, so kmem_mom reads it from the kernel itself.  Looked in:
  \$KMM_BTF, $kdir/vmlinux, /sys/kernel/btf/vmlinux (if running $kver),
  /boot/vmlinuz-$kver${vmlinux:+ (found vmlinux BTF in $btf_origin), then
  \$KMM_BTF_DAX, /sys/kernel/btf/dax, the dax module of $kver}.
  Install linux-image-$kver or pass KMM_BTF=<vmlinux|vmlinuz>."

# "name offset size" per member, in declaration order.
members() {
	pahole_btf -C "$1" "$src" | awk '
		/^\t[^\/]/ && /\/\*/ {
			line = $0
			if (match(line, /\(\*[A-Za-z0-9_]+\)/))
				name = substr(line, RSTART + 2, RLENGTH - 3)
			else {
				decl = line
				sub(/;.*/, "", decl)
				sub(/:[0-9]+$/, "", decl)
				sub(/\[.*\]$/, "", decl)
				n = split(decl, w, /[ \t*]+/)
				name = w[n]
			}
			c = substr(line, index(line, "/*") + 2)
			split(c, f, /[ \t:]+/)
			i = 1
			while (f[i] == "") i++
			print name, f[i], f[i + 1]
		}'
}
members dev_dax >"$work/dev_dax"
members dax_device_driver >"$work/dax_drv"
members dev_dax_range >"$work/dax_range"
layout=$(awk '{print $1} $1 == "ranges" {exit}' "$work/dev_dax" | tr '\n' ' ' | sed 's/ $//')

# The layouts we know, by member order up to `ranges`:
#   5.12-6.4:  no dyn_id (6.5, 70aab281e18c "dax: Introduce alloc_dev_dax_id()",
#              also backported to 5.15.y and 6.1.y)
#   6.8:       memmap_on_memory (4ea3ec59ed1d "dax/kmem: allow kmem to add
#              memory with memmap_on_memory")
#   7.x:       cached_size before align (the famfs/fsdev_dax series)
case "$layout" in
"region dax_dev align target_node id ida dev pgmap nr_range ranges" | \
"region dax_dev align target_node dyn_id id ida dev pgmap nr_range ranges" | \
"region dax_dev align target_node dyn_id id ida dev pgmap memmap_on_memory nr_range ranges" | \
"region dax_dev cached_size align target_node dyn_id id ida dev pgmap memmap_on_memory nr_range ranges") ;;
*) refuse "unknown struct dev_dax layout in $btf_origin:
  $layout
  kmem_mom only binds to layouts it was written for; please report this kernel." ;;
esac
drv_layout=$(awk '{print $1}' "$work/dax_drv" | tr '\n' ' ' | sed 's/ $//')
case "$drv_layout" in
"drv ids match_always probe remove" | "drv ids type probe remove") ;;
*) refuse "unknown struct dax_device_driver layout in $btf_origin: $drv_layout" ;;
esac
# ->remove() became void in 5.12 (0fd4d98d6f5b "dax-device: Make remove
# callback return void"); we only implement that form.
pahole_btf -C dax_device_driver "$src" | grep -q 'void *(\*remove)(struct dev_dax \*)' ||
	refuse "struct dax_device_driver ->remove() is not void (kernel older than 5.12)"

in_layout() { grep -q "^$1 " "$work/dev_dax"; }
emit KMM_DEV_DAX_HAS_CACHED_SIZE "$(flag in_layout cached_size)"
emit KMM_DEV_DAX_HAS_DYN_ID "$(flag in_layout dyn_id)"
emit KMM_DEV_DAX_HAS_MEMMAP_ON_MEMORY "$(flag in_layout memmap_on_memory)"
emit KMM_DAX_DRV_HAS_TYPE "$(flag grep -q '^type ' "$work/dax_drv")"
while read -r m o _; do
	emit "KMM_BTF_DEV_DAX_${m}" "$o"
	[ "$m" = ranges ] && break
done <"$work/dev_dax"
while read -r m o _; do emit "KMM_BTF_DAX_DRV_${m}" "$o"; done <"$work/dax_drv"
while read -r m o _; do emit "KMM_BTF_DAX_RANGE_${m}" "$o"; done <"$work/dax_range"
emit KMM_BTF_DAX_DRV_SIZE "$(pahole_btf -C dax_device_driver "$src" | sed -n 's/.*size: \([0-9]*\),.*/\1/p')"
emit KMM_BTF_DAX_RANGE_SIZE "$(pahole_btf -C dev_dax_range "$src" | sed -n 's/.*size: \([0-9]*\),.*/\1/p')"

hdr() {
	echo "/* SPDX-License-Identifier: GPL-2.0-only */"
	echo "/* Generated by scripts/conftest.sh for $kver; do not edit. */"
	echo "/* BTF: $btf_origin */"
	echo "#ifndef KMEM_MOM_CONFIG_H"
	echo "#define KMEM_MOM_CONFIG_H"
	echo "#define KMM_CONFTEST_KVER \"$kver\""
	cat "$defs"
	echo "#endif"
}

# --- 4. Our declarations must agree with the BTF ------------------------
# dax_abi.h static_asserts every offset we use against the KMM_BTF_* values.
adir=$work/abi
mkdir -p "$adir/include/generated"
hdr >"$adir/include/generated/kmem_mom_config.h"
cp -r "$top/include/kmem_mom" "$adir/include/"
printf '#include <kmem_mom/dax_abi.h>\n' >"$adir/abi_check.c"
printf 'ccflags-y := -Werror -I%s/include\nobj-m := abi_check.o\n' "$adir" >"$adir/Kbuild"
make -C "$kdir" M="$adir" abi_check.o >"$work/abi.log" 2>&1 || {
	grep -E 'error|assert' "$work/abi.log" | head -n 20 >&2
	refuse "include/kmem_mom/dax_abi.h does not match the layout in $btf_origin"
}

mkdir -p "$(dirname "$out")"
hdr >"$out.tmp"
mv "$out.tmp" "$out"
echo "kmem_mom: configured for $kver ($(grep -c ' 1$' "$defs") features, dev_dax: $layout)"
