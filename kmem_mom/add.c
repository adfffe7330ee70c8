// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hot-add of a device's ranges, and their removal.  A memmap on the device
 * takes one memory block per add_memory_driver_managed() call (<= 6.7
 * accept nothing else) and the same granularity at removal.  A memmap in
 * system RAM is added one range per call, so that the core allocates all
 * of it before the kernel's auto-online policy can put any block of the
 * range online (online.c says why that matters).  Memory goes away in the
 * chunks it came in: x86 maps a range added in one call with pages as
 * large as 1 GiB, and its hot-remove cannot split them (a partial remove
 * faults in remove_pagetable()).  After every add, the page tables say
 * where each block's memmap went.
 *
 * Block by block, the order matters too: the page tables and section roots
 * a block's add allocates would land in blocks of the device already
 * online in a kernel zone.  So the blocks that need new ones go first,
 * held offline, then the rest, then the first ones once more for the
 * kernel's online policy (tables.c).
 *
 * Every add asks the core to merge its "System RAM (kmem)" resource with
 * its neighbours: /proc/iomem then shows one per range, as the in-tree
 * kmem's, and both the next add (which inserts among the range's
 * children) and release_mem_region_adjustable() (which looks a block up
 * among them) find one child instead of every block added so far.
 * Unmerged, a 512 GiB device took 8 M steps to add and as many to remove.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ioport.h>
#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/slab.h>
#include <kmem_mom/kmem_mom.h>

static int kmm_add_call(struct kmm_dev *kd, u64 start, u64 size, mhp_t flags)
{
	int rc;

	flags |= MHP_NID_IS_MGID | MHP_MERGE_RESOURCE;
	if (kmm_inject_add_failure(++kd->nr_calls))
		return -ENOMEM;
	kmm_set_adding(kd, true);
	rc = add_memory_driver_managed(kd->mgid, start, size, kmm_resource_name,
				       flags);
	kmm_set_adding(kd, false);
	return rc;
}

/*
 * Blocks [@b, @b + @n) of range @r are added.  Until the page tables are
 * read, assume the worst of where their memmaps are.
 */
static void kmm_added(struct kmm_dev *kd, struct kmm_range *r, unsigned long b,
		      unsigned long n)
{
	memset(&kd->at[r->first + b], KMM_AT_OWN, n);
	r->nr_added += n;
	atomic_long_add(n, &kmm_nr_blocks);
}

static void kmm_removed(struct kmm_dev *kd, struct kmm_range *r,
			unsigned long b, unsigned long n)
{
	unsigned long k;

	memset(&kd->at[r->first + b], KMM_AT_NONE, n);
	for (k = b; k < b + n; k++)
		kmm_block_removed(kd, r->first + k);
	r->nr_added -= n;
	atomic_long_sub(n, &kmm_nr_blocks);
}

/*
 * Blocks [@from, @to) of range @i were just added: record where their
 * memmaps went, and refuse a placement that must not stay.  A memmap meant
 * for RAM is never kept on the device's own memory, and a memmap the kernel
 * accepted for the device must be on its block.
 */
static int kmm_check_blocks(struct kmm_dev *kd, int i, unsigned long from,
			    unsigned long to)
{
	struct kmm_range *r = &kd->ranges[i];
	enum kmm_memmap_at at;
	unsigned long b;
	bool fine;

	for (b = from; b < to; b++) {
		at = kmm_block_memmap_at(kd, kmm_block_start(r, b));
		kd->at[r->first + b] = at;
		fine = kd->on_device ? at == KMM_AT_DEVICE :
				       at == KMM_AT_RAM || at == KMM_AT_HOTPLUG;
		if (fine)
			continue;
		dev_err(&kd->dev_dax->dev,
			"block %#llx: its memmap, meant for %s, is %s: refusing the bind\n",
			kmm_block_start(r, b),
			kd->on_device ? "the device" : "system RAM",
			kmm_at_name(at));
		return -EIO;
	}
	return 0;
}

/*
 * Add range @i in one call, memmap in system RAM.  Nothing of it is added
 * yet: a probe block (kmm_ask_first_add()) is gone again by now.
 */
static int kmm_add_range_in_ram(struct kmm_dev *kd, int i)
{
	struct kmm_range *r = &kd->ranges[i];
	unsigned long n = kmm_range_blocks(r);
	int rc;

	rc = kmm_ram_promise(kd);
	if (rc)
		return rc;
	kmm_inject_promise_delay();
	rc = kmm_add_call(kd, r->range.start, range_len(&r->range), 0);
	if (rc) {
		dev_warn(&kd->dev_dax->dev,
			 "mapping%d: %#llx-%#llx add failed: %d\n", i,
			 r->range.start, r->range.end, rc);
		return rc;
	}
	kmm_added(kd, r, 0, n);
	kmm_hold_added(kd, r->first, n);
	r->whole = true;
	return kmm_check_blocks(kd, i, 0, n);
}

