/* SPDX-License-Identifier: GPL-2.0-only */
/* Declarations shared by kmem_mom's source files. */
#ifndef KMEM_MOM_H
#define KMEM_MOM_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/memory.h>
#include <linux/range.h>
#include <linux/sysfs.h>
#include <linux/types.h>
#include <kmem_mom/compat.h>
#include <kmem_mom/dax_abi.h>

/*
 * Where a block's memmap was found by walking the page tables, in rising
 * order of concern: a block's verdict is the worst of its samples.
 */
enum kmm_memmap_at {
	KMM_AT_DEVICE, /* inside the block itself (MHP_MEMMAP_ON_MEMORY) */
	KMM_AT_RAM, /* in memory present at boot */
	KMM_AT_HOTPLUG, /* in memory someone else hot-added */
	KMM_AT_OWN, /* in another block of this very device: never kept */
	KMM_NR_AT,
	KMM_AT_NONE = KMM_NR_AT, /* the block is not added */
};

/* Why a memmap requested on the device went to RAM (placement.c). */
enum kmm_why {
	KMM_WHY_DECLINED, /* 6.9+ say so up front */
	KMM_WHY_REFUSED, /* <= 6.5 answer the add with -EINVAL */
	KMM_WHY_SILENT, /* 6.6-6.8 put it in RAM without a word */
};

/* The module parameter memmap_on_memory: 0, 1 or auto (policy.c). */
enum kmm_policy {
	KMM_POLICY_RAM,
	KMM_POLICY_DEVICE,
	KMM_POLICY_AUTO,
};

/* The module parameter "online": who decides how blocks come online. */
enum kmm_online {
	KMM_ONLINE_KERNEL, /* the kernel's auto-online policy, as with kmem */
	KMM_ONLINE_MOVABLE, /* ZONE_MOVABLE, or offline until userspace */
};

/*
 * What kmem_mom knows of each block, in kmm_dev.blk[] (under the online
 * notifier's lock).
 */
enum {
	KMM_BLK_FIRST = 1 << 0, /* added ahead of the rest, for its tables */
	KMM_BLK_HELD = 1 << 1, /* an online was refused; offline since */
	KMM_BLK_BY_KERNEL = 1 << 2, /* onlined by the kernel's policy */
	KMM_BLK_BY_USER = 1 << 3, /* onlined by userspace */
	KMM_BLK_LONE = 1 << 4, /* added after the first ones, not held */
};

#define KMM_BLK_ONLINED (KMM_BLK_BY_KERNEL | KMM_BLK_BY_USER)

/* One dax range, trimmed to memory block boundaries. */
struct kmm_range {
	struct range range; /* empty (start > end) if nothing was left */
	struct resource *res; /* our request_mem_region() of @range */
	unsigned long first; /* index of its first block in kmm_dev.at[] */
	unsigned long nr_added; /* blocks added (kmm_dev.at[] says which) */
	bool whole; /* added in one call, so removed in one call */
	bool hold; /* no kernel-zone onlining while the device binds */
};

/*
 * Per bound device; dev_get_drvdata() of the dax device, and on kmm_devs
 * for the memory notifier.  The fields the notifier reads or writes
 * (binding, probing, rolling_back, adding, ranges[].hold, blk[],
 * nr_refused, refused_at) are under its lock (online.c).
 */
struct kmm_dev {
	struct list_head list;
	struct dev_dax *dev_dax;
	const char *res_name;
	struct memory_dev_type *mtype;
	int nid;
	int mgid;
	enum kmm_policy policy; /* memmap_on_memory at bind time */
	const char *policy_reason; /* its inputs and verdict, one line */
	u64 budget_charged; /* memmap bytes charged to memmap_ram_budget */
	bool want_device; /* the policy's verdict */
	bool may_fall_back; /* memmap_fallback at bind time */
	enum kmm_online online; /* online at bind time */
	bool on_device; /* the plan, after any fallback */
	bool ask_first_add; /* the kernel cannot tell up front */
	bool binding; /* the notifier holds blocks offline */
	bool probing; /* ...in any zone: a probe block goes away again */
	bool rolling_back; /* ...in any zone: a failed bind gives back */
	bool adding; /* inside one of our add calls */
	bool degraded; /* bind failed and could not give everything back */
	bool has_attrs; /* kmm_dev_groups are in sysfs */
	unsigned long nr_blocks; /* whole blocks in all ranges */
	unsigned long nr_first; /* blocks added first for their tables */
	unsigned long nr_calls; /* add_memory_driver_managed() calls */
	unsigned long nr_refused; /* onlines refused after the bind */
	unsigned long refused_at; /* jiffies of the last of them */
	u64 ram_promised; /* our share of kmm_ram_promised */
	const char *fallback_reason; /* static string, NULL if none */
	u8 *at; /* enum kmm_memmap_at of each block, KMM_AT_NONE if not added */
	u8 *blk; /* KMM_BLK_* of each block */
	int nr_range;
	struct kmm_range ranges[];
};

/* Memory block @b of range @r starts here. */
static inline u64 kmm_block_start(const struct kmm_range *r, unsigned long b)
{
	return r->range.start + b * memory_block_size_bytes();
}

