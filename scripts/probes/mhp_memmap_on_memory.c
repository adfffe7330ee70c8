// SPDX-License-Identifier: GPL-2.0-only
/*
 * MHP_MEMMAP_ON_MEMORY: added in v5.13 by a08a2ae34613 ("mm,memory_hotplug:
 * allocate memmap from the added memory range").
 */
#include <linux/memory_hotplug.h>

static mhp_t kmm_probe __maybe_unused = MHP_MEMMAP_ON_MEMORY;
