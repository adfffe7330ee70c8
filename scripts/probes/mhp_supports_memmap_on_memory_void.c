// SPDX-License-Identifier: GPL-2.0-only
/*
 * bool mhp_supports_memmap_on_memory(void): exported in v6.9 by 42d9358252e5
 * ("mm/memory_hotplug: export mhp_supports_memmap_on_memory()").  6.1
 * declares an (unsigned long) variant that is not exported; conftest.sh also
 * checks Module.symvers.
 */
#include <linux/memory_hotplug.h>

static bool (*kmm_probe)(void) __maybe_unused = mhp_supports_memmap_on_memory;
