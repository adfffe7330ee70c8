// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hot-add of a single memory block, and verification of where the kernel
 * really put its memmap.  MHP_MEMMAP_ON_MEMORY is only a request: <= 6.5
 * refuses it with -EINVAL unless booted with memory_hotplug.memmap_on_memory,
 * >= 6.6 quietly ignores it.  We believe the page tables, not the flag.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/sizes.h>
#include <linux/vmstat.h>
#include <kmem_mom/kmem_mom.h>

/* Bytes of struct page needed to describe one memory block. */
u64 kmm_block_memmap_bytes(void)
{
	return PHYS_PFN(memory_block_size_bytes()) * sizeof(struct page);
}

/*
 * 1 if the struct pages of the block at @start live inside the block, 0 if
 * elsewhere (system RAM), negative if this kernel gives us no way to tell.
 */
static int kmm_block_memmap_on_device(u64 start)
{
	u64 end = start + memory_block_size_bytes();
	phys_addr_t first, last;
	int rc;

	rc = kmm_memmap_phys(PHYS_PFN(start), &first);
	if (rc)
		return rc;
	rc = kmm_memmap_phys(PHYS_PFN(end) - 1, &last);
	if (rc)
		return rc;
	return first >= start && last < end;
}

/* Fallback reasons, also shown in sysfs. */
#define KMM_WHY_PARAM_OFF "memory_hotplug.memmap_on_memory is off"
#define KMM_WHY_REFUSED "the kernel refused MHP_MEMMAP_ON_MEMORY (-EINVAL)"
#define KMM_WHY_SILENT "the kernel put the memmap in system RAM"
#define KMM_WHY_SILENT_PARAM_OFF \
	KMM_WHY_SILENT " (memory_hotplug.memmap_on_memory is off)"
#define KMM_WHY_UNKNOWN "this kernel cannot show where the memmap lives"

static const char kmm_fix[] =
	"boot with memory_hotplug.memmap_on_memory=1 to place it on the device";

/*
 * The memmap cannot go on the device.  Record why (once per device) and tell
 * the caller whether to go on with system RAM or to fail the bind.
 */
static int kmm_fall_back(struct kmm_dev *kd, const char *reason)
{
	struct device *dev = &kd->dev_dax->dev;

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
	return 0;
}

/*
 * Room for what an add allocates besides the memmap (page tables, memory
 * block devices) and for the system to go on running afterwards.
 */
#define KMM_RAM_SLACK_BYTES SZ_8M

/*
 * What a GFP_KERNEL allocation can still get: free pages above the high
 * watermark in ZONE_NORMAL and below, on every node, plus half the file
 * cache there as a cautious share of what reclaim would give back.
 */
static u64 kmm_kernel_ram_available(void)
{
	unsigned long pages = 0;
	int nid, i;

	for_each_online_node(nid) {
		for (i = 0; i <= ZONE_NORMAL; i++) {
			struct zone *zone = &NODE_DATA(nid)->node_zones[i];
			unsigned long avail, file, high;

			if (!populated_zone(zone))
				continue;
			file = zone_page_state(zone, NR_ZONE_INACTIVE_FILE) +
			       zone_page_state(zone, NR_ZONE_ACTIVE_FILE);
			avail = zone_page_state(zone, NR_FREE_PAGES) + file / 2;
			high = high_wmark_pages(zone);
			if (avail > high)
				pages += avail - high;
		}
	}
	return (u64)pages << PAGE_SHIFT;
}

/*
 * A memmap in system RAM is allocated while its block is added; if that
 * allocation fails, x86's add_pages() WARNs (a panic_on_warn machine dies)
 * and the system is left starved.  Before such a block, check that the
 * memmaps of all the blocks still to come fit; on the first block that is
 * before anything was added.
 */
static int kmm_ram_fits_memmap(struct kmm_dev *kd)
{
	unsigned long left = kd->nr_blocks - kd->blocks_device - kd->blocks_ram;
	u64 need = left * kmm_block_memmap_bytes() + KMM_RAM_SLACK_BYTES;
	u64 have = kmm_kernel_ram_available();

	if (have >= need)
		return 0;
	dev_err(&kd->dev_dax->dev,
		"not enough system RAM for the memmap of %lu memory block(s): %llu MiB needed, %llu MiB available; %s\n",
		left, need >> 20, have >> 20,
		kd->want_device ? kmm_fix :
				  "memmap_on_memory=1 puts it on the device");
	return -ENOMEM;
}

/*
 * Add the block at @start.  *@added tells the caller whether it must be
 * removed again on failure: a block the policy rejects after the kernel
 * added it (memmap_fallback=0) comes back with an error and *@added set.
 */
int kmm_add_block(struct kmm_dev *kd, u64 start, bool *added)
{
	u64 size = memory_block_size_bytes();
	mhp_t flags = MHP_NID_IS_MGID;
	int on_device, rc;

	*added = false;
	if (kd->want_device) {
		/*
		 * 6.9+ says up front when the core would ignore the flag.  Only
		 * a bind that must not fall back stops here; otherwise the flag
		 * goes in regardless and the page tables below have the last
		 * word, as they must on kernels that cannot tell.
		 */
		if (!kd->may_fall_back && kmm_mhp_memmap_supported() == 0)
			return kmm_fall_back(kd, KMM_WHY_PARAM_OFF);
		flags |= MHP_MEMMAP_ON_MEMORY;
	}
	if (!(flags & MHP_MEMMAP_ON_MEMORY) ||
	    kmm_mhp_memmap_supported() == 0) {
		rc = kmm_ram_fits_memmap(kd);
		if (rc)
			return rc;
	}

	if (kmm_inject_add_failure(kd->blocks_device + kd->blocks_ram + 1))
		return -ENOMEM;

	rc = add_memory_driver_managed(kd->mgid, start, size, kmm_resource_name,
				       flags);
	if (rc == -EINVAL && (flags & MHP_MEMMAP_ON_MEMORY)) {
		/* <= 6.5 refuses the flag itself; the memory is fine without. */
		rc = kmm_fall_back(kd, KMM_WHY_REFUSED);
		if (rc)
			return rc;
		flags &= ~MHP_MEMMAP_ON_MEMORY;
		rc = kmm_ram_fits_memmap(kd);
		if (rc)
			return rc;
		rc = add_memory_driver_managed(kd->mgid, start, size,
					       kmm_resource_name, flags);
	}
	if (rc)
		return rc;
	*added = true;

	on_device = kmm_block_memmap_on_device(start);
	if (on_device < 0 && kd->want_device) {
		rc = kmm_fall_back(kd, KMM_WHY_UNKNOWN);
	} else if (!on_device && (flags & MHP_MEMMAP_ON_MEMORY)) {
		/* 6.6+ ignore the flag silently when they cannot honour it. */
		rc = kmm_fall_back(kd, kmm_mhp_memmap_supported() == 0 ?
					       KMM_WHY_SILENT_PARAM_OFF :
					       KMM_WHY_SILENT);
	}
	if (rc)
		return rc;

	if (on_device > 0)
		kd->blocks_device++;
	else
		kd->blocks_ram++;
	return 0;
}
