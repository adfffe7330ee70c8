// SPDX-License-Identifier: GPL-2.0-only
/*
 * Before a memmap is allocated in system RAM: does it fit?  The vmemmap
 * allocation of a hot-added block that fails inside x86's add_pages() WARNs
 * (a panic_on_warn machine dies) and leaves the system starved, so
 * kmem_mom refuses such a bind up front and says why.  The answer must be
 * honest: only memory a GFP_KERNEL allocation can really get, never memory
 * another bind in progress has already been promised.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/memory.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/sizes.h>
#include <linux/vmstat.h>
#include <kmem_mom/kmem_mom.h>

/*
 * Room for what an add allocates besides the memmap (page tables, memory
 * block devices) and for the system to go on running afterwards.
 */
#define KMM_RAM_SLACK_BYTES SZ_8M

/* Memmap bytes promised to binds in progress, not yet allocated. */
static DEFINE_MUTEX(kmm_ram_lock);
static u64 kmm_ram_promised;

/* Pages of node @nid in sections present at boot ("early"), not hot-added. */
static unsigned long kmm_node_boot_pages(int nid)
{
	unsigned long pfn, end = node_end_pfn(nid), pages = 0;

	for (pfn = ALIGN_DOWN(node_start_pfn(nid), PAGES_PER_SECTION);
	     pfn < end; pfn += PAGES_PER_SECTION)
		if (early_section(__pfn_to_section(pfn)))
			pages += min(end - pfn, PAGES_PER_SECTION);
	return pages;
}

/*
 * What a GFP_KERNEL allocation can take from @zone without touching anyone's
 * working set: free pages above the high watermark and the lowmem reserve
 * it must leave to allocations that can only use this zone, less the free
 * CMA and high-order atomic reserves it may not use, plus the clean
 * inactive page cache that reclaim gives back first.
 */
static unsigned long kmm_zone_available(struct zone *zone)
{
	long avail, keep, file, dirty;

	avail = zone_page_state(zone, NR_FREE_PAGES) -
		zone_page_state(zone, NR_FREE_CMA_PAGES) -
		READ_ONCE(zone->nr_reserved_highatomic);
	keep = high_wmark_pages(zone) + zone->lowmem_reserve[ZONE_NORMAL];
	file = zone_page_state(zone, NR_ZONE_INACTIVE_FILE);
	dirty = zone_page_state(zone, NR_ZONE_WRITE_PENDING);
	avail = avail > keep ? avail - keep : 0;
	return avail + (file > dirty ? file - dirty : 0);
}

/* Memory present at boot, on every node: the base of memmap_ram_budget. */
u64 kmm_boot_ram_bytes(void)
{
	unsigned long pages = 0;
	int nid;

	for_each_node_state(nid, N_MEMORY)
		pages += kmm_node_boot_pages(nid);
	return (u64)pages << PAGE_SHIFT;
}

/*
 * What a GFP_KERNEL allocation can get, on nodes with boot memory only: a
 * node of device memory (every section of it hot-added) is left out, for
 * other devices' memory is not system RAM, and a memmap put there would
 * tie the two devices together.
 */
static u64 kmm_kernel_ram_available(void)
{
	unsigned long pages = 0;
	int nid, i;

	for_each_node_state(nid, N_MEMORY) {
		if (!kmm_node_boot_pages(nid))
			continue;
		for (i = 0; i <= ZONE_NORMAL; i++) {
			struct zone *zone = &NODE_DATA(nid)->node_zones[i];

			if (populated_zone(zone))
				pages += kmm_zone_available(zone);
		}
	}
	return (u64)pages << PAGE_SHIFT;
}

/* Available RAM that no bind in progress was promised; kmm_ram_lock held. */
static u64 kmm_ram_unpromised(void)
{
	u64 have = kmm_inject_ram_cap(kmm_kernel_ram_available());

	return have > kmm_ram_promised ? have - kmm_ram_promised : 0;
}

/*
 * Promise the memmap of every block this bind has still to add in RAM, or
 * refuse the bind.  Called before the first add whose memmap goes to RAM;
 * the promise is kept until the bind ends, when the allocations show in the
 * free counts instead.
 */
int kmm_ram_promise(struct kmm_dev *kd)
{
	unsigned long left = kd->nr_blocks;
	u64 need, have;
	int i;

	if (kd->ram_promised)
		return 0;
	for (i = 0; i < kd->nr_range; i++)
		left -= kd->ranges[i].nr_added;
	need = left * kmm_block_memmap_bytes() + KMM_RAM_SLACK_BYTES;

	mutex_lock(&kmm_ram_lock);
	have = kmm_ram_unpromised();
	if (have >= need) {
		kmm_ram_promised += need;
		kd->ram_promised = need;
	}
	mutex_unlock(&kmm_ram_lock);
	if (kd->ram_promised)
		return 0;

	dev_err(&kd->dev_dax->dev,
		"not enough system RAM for the memmap of %lu memory block(s): %llu MiB needed, %llu MiB available; %s\n",
		left, need >> 20, have >> 20,
		kd->fallback_reason || !kmm_mhp_memmap_supported() ?
			"boot with memory_hotplug.memmap_on_memory=1 to place it on the device" :
			"memmap_on_memory=1 puts it on the device");
	return -ENOMEM;
}

/*
 * What a memmap could still take now, besides the promises of binds in
 * progress and the slack: an estimate for memmap_on_memory=auto, which the
 * promise made at add time then enforces.
 */
u64 kmm_ram_headroom(void)
{
	u64 have;

	mutex_lock(&kmm_ram_lock);
	have = kmm_ram_unpromised();
	mutex_unlock(&kmm_ram_lock);
	return have > KMM_RAM_SLACK_BYTES ? have - KMM_RAM_SLACK_BYTES : 0;
}

void kmm_ram_release(struct kmm_dev *kd)
{
	mutex_lock(&kmm_ram_lock);
	kmm_ram_promised -= kd->ram_promised;
	mutex_unlock(&kmm_ram_lock);
	kd->ram_promised = 0;
}
