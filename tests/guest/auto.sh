#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# memmap_on_memory=auto: where each device's memmap goes, why, and what it
# measures to.  The recipe's devices are bound in order, once per round:
#   KMM_AUTO_ROUNDS  rounds separated by ';', each PARAMS@EXPECT/EXPECT...
#                    PARAMS: modprobe arguments joined by '+' (may be empty)
#                    EXPECT: PLACE:REGEX for one device, in order, where
#                    PLACE is the measured placement (ram, device),
#                    "refused" (the RAM check refuses the bind) or
#                    "nofallback" (memmap_fallback=0 fails it), and REGEX
#                    must match its policy reason ('.' for spaces).
# Placement is measured: node0 DRAM spent, the device node's present -
# managed, the sysfs counts; the budget from memmap_ram_charged_bytes.
# Every round ends with all devices back in devdax mode and nothing left.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

params=/sys/module/kmem_mom/parameters
tap_plan
devs=$(setup_device "$KMM_DEVICE") || bail_out "no $KMM_DEVICE dax device"
read -ra devs <<<"$devs"
devdax_park "${devs[@]}"
echo offline >/sys/devices/system/memory/auto_online_blocks
all_blocks() { ls /sys/devices/system/memory | grep -c '^memory[0-9]'; }
blocks0=$(all_blocks)
cp /proc/iomem /tmp/iomem.0
diag "kernel $(kver), $KMM_DEVICE (${devs[*]}), HMAT ${KMM_HMAT:-none}," \
	"memory_hotplug.memmap_on_memory=$(cat /sys/module/memory_hotplug/parameters/memmap_on_memory)"

# gigantic_windows DEV: 1 GiB-aligned windows inside DEV's block-aligned range.
gigantic_windows() {
	local d=/sys/bus/dax/devices/$1 bs g=$((1 << 30)) s e
	bs=$(memblock_bytes)
	s=$(($(cat "$d/resource")))
	e=$(((s + $(cat "$d/size")) / bs * bs))
	s=$(((s + bs - 1) / bs * bs))
	s=$(((s + g - 1) / g * g))
	[ "$e" -gt "$s" ] && echo $(((e - s) / g)) || echo 0
}

