#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The Debian packages on an arm64 Debian 12 root, natively, and the module
# DKMS builds there loaded and used (devel/arm64-pkg-check.sh boots it:
# arm64 6.12, the NVDIMM recipe, memory_hotplug.memmap_on_memory=1).
#
# /kmm-root (devel/arm64-pkgroot.sh) holds dpkg, apt, dkms, gcc-12, make
# and the running kernel's headers and image, unpacked on the x86 host and
# never configured; /kmm-root/var/local/kmm-repo is a local apt repository
# with the packages under test and whatever of their dependencies the root
# lacks.  Everything below runs in that root (chroot, the guest's /dev,
# /proc and /sys bound into it) but the setup of the NVDIMM's devdax
# namespace, which this guest's own userland does:
#   1. each unpacked package's preinst ("install"), in apt's unpack order,
#      then dpkg --configure -a: every maintainer script, natively;
#   2. apt-get install linux-headers-$(uname -r) kmem-mom-dkms
#      kmem-mom-tools, offline from the local repository; dkms's postinst
#      builds the module (timed from its make.log);
#   3. dkms status, the files in updates/dkms, their vermagic;
#   4. daxctl reconfigure-device --mode=system-ram: daxctl's load of "kmem"
#      loads the packaged kmem_mom (its srcversion is that of the file
#      DKMS installed); the memmap placed as memmap_on_memory=auto says for
#      an NVDIMM (RAM) and measured; kmem-mom (the arm64 package's) reports
#      the device and the placement; given back; then again with
#      memmap_on_memory=1 from a modprobe.d file of the root: on the device,
#      measured, given back;
#   5. apt-get remove: no module left in updates/, modprobe kmem finds the
#      in-tree kmem, and daxctl's next bind gets it.
# Timings are "# kmm-time NAME SECONDS" lines.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

R=/kmm-root
kv=$(uname -r)
policy=/sys/devices/system/memory/auto_online_blocks

tap_plan 44

# in_root CMD...: CMD in the arm64 root, with a clean environment.
in_root() {
	chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LC_ALL=C DEBIAN_FRONTEND=noninteractive INITRD=No "$@"
}
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

[ -d "$R/var/lib/dpkg/info" ] || bail_out "no arm64 root at $R (devel/arm64-pkgroot.sh)"
[ -f "$R/var/local/kmm-repo/Packages" ] || bail_out "no local repository in $R/var/local/kmm-repo"
# The initramfs is a tmpfs of half the RAM by default; the build and the
# packages need more of it.
mount -o remount,size=90% / 2>/dev/null || true
for d in dev proc sys; do
	mount --bind "/$d" "$R/$d"
done
mount -t devpts devpts "$R/dev/pts" 2>/dev/null || true
mount -t tmpfs tmpfs "$R/tmp"
mount -t tmpfs tmpfs "$R/run"
diag "kernel $kv on $(uname -m), $(nproc) CPUs, $(awk '/MemTotal/ { print $2 }' /proc/meminfo) kB; root: $(grep -c '^Package:' "$R/var/lib/dpkg/status") packages unpacked"

