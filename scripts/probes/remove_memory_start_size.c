// SPDX-License-Identifier: GPL-2.0-only
/*
 * remove_memory(start, size): the nid argument was dropped in v5.15 by
 * e1c158e49566 ("mm/memory_hotplug: remove nid parameter from
 * remove_memory() and friends").
 */
#include <linux/memory_hotplug.h>

static int (*kmm_probe)(u64, u64) __maybe_unused = remove_memory;
