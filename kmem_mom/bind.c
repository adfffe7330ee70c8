// SPDX-License-Identifier: GPL-2.0-only
/*
 * Binding a dax device: validate it, reserve its ranges, join its node to a
 * memory tier, and hot-add it block by block; unbinding removes exactly the
 * blocks that were added, one at a time (<= 6.7 refuses to remove
 * memmap-on-memory blocks in any other granularity).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ioport.h>
#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/utsname.h>
#include <kmem_mom/kmem_mom.h>

/*
 * Our view of struct dev_dax comes from the BTF of the kernel we were built
 * for.  Before trusting it on the kernel we run on, check that it describes
 * the device the driver core is binding to us.
 */
static int kmm_check_abi(struct dev_dax *dev_dax)
{
	struct device *dev = &dev_dax->dev;
	int i;

	if (dev->driver != &kmm_driver.drv || !dev->bus ||
	    strcmp(dev->bus->name, "dax") || dev_dax->nr_range < 1 ||
	    !dev_dax->ranges)
		goto mismatch;
	for (i = 0; i < dev_dax->nr_range; i++)
		if (dev_dax->ranges[i].range.start >
		    dev_dax->ranges[i].range.end)
			goto mismatch;
	return 0;

mismatch:
	dev_err(dev,
		"struct dev_dax does not match this kernel (built for %s, running %s): refusing to bind; rebuild kmem_mom for this kernel\n",
		KMM_CONFTEST_KVER, utsname()->release);
	return -ENXIO;
}

/*
 * Trim a dax range to whole memory blocks.  False if nothing is left, and
 * then @out is empty (start > end), as struct kmm_range documents.
 */
static bool kmm_block_align(const struct range *in, struct range *out)
{
	u64 bs = memory_block_size_bytes();

	out->start = ALIGN(in->start, bs);
	out->end = ALIGN_DOWN(in->end + 1, bs) - 1;
	return out->start < out->end;
}

/*
 * Remove the added blocks of range @i, last first, one block per call.
 * @offline: offline them first (rollback of a bind that may have been
 * auto-onlined) rather than insist they are offline already (unbind).
 * Returns how many blocks could not be removed.
 */
static unsigned long kmm_release_range(struct kmm_dev *kd, int i, bool offline)
{
	struct kmm_range *r = &kd->ranges[i];
	u64 bs = memory_block_size_bytes();
	unsigned long stuck = 0;
	u64 start;
	int rc;

	while (r->nr_added > stuck) {
		start = r->range.start + (r->nr_added - stuck - 1) * bs;
		if (offline)
			rc = kmm_offline_and_remove_memory(kd->nid, start, bs);
		else
			rc = kmm_remove_memory(kd->nid, start, bs);
		if (rc) {
			stuck++;
			continue;
		}
		r->nr_added--;
		atomic_long_dec(&kmm_nr_blocks);
	}
	/* Blocks still added, if any, are r->nr_added (they are all stuck). */
	if (stuck) {
		kmm_hotremove_failed = true;
		atomic_long_add(stuck, &kmm_nr_stranded_blocks);
		dev_err(&kd->dev_dax->dev,
			"mapping%d: %#llx-%#llx: %lu memory block(s) cannot be hotremoved until the next reboot\n",
			i, r->range.start, r->range.end, stuck);
		return stuck;
	}
	if (r->res) {
		remove_resource(r->res);
		kfree(r->res);
		r->res = NULL;
	}
	return 0;
}

static unsigned long kmm_release_ranges(struct kmm_dev *kd, bool offline)
{
	unsigned long stuck = 0;
	int i;

	for (i = kd->nr_range - 1; i >= 0; i--)
		stuck += kmm_release_range(kd, i, offline);
	return stuck;
}

