/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Our declarations of the dax bus ABI.
 *
 * struct dev_dax and struct dax_device_driver live in drivers/dax/, which no
 * headers package ships, and their layout moves between kernels.  The member
 * list is chosen by scripts/conftest.sh from the target kernel's BTF, and
 * every offset we touch is asserted against that BTF below, so a kernel whose
 * layout we do not know fails to build instead of binding with a wrong view.
 */
#ifndef KMEM_MOM_DAX_ABI_H
#define KMEM_MOM_DAX_ABI_H

#include <linux/build_bug.h>
#include <linux/device.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/range.h>
#include <linux/stddef.h>
#include <generated/kmem_mom_config.h>

struct dax_region;
struct dax_device;
struct dax_mapping;
struct dev_pagemap;

struct dev_dax_range {
	unsigned long pgoff;
	struct range range;
	struct dax_mapping *mapping;
};

struct dev_dax {
	struct dax_region *region;
	struct dax_device *dax_dev;
#if KMM_DEV_DAX_HAS_CACHED_SIZE
	u64 cached_size;
#endif
	unsigned int align;
	int target_node;
#if KMM_DEV_DAX_HAS_DYN_ID
	bool dyn_id;
#endif
	int id;
	struct ida ida;
	struct device dev;
	struct dev_pagemap *pgmap;
#if KMM_DEV_DAX_HAS_MEMMAP_ON_MEMORY
	bool memmap_on_memory;
#endif
	int nr_range;
	struct dev_dax_range *ranges;
};

struct dax_device_driver {
	struct device_driver drv;
	struct list_head ids;
	/*
	 * int match_always before v6.3, then enum dax_driver_type.  Zero means
	 * "only new_id matches" on the former and DAXDRV_KMEM_TYPE on the
	 * latter: exactly the in-tree kmem's behaviour on each kernel.
	 */
	int type;
	int (*probe)(struct dev_dax *dev_dax);
	void (*remove)(struct dev_dax *dev_dax);
};

#define KMM_ABI_AGREES(type, member, btf)                     \
	static_assert(offsetof(struct type, member) == (btf), \
		      #type "." #member " differs from the kernel's BTF")

KMM_ABI_AGREES(dev_dax, region, KMM_BTF_DEV_DAX_region);
KMM_ABI_AGREES(dev_dax, target_node, KMM_BTF_DEV_DAX_target_node);
KMM_ABI_AGREES(dev_dax, id, KMM_BTF_DEV_DAX_id);
KMM_ABI_AGREES(dev_dax, dev, KMM_BTF_DEV_DAX_dev);
/*
 * sparse lays out struct device's bitfields differently from gcc; the
 * compiler's view is the one that matters, so sparse skips what follows.
 */
#ifndef __CHECKER__
KMM_ABI_AGREES(dev_dax, pgmap, KMM_BTF_DEV_DAX_pgmap);
KMM_ABI_AGREES(dev_dax, nr_range, KMM_BTF_DEV_DAX_nr_range);
KMM_ABI_AGREES(dev_dax, ranges, KMM_BTF_DEV_DAX_ranges);
#if KMM_DEV_DAX_HAS_MEMMAP_ON_MEMORY
KMM_ABI_AGREES(dev_dax, memmap_on_memory, KMM_BTF_DEV_DAX_memmap_on_memory);
#endif
#endif /* __CHECKER__ */
KMM_ABI_AGREES(dev_dax_range, range, KMM_BTF_DAX_RANGE_range);
static_assert(sizeof(struct dev_dax_range) == KMM_BTF_DAX_RANGE_SIZE,
	      "dev_dax_range size differs from the kernel's BTF");
KMM_ABI_AGREES(dax_device_driver, ids, KMM_BTF_DAX_DRV_ids);
#if KMM_DAX_DRV_HAS_TYPE
KMM_ABI_AGREES(dax_device_driver, type, KMM_BTF_DAX_DRV_type);
#else
KMM_ABI_AGREES(dax_device_driver, type, KMM_BTF_DAX_DRV_match_always);
#endif
KMM_ABI_AGREES(dax_device_driver, probe, KMM_BTF_DAX_DRV_probe);
KMM_ABI_AGREES(dax_device_driver, remove, KMM_BTF_DAX_DRV_remove);
static_assert(sizeof(struct dax_device_driver) == KMM_BTF_DAX_DRV_SIZE,
	      "dax_device_driver size differs from the kernel's BTF");

int __dax_driver_register(struct dax_device_driver *dax_drv,
			  struct module *module, const char *mod_name);
void dax_driver_unregister(struct dax_device_driver *dax_drv);

static inline struct dev_dax *kmm_to_dev_dax(struct device *dev)
{
	return container_of(dev, struct dev_dax, dev);
}

#endif /* KMEM_MOM_DAX_ABI_H */
