#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Regression test: a device whose memmap does not fit in free system RAM.
# node0 has 1 GiB of DRAM (~0.7 GiB of it free), dax0.0 is 48 GiB (bench
# recipe, KMM_BENCH_GIB=48): its memmap is 768 MiB, less than the DRAM the
# kernel manages but more than is free.  With memmap_on_memory=0 the
# vmemmap allocation used to fail inside x86 add_pages(), which WARNs (the
# panic_on_warn guest died); kmem_mom must now refuse the bind up front,
# say why, and leave nothing.
# Then memmap_on_memory=1 binds the same device, as the message suggests,
# and so does memmap_on_memory=auto (over the budget: on the device).
# Booted with memory_hotplug.memmap_on_memory=1.
set -euo pipefail
. /kmm/lib.sh
. /kmm/mem.sh

tap_plan 21
# device_dax would give the device a 1 GiB memmap in RAM of its own: keep
# it away, and unbind through sysfs (daxctl would rebind device_dax).
modprobe dax_hmem
wait_for /sys/bus/dax/devices/dax0.0 30 || bail_out "no dax0.0"
dev=dax0.0
echo offline >/sys/devices/system/memory/auto_online_blocks
blocks=$(dax_fit_memblocks "$dev")
diag "$dev: $blocks blocks, memmap $(($(memmap_bytes "$blocks") >> 20)) MiB;" \
	"node0 MemFree $(node_meminfo_kb 0 MemFree) kB"
cp /proc/iomem /tmp/iomem.0

dmesg_mark
# 6.3+ binds the (KMEM-type) device as the module loads; 6.1 waits for daxctl.
check "modprobe kmem_mom memmap_on_memory=0" modprobe kmem_mom memmap_on_memory=0
# kmem-mom plan before daxctl tries (on 6.3+ after the module's own try at
# load): the RAM check refuses memmap_on_memory=0, auto goes on the device.
rc=0
plan=$(kmem-mom plan "$dev" 2>/tmp/plan.err) || rc=$?
diag "$(jq -c '{memmap, memmap_ram_headroom, ram: .placements.ram, auto: .placements.auto}' <<<"$plan")"
check_eq "kmem-mom plan predicts the refusal (exit 1)" 1 "$rc"
check_eq "plan: in RAM refused, the memmap as kmem_mom would allocate it" \
	"ram false $(memmap_bytes "$blocks")" \
	"$(jq -r '"\(.placements.ram.memmap) \(.placements.ram.ok) \(.memmap)"' <<<"$plan")"
check "plan: the RAM check's headroom is below the memmap" \
	jq -e '.memmap_ram_headroom < .memmap and (.placements.ram.why | test("RAM check"))' <<<"$plan"
check_eq "plan: auto chooses the device (over budget) and succeeds" "device over budget true" \
	"$(jq -r '.placements.auto | "\(.chooses) \(.reason) \(.ok)"' <<<"$plan")"
[ -n "$(dax_driver "$dev")" ] || ! daxctl reconfigure-device -N --mode=system-ram "$dev" >/dev/null 2>&1
check_eq "the bind is refused" "" "$(dax_driver "$dev")"
msg=$(dmesg_since | grep -m1 "$dev: not enough system RAM for the memmap" || true)
diag "$msg"
check "dmesg says why, and what to do" \
	bash -c "[[ '$msg' == *'of $blocks memory block(s)'*'memmap_on_memory=1 puts it on the device' ]]"
check_eq "no memory block was added" 0 "$(node_memblocks 1)"
check "/proc/iomem as before" diff -u /tmp/iomem.0 /proc/iomem
check_eq "counters: 0 devices, 0 blocks, 0 stranded" "0 0 0" \
	"$(mom_counters)"

echo 1 >/sys/module/kmem_mom/parameters/memmap_on_memory
check "kmem-mom plan: with memmap_on_memory=1 it would succeed (exit 0)" \
	kmem-mom plan "$dev"
check "with memmap_on_memory=1 the same device binds and onlines" \
	daxctl reconfigure-device --mode=system-ram "$dev"
check_eq "all $blocks blocks, memmap on the device" "$blocks $blocks" \
	"$(dax_online_memblocks "$dev") $(mom_attr "$dev" memmap_device_blocks)"
check "offline it" daxctl offline-memory "$dev"
check "unbind it" sysfs_write /sys/bus/dax/drivers/kmem/unbind "$dev"
check "/proc/iomem as before" diff -u /tmp/iomem.0 /proc/iomem

# memmap_on_memory=auto: 768 MiB of memmap is far over the budget (2% of
# the 1 GiB present at boot), so it goes on the device, and says so.
echo auto >/sys/module/kmem_mom/parameters/memmap_on_memory
check "with memmap_on_memory=auto the same device binds" \
	daxctl reconfigure-device --mode=system-ram "$dev"
why=$(mom_attr "$dev" memmap_policy_reason)
diag "$why"
check "auto: over the budget, on the device" \
	bash -c "[[ '$why' == *'768 MiB of memmap over the 20 MiB budget'*'-> device' ]]"
check_eq "all $blocks blocks, memmap on the device" "$blocks $blocks" \
	"$(dax_online_memblocks "$dev") $(mom_attr "$dev" memmap_device_blocks)"
check "offline and unbind it" bash -c \
	"daxctl offline-memory $dev && echo $dev >/sys/bus/dax/drivers/kmem/unbind"
check "/proc/iomem as before, again" diff -u /tmp/iomem.0 /proc/iomem
summary ramshort-refused 1 - "blocks=$(node_memblocks 1) counters=$(mom_counters | tr ' ' /)"
tap_done
