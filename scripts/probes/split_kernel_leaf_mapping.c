// SPDX-License-Identifier: GPL-2.0-only
/*
 * arm64's split_kernel_leaf_mapping(): the kernel keeps large leaves in its
 * linear map and vmemmap and splits them on demand.  The kernels that have
 * it also refuse to offline a range whose linear-map or vmemmap edge falls
 * inside a leaf (arch/arm64/mm/mmu.c, prevent_memory_remove_notifier()),
 * which every block with its memmap on itself does.  The function is what
 * a module can see of that: Debian's arm64 7.3 has both, 6.12 neither.
 */
#include <linux/mm.h>
#include <asm/mmu.h>

static int (*kmm_probe)(unsigned long, unsigned long)
	__maybe_unused = split_kernel_leaf_mapping;
