// SPDX-License-Identifier: GPL-2.0-only
/* remove_memory(nid, start, size): before v5.15 (see remove_memory_start_size.c). */
#include <linux/memory_hotplug.h>

static int (*kmm_probe)(int, u64, u64) __maybe_unused = remove_memory;
