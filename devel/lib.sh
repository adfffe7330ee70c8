# SPDX-License-Identifier: GPL-2.0-only
# Shared shell helpers for kmem_mom's scripts.  Sourced, never run.

KMM_STATE=${KMM_STATE:-/var/lib/kmem_mom}	# chroots, rootfs, kernels
KMM_CACHE=${KMM_CACHE:-/var/cache/kmem_mom}	# downloaded .debs
KMM_MIRROR=${KMM_MIRROR:-http://deb.debian.org/debian}
KMM_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export DEBIAN_FRONTEND=noninteractive

kmm_log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
kmm_die() { kmm_log "error: $*"; exit 1; }
# kmm_tap_abort WHAT LOG: a TAP run that cannot start: its plan (one test),
# the tail of LOG as diagnostics, "not ok" for WHAT, the summary line, exit 1.
kmm_tap_abort() {
	echo "1..1"
	tail -n 30 "$2" | sed 's/^/# /'
	echo "not ok 1 - $1"
	echo "0 passed, 1 failed"
	exit 1
}

# Run a command inside chroot $1 with /proc mounted (7.x objtool reads it)
# and the source tree bind-mounted at /src; mounts vanish with the namespace.
kmm_chroot() {
	local root=$1
	shift
	unshare --mount --fork /bin/bash -euc '
		root=$1 src=$2
		shift 2
		mount --make-rprivate /
		mount -t proc proc "$root/proc"
		mkdir -p "$root/src"
		mount --bind "$src" "$root/src"
		[ -d /var/cache/kmem_mom ] && mkdir -p "$root/cache" &&
			mount --bind /var/cache/kmem_mom "$root/cache"
		exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root DEBIAN_FRONTEND=noninteractive "$@"
	' kmm_chroot "$root" "${KMM_CHROOT_SRC:-$KMM_TOP}" "$@"
}

# The kernel environments: name, where headers build, and the guest image.
# kernels.env (written by devel/kernels.sh) sets K61 K612 K73 K72.
# On a fresh machine the first target run (make lint, make matrix, ...)
# installs what setup.sh installs, since that is what writes the file.
kmm_kernels_env() {
	local f=$KMM_STATE/kernels.env log=$KMM_TOP/build/setup.log
	if [ ! -f "$f" ] || [ ! -f "$KMM_STATE/kernels-arm64.env" ]; then
		kmm_log "$f missing: running devel/setup.sh first (log: $log)"
		mkdir -p "${log%/*}"
		"$KMM_TOP/devel/setup.sh" >"$log" 2>&1 || {
			tail -n 20 "$log" >&2
			kmm_die "setup failed"
		}
	fi
	# shellcheck disable=SC1090
	. "$f"
	# shellcheck disable=SC1091
	. "$KMM_STATE/kernels-arm64.env"
}

# kmm_tap_main PLAN SCRIPT ARGS...: run SCRIPT (which prints bare "ok" /
# "not ok" lines) as a whole TAP run: "TAP version 13" and "1..PLAN"
# first, then its lines, then "N passed, N failed", where a planned test
# that never reported counts as failed.  Exits 1 if anything failed or
# SCRIPT did.  SCRIPT runs with KMM_TAP_BARE=1, which the stage scripts
# test to tell this call from their own run.
kmm_tap_main() {
	local plan=$1 counts rc p f
	shift
	counts=$(mktemp)
	echo "TAP version 13"
	echo "1..$plan"
	KMM_TAP_BARE=1 "$@" | awk -v out="$counts" '
		{ print }
		/^ok( |$)/ { p++ }
		/^not ok( |$)/ { f++ }
		END { printf "%d %d\n", p, f >out }'
	rc=${PIPESTATUS[0]}
	read -r p f <"$counts"
	rm -f "$counts"
	[ $((p + f)) -ge "$plan" ] || f=$((plan - p))
	[ "$rc" = 0 ] || echo "# ${1##*/} exited $rc"
	echo "$p passed, $f failed"
	[ "$rc" = 0 ] && [ "$f" = 0 ]
}

# kmm_kv_rows TAG LABEL FIELD...: the "# TAG k=v ..." lines of the TAP on
# stdin as tab-separated rows: LABEL, then the value of each FIELD (empty
# where a line has none).  How the benchmark guests report to the host.
kmm_kv_rows() {
	local tag=$1 label=$2
	shift 2
	sed -n "s/^# $tag //p" | awk -v label="$label" -v fields="$*" '
		BEGIN { nf = split(fields, f, " ") }
		{
			delete v
			for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = substr($i, length(kv[1]) + 2) }
			row = label
			for (i = 1; i <= nf; i++) row = row "\t" v[f[i]]
			print row
		}'
}

