#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Style and static checks, each a TAP line:
#   checkpatch.pl --strict --no-tree (from Debian's linux-source package)
#   sparse through kbuild (C=2) for the host-built kernels
#   clang-format with the kernel's .clang-format
#   kmem-mom (tools/kmem-mom): the same checkpatch and clang-format (its
#   .clang-format adds the libraries' iterators; stdint types are
#   userspace's), and -Werror builds, plain and ASan/UBSan, against
#   bookworm's ndctl 76 (host) and trixie's 81 (chroot)
#   results-check.sh: each committed result names its commits and the
#   index (results/README.md) says whether they are of HEAD's module
# --plan: how many TAP lines a run prints (make check's plan).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
kmm_kernels_env

# arm64 too: its page-table walk is compiled only there.
sparse_kernels=("$K61" "$K612" "$A61" "$A612")
tool_envs=("" trixie)
tool_sanitize=(0 1)
if [ "${1:-}" = --plan ]; then
	# checkpatch twice, sparse, the tool's builds, clang-format, results.
	echo $((2 + ${#sparse_kernels[@]} + ${#tool_envs[@]} * ${#tool_sanitize[@]} + 1 +
		$("$KMM_TOP/devel/results-check.sh" --plan)))
	exit 0
fi
# make lint's own run: a whole TAP run (make check runs it bare, as a stage).
[ -n "${KMM_TAP_BARE:-}" ] || { kmm_tap_main "$("$0" --plan)" "$0" "$@"; exit; }

sources=$(cd "$KMM_TOP" && ls kmem_mom/*.c include/kmem_mom/*.h scripts/probes/*.c)
tool_sources=$(cd "$KMM_TOP" && ls tools/kmem-mom/*.c tools/kmem-mom/*.h)
fail=0
report() { # report OK|FAIL description logfile
	if [ "$1" = OK ]; then
		echo "ok - $2"
	else
		echo "not ok - $2"
		sed 's/^/# /' "$3" | head -n 40
		fail=1
	fi
}

# checkpatch.pl and its data files live only in linux-source-*.
tools=$KMM_STATE/tools/checkpatch
if [ ! -x "$tools/scripts/checkpatch.pl" ]; then
	kmm_linux_source "$K61" "$tools" scripts/checkpatch.pl scripts/spelling.txt \
		scripts/const_structs.checkpatch
fi

log=$(mktemp)
(cd "$KMM_TOP" && "$tools/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
	--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f $sources) >"$log" 2>&1
if grep -qE '(ERROR|WARNING|CHECK):' "$log"; then
	report FAIL "checkpatch --strict" "$log"
else
	report OK "checkpatch --strict ($(echo "$sources" | wc -l) files)"
fi

for kver in "${sparse_kernels[@]}"; do
	"$KMM_TOP/devel/kbuild.sh" "$kver" C=2 CHECK=sparse KMM_FAULT_INJECT=1 \
		>"$log" 2>&1
	rc=$?
	if [ $rc = 0 ] && ! grep -E '(warning|error):' "$log" | grep -q 'kmem_mom\|/src/'; then
		report OK "sparse (C=2) against $kver"
	else
		grep -E '(warning|error):' "$log" >"$log.w" || tail -n 20 "$log" >"$log.w"
		report FAIL "sparse (C=2) against $kver" "$log.w"
	fi
done

(cd "$KMM_TOP" && "$tools/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
	--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG,PREFER_KERNEL_TYPES -f $tool_sources) >"$log" 2>&1
if grep -qE '(ERROR|WARNING|CHECK):' "$log"; then
	report FAIL "checkpatch --strict, kmem-mom" "$log"
else
	report OK "checkpatch --strict, kmem-mom ($(echo "$tool_sources" | wc -l) files)"
fi

# kmem-mom builds: ndctl 76 on the host, 81 in the trixie chroot.
tool_build() { # tool_build ROOT SANITIZE
	local dst=$KMM_TOP/build/tool-lint
	rm -rf "$dst"
	kmm_copy_tree "$dst"
	if [ -z "$1" ]; then
		make -C "$dst/tools/kmem-mom" WERROR=1 SANITIZE="$2"
	else
		KMM_CHROOT_SRC=$dst kmm_chroot "$1" make -C /src/tools/kmem-mom WERROR=1 SANITIZE="$2"
	fi
}
for env in "${tool_envs[@]}"; do
	for san in "${tool_sanitize[@]}"; do
		flavour=plain
		[ $san = 1 ] && flavour=ASan+UBSan
		what="kmem-mom builds -Werror ($flavour) against the ndctl of ${env:-the host}"
		if tool_build "${env:+$KMM_STATE/envs/$env}" "$san" >"$log" 2>&1; then
			report OK "$what"
		else
			report FAIL "$what" "$log"
		fi
	done
done
rm -rf "$KMM_TOP/build/tool-lint"

(cd "$KMM_TOP" && clang-format --dry-run --Werror $sources $tool_sources) >"$log" 2>&1
if [ -s "$log" ]; then
	report FAIL "clang-format (kernel .clang-format)" "$log"
else
	report OK "clang-format (kernel .clang-format)"
fi
rm -f "$log" "$log.w"

# Its TAP lines as they are; its count line is this script's to drop.
"$KMM_TOP/devel/results-check.sh" | grep --line-buffered -v '^[0-9]* passed, [0-9]* failed$'
[ "${PIPESTATUS[0]}" = 0 ] || fail=1
exit $fail
