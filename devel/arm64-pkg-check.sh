#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The packages on arm64, natively: an arm64 Debian 12 root
# (devel/arm64-pkgroot.sh: dpkg, apt, dkms, gcc-12, make, the guest
# kernel's headers and image, all unpacked, none configured) and a local
# apt repository with kmem-mom-dkms (all), kmem-mom-tools (arm64) and what
# else of theirs the root lacks go into one arm64 6.12 guest (QEMU TCG,
# the NVDIMM recipe), where tests/guest/pkg-arm64.sh configures the root
# with dpkg, installs the packages with apt, lets dkms's postinst build the
# module, binds the NVDIMM through daxctl to the packaged module twice
# (memmap placement measured, kmem-mom's report, give-back) and removes
# them again.  TAP on stdout.
#
#   devel/arm64-pkg-check.sh [--plan] [DEBS]
#
# DEBS: the directory of make deb's output (build/deb: kmem-mom-dkms_*_all.deb
# and arm64/kmem-mom-tools_*_arm64.deb); made with devel/deb.sh when absent.
# KMM_TAP_BARE=1 (make check's stages): no plan, no summary line, the
# lines prefixed "arm64 packages: ".  The guest's timings (dpkg's
# configure, apt's install, the native DKMS build) are "# kmm-time" lines
# and in $work/times.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

PLAN=4
if [ "${1:-}" = --plan ]; then
	echo $PLAN
	exit 0
fi
debs=${1:-$KMM_TOP/build/deb}
kmm_kernels_env
work=$KMM_TOP/build/arm64-pkg
P=$KMM_STATE/arm64/pkgroot
fail=0 n=0 num=
bare=${KMM_TAP_BARE:-}
pre=
[ -n "$bare" ] && pre="arm64 packages: "
mkdir -p "$work"

tap() { # tap DESC CMD...: one TAP line, the command's output on failure
	local desc=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	n=$((n + 1))
	num=" $n"
	[ -z "$bare" ] || num=
	if [ $rc = 0 ]; then
		echo "ok$num - $pre$desc"
	else
		echo "not ok$num - $pre$desc"
		printf '%s\n' "$out" | tail -n 25 | sed 's/^/# /'
		fail=1
	fi
	return $rc
}

if [ -z "$bare" ]; then
	echo "TAP version 13"
	echo "1..$PLAN"
fi
finish() {
	local p f
	p=$(grep -c '^ok' "$work/tap" 2>/dev/null || true)
	[ -z "$bare" ] || exit $fail
	f=$((PLAN - p))
	echo "$p passed, $f failed"
	exit $fail
}

# The packages under test.
dkms_deb=$(ls "$debs"/kmem-mom-dkms_*_all.deb 2>/dev/null | head -n 1)
tools_deb=$(ls "$debs"/arm64/kmem-mom-tools_*_arm64.deb 2>/dev/null | head -n 1)
if [ -z "$dkms_deb" ] || [ -z "$tools_deb" ]; then
	"$KMM_TOP/devel/deb.sh" >"$work/deb.log" 2>&1
	dkms_deb=$(ls "$debs"/kmem-mom-dkms_*_all.deb 2>/dev/null | head -n 1)
	tools_deb=$(ls "$debs"/arm64/kmem-mom-tools_*_arm64.deb 2>/dev/null | head -n 1)
fi

{
	tap "the arm64 root: dpkg, apt, dkms, gcc-12, make, linux-headers and linux-image-$A612 unpacked, none configured (devel/arm64-pkgroot.sh)" \
		"$KMM_TOP/devel/arm64-pkgroot.sh"

	# repo: the two packages and what apt in the guest will want besides
	# (resolved here against the root's status as it will be configured),
	# in a flat repository at /kmm-root/var/local/kmm-repo.
	repo() {
		local r=$work/repo/kmm-root/var/local/kmm-repo sim name ver
		[ -n "$dkms_deb" ] && [ -n "$tools_deb" ] || {
			echo "no packages in $debs (make deb: see $work/deb.log)"
			return 1
		}
		rm -rf "$work/repo"
		mkdir -p "$r"
		cp "$dkms_deb" "$tools_deb" "$r/"
		sim=$(APT_CONFIG=$P/apt/apt.conf apt-get -s -y -o Dir::State::status="$P/status.installed" \
			-o APT::Install-Recommends=true install "linux-headers-$A612" "$dkms_deb" "$tools_deb") || {
			printf '%s\n' "$sim" | tail -n 20
			return 1
		}
		printf '%s\n' "$sim" | grep '^Inst '
		while read -r name ver; do
			case $name in kmem-mom-*) continue ;; esac
			(cd "$r" && APT_CONFIG=$P/apt/apt.conf apt-get download -qq "$name=$ver") || return 1
		done < <(printf '%s\n' "$sim" | sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*/\1 \2/p')
		(cd "$r" && dpkg-scanpackages -m . /dev/null >Packages 2>/dev/null) || return 1
		ls "$r"
	}
	tap "the local apt repository: $(basename "$dkms_deb"), $(basename "$tools_deb") and what apt resolves for them on that root" repo

	t0=$(date +%s)
	# 3 GiB of boot RAM: the initramfs (the guests' rootfs, the root, the
	# repository) is unpacked into it, and DKMS builds in it.
	tap "$A612 (arm64, TCG): dpkg configures the root, apt installs the packages, DKMS builds the module natively, daxctl binds the NVDIMM to it twice (memmap in RAM, on the device: measured, kmem-mom's report, give-back), apt remove brings the in-tree kmem back (tests/guest/pkg-arm64.sh)" \
		env KMM_BOOT_GIB=3 "$KMM_TOP/tests/boot-guest.sh" --kernel "$A612" --device nvdimm \
		--script tests/guest/pkg-arm64.sh --rootfs bookworm \
		--overlay "$P/overlay" --overlay "$work/repo" \
		--append memory_hotplug.memmap_on_memory=1 --timeout 2400 --out "$work/guest"
	t1=$(date +%s)
	{
		sed -n 's/^# kmm-time //p' "$work/guest/tap.log" | tr -d '\r'
		echo "guest $((t1 - t0))"
	} >"$work/times"
	sed 's/^/# kmm-time /' "$work/times"
	tr -d '\r' <"$work/guest/tap.log" | grep -E '^(not ok|# )' | grep -v '^# kmm-' | head -n 60 | sed 's/^/# guest: /'
	tap "the guest's TAP: every test of its plan ran and passed ($(grep -c '^ok' "$work/guest/tap.log" 2>/dev/null) of $(sed -n 's/^1\.\.//p' "$work/guest/tap.log" | tr -d '\r'))" \
		bash -c "p=\$(sed -n 's/^1\\.\\.//p' $work/guest/tap.log | tr -d '\\r'); [ -n \"\$p\" ] &&
			[ \$(grep -c '^ok' $work/guest/tap.log) = \$p ] && ! grep -q '^not ok' $work/guest/tap.log"
} | tee "$work/tap"
fail=0
grep -q '^not ok' "$work/tap" && fail=1
[ "$(grep -c '^\(not \)\{0,1\}ok' "$work/tap")" = $PLAN ] || fail=1
finish