# --- 1. configure the root -------------------------------------------------
t0=$(now)
preinsts() {
	local p f n=0
	for p in $(awk '/^Package:/ { print $2 }' "$R/var/lib/dpkg/status"); do
		for f in "$R/var/lib/dpkg/info/$p.preinst" "$R/var/lib/dpkg/info/$p:arm64.preinst"; do
			[ -f "$f" ] || continue
			f=${f#"$R"}
			in_root DPKG_MAINTSCRIPT_PACKAGE="${p%%:*}" DPKG_MAINTSCRIPT_ARCH=arm64 \
				DPKG_MAINTSCRIPT_NAME=preinst DPKG_ROOT= "$f" install ||
				{ echo "$p: preinst install failed"; return 1; }
			n=$((n + 1))
		done
	done
	echo "$n preinsts run"
}
check "each unpacked package's preinst install, in apt's unpack order" preinsts
t1=$(now)
in_root dpkg --configure -a >/tmp/configure.log 2>&1 && ok "dpkg --configure -a (the whole root, natively)" ||
	not_ok "dpkg --configure -a (the whole root, natively)" "$(tail -n 30 /tmp/configure.log)"
t2=$(now)
echo "# kmm-time preinsts $(secs "$t0" "$t1")"
echo "# kmm-time configure $(secs "$t1" "$t2")"
notii=$(in_root dpkg-query -W -f='${db:Status-Abbrev} ${binary:Package}\n' | grep -v '^ii ' || true)
check_eq "every package of the root is installed (ii)" "" "$notii"
check "dpkg --audit finds nothing" test -z "$(in_root dpkg --audit 2>&1)"
check_eq "the root is arm64 (dpkg --print-architecture)" arm64 "$(in_root dpkg --print-architecture)"
# No libc6-dev (gcc's Recommends; the root is minbase's no-recommends):
# a module needs none, so an object file, as kbuild makes.
check "gcc-12 runs natively and makes an aarch64 object: $(in_root gcc --version | head -n1)" \
	in_root sh -c 'echo "int f(int x) { return x + 1; }" >/tmp/t.c && gcc -O2 -c -o /tmp/t.o /tmp/t.c &&
		readelf -h /tmp/t.o | grep -q "Machine: *AArch64"'

# --- 2. apt install ---------------------------------------------------------
echo "deb [trusted=yes] file:/var/local/kmm-repo ./" >"$R/etc/apt/sources.list"
check "apt-get update (the local repository only, offline)" in_root apt-get update
# apt's output, each line stamped as it comes: DKMS's build is from its
# "Building initial module" line to its "Running module version sanity
# check" (dkms 3.0 removes the build directory, make.log with it).
t3=$(now)
{
	rc=0
	in_root apt-get install -y "linux-headers-$kv" kmem-mom-dkms kmem-mom-tools 2>&1 || rc=$?
	echo "kmm-apt-exit $rc"
} | while IFS= read -r l; do printf '%s %s\n' "$(now)" "$l"; done >/tmp/apt.log
rc=$(sed -n 's/^[^ ]* kmm-apt-exit //p' /tmp/apt.log)
if [ "$rc" = 0 ]; then
	ok "apt-get install linux-headers-$kv kmem-mom-dkms kmem-mom-tools"
else
	not_ok "apt-get install linux-headers-$kv kmem-mom-dkms kmem-mom-tools" "$(tail -n 40 /tmp/apt.log)"
fi
t4=$(now)
diag "$(cut -d' ' -f2- /tmp/apt.log | grep -E '^(Unpacking|Setting up|Building|Signing|Installing|Running|Error|Warning|Sign command|Binary)' |
	head -n 40 | sed 's/^/apt: /')"
echo "# kmm-time apt-install $(secs "$t3" "$t4")"
b0=$(awk '/ Building initial module for / { print $1; exit }' /tmp/apt.log)
b1=$(awk '/ Running module version sanity check/ { print $1; exit }' /tmp/apt.log)
[ -n "$b0" ] && [ -n "$b1" ] && echo "# kmm-time dkms-build $(secs "$b0" "$b1")"
ver=$(in_root dpkg-query -W -f='${Version}' kmem-mom-dkms 2>/dev/null || echo '?')

