#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make field: kmem_mom on the deployment path of a real server.  Debian 12
# (6.1, 6.12 from backports) and Debian 13 (its 6.12, 7.3 from backports)
# disk images (devel/field-image.sh: the packages installed by apt from
# a local repository, DKMS building and signing for every kernel), booted
# by QEMU through OVMF's Secure Boot firmware with Microsoft's keys, shim,
# grub and Debian's signed kernel, into systemd; tests/guest/field.sh runs
# as a unit of that system at each boot.  For each kernel:
#   enrolled  the DKMS key enrolled as a MOK (virt-fw-vars --add-mok):
#             kmem_mom loads and serves, bound at boot under the stock
#             policy; then online=movable from /etc/modprobe.d, a reboot,
#             ZONE_MOVABLE, given back;
#   rejected  not enrolled: the kernel refuses kmem_mom, the in-tree kmem
#             serves, and one log line says how to enroll the key.
# and on 7.3, large: enrolled, 512 GiB (4096 blocks) with online=movable
# in /etc/modprobe.d from the first boot: the package's udev rule onlines
# them through a systemd unit, past udev's 180 s limit on an event;
# and newkernel: Debian 13 on its own 6.12, enrolled, installs 7.3 from
# backports itself (apt, from the image's local repository), DKMS builds
# and signs kmem_mom for it, and the reboot into 7.3 gets it serving.
# TAP, one line per boot case with the guest's rounds beneath it; then
# "N passed, N failed".  The summary (commit, kernels, each case, the log
# lines that prove it) goes to build/field/summary.md; results/field/
# keeps the committed one.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

out=$KMM_TOP/build/field
imgs=$KMM_STATE/field
mkdir -p "$out" "$imgs"
t0=$(date +%s)
# shim's vendor GUID for MokList (what mokutil --import writes).
shim_guid=605dab50-e046-4300-abb6-3dd810dd8b23
ovmf=/usr/share/OVMF
boot_gib=2

"$KMM_TOP/devel/setup.sh" >"$out/setup.log" 2>&1 || {
	tail -n 20 "$out/setup.log"
	kmm_die "setup failed"
}
# After setup: on a fresh machine, setup is what writes kernels.env.
kmm_kernels_env
# The packages, made from a copy of the tree (make check's package stage
# may be using build/deb meanwhile).
priv=$(mktemp -d)
trap 'rm -rf "$priv"' EXIT
kmm_copy_tree "$priv/kmem_mom"
"$priv/kmem_mom/devel/deb.sh" >"$out/deb.log" 2>&1 || {
	cat "$out/deb.log"
	kmm_die "make deb failed"
}
export KMM_DEBS=$out/deb
rm -rf "$KMM_DEBS"
cp -a "$priv/kmem_mom/build/deb" "$KMM_DEBS"

# image NAME SUITE KERNEL...: the image parts for SUITE with those kernels
# (as field-image.sh takes them), made once per packages, kernels and
# recipe, kept as NAME.
image() {
	local name=$1 suite=$2 key dir deb
	shift 2
	# The packages' contents (their archives carry build times).
	key=$({
		echo "$suite $*"
		for deb in "$KMM_DEBS"/kmem-mom-dkms_*.deb "$KMM_DEBS"/kmem-mom-tools_*_amd64.deb; do
			dpkg-deb --fsys-tarfile "$deb" | tar -xOf - | md5sum
		done
		md5sum <"$KMM_TOP/devel/field-image.sh"
	} | md5sum | cut -c1-12)
	dir=$imgs/$name-$key
	if [ ! -f "$dir/uuid" ]; then
		rm -rf "$dir"
		"$KMM_TOP/devel/field-image.sh" "$suite" "$dir" "$@" >"$out/image-$name.log" 2>&1 || {
			tail -n 30 "$out/image-$name.log" >&2
			return 1
		}
		# Images of older packages go.
		find "$imgs" -mindepth 1 -maxdepth 1 -name "$name-*" ! -name "$name-$key" -exec rm -rf {} +
	fi
	echo "$dir"
}

