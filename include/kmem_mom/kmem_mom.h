/* SPDX-License-Identifier: GPL-2.0-only */
/* Declarations shared by kmem_mom's source files. */
#ifndef KMEM_MOM_H
#define KMEM_MOM_H

#include <linux/atomic.h>
#include <linux/range.h>
#include <linux/sysfs.h>
#include <linux/types.h>
#include <kmem_mom/compat.h>
#include <kmem_mom/dax_abi.h>

/* One dax range, trimmed to memory block boundaries. */
struct kmm_range {
	struct range range; /* empty (start > end) if nothing was left */
	struct resource *res; /* our request_mem_region() of @range */
	unsigned long nr_added; /* blocks added, from range.start upwards */
};

/* Per bound device; dev_get_drvdata() of the dax device. */
struct kmm_dev {
	struct dev_dax *dev_dax;
	const char *res_name;
	struct memory_dev_type *mtype;
	int nid;
	int mgid;
	bool want_device; /* memmap_on_memory at bind time */
	bool may_fall_back; /* memmap_fallback at bind time */
	unsigned long nr_blocks; /* whole blocks in all ranges */
	unsigned long blocks_device;
	unsigned long blocks_ram;
	const char *fallback_reason; /* static string, NULL if none */
	int nr_range;
	struct kmm_range ranges[];
};

/* main.c */
extern const char *kmm_resource_name;
extern struct kmm_memtiers kmm_tiers;
extern struct dax_device_driver kmm_driver;
extern bool kmm_hotremove_failed;
bool kmm_param_memmap_on_memory(void);
bool kmm_param_memmap_fallback(void);

/* block.c */
int kmm_add_block(struct kmm_dev *kd, u64 start, bool *added);
u64 kmm_block_memmap_bytes(void);

/*
 * fault_inject.c, only in test builds (make KMM_FAULT_INJECT=1): fail the
 * Nth block add of a bind, to prove that a failure midway leaves nothing
 * behind.
 */
#ifdef KMM_FAULT_INJECT
bool kmm_inject_add_failure(unsigned long nth_block);
#else
static inline bool kmm_inject_add_failure(unsigned long nth_block)
{
	return false;
}
#endif

/* bind.c */
int kmm_probe(struct dev_dax *dev_dax);
void kmm_remove(struct dev_dax *dev_dax);

/* sysfs.c */
extern const struct attribute_group *kmm_dev_groups[];

/* stats.c */
extern atomic_long_t kmm_nr_devices;
extern atomic_long_t kmm_nr_blocks; /* added and not removed */
extern atomic_long_t kmm_nr_stranded_blocks; /* left behind by an unbind */
extern const struct attribute_group *kmm_drv_groups[];

#endif /* KMEM_MOM_H */
