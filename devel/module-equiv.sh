#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# module-equiv.sh BASE: is the x86 module HEAD builds the same machine code
# as BASE's?  Builds both, for each amd64 kernel of the suite, from HEAD's
# committed tree (BASE's with kmem_mom/, include/, scripts/conftest.sh,
# scripts/probes/ and Kbuild taken from BASE), and compares every ELF
# section of kmem_mom.ko and kmem.ko but the build ID.  A change that only
# adds another architecture's code (issue 30's arm64 page-table walk) then
# leaves the x86 results describing the module as shipped; any other
# difference, down to a byte of .modinfo, fails.  One TAP line a kernel.
#   module-equiv.sh BASE [--plan]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
kmm_kernels_env

kernels=("$K61" "$K612" "$K73")
base=${1:?usage: module-equiv.sh BASE [--plan]}
if [ "${2:-}" = --plan ]; then
	echo ${#kernels[@]}
	exit 0
fi
base=$(git -C "$KMM_TOP" rev-parse --short "$base^{commit}") || kmm_die "$1: not a commit"
head=$(git -C "$KMM_TOP" rev-parse --short HEAD)
paths=(kmem_mom include scripts/conftest.sh scripts/probes Kbuild)

work=$KMM_TOP/build/equiv
rm -rf "$work"
mkdir -p "$work/new" "$work/old"
git -C "$KMM_TOP" archive HEAD | tar -x -C "$work/new"
git -C "$KMM_TOP" archive HEAD | tar -x -C "$work/old"
(cd "$work/old" && rm -rf "${paths[@]}")
git -C "$KMM_TOP" archive "$base" -- "${paths[@]}" | tar -x -C "$work/old"

# sections KO: "name sha1" of every section but the build ID.
sections() {
	local s
	for s in $(readelf -SW "$1" | sed -n 's/^ *\[ *[0-9]*\] \([^ ]*\) .*/\1/p'); do
		case $s in NULL | .note.gnu.build-id) continue ;; esac
		echo "$s $(objcopy -O binary --only-section="$s" "$1" /dev/stdout | sha1sum | cut -c1-40)"
	done
}

fail=0
for kver in "${kernels[@]}"; do
	why=
	for v in old new; do
		# git archive's mtimes are the commit's: objects left from another
		# run would look newer than the sources and not be rebuilt.
		rm -rf "$KMM_TOP/build/$kver/equiv-$v"
		KMM_TREE=$work/$v KMM_SRC_DIR=equiv-$v "$KMM_TOP/devel/kbuild.sh" "$kver" \
			>"$work/$v-$kver.log" 2>&1 || why+="the $v build failed ($work/$v-$kver.log) "
	done
	if [ -z "$why" ]; then
		for ko in kmem_mom.ko kmem.ko; do
			d=$(diff <(sections "$KMM_TOP/build/$kver/equiv-old/$ko") \
				<(sections "$KMM_TOP/build/$kver/equiv-new/$ko") |
				sed -n 's/^> \([^ ]*\) .*/\1/p' | tr '\n' ' ')
			[ -z "$d" ] || why+="$ko differs in: $d"
		done
	fi
	if [ -z "$why" ]; then
		echo "ok - $kver: the module of $head is $base's, section for section"
	else
		echo "not ok - $kver: the module of $head is $base's: $why"
		fail=1
	fi
done
exit $fail
