// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where each block's memmap goes, decided once per device before its first
 * block, and where it went, read back from the page tables after each add.
 * MHP_MEMMAP_ON_MEMORY is only a request: <= 6.5 refuses it with -EINVAL
 * unless booted with memory_hotplug.memmap_on_memory, 6.6-6.8 quietly put
 * the memmap in RAM, and only 6.9+ say up front what they will do.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/memory.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <kmem_mom/kmem_mom.h>

/* Fallback reasons, also shown in sysfs. */
static const char *const kmm_whys[] = {
	[KMM_WHY_DECLINED] =
		"the kernel declines MHP_MEMMAP_ON_MEMORY (memory_hotplug.memmap_on_memory is off)",
	[KMM_WHY_REFUSED] = "the kernel refused MHP_MEMMAP_ON_MEMORY (-EINVAL)",
	[KMM_WHY_SILENT] = "the kernel put the memmap in system RAM",
};

static const char kmm_fix[] =
	"boot with memory_hotplug.memmap_on_memory=1 to place it on the device";

/* Bytes of struct page needed to describe one memory block. */
u64 kmm_block_memmap_bytes(void)
{
	return PHYS_PFN(memory_block_size_bytes()) * sizeof(struct page);
}

/*
 * The memmap cannot go on the device.  Record why (once per device) and
 * either carry on with system RAM or fail the bind, as memmap_fallback says.
 */
int kmm_fall_back(struct kmm_dev *kd, enum kmm_why why)
{
	struct device *dev = &kd->dev_dax->dev;
	const char *reason = kmm_whys[why];

	if (!kd->may_fall_back) {
		dev_err(dev,
			"memmap cannot be placed on the device (%s) and memmap_fallback=0: failing the bind\n",
			reason);
		return -EOPNOTSUPP;
	}
	if (!kd->fallback_reason) {
		kd->fallback_reason = reason;
		dev_warn(dev, "memmap goes to system RAM: %s; %s\n", reason,
			 kmm_fix);
	}
	kd->on_device = false;
	kmm_budget_charge(kd);
	kmm_plan_holds(kd);
	return 0;
}

/*
 * The plan, before anything is added: the memmap on the device only if it
 * was asked for and the kernel can do it.  Where the kernel cannot say, the
 * first add tells (add.c).  Deciding up front matters: a memmap meant for
 * RAM must be allocated before any block of the device can be online in a
 * kernel zone, or the allocator, preferring the device's node, puts it
 * there (see online.c).
 */
int kmm_choose_placement(struct kmm_dev *kd)
{
	int supported = kmm_mhp_memmap_supported();
	int rc;

	rc = kmm_policy_decide(kd, supported);
	if (rc)
		return rc;
	kd->on_device = kd->want_device;
	kd->ask_first_add = false;
	if (kd->want_device) {
		if (!supported)
			return kmm_fall_back(kd, KMM_WHY_DECLINED);
		kd->ask_first_add = supported < 0;
	}
	kmm_plan_holds(kd);
	return 0;
}

/* Is @phys inside a block this device has added? */
bool kmm_dev_owns(struct kmm_dev *kd, phys_addr_t phys)
{
	u64 bs = memory_block_size_bytes();
	int i;

	for (i = 0; i < kd->nr_range; i++) {
		struct kmm_range *r = &kd->ranges[i];

		if (r->nr_added && phys >= r->range.start &&
		    phys <= r->range.end)
			return kmm_block_added(kd, r,
					       (phys - r->range.start) / bs);
	}
	return false;
}

static enum kmm_memmap_at kmm_phys_at(struct kmm_dev *kd, u64 block,
				      phys_addr_t phys)
{
	if (phys >= block && phys < block + memory_block_size_bytes())
		return KMM_AT_DEVICE;
	if (kmm_dev_owns(kd, phys))
		return KMM_AT_OWN;
	/* Sections present at boot are "early"; hot-added ones are not. */
	if (early_section(__pfn_to_section(PHYS_PFN(phys))))
		return KMM_AT_RAM;
	return KMM_AT_HOTPLUG;
}

/*
 * Where the memmap of the added block at @start lives.  The vmemmap is
 * populated a page at a time -- 2 MiB on x86-64, 4 KiB where the core
 * falls back to base pages -- each page from wherever the allocator found
 * room: look at every one of them, and keep the worst answer.
 */
enum kmm_memmap_at kmm_block_memmap_at(struct kmm_dev *kd, u64 start)
{
	unsigned long pfn = PHYS_PFN(start);
	unsigned long next = pfn + PHYS_PFN(memory_block_size_bytes());
	unsigned long addr = (unsigned long)pfn_to_page(pfn);
	unsigned long end = (unsigned long)pfn_to_page(next);
	enum kmm_memmap_at at = KMM_AT_DEVICE;
	phys_addr_t phys, table;
	unsigned long size;

	for (; addr < end; addr = ALIGN_DOWN(addr, size) + size) {
		/* An added block's memmap is mapped; if not, assume the worst. */
		if (kmm_vmemmap_mapping(addr, &phys, &size, &table))
			return KMM_AT_OWN;
		at = max(at, kmm_phys_at(kd, start, phys));
	}
	return at;
}

const char *kmm_at_name(enum kmm_memmap_at at)
{
	static const char *const names[KMM_NR_AT] = {
		[KMM_AT_DEVICE] = "on the block itself",
		[KMM_AT_RAM] = "in boot-time system RAM",
		[KMM_AT_HOTPLUG] = "in memory hot-added by another driver",
		[KMM_AT_OWN] = "in another block of this device",
	};

	return at < KMM_NR_AT ? names[at] : "nowhere known";
}

/*
 * 1 GiB-aligned gigantic pages the device's memory could still hold: every
 * block under such a window added, and no memmap in it.  A memmap on the
 * device sits at the start of its block, in the window that holds the
 * block's start: with 128 MiB blocks it spoils the window of eight, with
 * 2 GiB blocks the first of the block's two windows.
 */
unsigned long kmm_gigantic_pages(struct kmm_dev *kd)
{
	u64 bs = memory_block_size_bytes(), w;
	unsigned long n = 0, k, last;
	int i;

	for (i = 0; i < kd->nr_range; i++) {
		struct kmm_range *r = &kd->ranges[i];

		if (!kmm_range_blocks(r))
			continue;
		for (w = ALIGN(r->range.start, PUD_SIZE);
		     w + PUD_SIZE - 1 <= r->range.end; w += PUD_SIZE) {
			last = (w + PUD_SIZE - 1 - r->range.start) / bs;
			for (k = (w - r->range.start) / bs; k <= last; k++)
				if (!kmm_block_added(kd, r, k) ||
				    (kd->at[r->first + k] == KMM_AT_DEVICE &&
				     kmm_block_start(r, k) >= w))
					break;
			n += k > last;
		}
	}
	return n;
}

/* Blocks added now whose memmap was found at @at. */
unsigned long kmm_count_at(struct kmm_dev *kd, enum kmm_memmap_at at)
{
	unsigned long n = 0, b;

	for (b = 0; b < kd->nr_blocks; b++)
		n += kd->at[b] == at;
	return n;
}