/*
 * The kernel cannot say up front whether it will put the memmap on the
 * device.  <= 6.5 answer the add: -EINVAL means no, and nothing was added;
 * otherwise the block stays, as a first block (held offline, added again
 * later if the kernel's policy wanted it online).  6.6-6.8 put it in RAM
 * without a word: add the first block held offline (so nothing can be
 * allocated in it), look where its memmap went, and take it away again
 * before the real adds.
 */
static int kmm_ask_first_add(struct kmm_dev *kd, int i)
{
	struct kmm_range *r = &kd->ranges[i];
	u64 bs = memory_block_size_bytes();
	enum kmm_memmap_at at;
	int rc;

	kd->ask_first_add = false;
	if (kmm_mhp_refuses_with_einval()) {
		kmm_block_flags(kd, r->first, KMM_BLK_FIRST, 0);
		rc = kmm_add_call(kd, r->range.start, bs, MHP_MEMMAP_ON_MEMORY);
		if (rc) {
			kmm_block_flags(kd, r->first, 0, KMM_BLK_FIRST);
			return rc == -EINVAL ?
				       kmm_fall_back(kd, KMM_WHY_REFUSED) :
				       rc;
		}
		kd->nr_first++;
		kmm_added(kd, r, 0, 1);
		return kmm_check_blocks(kd, i, 0, 1);
	}

	kmm_hold_probe(kd, true);
	rc = kmm_add_call(kd, r->range.start, bs, MHP_MEMMAP_ON_MEMORY);
	if (!rc) {
		kmm_added(kd, r, 0, 1);
		at = kmm_block_memmap_at(kd, r->range.start);
		kd->at[r->first] = at;
		rc = kmm_remove_memory(kd->nid, r->range.start, bs);
		if (!rc)
			kmm_removed(kd, r, 0, 1);
	}
	kmm_hold_probe(kd, false);
	if (rc)
		return rc;
	return at == KMM_AT_DEVICE ? 0 : kmm_fall_back(kd, KMM_WHY_SILENT);
}

/* Add block @b of range @i, memmap on the device, and look where it went. */
static int kmm_add_block(struct kmm_dev *kd, int i, unsigned long b)
{
	struct kmm_range *r = &kd->ranges[i];
	u64 start = kmm_block_start(r, b);
	int rc;

	rc = kmm_add_call(kd, start, memory_block_size_bytes(),
			  MHP_MEMMAP_ON_MEMORY);
	if (rc) {
		dev_warn(&kd->dev_dax->dev,
			 "mapping%d: block %#llx add failed: %d\n", i, start,
			 rc);
		return rc;
	}
	kmm_added(kd, r, b, 1);
	return kmm_check_blocks(kd, i, b, b + 1);
}

/*
 * Add every block of the device not added yet whose KMM_BLK_FIRST and
 * KMM_BLK_LONE flags are @which: the first blocks, the lone one, the rest.
 */
