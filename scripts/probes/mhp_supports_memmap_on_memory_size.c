// SPDX-License-Identifier: GPL-2.0-only
/*
 * bool mhp_supports_memmap_on_memory(unsigned long size): declared from
 * v5.13 (a08a2ae34613, "mm,memory_hotplug: allocate memmap from the added
 * memory range") until v6.6 made it static in "mm/memory_hotplug: allow
 * memmap on memory hotplug request to fallback".  That same change stopped
 * add_memory_resource() from failing an MHP_MEMMAP_ON_MEMORY request it
 * cannot honour with -EINVAL.  So this declaration is what tells kmem_mom
 * that -EINVAL from an add means "flag refused"; never the version.
 */
#include <linux/memory_hotplug.h>

static bool (*kmm_probe)(unsigned long)
	__maybe_unused = mhp_supports_memmap_on_memory;