# kmm_bench_drivers KVER: the drivers a benchmark compares on KVER (see
# tests/guest/benchlib.sh): the in-tree kmem, its own per-device switch
# from 6.9 on, and kmem_mom with the memmap in RAM and on the device.
kmm_bench_drivers() {
	if kmm_kver_at_least "$1" 6.9; then
		echo kmem kmem-knob mom0 mom1
	else
		echo kmem mom0 mom1
	fi
}

# kmm_kver_at_least KVER X.Y: the release KVER is X.Y or newer.
kmm_kver_at_least() {
	[ "$(printf '%s\n%s\n' "$2" "${1%%-*}" | sort -V | head -n1)" = "$2" ]
}

# The guest userland that goes with a kernel's Debian release: bookworm
# (daxctl/cxl 76) for 6.x, trixie (81) for 7.x.
kmm_rootfs_for() {
	if kmm_kver_at_least "$1" 7.0; then echo trixie; else echo bookworm; fi
}

# The guest image's vmlinuz for KVER, if fetched: the BTF source for host
# builds against headers that ship no vmlinux (6.1).
kmm_image_vmlinuz() {
	local f=$KMM_STATE/images/$1/boot/vmlinuz-$1
	[ -f "$f" ] && echo "$f"
	return 0
}

# The guest image's dax module for KVER, if fetched: the BTF of struct
# dev_dax where vmlinux's lacks it (arm64 6.1).
kmm_image_dax_ko() {
	ls "$KMM_STATE/images/$1"/{usr/,}lib/modules/"$1"/kernel/drivers/dax/dax.ko* 2>/dev/null |
		head -n1 || true
}

# kmm_copy_tree DST: the working tree (no build output, no .git) into DST.
# Each kernel builds in a copy of its own: M= writes objects into the tree.
# KMM_TREE: another tree to copy (devel/module-equiv.sh).
kmm_copy_tree() {
	mkdir -p "$1"
	tar -C "${KMM_TREE:-$KMM_TOP}" --exclude=./build --exclude=./.git --exclude='*.o' \
		--exclude='*.ko' --exclude=./include/generated -cf - . | tar -C "$1" -xf -
}

# Root of the environment whose headers build kernel $1 ("" = host).
# arm64 kernels (devel/kernels-arm64.sh): 6.1 and 6.12 build on the host
# from headers extracted under $KMM_STATE/arm64/x, 7.3 in the trixie
# cross chroot.
kmm_env_root() {
	local kver=$1 env root
	for env in "" trixie sid; do
		root=${env:+$KMM_STATE/envs/$env}
		if [ -f "$root/usr/src/linux-headers-$kver/Module.symvers" ]; then
			printf '%s\n' "$root"
			return 0
		fi
	done
	case $kver in
	*-arm64)
		root=$KMM_STATE/arm64/envs/trixie-x
		if [ -f "$root/usr/src/linux-headers-$kver/Module.symvers" ]; then
			printf '%s\n' "$root"
			return 0
		fi
		[ -f "$(kmm_kdir "$kver" "")/Module.symvers" ] && return 0
		;;
	esac
	return 1
}