charged=0
# bind_one TAG DEV PLACE REGEX POLICY
bind_one() {
	local t=$1 dev=$2 place=$3 re=$4 pol=$5 n kb why msg node
	node=$(dax_node "$dev")
	n=$(dax_fit_memblocks "$dev")
	kb=$(($(memmap_bytes "$n") / 1024))
	[ -z "$(dax_driver "$dev")" ] || daxctl disable-device "$dev" >/dev/null
	placement_mark "$node"
	dmesg_mark
	if [ "$place" = refused ] || [ "$place" = nofallback ]; then
		check "$t the bind is refused" \
			bash -c "! daxctl reconfigure-device --mode=system-ram $dev >/dev/null 2>&1"
		why=$(dmesg_since | sed -n "s/.*$dev: memmap placement: //p" | head -n 1)
		diag "$t $why"
		if [[ $why =~ $re ]]; then ok "$t the reason says why"; else not_ok "$t the reason says why" "want /$re/"; fi
		if [ "$place" = refused ]; then
			msg=$(dmesg_since | grep -m1 "$dev: not enough system RAM for the memmap" || true)
			diag "$t $msg"
			check "$t the RAM check says why, and what to do" \
				bash -c "[[ '$msg' == *'of $n memory block(s)'*'boot with memory_hotplug.memmap_on_memory=1'* ]]"
		else
			check "$t memmap_fallback=0 fails the bind, and says so" test \
				"$(dmesg_count "$dev: memmap cannot be placed on the device .*memmap_fallback=0: failing the bind")" -ge 1
		fi
		check_eq "$t no memory block was added" "$blocks0" "$(all_blocks)"
		# daxctl leaves the device unbound: back to device_dax, as it was.
		devdax_park "$dev"
		check "$t /proc/iomem as before" diff -u /tmp/iomem.0 /proc/iomem
		return 0
	fi
	check "$t daxctl reconfigure-device --mode=system-ram $dev" \
		daxctl reconfigure-device --mode=system-ram "$dev"
	why=$(mom_attr_or "$dev" memmap_policy_reason)
	diag "$t $why"
	diag "$t fallback: $(mom_attr_or "$dev" memmap_fallback_reason)"
	check_placement "$t" "$node" "$n" "$place"
	check_eq "$t memmap_policy" "$pol" "$(mom_attr_or "$dev" memmap_policy)"
	if [[ $why =~ $re ]]; then ok "$t the reason says why"; else not_ok "$t the reason says why" "want /$re/"; fi
	check_eq "$t dmesg gives the same line, once" 1 \
		"$(dmesg_since | grep -cF "$dev: memmap placement: $why" || true)"
	# A kernel that cannot say up front (<= 6.8) refuses the device at the
	# first add: then the fallback says so.
	if [ "$place" = ram ] && [[ $why == *"-> device" ]]; then
		check "$t the kernel refused the device: the fallback says so" \
			reason_given "$dev" memmap_fallback_reason
	fi
	if [ "$place" = ram ]; then
		check_eq "$t sysfs: ram/device blocks" "$n/0" \
			"$(mom_attr_or "$dev" memmap_ram_blocks)/$(mom_attr_or "$dev" memmap_device_blocks)"
		check_eq "$t gigantic_pages: every 1 GiB window" "$(gigantic_windows "$dev")" \
			"$(mom_attr_or "$dev" gigantic_pages)"
		charged=$((charged + kb * 1024))
	else
		check_eq "$t sysfs: ram/device blocks" "0/$n" \
			"$(mom_attr_or "$dev" memmap_ram_blocks)/$(mom_attr_or "$dev" memmap_device_blocks)"
		check_eq "$t gigantic_pages: none with the memmap on the device" 0 \
			"$(mom_attr_or "$dev" gigantic_pages)"
	fi
	check_eq "$t memmap_ram_charged_bytes" "$charged" \
		"$(cat "$MOM_STATS/memmap_ram_charged_bytes")"
}

r=0
IFS=';' read -ra rounds <<<"${KMM_AUTO_ROUNDS:?}"
for round in "${rounds[@]}"; do
	r=$((r + 1))
	args=${round%%@*} args=${args//+/ }
	IFS='/' read -ra expect <<<"${round#*@}"
	pol=auto
	case " $args " in
	*" memmap_on_memory=0 "*) pol=ram ;;
	*" memmap_on_memory=1 "*) pol=device ;;
	esac
	check "[$r] modprobe kmem_mom $args" modprobe kmem_mom $args
	if [ -z "$args" ]; then
		check_eq "[$r] the defaults: memmap_on_memory, memmap_ram_budget" "auto 2%" \
			"$(cat $params/memmap_on_memory) $(cat $params/memmap_ram_budget)"
	fi
	diag "[$r] budget $(cat "$MOM_STATS/memmap_ram_budget_bytes") bytes"
	charged=0
	for i in "${!expect[@]}"; do
		[ "$i" -lt ${#devs[@]} ] || bail_out "KMM_AUTO_ROUNDS: more expectations than devices"
		bind_one "[$r ${devs[$i]}]" "${devs[$i]}" "${expect[$i]%%:*}" "${expect[$i]#*:}" $pol
	done
	for i in "${!expect[@]}"; do
		[ "$(dax_driver "${devs[$i]}")" = kmem ] || continue
		check "[$r] ${devs[$i]} back to devdax" \
			daxctl reconfigure-device --mode=devdax --force "${devs[$i]}"
	done
	check_eq "[$r] the devices' memory blocks are gone" "$blocks0" "$(all_blocks)"
	check "[$r] /proc/iomem as before" diff -u /tmp/iomem.0 /proc/iomem
	check_eq "[$r] nothing charged to the budget" 0 "$(cat "$MOM_STATS/memmap_ram_charged_bytes")"
	check "[$r] modprobe -r kmem_mom" modprobe -r kmem_mom
done
tap_done
