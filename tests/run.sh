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

# scenario: name script device extra-cmdline
scenarios=(
	"bind-hmem-mom|tests/guest/bind.sh|hmem|memory_hotplug.memmap_on_memory=1"
	"bind-pmem|tests/guest/bind.sh|pmem|"
)

# stage KVER: build + make install into build/KVER/overlay (usr-merged).
stage() {
	local kver=$1 src=$KMM_TOP/build/$1/src root inst
	root=$(kmm_env_root "$kver") || return 1
	if [ -z "$root" ]; then inst=$src/stage; else inst=/src/stage; fi
	rm -rf "$src/stage" "$KMM_TOP/build/$kver/overlay"
	KMM_BTF=$([ -z "$root" ] && ls "$KMM_STATE/images/$kver/boot/vmlinuz-$kver" 2>/dev/null) \
		"$KMM_TOP/scripts/kbuild.sh" "$kver" install INSTALL_MOD_PATH="$inst" \
		>"$KMM_TOP/build/$kver/install.log" 2>&1 || return 1
	mkdir -p "$KMM_TOP/build/$kver/overlay/usr"
	cp -a "$src/stage/lib" "$KMM_TOP/build/$kver/overlay/usr/"
	cp -a "$src/stage/etc" "$KMM_TOP/build/$kver/overlay/"
}

n=0 pass=0 fail=0
echo "TAP version 13"
for kver in "${kernels[@]}"; do
	if ! stage "$kver"; then
		n=$((n + 1)) fail=$((fail + 1))
		echo "not ok $n - install kmem_mom for $kver"
		sed 's/^/# /' "$KMM_TOP/build/$kver/install.log" | tail -n 20
		continue
	fi
	for sc in "${scenarios[@]}"; do
		IFS='|' read -r name script device append <<<"$sc"
		if [ ${#only[@]} -gt 0 ] && ! printf '%s\n' "${only[@]}" | grep -qx "$name"; then
			continue
		fi
		out=$KMM_TOP/build/$kver/guest/$name
		mkdir -p "${out%/*}"
		n=$((n + 1))
		start=$(date +%s)
		"$KMM_TOP/tests/boot-guest.sh" --kernel "$kver" --device "$device" \
			--script "$script" --overlay "$KMM_TOP/build/$kver/overlay" \
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
