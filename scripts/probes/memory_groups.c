// SPDX-License-Identifier: GPL-2.0-only
/*
 * Static memory groups and MHP_NID_IS_MGID: added in v5.15 by 028fc57a1c36
 * ("drivers/base/memory: introduce "memory groups" to logically group memory
 * blocks") and its series.
 */
#include <linux/memory.h>
#include <linux/memory_hotplug.h>

static int (*kmm_probe_reg)(int, unsigned long)
	__maybe_unused = memory_group_register_static;
static int (*kmm_probe_unreg)(int) __maybe_unused = memory_group_unregister;
static mhp_t kmm_probe_flag __maybe_unused = MHP_NID_IS_MGID;
