#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The in-tree kmem end to end, without kmem_mom: the baseline a new guest
# lane (arm64) must pass before kmem_mom is tried in it.  The recipe's dax
# device ($KMM_DEVICE) goes to system-ram with daxctl, its node gains the
# device's whole blocks and they are online; then offline, back to devdax,
# and the node and /proc/iomem are as before.  Also records what the guest
# looks like (nodes, block size, the online policy, where the device sits).
set -euo pipefail
. /kmm/lib.sh

policy=/sys/devices/system/memory/auto_online_blocks

tap_plan 13
diag "kernel $(kver) on $(uname -m), device $KMM_DEVICE, online policy $(cat $policy)"
diag "nodes: $(cat /sys/devices/system/node/online), block size $(memblock_bytes) bytes"

# Where kmem_mom is installed (tests/run.sh's overlay), make this a host
# without it: "kmem" is the in-tree module.
if [ -f /etc/modprobe.d/kmem_mom.conf ]; then
	mv /etc/modprobe.d/kmem_mom.conf /tmp/kmem_mom.conf
	in_tree_kmem_conf /etc/modprobe.d/kmm-case.conf
fi
dev=$(setup_device "$KMM_DEVICE") || bail_out "no $KMM_DEVICE dax device"
node=$(dax_node "$dev")
devdax_park "$dev"
check_eq "$dev targets node ${KMM_DEV_NODE:-1}" "${KMM_DEV_NODE:-1}" "$node"
bs=$(memblock_bytes)
size=$(cat "/sys/bus/dax/devices/$dev/size")
start=$(($(cat "/sys/bus/dax/devices/$dev/resource")))
first=$(((start + bs - 1) / bs * bs))
want=$(((start + size - first) / bs))
diag "$dev: start $(printf '%#x' "$start") size $size -> $want blocks"

# The kernel's policy may online new blocks itself (7.x auto), and daxctl
# then refuses; daxctl onlines them here.
old_policy=$(cat $policy)
echo offline >$policy
trap 'echo "$old_policy" >$policy' EXIT
cp /proc/iomem /tmp/iomem.before
blocks_before=$(node_memblocks "$node")
total_before=$(awk '/MemTotal/ { print $4 }' "/sys/devices/system/node/node$node/meminfo" 2>/dev/null || echo 0)
daxctl disable-device "$dev" >/dev/null

check "daxctl reconfigure-device $dev to system-ram (in-tree kmem)" \
	daxctl reconfigure-device --mode=system-ram "$dev"
check_eq "$dev is bound to kmem" kmem "$(dax_driver "$dev")"
check "the module kmem is the in-tree one (no kmem_mom)" bash -c '! grep -q "^kmem_mom " /proc/modules'
check_eq "node $node gained $want memory blocks" "$want" \
	"$(($(node_memblocks "$node") - blocks_before))"
check_eq "daxctl onlined all of them" "$want" "$(node_online_memblocks "$node")"
total=$(awk '/MemTotal/ { print $4 }' "/sys/devices/system/node/node$node/meminfo")
diag "node $node MemTotal: $total_before kB -> $total kB"
check "node $node's MemTotal grew" test "$total" -gt "$total_before"
diag "$(dax_ram_resources "$dev")"
check_eq "/proc/iomem: one System RAM (kmem) under $dev" \
	"$(dax_blocks_resource "$dev" "$want")" "$(dax_ram_resources "$dev")"
check "daxctl offline-memory $dev" daxctl offline-memory "$dev"
check_eq "all its blocks are offline" 0 "$(node_online_memblocks "$node")"
check "daxctl reconfigure-device $dev back to devdax" \
	daxctl reconfigure-device --mode=devdax --force "$dev"
check_eq "node $node memory blocks are gone" "$blocks_before" "$(node_memblocks "$node")"
check "/proc/iomem is as before" diff -u /tmp/iomem.before /proc/iomem

tap_done
