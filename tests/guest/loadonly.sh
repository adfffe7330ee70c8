#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kmem_mom on a kernel that has no dax device to give it: Debian's arm64
# 6.1 builds no ZONE_DEVICE (no pmem/NVDIMM devdax) and, with CONFIG_DAX=m,
# no DEV_DAX_HMEM_DEVICES (nothing turns soft-reserved memory into hmem
# devices), so a guest can only show that the module loads the way a user
# loads it, serves the dax driver "kmem", reads its defaults, binds nothing
# and unloads cleanly, with nothing in the kernel log but its own lines.
set -euo pipefail
. /kmm/lib.sh

params=/sys/module/kmem_mom/parameters
drv=/sys/bus/dax/drivers/kmem

tap_plan 11
diag "kernel $(kver) on $(uname -m), device $KMM_DEVICE"
dmesg_before=$(dmesg | wc -l)

check "modprobe dax (the dax bus)" modprobe dax
check_eq "no dax device on this kernel" "" "$(ls /sys/bus/dax/devices/ 2>/dev/null)"
check "modprobe kmem (the modprobe.d rule loads kmem_mom)" modprobe kmem
check "kmem_mom is loaded" grep -q "^kmem_mom " /proc/modules
check "the in-tree kmem stayed out" no_in_tree_kmem
check_eq "dax driver 'kmem' is provided by kmem_mom" kmem_mom \
	"$(basename "$(readlink $drv/module)")"
check_eq "defaults: memmap_on_memory online" "auto kernel" \
	"$(cat $params/memmap_on_memory) $(cat $params/online)"
check_eq "bound devices and blocks" "0 0" \
	"$(cat $drv/kmem_mom/devices) $(cat $drv/kmem_mom/blocks)"
check "modprobe -r kmem_mom" modprobe -r kmem_mom
check_eq "neither kmem_mom nor kmem is loaded" "" \
	"$(grep -E '^(kmem|kmem_mom) ' /proc/modules | cut -d' ' -f1)"
new=$(dmesg | tail -n +$((dmesg_before + 1)))
diag "$new"
# An unsigned module taints the kernel and says so (expected).
check_eq "the kernel log has no error or warning line" "" \
	"$(grep -iE 'error|warn|fail' <<<"$new" | grep -v 'module verification failed: signature and/or required key missing - tainting kernel' || true)"

tap_done
