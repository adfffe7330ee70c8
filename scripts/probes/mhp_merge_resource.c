// SPDX-License-Identifier: GPL-2.0-only
/*
 * MHP_MERGE_RESOURCE: added in v5.10 as MEMHP_MERGE_RESOURCE
 * ("mm/memory_hotplug: MEMHP_MERGE_RESOURCE to specify merging of System
 * RAM resources"), renamed in v5.12 ("mm/memory_hotplug:
 * MEMHP_MERGE_RESOURCE -> MHP_MERGE_RESOURCE").
 */
#include <linux/memory_hotplug.h>

static mhp_t kmm_probe __maybe_unused = MHP_MERGE_RESOURCE;
