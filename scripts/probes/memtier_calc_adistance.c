// SPDX-License-Identifier: GPL-2.0-only
/*
 * mt_calc_adistance(): firmware-derived (HMAT/CDAT) abstract distance, added
 * in v6.7 ("memory tiers: add abstract distance calculation algorithms
 * management").  kmem uses it to pick the node's tier.
 */
#include <linux/memory-tiers.h>

static int (*kmm_probe)(int, int *) __maybe_unused = mt_calc_adistance;
