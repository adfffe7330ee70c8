// SPDX-License-Identifier: GPL-2.0-only
/*
 * slow_virt_to_phys(): x86 page-table walk for any kernel address, used to
 * find where a block's struct pages really live (vmemmap is not in the
 * linear map).  x86 only, exported since v3.9.
 */
#include <linux/mm.h>

static phys_addr_t (*kmm_probe)(void *) __maybe_unused = slow_virt_to_phys;