# disk IMG DIR KVER CASE: DIR/disk.img, the image with the tests in its
# root and a grub.cfg that boots KVER with CASE.
disk() {
	local img=$1 dir=$2 kver=$3 case=$4 f cmds=$2/debugfs.cmds rootmb
	cp --sparse=always "$img/root.img" "$dir/root.img"
	{
		echo "mkdir /kmm"
		for f in "$KMM_TOP"/tests/guest/*.sh; do
			echo "write $f /kmm/${f##*/}"
		done
		echo "write $KMM_TOP/tests/field/kmm-field.service /etc/systemd/system/kmm-field.service"
		echo "symlink /etc/systemd/system/multi-user.target.wants/kmm-field.service /etc/systemd/system/kmm-field.service"
		echo "mkdir /var/lib/kmm-field"
		if [ "$case" = large ]; then
			echo "options kmem_mom online=movable" >"$dir/kmem_mom-local.conf"
			echo "write $dir/kmem_mom-local.conf /etc/modprobe.d/kmem_mom-local.conf"
		fi
	} >"$cmds"
	debugfs -w -f "$cmds" "$dir/root.img" >"$dir/debugfs.log" 2>&1 || return 1
	cp "$img/esp.img" "$dir/esp.img"
	# newkernel boots what grub's default would (/vmlinuz: the newest
	# kernel installed), and is told the kernel it is to install.
	local pin=$kver next=
	[ "$case" = newkernel ] && pin= next=" kmm.next=$K73"
	printf '%s\n' "set kmm_kernel=$pin" \
		"set kmm_cmdline=\"console=ttyS0,115200 nokaslr memmap=${dev_gib}G%$((boot_gib + 3))G-1+0xefffffff memory_hotplug.memmap_on_memory=1 panic_on_warn=1 oops=panic kmm.case=$case$next\"" \
		"search --no-floppy --fs-uuid --set=root $(cat "$img/uuid")" \
		"source (\$root)/boot/grub/grub.cfg" >"$dir/grub.cfg"
	mcopy -o -i "$dir/esp.img" "$dir/grub.cfg" ::/EFI/BOOT/grub.cfg &&
		mcopy -o -i "$dir/esp.img" "$dir/grub.cfg" ::/EFI/debian/grub.cfg || return 1
	rootmb=$(($(stat -c %s "$dir/root.img") / 1048576))
	rm -f "$dir/disk.img"
	truncate -s $((1 + 128 + rootmb + 1))M "$dir/disk.img"
	sfdisk -q "$dir/disk.img" <<EOT || return 1
label: gpt
start=1MiB, size=128MiB, type=uefi, name=EFI
start=129MiB, size=${rootmb}MiB, type=linux, name=root
EOT
	dd if="$dir/esp.img" of="$dir/disk.img" bs=1M seek=1 conv=notrunc,sparse status=none &&
		dd if="$dir/root.img" of="$dir/disk.img" bs=1M seek=129 conv=notrunc,sparse status=none &&
		rm -f "$dir/root.img" "$dir/esp.img"
}

# boot IMG NAME KVER CASE ROUNDS: one machine, from power-on to power-off.
# Its device: 4 GiB, or 512 GiB (large), sparse on the host.
boot() {
	local img=$1 name=$2 kver=$3 case=$4 rounds=$5 dir=$out/$2 rc=0 exits bad limit
	dev_gib=4
	[ "$case" = large ] && dev_gib=512
	rm -rf "$dir"
	mkdir -p "$dir"
	disk "$img" "$dir" "$kver" "$case" || {
		echo "not ok - $name: the disk image could not be put together"
		return 1
	}
	if [ "$case" != rejected ]; then
		virt-fw-vars --input "$ovmf/OVMF_VARS_4M.ms.fd" --output "$dir/vars.fd" \
			--add-mok "$shim_guid" "$img/mok.pem" >"$dir/vars.log" 2>&1 || {
			echo "not ok - $name: virt-fw-vars --add-mok failed"
			return 1
		}
	else
		cp "$ovmf/OVMF_VARS_4M.ms.fd" "$dir/vars.fd"
	fi
	limit=1800
	[ "$case" = newkernel ] && limit=5400
	[ "$case" = large ] && limit=7200
	timeout --kill-after=10 $limit qemu-system-x86_64 -accel tcg -cpu max -smp 2 \
		-machine "q35,smm=on,max-ram-below-4g=1G" -global ICH9-LPC.disable_s3=1 \
		-global driver=cfi.pflash01,property=secure,value=on \
		-drive "if=pflash,format=raw,unit=0,file=$ovmf/OVMF_CODE_4M.secboot.fd,readonly=on" \
		-drive "if=pflash,format=raw,unit=1,file=$dir/vars.fd" \
		-m $((boot_gib + dev_gib))G \
		-object "memory-backend-ram,id=mem0,size=${boot_gib}G" \
		-object "memory-backend-ram,id=mem1,size=${dev_gib}G,reserve=off" \
		-numa node,nodeid=0,cpus=0-1,memdev=mem0 -numa node,nodeid=1,memdev=mem1 \
		-drive "file=$dir/disk.img,format=raw,if=virtio" \
		-device pvpanic-pci -action panic=exit-failure \
		-nographic -display none -monitor none -nic none -vga none \
		-serial "file:$dir/console.log" -serial "file:$dir/tap.log" \
		</dev/null >"$dir/qemu.log" 2>&1 || rc=$?
	rm -f "$dir/disk.img"
	touch "$dir/console.log" "$dir/tap.log"
	# The firmware and grub write to every serial port: keep the TAP.
	tr -d '\r' <"$dir/tap.log" | grep -E '^(TAP version|[0-9]+\.\.[0-9]+$|ok |not ok |#|Bail out!)' >"$dir/tap.txt"
	exits=$(grep -c '^# kmm-exit 0$' "$dir/tap.txt" || true)
	bad=$(tr -d '\r' <"$dir/console.log" | grep -nE 'WARNING:|BUG:|Oops|Call Trace|Kernel panic' | head -n 5 || true)
	if [ "$rc" = 0 ] && [ "$exits" = "$rounds" ] && [ -z "$bad" ] &&
		! grep -q '^not ok' "$dir/tap.txt"; then
		echo "ok - $name ($(grep -c '^ok' "$dir/tap.txt") checks over $rounds boot(s))"
	else
		echo "not ok - $name (qemu $rc, $exits of $rounds rounds passed)"
		[ -z "$bad" ] || printf '%s\n' "$bad" | sed 's/^/# console: /'
		[ "$rc" = 0 ] || tr -d '\r' <"$dir/console.log" | tail -n 15 | sed 's/^/# console: /'
	fi
	sed 's/^/    /' "$dir/tap.txt"
	[ "$rc" = 0 ] && [ "$exits" = "$rounds" ] && [ -z "$bad" ] && ! grep -q '^not ok' "$dir/tap.txt"
}