static int kmm_add_range(struct kmm_dev *kd, int i)
{
	struct device *dev = &kd->dev_dax->dev;
	struct kmm_range *r = &kd->ranges[i];
	u64 bs = memory_block_size_bytes();
	struct resource *res;
	bool added;
	u64 start;
	int rc;

	/* Permanently reserved if hot-remove ever fails. */
	res = request_mem_region(r->range.start, range_len(&r->range),
				 kd->res_name);
	if (!res) {
		dev_warn(dev,
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

	for (start = r->range.start; start < r->range.end; start += bs) {
		rc = kmm_add_block(kd, start, &added);
		if (added) {
			r->nr_added++;
			atomic_long_inc(&kmm_nr_blocks);
		}
		if (rc) {
			dev_warn(dev, "mapping%d: block %#llx add failed: %d\n",
				 i, start, rc);
			return rc;
		}
	}
	return 0;
}

int kmm_probe(struct dev_dax *dev_dax)
{
	struct device *dev = &dev_dax->dev;
	unsigned long total = 0;
	struct kmm_dev *kd;
	int i, nid, rc;

	rc = kmm_check_abi(dev_dax);
	if (rc)
		return rc;

	/*
	 * Without a valid node, slow memory could land in a node with fast
	 * memory; like kmem, refuse.
	 */
	nid = dev_dax->target_node;
	if (nid < 0 || nid >= MAX_NUMNODES || !node_possible(nid)) {
		dev_warn(dev, "rejecting DAX region with invalid node: %d\n",
			 nid);
		return -EINVAL;
	}

	kd = kzalloc(struct_size(kd, ranges, dev_dax->nr_range), GFP_KERNEL);
	if (!kd)
		return -ENOMEM;
	kd->dev_dax = dev_dax;
	kd->nid = nid;
	kd->nr_range = dev_dax->nr_range;
	kd->want_device = kmm_param_memmap_on_memory();
	kd->may_fall_back = kmm_param_memmap_fallback();

	for (i = 0; i < dev_dax->nr_range; i++) {
		const struct range *in = &dev_dax->ranges[i].range;
		struct range *r = &kd->ranges[i].range;

		if (!kmm_block_align(in, r)) {
			dev_info(dev, "mapping%d: %#llx-%#llx too small\n", i,
				 in->start, in->end);
			continue;
		}
		if (r->start != in->start || r->end != in->end)
			dev_info(dev, "mapping%d: trimmed to %#llx-%#llx\n", i,
				 r->start, r->end);
		total += range_len(r);
	}
	if (!total) {
		dev_warn(dev, "device smaller than a memory block (%llu MiB)\n",
			 (u64)memory_block_size_bytes() >> 20);
		rc = -EINVAL;
		goto err_free_kd;
	}
	kd->nr_blocks = total / memory_block_size_bytes();

	rc = -ENOMEM;
	kd->res_name = kstrdup(dev_name(dev), GFP_KERNEL);
	if (!kd->res_name)
		goto err_free_kd;

	kd->mtype = kmm_memtiers_get(&kmm_tiers, nid);
	if (IS_ERR(kd->mtype)) {
		rc = PTR_ERR(kd->mtype);
		goto err_free_name;
	}
	init_node_memory_type(nid, kd->mtype);

	rc = memory_group_register_static(nid, PFN_UP(total));
	if (rc < 0)
		goto err_clear_tier;
	kd->mgid = rc;

	for (i = 0; i < kd->nr_range; i++) {
		if (kd->ranges[i].range.start > kd->ranges[i].range.end)
			continue;
		rc = kmm_add_range(kd, i);
		if (rc)
			goto err_release_ranges;
	}

	dev_set_drvdata(dev, kd);
	atomic_long_inc(&kmm_nr_devices);
	dev_info(dev, "node %d +%llu MiB; memmap blocks: %lu device, %lu RAM\n",
		 nid, (u64)total >> 20, kd->blocks_device, kd->blocks_ram);
	return 0;

err_release_ranges:
	/* Leave nothing behind, unless something cannot be removed. */
	if (kmm_release_ranges(kd, true))
		return rc; /* kd, group and names stay with the stuck blocks */
	memory_group_unregister(kd->mgid);
err_clear_tier:
	clear_node_memory_type(nid, kd->mtype);
err_free_name:
	kfree(kd->res_name);
err_free_kd:
	kfree(kd);
	return rc;
}

void kmm_remove(struct dev_dax *dev_dax)
{
	struct device *dev = &dev_dax->dev;
	struct kmm_dev *kd = dev_get_drvdata(dev);

	atomic_long_dec(&kmm_nr_devices);
	/*
	 * One shot: unbind cannot fail, so blocks that are still online stay
	 * added, with everything they reference, until the next reboot.
	 */
	if (kmm_release_ranges(kd, false))
		return;

	memory_group_unregister(kd->mgid);
	/*
	 * The node keeps its memory type while any of its memory remains; on a
	 * full unplug it goes back to the default tier.
	 */
	clear_node_memory_type(kd->nid, kd->mtype);
	dev_set_drvdata(dev, NULL);
	kfree(kd->res_name);
	kfree(kd);
}
