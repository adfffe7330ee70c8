#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# debug-kernel.sh: the debug lane's kernel (make check-debug).  Built once
# from Debian's own linux-source-6.12 with tests/debug/kmem_mom-debug.config
# merged over x86_64_defconfig and kvm_guest.config, and cached by source
# version and config hash in $KMM_STATE/debug/<version>-<hash>/:
#   build/                the built tree (KDIR for kmem_mom's build)
#   image/boot/vmlinuz-R  and image/lib/modules/R/, as the guest harness
#                         reads a Debian kernel package
#   release               R, the kernel release (6.12.N-kmm-debug)
# Then, cached or not, it is registered where the suite looks for a kernel,
# as a Debian package would put it: /usr/src/linux-headers-R (the tree) and
# $KMM_STATE/images/R (the image).  Prints the release.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# The release is the one line on stdout (check-debug.sh takes it as is):
# everything else, apt's and the kernel build's chatter included, goes to
# stderr.  (apt-get's output of a first install once became the release.)
exec 3>&1 1>&2

frag=$KMM_TOP/tests/debug/kmem_mom-debug.config
deb=$(ls "$KMM_CACHE"/debs/linux-source-6.12_*.deb 2>/dev/null | sort -V | tail -n1)
if [ -z "$deb" ]; then
	mkdir -p "$KMM_CACHE/debs"
	(cd "$KMM_CACHE/debs" && apt-get download -qq linux-source-6.12)
	deb=$(ls "$KMM_CACHE"/debs/linux-source-6.12_*.deb | sort -V | tail -n1)
fi
ver=$(dpkg-deb -f "$deb" Version)
# The hash covers the options only: a reworded comment keeps the cache.
hash=$(grep -E '^(# )?CONFIG_' "$frag" | sha256sum | cut -c1-12)
dir=$KMM_STATE/debug/$ver-$hash

# register: the tree as R's headers, the image as R's guest image.
register() {
	local rel
	rel=$(cat "$dir/release")
	ln -sfn "$dir/build" "/usr/src/linux-headers-$rel"
	rm -rf "$KMM_STATE/images/$rel"
	mkdir -p "$KMM_STATE/images"
	ln -sfn "$dir/image" "$KMM_STATE/images/$rel"
	echo "$rel" >&3
}

if [ -f "$dir/.kmm-ready" ]; then
	register
	exit 0
fi

need=()
for p in flex bison libelf-dev libssl-dev bc dwarves; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
[ ${#need[@]} -eq 0 ] || apt-get install -y -qq --no-install-recommends "${need[@]}"

rm -rf "$dir"
mkdir -p "$dir"
dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards '*/linux-source-6.12.tar.xz' |
	tar -xJ -C "$dir"
mv "$dir/linux-source-6.12" "$dir/build"
cd "$dir/build"
make -s x86_64_defconfig
make -s kvm_guest.config >/dev/null
scripts/kconfig/merge_config.sh -m .config "$frag" >/dev/null
make -s olddefconfig LOCALVERSION=-kmm-debug
# Every option the fragment asks for must have survived olddefconfig.
missing=$(grep '^CONFIG_' "$frag" | while IFS= read -r line; do
	grep -qx "$line" .config || echo "$line"
done)
[ -z "$missing" ] || kmm_die "the debug config lost: $missing"
start=$(date +%s)
make -j"$(nproc)" LOCALVERSION=-kmm-debug bzImage modules >"$dir/build.log" 2>&1 ||
	kmm_die "debug kernel build failed, see $dir/build.log"
rel=$(make -s LOCALVERSION=-kmm-debug kernelrelease)
mkdir -p "$dir/image/boot"
cp arch/x86/boot/bzImage "$dir/image/boot/vmlinuz-$rel"
# Stripped of DWARF (BTF stays): the guests carry a copy of each module.
make -s LOCALVERSION=-kmm-debug INSTALL_MOD_PATH="$dir/image" INSTALL_MOD_STRIP=1 \
	modules_install >/dev/null
echo "$(($(date +%s) - start))" >"$dir/build-seconds"
echo "$rel" >"$dir/release"
touch "$dir/image/.kmm-ready" "$dir/.kmm-ready"
register
