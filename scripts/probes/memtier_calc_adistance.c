// SPDX-License-Identifier: GPL-2.0-only
/*
 * int mt_calc_adistance(int nid, int *adist): the abstract distance of a
 * node from the algorithms HMAT and CXL (CDAT) register, added in v6.7
 * ("memory tiering: add abstract distance calculation algorithms
 * management").  Without it, kmem_mom reads the HMAT itself.
 */
#include <linux/memory-tiers.h>

static int (*kmm_probe)(int, int *) __maybe_unused = mt_calc_adistance;
