// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-device attributes, in /sys/bus/dax/devices/daxX.Y/kmem_mom/ while the
 * device is bound to us.  A named group keeps clear of the kernel's own
 * daxX.Y/memmap_on_memory (6.9+).  Documented in Documentation/ABI.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/memory.h>
#include <linux/sysfs.h>
#include <kmem_mom/kmem_mom.h>

static struct kmm_dev *kmm_dev_of(struct device *dev)
{
	return dev_get_drvdata(dev);
}

static ssize_t memmap_requested_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  kmm_dev_of(dev)->want_device ? "device" : "ram");
}
static DEVICE_ATTR_RO(memmap_requested);

static ssize_t memmap_device_blocks_show(struct device *dev,
					 struct device_attribute *attr,
					 char *buf)
{
	return sysfs_emit(buf, "%lu\n", kmm_dev_of(dev)->blocks_device);
}
static DEVICE_ATTR_RO(memmap_device_blocks);

static ssize_t memmap_ram_blocks_show(struct device *dev,
				      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", kmm_dev_of(dev)->blocks_ram);
}
static DEVICE_ATTR_RO(memmap_ram_blocks);

static ssize_t memmap_device_bytes_show(struct device *dev,
					struct device_attribute *attr,
					char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  kmm_dev_of(dev)->blocks_device *
				  kmm_block_memmap_bytes());
}
static DEVICE_ATTR_RO(memmap_device_bytes);

static ssize_t memmap_ram_bytes_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  kmm_dev_of(dev)->blocks_ram *
				  kmm_block_memmap_bytes());
}
static DEVICE_ATTR_RO(memmap_ram_bytes);

static ssize_t memmap_fallback_reason_show(struct device *dev,
					   struct device_attribute *attr,
					   char *buf)
{
	const char *reason = kmm_dev_of(dev)->fallback_reason;

	return sysfs_emit(buf, "%s\n", reason ? reason : "none");
}
static DEVICE_ATTR_RO(memmap_fallback_reason);

/* Physical addresses: root only. */
static ssize_t ranges_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct kmm_dev *kd = kmm_dev_of(dev);
	int i, len = 0;

	for (i = 0; i < kd->nr_range; i++) {
		struct kmm_range *r = &kd->ranges[i];

		if (!r->nr_added)
			continue;
		len += sysfs_emit_at(buf, len, "%#llx-%#llx\n", r->range.start,
				     r->range.end);
	}
	return len;
}
static DEVICE_ATTR_ADMIN_RO(ranges);

static struct attribute *kmm_dev_attrs[] = {
	&dev_attr_memmap_requested.attr,
	&dev_attr_memmap_device_blocks.attr,
	&dev_attr_memmap_ram_blocks.attr,
	&dev_attr_memmap_device_bytes.attr,
	&dev_attr_memmap_ram_bytes.attr,
	&dev_attr_memmap_fallback_reason.attr,
	&dev_attr_ranges.attr,
	NULL,
};

static const struct attribute_group kmm_dev_group = {
	.name = "kmem_mom",
	.attrs = kmm_dev_attrs,
};

const struct attribute_group *kmm_dev_groups[] = {
	&kmm_dev_group,
	NULL,
};
