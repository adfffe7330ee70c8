#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build kmem_mom for every target kernel, warnings as errors, then exercise
# DKMS for the kernels users install it on.  Prints a table, then TAP lines.
# --plan: how many TAP lines a run prints (make check's plan).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
kmm_kernels_env

# arm64: cross-built with Debian's arm64 headers (devel/kernels-arm64.sh).
builds=("6.1:$K61" "6.12:$K612" "7.3:$K73" "7.2 (build only):$K72"
	"6.1 arm64:$A61" "6.12 arm64:$A612" "7.3 arm64:$A73")
dkms_kernels=("$K61" "$K612" "$K73" "$A61" "$A612" "$A73")
if [ "${1:-}" = --plan ]; then
	echo $((${#builds[@]} + ${#dkms_kernels[@]}))
	exit 0
fi
# make matrix's own run: a whole TAP run (make check runs it bare, as a stage).
[ -n "${KMM_TAP_BARE:-}" ] || { kmm_tap_main "$("$0" --plan)" "$0" "$@"; exit; }

rows=()
tap=()
fail=0
for pair in "${builds[@]}"; do
	line=${pair%%:*} kver=${pair#*:}
	log=$KMM_TOP/build/$kver/build.log
	mkdir -p "$(dirname "$log")"
	start=$(date +%s.%N)
	"$KMM_TOP/devel/kbuild.sh" "$kver" >"$log" 2>&1
	rc=$?
	secs=$(echo "$(date +%s.%N) - $start" | bc)
	ko=$KMM_TOP/build/$kver/src/kmem_mom.ko
	warn=$(grep -c 'warning:' "$log")
	# The .ko must be of the kernel's architecture (its ELF header).
	arch=x86-64
	case $kver in *-arm64) arch=aarch64 ;; esac
	if [ $rc = 0 ] && [ -f "$ko" ] && [ "$warn" = 0 ] &&
		file -b "$ko" | grep -q "$arch"; then
		res=ok size=$(stat -c %s "$ko") vm=$(modinfo -F vermagic "$ko")
		tap+=("ok - build for $kver")
	else
		res=FAIL size=- vm=-
		fail=1
		tap+=("not ok - build for $kver (rc $rc, $warn warnings, want $arch, log $log)")
	fi
	rows+=("| $line | $kver | $res | $warn | $size | ${vm% } | $(printf '%.1f' "$secs") s |")
done

# The table as TAP comments, then the lines.
{
	echo "| line | kernel | result | warnings | .ko bytes | vermagic | time |"
	echo "|---|---|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
} | sed 's/^/# /'
printf '%s\n' "${tap[@]}"
for kver in "${dkms_kernels[@]}"; do
	"$KMM_TOP/devel/dkms-check.sh" "$kver" || fail=1
done
exit $fail
