// SPDX-License-Identifier: GPL-2.0-only
/*
 * mt_find_alloc_memory_type()/mt_put_memory_types(): shared per-adistance
 * memory types, added in v6.10 ("memory tier: dax/kmem: introduce an
 * abstract layer for finding, allocating, and putting memory types").
 */
#include <linux/memory-tiers.h>

static struct memory_dev_type *(*kmm_probe_find)(int, struct list_head *)
	__maybe_unused = mt_find_alloc_memory_type;
static void (*kmm_probe_put)(struct list_head *)
	__maybe_unused = mt_put_memory_types;
