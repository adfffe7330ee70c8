// SPDX-License-Identifier: GPL-2.0-only
/*
 * add_memory_driver_managed(nid, start, size, name, mhp_t flags).
 * Added in v5.8 ("mm/memory_hotplug: introduce add_memory_driver_managed()");
 * the mhp_t flags argument came in v5.10 ("mm/memory_hotplug: prepare
 * passing flags to add_memory() and friends").
 */
#include <linux/memory_hotplug.h>

static int (*kmm_probe)(int, u64, u64, const char *,
			mhp_t) __maybe_unused = add_memory_driver_managed;