static int kmm_add_blocks(struct kmm_dev *kd, u8 which)
{
	unsigned long b;
	int i, rc;

	for (i = 0; i < kd->nr_range; i++) {
		struct kmm_range *r = &kd->ranges[i];

		for (b = 0; b < kmm_range_blocks(r); b++) {
			if (kmm_block_added(kd, r, b) ||
			    kmm_block_order(kd, r->first + b) != which)
				continue;
			rc = kmm_add_block(kd, i, b);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/*
 * Every block is in, and every table and root their memmaps need: a first
 * block the kernel's policy wanted online (and we held) goes out and comes
 * back, and the policy onlines it as it would have.  One whose PMD table
 * nothing else keeps would get a new one on the device's node, in a block
 * now online: it stays held for userspace (online_request).  So does one
 * that someone onlined meanwhile, in ZONE_MOVABLE: it is where it can be.
 */
static int kmm_add_first_again(struct kmm_dev *kd)
{
	u64 bs = memory_block_size_bytes();
	unsigned long b;
	int i, rc;

	for (i = 0; i < kd->nr_range; i++) {
		struct kmm_range *r = &kd->ranges[i];

		for (b = 0; b < kmm_range_blocks(r); b++) {
			if (kmm_block_order(kd, r->first + b) !=
				    KMM_BLK_FIRST ||
			    !kmm_first_block_done(kd, r->first + b) ||
			    !kmm_tables_outlive(kd, r, b) ||
			    kmm_remove_memory(kd->nid, kmm_block_start(r, b),
					      bs))
				continue;
			kmm_removed(kd, r, b, 1);
			rc = kmm_add_block(kd, i, b);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int kmm_add_on_device(struct kmm_dev *kd)
{
	int rc;

	rc = kmm_add_blocks(kd, KMM_BLK_FIRST);
	if (!rc)
		rc = kmm_add_blocks(kd, KMM_BLK_LONE);
	if (!rc)
		rc = kmm_add_blocks(kd, 0);
	/* With online=movable the policy's kernel zone stays refused anyway. */
	if (!rc && kd->nr_first && kd->online != KMM_ONLINE_MOVABLE)
		rc = kmm_add_first_again(kd);
	return rc;
}

static int kmm_request_range(struct kmm_dev *kd, int i)
{
	struct kmm_range *r = &kd->ranges[i];
	struct resource *res;

	/* Permanently reserved if hot-remove ever fails. */
	res = request_mem_region(r->range.start, range_len(&r->range),
				 kd->res_name);
	if (!res) {
		dev_warn(&kd->dev_dax->dev,
			 "mapping%d: %#llx-%#llx could not reserve region\n", i,
			 r->range.start, r->range.end);
		return -EBUSY;
	}
	/*
	 * System RAM, not busy, so that add_memory() can add its child
	 * resource; no flags inherited from the parent that it might not know.
	 */
	res->flags = IORESOURCE_SYSTEM_RAM;
	r->res = res;
	return 0;
}

/* Add every range of the device as planned; the caller rolls back. */
int kmm_add_memory(struct kmm_dev *kd)
{
	int i, rc, first = -1;

	for (i = 0; i < kd->nr_range; i++) {
		if (!kmm_range_blocks(&kd->ranges[i]))
			continue;
		rc = kmm_request_range(kd, i);
		if (rc)
			return rc;
		if (first < 0)
			first = i;
	}
	if (kd->on_device && kd->ask_first_add) {
		rc = kmm_ask_first_add(kd, first);
		if (rc)
			return rc;
	}
	if (kd->on_device) {
		/* After a block the ask kept: its tables are made already. */
		kmm_plan_first_blocks(kd);
		return kmm_add_on_device(kd);
	}
	for (i = 0; i < kd->nr_range; i++) {
		if (!kmm_range_blocks(&kd->ranges[i]))
			continue;
		rc = kmm_add_range_in_ram(kd, i);
		if (rc)
			return rc;
	}
	return 0;
}

static int kmm_remove_chunk(struct kmm_dev *kd, u64 start, u64 size,
			    bool offline)
{
	if (offline)
		return kmm_offline_and_remove_memory(kd->nid, start, size);
	return kmm_remove_memory(kd->nid, start, size);
}

/*
 * Whether one remove_memory() can take range @r back whole, memmap on the
 * device: the kernel removes such blocks together (6.9+), and every block
 * of the range is added, has its memmap on itself and is offline.  The
 * core WARNs at a range with a block missing or without its own memmap,
 * and refuses one with a block online.  A block onlined after this look
 * only makes the call fail, and the blocks then go one by one.
 */
static bool kmm_range_removable_at_once(struct kmm_dev *kd, struct kmm_range *r)
{
	unsigned long n = kmm_range_blocks(r), b;

	if (r->whole || n < 2 || r->nr_added != n ||
	    !kmm_mhp_removes_blocks_together())
		return false;
	for (b = 0; b < n; b++)
		if (kd->at[r->first + b] != KMM_AT_DEVICE ||
		    kmm_block_online_page(r, b))
			return false;
	return true;
}

/*
 * Remove what range @i added, in the chunks it was added: the whole range,
 * or one block per call (the granularity of a memmap on the device).  A
 * stuck block is skipped, not given up on.  @offline: offline first (a
 * rollback, whose blocks the kernel may have onlined) rather than insist
 * they are offline already (an unbind, which cannot wait for an offline
 * that may never finish).
 *
 * An unbind whose blocks are all offline, memmap on the device, takes
 * them back in one call where the kernel can (6.9+), as the in-tree kmem
 * does: one hotplug lock, resource release and node check instead of one
 * of each per block.  With every block offline, no block holds anything
 * of another, and the order the core takes them in does not matter.
 *
 * The blocks go from the last, so that whatever a block holds for a later
 * one (its memmap after a refused bind; the page tables of a later
 * block's memmap, which come from the device's node while a block is
 * online) goes before it.  The core trims the end of the merged resource
 * each time; a stuck block splits it.  Returns how many blocks could not
 * be removed; the range's resource goes once none is left.
 */
static unsigned long kmm_release_range(struct kmm_dev *kd, int i, bool offline)
{
	struct kmm_range *r = &kd->ranges[i];
	u64 bs = memory_block_size_bytes();
	unsigned long n = kmm_range_blocks(r), stuck = 0, b;

	if (r->whole && r->nr_added) {
		if (kmm_remove_chunk(kd, r->range.start, range_len(&r->range),
				     offline))
			stuck = r->nr_added;
		else
			kmm_removed(kd, r, 0, n);
		n = 0;
	}
	if (!offline && kmm_range_removable_at_once(kd, r) &&
	    !kmm_remove_memory(kd->nid, r->range.start, range_len(&r->range))) {
		kmm_removed(kd, r, 0, n);
		n = 0;
	}
	for (b = n; b-- > 0;) {
		if (!kmm_block_added(kd, r, b))
			continue;
		if (kmm_remove_chunk(kd, kmm_block_start(r, b), bs, offline))
			stuck++;
		else
			kmm_removed(kd, r, b, 1);
	}
	if (!stuck && r->res) {
		remove_resource(r->res);
		kfree(r->res);
		r->res = NULL;
		r->whole = false;
	}
	return stuck;
}

unsigned long kmm_release_ranges(struct kmm_dev *kd, bool offline)
{
	unsigned long stuck = 0;
	int i;

	for (i = kd->nr_range - 1; i >= 0; i--)
		stuck += kmm_release_range(kd, i, offline);
	return stuck;
}
