// SPDX-License-Identifier: GPL-2.0-only
/*
 * alloc_memory_type()/destroy_memory_type(): the memory-tier API kmem used
 * when it first set a slow tier, v6.1 ("mm/demotion/dax/kmem: set node's
 * abstract distance to MEMTIER_DEFAULT_DAX_ADISTANCE").
 */
#include <linux/memory-tiers.h>

static void (*kmm_probe)(struct memory_dev_type *)
	__maybe_unused = destroy_memory_type;
