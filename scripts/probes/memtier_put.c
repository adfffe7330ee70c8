// SPDX-License-Identifier: GPL-2.0-only
/*
 * put_memory_type(): replaced destroy_memory_type() in v6.7, in Huang Ying's
 * "memory tiering: calculate abstract distance based on ACPI HMAT" series.
 */
#include <linux/memory-tiers.h>

static void (*kmm_probe)(struct memory_dev_type *)
	__maybe_unused = put_memory_type;
