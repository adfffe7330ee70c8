// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a dax device's memory is made of, as far as the running kernel
 * knows: persistent or volatile (from the device that provides it), and
 * how fast its node is compared with DRAM (from the memory tiers, fed by
 * HMAT and CXL CDAT, or from the HMAT directly on older kernels).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/memory-tiers.h>
#include <linux/string.h>
#include <kmem_mom/kmem_mom.h>

/*
 * Persistent memory reaches the dax bus only through libnvdimm (legacy
 * E820 pmem, ACPI NFIT, CXL pmem regions), so an ancestor on the "nd" bus
 * says persistent.  @provider names the region that backs the device, or
 * its parent when there is none (hmem.N for soft-reserved memory).
 */
bool kmm_media_persistent(struct kmm_dev *kd, const char **provider)
{
	struct device *parent = kd->dev_dax->dev.parent, *d;
	bool persistent = false;

	*provider = parent ? dev_name(parent) : "?";
	for (d = parent; d; d = d->parent) {
		if (!d->bus)
			continue;
		if (!strcmp(d->bus->name, "nd"))
			persistent = true;
		else if (strcmp(d->bus->name, "cxl"))
			continue;
		if (!strncmp(dev_name(d), "region", 6)) {
			*provider = dev_name(d);
			break;
		}
	}
	return persistent;
}

/*
 * The abstract distance of node @nid and where it came from, or -ENODATA.
 * Where the kernel computes distances (6.7+), its answer is the only one:
 * it has read the HMAT itself, and "none" from it means no usable data.
 */
int kmm_media_adistance(int nid, int *adist, const char **source)
{
	if (kmm_memtier_computes_adistance()) {
		*source = "memory tiers";
		if (!kmm_memtier_adistance(nid, adist))
			return 0;
	} else if (!kmm_hmat_adistance(nid, adist)) {
		*source = "HMAT";
		return 0;
	}
	*source = "none";
	return -ENODATA;
}

/*
 * Slow: a memory tier below DRAM's, i.e. the first abstract distance past
 * DRAM's chunk, where the kernel would demote pages to.  A memmap there
 * makes every struct page update pay the slower memory's latency.
 */
bool kmm_media_slow(int adist)
{
	return adist >=
	       round_up(MEMTIER_ADISTANCE_DRAM + 1, MEMTIER_CHUNK_SIZE);
}