/* Is block @b of range @r added? */
static inline bool kmm_block_added(const struct kmm_dev *kd,
				   const struct kmm_range *r, unsigned long b)
{
	return kd->at[r->first + b] != KMM_AT_NONE;
}

/*
 * The online page at the end of block @b of range @r, or NULL while the
 * block is offline.  The last page is never part of a memmap on the block.
 */
static inline struct page *kmm_block_online_page(const struct kmm_range *r,
						 unsigned long b)
{
	return pfn_to_online_page(PHYS_PFN(kmm_block_start(r, b + 1)) - 1);
}

/* Whole memory blocks in range @r (0 if it was trimmed away). */
static inline unsigned long kmm_range_blocks(const struct kmm_range *r)
{
	if (r->range.start > r->range.end)
		return 0;
	return range_len(&r->range) / memory_block_size_bytes();
}

/* main.c */
extern const char *kmm_resource_name;
extern struct kmm_memtiers kmm_tiers;
extern struct dax_device_driver kmm_driver;
extern bool kmm_hotremove_failed;
int kmm_parse_strict_bool(const char *val, bool *res);
struct kernel_param;
int kmm_param_invalid(const struct kernel_param *kp, const char *val,
		      const char *expected);
bool kmm_param_memmap_fallback(void);
enum kmm_online kmm_param_online(void);
const char *kmm_online_name(enum kmm_online online);

/* bind.c */
int kmm_probe(struct dev_dax *dev_dax);
void kmm_remove(struct dev_dax *dev_dax);

/* add.c */
int kmm_add_memory(struct kmm_dev *kd);
unsigned long kmm_release_ranges(struct kmm_dev *kd, bool offline);

/* placement.c */
u64 kmm_block_memmap_bytes(void);
bool kmm_dev_owns(struct kmm_dev *kd, phys_addr_t phys);
int kmm_choose_placement(struct kmm_dev *kd);
int kmm_fall_back(struct kmm_dev *kd, enum kmm_why why);
enum kmm_memmap_at kmm_block_memmap_at(struct kmm_dev *kd, u64 start);
const char *kmm_at_name(enum kmm_memmap_at at);
unsigned long kmm_count_at(struct kmm_dev *kd, enum kmm_memmap_at at);

unsigned long kmm_gigantic_pages(struct kmm_dev *kd);

/* policy.c */
enum kmm_policy kmm_param_memmap_policy(void);
const char *kmm_policy_name(enum kmm_policy policy);
const char *kmm_memmap_param_value(enum kmm_policy policy);
int kmm_policy_decide(struct kmm_dev *kd, int supported);
void kmm_budget_charge(struct kmm_dev *kd);
void kmm_budget_release(struct kmm_dev *kd);
u64 kmm_budget_limit(void);
u64 kmm_budget_charged(void);

/* media.c */
bool kmm_media_persistent(struct kmm_dev *kd, const char **provider);
int kmm_media_adistance(int nid, int *adist, const char **source);
bool kmm_media_slow(int adist);

/* hmat.c */
int kmm_hmat_adistance(int nid, int *adist);

/* ram.c */
int kmm_ram_promise(struct kmm_dev *kd);
void kmm_ram_release(struct kmm_dev *kd);
u64 kmm_ram_headroom(void);
u64 kmm_boot_ram_bytes(void);

/* online.c */
int kmm_online_init(void);
void kmm_online_exit(void);
void kmm_plan_holds(struct kmm_dev *kd);
void kmm_bind_begin(struct kmm_dev *kd);
void kmm_bind_end(struct kmm_dev *kd);
void kmm_hold_rollback(struct kmm_dev *kd);
void kmm_untrack(struct kmm_dev *kd);
void kmm_hold_probe(struct kmm_dev *kd, bool on);
void kmm_set_adding(struct kmm_dev *kd, bool on);
void kmm_block_flags(struct kmm_dev *kd, unsigned long idx, u8 set, u8 clear);
void kmm_hold_added(struct kmm_dev *kd, unsigned long idx, unsigned long n);
void kmm_block_removed(struct kmm_dev *kd, unsigned long idx);
u8 kmm_block_order(struct kmm_dev *kd, unsigned long idx);
bool kmm_first_block_done(struct kmm_dev *kd, unsigned long idx);
void kmm_count_zones(struct kmm_dev *kd, unsigned long *movable,
		     unsigned long *normal, unsigned long *offline);
void kmm_count_onlined(struct kmm_dev *kd, unsigned long *by_kernel,
		       unsigned long *by_user);
const char *kmm_online_request(struct kmm_dev *kd);
unsigned long kmm_refused_onlines(struct kmm_dev *kd);
void kmm_report_online(struct kmm_dev *kd);

/* tables.c */
void kmm_plan_first_blocks(struct kmm_dev *kd);
bool kmm_tables_outlive(struct kmm_dev *kd, const struct kmm_range *r,
			unsigned long b);
unsigned long kmm_tables_in_device(struct kmm_dev *kd);

/* sysfs.c */
extern const struct attribute_group *kmm_dev_groups[];

/* stats.c */
extern atomic_long_t kmm_nr_devices;
extern atomic_long_t kmm_nr_blocks; /* added and not removed */
extern atomic_long_t kmm_nr_stranded_blocks; /* left behind by an unbind */
extern const struct attribute_group *kmm_drv_groups[];

#endif /* KMEM_MOM_H */
