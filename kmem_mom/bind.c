// SPDX-License-Identifier: GPL-2.0-only
/*
 * Binding a dax device: validate it, plan where its memmap goes, reserve
 * its ranges, join its node to a memory tier, and hot-add it (add.c);
 * unbinding removes exactly the blocks that were added, one at a time.
 * A bind that fails midway gives back everything it can; what it cannot
 * give back stays with the device, bound and marked degraded, so that the
 * memory always has an owner and an unbind can try again.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kmemleak.h>
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
	if (out->start < out->end)
		return true;
	out->start = 1;
	out->end = 0;
	return false;
}

/*
 * Trim every range, refuse what this kernel cannot hot-add, and size the
 * per-block records.  Nothing is reserved or added yet.
 */
static int kmm_size_ranges(struct kmm_dev *kd)
{
	struct dev_dax *dev_dax = kd->dev_dax;
	struct device *dev = &dev_dax->dev;
	struct range can = kmm_pluggable_range();
	int i;

	for (i = 0; i < kd->nr_range; i++) {
		const struct range *in = &dev_dax->ranges[i].range;
		struct kmm_range *r = &kd->ranges[i];

		r->first = kd->nr_blocks;
		if (!kmm_block_align(in, &r->range)) {
			dev_info(dev, "mapping%d: %#llx-%#llx too small\n", i,
				 in->start, in->end);
			continue;
		}
		if (r->range.start != in->start || r->range.end != in->end)
			dev_info(dev, "mapping%d: trimmed to %#llx-%#llx\n", i,
				 r->range.start, r->range.end);
		if (r->range.start < can.start || r->range.end > can.end) {
			dev_err(dev,
				"mapping%d: %#llx-%#llx is outside what this kernel can hot-add (%#llx-%#llx)\n",
				i, r->range.start, r->range.end, can.start,
				can.end);
			return -ERANGE;
		}
		kd->nr_blocks += kmm_range_blocks(r);
	}
	if (!kd->nr_blocks) {
		dev_warn(dev, "device smaller than a memory block (%llu MiB)\n",
			 (u64)memory_block_size_bytes() >> 20);
		return -EINVAL;
	}
	kd->at = kvmalloc(kd->nr_blocks, GFP_KERNEL);
	kd->blk = kvzalloc(kd->nr_blocks, GFP_KERNEL);
	if (!kd->at || !kd->blk)
		return -ENOMEM;
	memset(kd->at, KMM_AT_NONE, kd->nr_blocks);
	return 0;
}

static void kmm_free_dev(struct kmm_dev *kd)
{
	kmm_budget_release(kd);
	kfree(kd->policy_reason);
	kvfree(kd->blk);
	kvfree(kd->at);
	kfree(kd->res_name);
	kfree(kd);
}

static void kmm_report_bind(struct kmm_dev *kd)
{
	struct device *dev = &kd->dev_dax->dev;
	u64 mib = (u64)kd->nr_blocks * memory_block_size_bytes() >> 20;
	unsigned long on_device = kmm_count_at(kd, KMM_AT_DEVICE);
	unsigned long in_ram = kmm_count_at(kd, KMM_AT_RAM);
	unsigned long hot = kmm_count_at(kd, KMM_AT_HOTPLUG);

	/* One message per line; clang-format would break after "dev_info(". */
	/* clang-format off */
	dev_info(dev,
		 "node %d +%llu MiB; memmap blocks: %lu on the device, %lu in RAM, %lu in other hot-added memory\n",
		 kd->nid, mib, on_device, in_ram, hot);
	if (kmm_tables_in_device(kd))
		dev_warn(dev,
			 "%lu page-table page(s) or section root(s) of its memmap sit in its own memory: the blocks holding them cannot be hot-removed\n",
			 kmm_tables_in_device(kd));
	if (on_device && kmm_mhp_keeps_memmap_on_device())
		dev_warn(dev,
			 "%lu memory block(s) with their memmap on them: this kernel refuses to offline such a block (it would split a vmemmap leaf), so they cannot be hotremoved until the next reboot\n",
			 on_device);
	/* clang-format on */
	kmm_report_online(kd);
}

/*
 * The device's attributes are made here, not by the driver core
 * (dev_groups): it adds those after a successful probe and, if that fails,
 * calls remove, which cannot offline what the kernel's policy has onlined
 * meanwhile and would strand it.  Made by the probe, their failure unwinds
 * like any other.
 */
static int kmm_add_attrs(struct kmm_dev *kd)
{
	struct kobject *kobj = &kd->dev_dax->dev.kobj;
	int rc = -ENOMEM;

	if (!kmm_inject_attrs_failure())
		rc = sysfs_create_groups(kobj, kmm_dev_groups);
	kd->has_attrs = !rc;
	return rc;
}

