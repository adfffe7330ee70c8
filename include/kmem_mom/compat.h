/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Wrappers over kernel interfaces that differ between the kernels kmem_mom
 * supports.  Every #if here tests a result of scripts/conftest.sh, never a
 * version number; the .c files call only these wrappers.
 */
#ifndef KMEM_MOM_COMPAT_H
#define KMEM_MOM_COMPAT_H

#include <linux/err.h>
#include <linux/list.h>
#include <linux/memory-tiers.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <generated/kmem_mom_config.h>
#include <kmem_mom/fault_inject.h>
#include <kmem_mom/vmemmap_walk.h>

/* remove_memory()/offline_and_remove_memory() lost their nid in v5.15. */
static inline int kmm_remove_memory(int nid, u64 start, u64 size)
{
#if KMM_HAVE_REMOVE_MEMORY_START_SIZE
	return remove_memory(start, size);
#else
	return remove_memory(nid, start, size);
#endif
}

static inline int kmm_offline_and_remove_memory(int nid, u64 start, u64 size)
{
#if KMM_HAVE_REMOVE_MEMORY_START_SIZE
	return offline_and_remove_memory(start, size);
#else
	return offline_and_remove_memory(nid, start, size);
#endif
}

/*
 * Whether the core would honour MHP_MEMMAP_ON_MEMORY: 1 yes, 0 no, -ENOENT
 * when the kernel does not say (before v6.9 the check is not exported; the
 * add itself then tells, by -EINVAL on <= 6.5 or by silently falling back).
 * Test builds can play a kernel that does not say.
 */
static inline int kmm_mhp_memmap_supported(void)
{
#if KMM_HAVE_MHP_SUPPORTS_MEMMAP_ON_MEMORY_VOID && \
	KMM_EXPORT_MHP_SUPPORTS_MEMMAP_ON_MEMORY
	if (!kmm_inject_hide_memmap_support())
		return mhp_supports_memmap_on_memory();
#endif
	return -ENOENT;
}

/*
 * Whether remove_memory() takes back, in one call, a range whose blocks
 * each carry their own memmap: v6.8 (6b8f0798b85a) keeps each block's
 * altmap with the block and removes such blocks one by one under one
 * hotplug lock.  No header changed with it; the export of the check in
 * v6.9 (42d9358252e5) is the first thing a module can see, so a 6.8
 * kernel is taken for the one-block-per-call kernels before it.  The call
 * WARNs unless every block of the range is present with its memmap on
 * itself; the caller makes sure of that.
 */
static inline bool kmm_mhp_removes_blocks_together(void)
{
	return kmm_mhp_memmap_supported() >= 0;
}

/*
 * True where add_memory_driver_managed() answers an MHP_MEMMAP_ON_MEMORY
 * request it cannot honour with -EINVAL (v5.13-v6.5); from v6.6 the core
 * falls back to a memmap in RAM instead, and -EINVAL means something else.
 */
static inline bool kmm_mhp_refuses_with_einval(void)
{
	return KMM_HAVE_MHP_SUPPORTS_MEMMAP_ON_MEMORY_SIZE;
}

/*
 * True where the kernel will not give back a block whose memmap is on it.
 * offline_pages() is handed such a block without its memmap pages, so the
 * struct pages of what it offlines start inside the vmemmap's 2 MiB leaf
 * that maps the block's memmap, and arm64 kernels that split kernel leaf
 * mappings on demand refuse any offline that would split one ("splits a
 * leaf entry in vmemmap", EPERM; the in-tree kmem's memmap_on_memory
 * alike).  Such a device stays until the next reboot.
 */
static inline bool kmm_mhp_keeps_memmap_on_device(void)
{
	return KMM_HAVE_SPLIT_KERNEL_LEAF_MAPPING;
}

/* What this kernel can hot-add and map (v5.11+); test builds may shrink it. */
static inline struct range kmm_pluggable_range(void)
{
	struct range r = mhp_get_pluggable_range(true);

	r.end = kmm_inject_pluggable_end(r.end);
	return r;
}

/*
 * Memory tiers.  v6.1 kmem used one slow type for every node; v6.10+ shares
 * types per abstract distance, computed from HMAT/CDAT where firmware has it.
 */
#define KMM_DEFAULT_DAX_ADISTANCE (MEMTIER_ADISTANCE_DRAM * 5)

struct kmm_memtiers {
	struct mutex lock; /* protects types */
	struct list_head types;
	struct memory_dev_type *dflt;
};

static inline int kmm_memtiers_init(struct kmm_memtiers *mt)
{
	mutex_init(&mt->lock);
	INIT_LIST_HEAD(&mt->types);
	mt->dflt = NULL;
#if !KMM_HAVE_MEMTIER_FIND_ALLOC
	mt->dflt = alloc_memory_type(KMM_DEFAULT_DAX_ADISTANCE);
	if (IS_ERR(mt->dflt))
		return PTR_ERR(mt->dflt);
#endif
	return 0;
}

static inline struct memory_dev_type *kmm_memtiers_get(struct kmm_memtiers *mt,
						       int nid)
{
#if KMM_HAVE_MEMTIER_FIND_ALLOC
	struct memory_dev_type *mtype;
	int adist = KMM_DEFAULT_DAX_ADISTANCE;

	mt_calc_adistance(nid, &adist);
	mutex_lock(&mt->lock);
	mtype = mt_find_alloc_memory_type(adist, &mt->types);
	mutex_unlock(&mt->lock);
	return mtype;
#else
	return mt->dflt;
#endif
}

static inline void kmm_memtiers_exit(struct kmm_memtiers *mt)
{
#if KMM_HAVE_MEMTIER_FIND_ALLOC
	mutex_lock(&mt->lock);
	mt_put_memory_types(&mt->types);
	mutex_unlock(&mt->lock);
#elif KMM_HAVE_MEMTIER_PUT
	put_memory_type(mt->dflt);
#else
	destroy_memory_type(mt->dflt);
#endif
}

/* Does this kernel compute abstract distances (mt_calc_adistance(), v6.7)? */
static inline bool kmm_memtier_computes_adistance(void)
{
	return KMM_HAVE_MEMTIER_CALC_ADISTANCE;
}

/*
 * The abstract distance the kernel's HMAT or CXL (CDAT) algorithm computed
 * for node @nid (v6.7+), or -ENODATA when none of them knows the node.
 */
static inline int kmm_memtier_adistance(int nid, int *adist)
{
#if KMM_HAVE_MEMTIER_CALC_ADISTANCE
	int a = MEMTIER_ADISTANCE_DRAM;

	/* An algorithm that computed a distance stops the chain. */
	if (mt_calc_adistance(nid, &a) == NOTIFY_STOP) {
		*adist = a;
		return 0;
	}
#endif
	return -ENODATA;
}

#endif /* KMEM_MOM_COMPAT_H */
