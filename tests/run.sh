#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The guest suite: install kmem_mom into a staging root per kernel (make
# install, as a user would), then boot each kernel with each device recipe
# and run the guest scenarios.  One top-level TAP line per guest run, the
# guest's own TAP indented beneath it.
#   tests/run.sh [-k KVER]... [-s SCENARIO]...
set -uo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
kmm_kernels_env

kernels=() only=()
while getopts k:s: o; do
	case $o in
	k) kernels+=("$OPTARG") ;;
	s) only+=("$OPTARG") ;;
	*) exit 2 ;;
	esac
done
[ ${#kernels[@]} -gt 0 ] || kernels=("$K61" "$K612" "$K73")

# name | script | device | kernel cmdline | options
#   options: fi = test build with fault injection (make KMM_FAULT_INJECT=1)
#            min=X.Y = kernels from X.Y on
# Userland follows the kernel's Debian release: bookworm (daxctl/cxl 76) for
# 6.1 and 6.12, trixie (81) for 7.x.
mom=memory_hotplug.memmap_on_memory=1
scenarios=(
	"bind-hmem|tests/guest/bind.sh|hmem|$mom|"
	"bind-pmem|tests/guest/bind.sh|pmem||"
	"autobind-hmem|tests/guest/autobind.sh|hmem|$mom|"
	"cost-hmem|tests/guest/cost.sh|hmem|$mom|"
	"fallback-pmem|tests/guest/fallback.sh|pmem||"
	"bind-nvdimm|tests/guest/bind.sh|nvdimm||"
	"badnode-nvdimm|tests/guest/badnode.sh|nvdimm-nonuma||"
	"cxl|tests/guest/cxl.sh|cxl|$mom|min=6.12"
	"switch-multi|tests/guest/switch.sh|multi|$mom|"
	"hostile-multi|tests/guest/hostile.sh|multi|$mom|fi"
)

stage() { "$KMM_TOP/scripts/stage.sh" "$1" "$2" >/dev/null 2>&1; }

n=0 pass=0 fail=0
echo "TAP version 13"
for kver in "${kernels[@]}"; do
	mkdir -p "$KMM_TOP/build/$kver/guest"
	staged=
	for v in std fi; do
		if stage "$kver" $v; then
			staged+=" $v"
		else
			n=$((n + 1)) fail=$((fail + 1))
			echo "not ok $n - install kmem_mom ($v) for $kver"
			sed 's/^/# /' "$KMM_TOP/build/$kver/install-$v.log" | tail -n 20
		fi
	done
	for sc in "${scenarios[@]}"; do
		IFS='|' read -r name script device append opts <<<"$sc"
		if [ ${#only[@]} -gt 0 ] && ! printf '%s\n' "${only[@]}" | grep -qx "$name"; then
			continue
		fi
		v=std rootfs=$(kmm_rootfs_for "$kver")
		for o in $opts; do
			case $o in
			fi) v=fi ;;
			min=*) kmm_kver_at_least "$kver" "${o#min=}" || continue 2 ;;
			esac
		done
		[[ " $staged " == *" $v "* ]] || continue
		out=$KMM_TOP/build/$kver/guest/$name
		n=$((n + 1))
		start=$(date +%s)
		"$KMM_TOP/tests/boot-guest.sh" --kernel "$kver" --device "$device" \
			--script "$script" --rootfs "$rootfs" --overlay "$KMM_TOP/build/$kver/overlay-$v" \
			--append "$append" --out "$out" >"$out.tap" 2>"$out.err"
		rc=$?
		sed 's/^/    /' "$out.tap"
		if [ $rc = 0 ]; then
			pass=$((pass + 1))
			echo "ok $n - $kver $name ($(($(date +%s) - start)) s)"
		else
			fail=$((fail + 1))
			echo "not ok $n - $kver $name"
			sed 's/^/# /' "$out.err" | tail -n 40
		fi
	done
done
echo "1..$n"
echo "# guest suite: $pass passed, $fail failed"
[ $fail = 0 ]