# --- 3. what DKMS installed -------------------------------------------------
# dkms 3.0's status also runs readelf on the module, which warns on
# stderr that it has no .comment section.
st=$(in_root dkms status kmem_mom 2>/dev/null || true)
diag "dkms status: $st"
check_eq "dkms status: installed for the running kernel" "kmem_mom/$ver, $kv, aarch64: installed" "$st"
upd=/lib/modules/$kv/updates/dkms
ko=$(ls "$R$upd"/kmem_mom.ko* 2>/dev/null | head -n 1 || true)
stand=$(ls "$R$upd"/kmem.ko* 2>/dev/null | head -n 1 || true)
check "kmem_mom.ko and its kmem.ko in $upd" test -n "$ko" -a -n "$stand"
check_eq "vermagic: built for $kv on aarch64" "$kv" \
	"$(in_root modinfo -F vermagic "${ko#"$R"}" | cut -d' ' -f1)"
check "the modprobe.d rule and the udev rule from the package" \
	test -f "$R/usr/lib/modprobe.d/kmem_mom.conf" -a -f "$R/usr/lib/udev/rules.d/80-kmem_mom.rules"
check_eq "modprobe kmem_mom resolves to the packaged module in updates/dkms" \
	"insmod $upd/${ko##*/}" \
	"$(in_root modprobe --show-depends kmem_mom 2>/dev/null | tail -n 1 | cut -d' ' -f1-2)"
check "modprobe kmem runs the package's rule (install kmem ...)" \
	bash -c "chroot $R modprobe --show-depends kmem | head -n 1 | grep -q '^install '"
check_eq "kmem-mom --version (the arm64 package's)" "kmem-mom $ver" "$(in_root kmem-mom --version)"

# --- 4. the packaged module in use -----------------------------------------
dev=$(setup_device nvdimm) || bail_out "no NVDIMM dax device"
devdax_park "$dev"
node=$(dax_node "$dev")
bs=$(memblock_bytes)
want=$(dax_fit_memblocks "$dev")
diag "$dev on node $node, $want blocks of $bs bytes"
old_policy=$(cat "$policy")
echo offline >"$policy"
trap 'echo "$old_policy" >"$policy"' EXIT
cp /proc/iomem /tmp/iomem.before
blocks_before=$(node_memblocks "$node")

# bind TAG WHERE: daxctl (the root's) to system-ram, the placement
# measured, kmem-mom's report, the give-back and modprobe -r.  5 + 3 + 2 +
# 3 TAP lines.
bind() {
	local tag=$1 where=$2 j a
	daxctl disable-device "$dev" >/dev/null
	placement_mark "$node"
	check "$tag daxctl reconfigure-device --mode=system-ram $dev (in the root)" \
		in_root daxctl reconfigure-device --mode=system-ram "$dev"
	check_eq "$tag $dev is bound to 'kmem', served by kmem_mom" "kmem kmem_mom" \
		"$(dax_driver "$dev") $(basename "$(readlink /sys/bus/dax/drivers/kmem/module)")"
	check_eq "$tag the loaded kmem_mom is the file DKMS installed (srcversion)" \
		"$(in_root modinfo -F srcversion "${ko#"$R"}")" "$(cat /sys/module/kmem_mom/srcversion)"
	check "$tag the in-tree kmem stayed out" no_in_tree_kmem
	check_eq "$tag daxctl onlined $want blocks on node $node" "$want" "$(node_online_memblocks "$node")"
	check_placement "$tag measured:" "$node" "$want" "$where"
	a=/sys/bus/dax/devices/$dev/kmem_mom
	diag "$tag $(cat "$a/memmap_policy_reason")"
	j=$(in_root kmem-mom list -d "$dev") || j=null
	check_eq "$tag kmem-mom list: $dev, nvdimm, system-ram" "$dev nvdimm system-ram" \
		"$(jq -r '.[0] | "\(.chardev) \(.source.type) \(.mode)"' <<<"$j" 2>/dev/null)"
	check_eq "$tag kmem-mom list: the memmap's blocks as sysfs says (device ram)" \
		"$(cat "$a/memmap_device_blocks") $(cat "$a/memmap_ram_blocks")" \
		"$(jq -r '.[0].kmem_mom | "\(.memmap_device_blocks) \(.memmap_ram_blocks)"' <<<"$j" 2>/dev/null)"
	check "$tag give-back: daxctl reconfigure-device --mode=devdax (in the root)" \
		in_root daxctl reconfigure-device --mode=devdax --force "$dev"
	check_eq "$tag node $node's blocks are gone, /proc/iomem as before" "$blocks_before same" \
		"$(node_memblocks "$node") $(diff -q /tmp/iomem.before /proc/iomem >/dev/null && echo same)"
	check "$tag modprobe -r kmem_mom (in the root)" in_root modprobe -r kmem_mom
}
bind "[auto]" ram
echo "options kmem_mom memmap_on_memory=1" >"$R/etc/modprobe.d/kmm-local.conf"
bind "[memmap_on_memory=1]" device
rm "$R/etc/modprobe.d/kmm-local.conf"

# --- 5. apt remove ----------------------------------------------------------
check "apt-get remove -y kmem-mom-dkms kmem-mom-tools" \
	in_root apt-get remove -y kmem-mom-dkms kmem-mom-tools
check "no kmem_mom or stand-in left in updates/, dkms knows none" \
	test -z "$(ls "$R$upd" 2>/dev/null)$(in_root dkms status kmem_mom 2>&1)"
check "modprobe kmem: the in-tree kmem of $kv" \
	bash -c "chroot $R modprobe --show-depends kmem | grep -q ' /lib/modules/$kv/kernel/drivers/dax/kmem\.ko'"
check "daxctl reconfigure-device --mode=system-ram: the in-tree kmem serves" \
	bash -c "chroot $R daxctl reconfigure-device --mode=system-ram $dev >/dev/null &&
		grep -q '^kmem ' /proc/modules && ! grep -q '^kmem_mom ' /proc/modules && [ ! -e /sys/module/kmem/version ]"
check "and gives it back" in_root daxctl reconfigure-device --mode=devdax --force "$dev"

tap_done