static void kmm_remove_attrs(struct kmm_dev *kd)
{
	if (kd->has_attrs)
		sysfs_remove_groups(&kd->dev_dax->dev.kobj, kmm_dev_groups);
	kd->has_attrs = false;
}

int kmm_probe(struct dev_dax *dev_dax)
{
	struct device *dev = &dev_dax->dev;
	unsigned long stuck;
	struct kmm_dev *kd;
	u64 total;
	int nid, rc;

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
	INIT_LIST_HEAD(&kd->list);
	kd->dev_dax = dev_dax;
	kd->nid = nid;
	kd->nr_range = dev_dax->nr_range;
	kd->may_fall_back = kmm_param_memmap_fallback();
	kd->online = kmm_param_online();

	rc = kmm_size_ranges(kd);
	if (rc)
		goto err_free_kd;

	rc = -ENOMEM;
	kd->res_name = kstrdup(dev_name(dev), GFP_KERNEL);
	if (!kd->res_name)
		goto err_free_kd;

	rc = kmm_choose_placement(kd);
	if (rc)
		goto err_free_kd;

	kd->mtype = kmm_memtiers_get(&kmm_tiers, nid);
	if (IS_ERR(kd->mtype)) {
		rc = PTR_ERR(kd->mtype);
		goto err_free_kd;
	}
	init_node_memory_type(nid, kd->mtype);

	total = kd->nr_blocks * memory_block_size_bytes();

	rc = memory_group_register_static(nid, PFN_UP(total));
	if (rc < 0)
		goto err_clear_tier;
	kd->mgid = rc;

	kmm_bind_begin(kd);
	rc = kmm_add_memory(kd);
	kmm_ram_release(kd);
	if (rc)
		goto err_release_ranges;
	kmm_bind_end(kd);

	dev_set_drvdata(dev, kd);
	rc = kmm_add_attrs(kd);
	if (rc) {
		dev_set_drvdata(dev, NULL);
		goto err_release_ranges;
	}
	atomic_long_inc(&kmm_nr_devices);
	kmm_report_bind(kd);
	return 0;

err_release_ranges:
	/*
	 * Leave nothing behind; what cannot go stays bound with the device.
	 * Nothing goes online while it goes (online.c).
	 */
	kmm_hold_rollback(kd);
	kmm_inject_rollback_delay();
	stuck = kmm_release_ranges(kd, true);
	kmm_bind_end(kd);
	if (stuck) {
		kd->degraded = true;
		dev_set_drvdata(dev, kd);
		atomic_long_inc(&kmm_nr_devices);
		dev_err(dev,
			"bind failed (%d) and %lu memory block(s) could not be removed: the device stays bound, degraded; unbinding it (daxctl reconfigure-device --mode=devdax) tries again\n",
			rc, stuck);
		if (kmm_add_attrs(kd))
			dev_err(dev, "its kmem_mom attributes failed too\n");
		return 0;
	}
	kmm_untrack(kd);
	memory_group_unregister(kd->mgid);
err_clear_tier:
	clear_node_memory_type(nid, kd->mtype);
err_free_kd:
	kmm_free_dev(kd);
	return rc;
}

void kmm_remove(struct dev_dax *dev_dax)
{
	struct device *dev = &dev_dax->dev;
	struct kmm_dev *kd = dev_get_drvdata(dev);
	unsigned long stuck;
	int i;

	kmm_remove_attrs(kd);
	atomic_long_dec(&kmm_nr_devices);
	kmm_untrack(kd);
	/*
	 * One shot: unbind cannot fail, so blocks that are still online stay
	 * added, with everything they reference, until the next reboot.
	 */
	stuck = kmm_release_ranges(kd, false);
	if (stuck) {
		kmm_hotremove_failed = true;
		atomic_long_add(stuck, &kmm_nr_stranded_blocks);
		for (i = 0; i < kd->nr_range; i++) {
			struct kmm_range *r = &kd->ranges[i];

			if (r->nr_added)
				dev_err(dev,
					"mapping%d: %#llx-%#llx: %lu memory block(s) cannot be hotremoved until the next reboot\n",
					i, r->range.start, r->range.end,
					r->nr_added);
		}
		/*
		 * kd, group and names stay with the stuck blocks, on purpose:
		 * nothing points to kd any more, so tell kmemleak.
		 */
		kmemleak_not_leak(kd);
		kmemleak_not_leak(kd->at);
		kmemleak_not_leak(kd->blk);
		kmemleak_not_leak(kd->policy_reason);
		return;
	}

	memory_group_unregister(kd->mgid);
	/*
	 * The node keeps its memory type while any of its memory remains; on a
	 * full unplug it goes back to the default tier.
	 */
	clear_node_memory_type(kd->nid, kd->mtype);
	dev_set_drvdata(dev, NULL);
	kmm_free_dev(kd);
}
