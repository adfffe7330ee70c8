// SPDX-License-Identifier: GPL-2.0-only
/*
 * lookup_address(): x86's walk of the kernel page tables to the entry that
 * maps an address, and the level it sits at (4K, 2M, 1G).  It tells how
 * the memmap is mapped and which page-table page maps it.  x86 only,
 * exported since v2.6.25.
 */
#include <linux/mm.h>

static void __maybe_unused kmm_probe(void)
{
	unsigned int level;

	lookup_address(0, &level);
}