# The machines: suite, kernels to install, and the kernels to boot.
cases=()
for k in "$K61" "$K612"; do
	cases+=("bookworm|$k|enrolled|2" "bookworm|$k|rejected|1")
done
for k in T612 "$K73"; do
	cases+=("trixie|$k|enrolled|2" "trixie|$k|rejected|1")
done
cases+=("trixie|$K73|large|1" "trixie612|T612|newkernel|2")

# KMM_FIELD_CASES=REGEX: only the cases whose "suite|kernel|case" matches.
if [ -n "${KMM_FIELD_CASES:-}" ]; then
	only=()
	for c in "${cases[@]}"; do
		[[ "$c" =~ $KMM_FIELD_CASES ]] && only+=("$c")
	done
	cases=(${only[@]+"${only[@]}"})
fi

echo "TAP version 13"
echo "1..${#cases[@]}"
pass=0 fail=0
bookworm= trixie= trixie612=
if [[ "${cases[*]}" == *bookworm\|* ]]; then
	bookworm=$(image bookworm bookworm "$K61" -t bookworm-backports "$K612") || bookworm=
fi
if [[ "${cases[*]}" == *trixie\|* ]]; then
	trixie=$(image trixie trixie amd64 -t trixie-backports "$K73") || trixie=
fi
# Debian 13 on its own 6.12, with 7.3 in its local repository.
if [[ "${cases[*]}" == *trixie612\|* ]]; then
	trixie612=$(image trixie612 trixie amd64 --later -t trixie-backports "$K73") || trixie612=
fi
# Debian 13's own 6.12: the one its linux-image-amd64 brought.
t612=
for i in "$trixie" "$trixie612"; do
	[ -n "$t612" ] || [ -z "$i" ] || t612=$(debugfs -R 'ls -p /boot' "$i/root.img" 2>/dev/null |
		awk -F/ '$6 ~ /^vmlinuz-6\.12\./ { sub(/^vmlinuz-/, "", $6); print $6; exit }')
done
summary=$out/summary.md
{
	echo "# The field lane (make field)"
	echo
	echo "Commit $(git -C "$KMM_TOP" describe --always --dirty --abbrev=7 2>/dev/null || echo unknown)," \
		"run $(date -u +%Y-%m-%d). Kernels: $K61, $K612 (Debian 12), ${t612:-?}, $K73 (Debian 13)."
	echo
	echo "| case | kernel | Secure Boot | MOK | the driver 'kmem' | result | log lines |"
	echo "|---|---|---|---|---|---|---|"
} >"$summary"
for c in "${cases[@]}"; do
	IFS='|' read -r suite kver case rounds <<<"$c"
	[ "$kver" = T612 ] && kver=$t612
	img=${!suite}
	name=$suite-$kver-$case
	if [ -z "$img" ] || [ -z "$kver" ]; then
		echo "not ok - $name: no $suite image (see $out/image-$suite.log)"
		fail=$((fail + 1))
		continue
	fi
	if boot "$img" "$name" "$kver" "$case" "$rounds"; then
		pass=$((pass + 1)) result=ok
	else
		fail=$((fail + 1)) result=FAILED
	fi
	t=$out/$name/tap.txt
	shown=$kver
	[ "$case" = newkernel ] && shown="$kver, then $K73"
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$case" "$shown" \
		"$(grep -q '^ok .* - Secure Boot is on' "$t" && echo on || echo '?')" \
		"$([ "$case" = rejected ] && echo 'not enrolled' || echo enrolled)" \
		"$(sed -n 's/^# driver: //p' "$t" | head -n 1)" "$result" \
		"$(sed -n 's/^# proof: //p' "$t" | sed 's/|/\\|/g' | awk '!seen[$0]++' | awk '{ printf "%s%s", sep, $0; sep = "<br>" }')" >>"$summary"
done
echo "# field lane took $(($(date +%s) - t0)) s; summary in $summary"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