# kmm_private_apt DIR ARCHES [APT.CONF LINE]...: an apt state of its own in
# DIR for the architectures ARCHES (the first is apt's own), its
# sources.list read from stdin, made once, and its lists fetched once; use
# it with APT_CONFIG=DIR/apt.conf.  The host's apt configuration and dpkg
# architectures are never touched.  Without TrustedParts apt finds no keys
# outside its own Dir::Etc.
kmm_private_apt() {
	local d=$1 arches=$2 line
	shift 2
	if [ ! -f "$d/apt.conf" ]; then
		rm -rf "$d"
		mkdir -p "$d"/lists/partial "$d"/cache/archives/partial \
			"$d"/etc/apt/sources.list.d "$d"/etc/apt/preferences.d \
			"$d"/etc/apt/apt.conf.d
		: >"$d/status"
		cat >"$d/etc/apt/sources.list"
		{
			cat <<EOT
Dir::Etc "$d/etc/apt";
Dir::Etc::TrustedParts "/etc/apt/trusted.gpg.d";
Dir::State "$d";
Dir::State::status "$d/status";
Dir::Cache "$d/cache";
APT::Architecture "${arches%% *}";
APT::Architectures { $(printf '"%s"; ' $arches)};
Acquire::Languages "none";
Acquire::Check-Valid-Until "false";
EOT
			for line; do echo "$line"; done
		} >"$d/apt.conf.tmp"
		mv "$d/apt.conf.tmp" "$d/apt.conf"
	fi
	if ! ls "$d"/lists/*Packages* >/dev/null 2>&1; then
		kmm_log "apt-get update (private state $d)"
		APT_CONFIG=$d/apt.conf apt-get update -qq || kmm_die "apt-get update of $d failed"
	fi
}

# kmm_kdir KVER ROOT: the headers of KVER as the build sees them (inside
# ROOT when it is a chroot).
kmm_kdir() {
	case $1/$2 in
	*-arm64/) echo "$KMM_STATE/arm64/x/usr/src/linux-headers-$1" ;;
	*) echo "/usr/src/linux-headers-$1" ;;
	esac
}

# kmm_kbuild_args KVER ROOT: what make needs beyond KERNELRELEASE and KDIR:
# the cross compiler where the host builds for arm64.  (The arm64 headers
# of 6.12+ set CROSS_COMPILE themselves; 6.1's only when dpkg says the
# build and host architectures differ.)
kmm_kbuild_args() {
	case $1/$2 in
	*-arm64/) echo "ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-" ;;
	*-arm64/*) echo "ARCH=arm64" ;;
	esac
}

# kmm_linux_source KVER DEST PATH...: extract PATHs (relative to the top of
# the kernel tree) from Debian's linux-source package of KVER's series into
# DEST, atomically.  The .deb is fetched into $KMM_CACHE/debs once, with the
# apt of the environment that builds KVER (host or chroot).
kmm_linux_source() {
	local kver=$1 dest=$2 series deb root p
	shift 2
	series=$(sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p' <<<"$kver")
	deb=$(ls "$KMM_CACHE"/debs/linux-source-"$series"_*.deb 2>/dev/null | sort -V | tail -n1)
	if [ -z "$deb" ]; then
		root=$(kmm_env_root "$kver") || kmm_die "no environment for $kver"
		mkdir -p "$KMM_CACHE/debs"
		if [ -z "$root" ]; then
			(cd "$KMM_CACHE/debs" && apt-get download -qq "linux-source-$series") ||
				kmm_die "cannot download linux-source-$series"
		else
			kmm_chroot "$root" /bin/sh -c \
				"cd /cache/debs && apt-get download -qq linux-source-$series" ||
				kmm_die "cannot download linux-source-$series"
		fi
		deb=$(ls "$KMM_CACHE"/debs/linux-source-"$series"_*.deb | sort -V | tail -n1)
	fi
	rm -rf "$dest.tmp"
	mkdir -p "$dest.tmp"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/linux-source-$series.tar.xz" |
		tar -xJ -C "$dest.tmp" --strip-components=1 \
			$(for p in "$@"; do echo "linux-source-$series/$p"; done) ||
		kmm_die "cannot extract $* from $deb"
	rm -rf "$dest"
	mv "$dest.tmp" "$dest"
}
