#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kmem_mom's own HMAT reader (6.1; 6.7+ ask the memory tiers) against a
# table whose device bandwidth entry, times its base unit, overflows 64
# bits (tests/helpers/kmm-hmat-table.c, loaded over QEMU's through the
# kernel's ACPI table upgrade).  The entry must be dropped: the device is
# then 3x DRAM's latency and nothing else, an abstract distance of 1728
# against DRAM's 576, and memmap_on_memory=auto calls it slow.
set -euo pipefail
. /kmm/lib.sh

tap_plan 4
check "the kernel loaded the test's HMAT over QEMU's" \
	bash -c "dmesg | grep -q 'Table Upgrade: override \[HMAT'"
check "modprobe kmem_mom" modprobe kmem_mom
read -ra ad </sys/bus/dax/drivers/kmem/kmem_mom/node_adistance
diag "node_adistance: ${ad[*]}"
check_eq "node 1: 3x DRAM's latency, the overflowing bandwidth dropped" 1728 "${ad[1]:-}"
check "modprobe -r kmem_mom" modprobe -r kmem_mom
tap_done
