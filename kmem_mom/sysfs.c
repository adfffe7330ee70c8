// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-device attributes, in /sys/bus/dax/devices/daxX.Y/kmem_mom/ while the
 * device is bound to us.  A named group keeps clear of the kernel's own
 * daxX.Y/memmap_on_memory (6.9+) and daxX.Y/state (7.3).  Placement counts
 * come from the page tables at add time; zones, online_request and where
 * the memmap's page tables are, from the memory map and the page tables at
 * read time.  Documented in Documentation/ABI.
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

static ssize_t kmm_show_blocks(struct device *dev, char *buf,
			       enum kmm_memmap_at at)
{
	return sysfs_emit(buf, "%lu\n", kmm_count_at(kmm_dev_of(dev), at));
}

static ssize_t kmm_show_bytes(struct device *dev, char *buf,
			      enum kmm_memmap_at at)
{
	return sysfs_emit(buf, "%llu\n",
			  kmm_count_at(kmm_dev_of(dev), at) *
				  kmm_block_memmap_bytes());
}

/* memmap_<name>_blocks and memmap_<name>_bytes count KMM_AT_<NAME>. */
#define KMM_PLACEMENT_ATTRS(name, NAME)                                       \
	static ssize_t memmap_##name##_blocks_show(                           \
		struct device *dev, struct device_attribute *attr, char *buf) \
	{                                                                     \
		return kmm_show_blocks(dev, buf, KMM_AT_##NAME);              \
	}                                                                     \
	static DEVICE_ATTR_RO(memmap_##name##_blocks);                        \
	static ssize_t memmap_##name##_bytes_show(                            \
		struct device *dev, struct device_attribute *attr, char *buf) \
	{                                                                     \
		return kmm_show_bytes(dev, buf, KMM_AT_##NAME);               \
	}                                                                     \
	static DEVICE_ATTR_RO(memmap_##name##_bytes)

KMM_PLACEMENT_ATTRS(device, DEVICE);
KMM_PLACEMENT_ATTRS(ram, RAM);
KMM_PLACEMENT_ATTRS(hotplug, HOTPLUG);

static ssize_t memmap_fallback_reason_show(struct device *dev,
					   struct device_attribute *attr,
					   char *buf)
{
	const char *reason = kmm_dev_of(dev)->fallback_reason;

	return sysfs_emit(buf, "%s\n", reason ? reason : "none");
}
static DEVICE_ATTR_RO(memmap_fallback_reason);

static ssize_t memmap_policy_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  kmm_policy_name(kmm_dev_of(dev)->policy));
}
static DEVICE_ATTR_RO(memmap_policy);

static ssize_t memmap_policy_reason_show(struct device *dev,
					 struct device_attribute *attr,
					 char *buf)
{
	return sysfs_emit(buf, "%s\n", kmm_dev_of(dev)->policy_reason);
}
static DEVICE_ATTR_RO(memmap_policy_reason);

static ssize_t gigantic_pages_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", kmm_gigantic_pages(kmm_dev_of(dev)));
}
static DEVICE_ATTR_RO(gigantic_pages);

static ssize_t online_requested_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  kmm_online_name(kmm_dev_of(dev)->online));
}
static DEVICE_ATTR_RO(online_requested);

enum kmm_zone_count { KMM_MOVABLE, KMM_NORMAL, KMM_OFFLINE };

static ssize_t kmm_show_zone(struct device *dev, char *buf,
			     enum kmm_zone_count which)
{
	unsigned long n[3];

	kmm_count_zones(kmm_dev_of(dev), &n[KMM_MOVABLE], &n[KMM_NORMAL],
			&n[KMM_OFFLINE]);
	return sysfs_emit(buf, "%lu\n", n[which]);
}

static ssize_t online_movable_blocks_show(struct device *dev,
					  struct device_attribute *attr,
					  char *buf)
{
	return kmm_show_zone(dev, buf, KMM_MOVABLE);
}
static DEVICE_ATTR_RO(online_movable_blocks);

static ssize_t online_normal_blocks_show(struct device *dev,
					 struct device_attribute *attr,
					 char *buf)
{
	return kmm_show_zone(dev, buf, KMM_NORMAL);
}
static DEVICE_ATTR_RO(online_normal_blocks);

static ssize_t offline_blocks_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return kmm_show_zone(dev, buf, KMM_OFFLINE);
}
static DEVICE_ATTR_RO(offline_blocks);

static ssize_t kmm_show_onlined(struct device *dev, char *buf, bool by_user)
{
	unsigned long by_kernel, by_userspace;

	kmm_count_onlined(kmm_dev_of(dev), &by_kernel, &by_userspace);
	return sysfs_emit(buf, "%lu\n", by_user ? by_userspace : by_kernel);
}

static ssize_t onlined_by_kernel_blocks_show(struct device *dev,
					     struct device_attribute *attr,
					     char *buf)
{
	return kmm_show_onlined(dev, buf, false);
}
static DEVICE_ATTR_RO(onlined_by_kernel_blocks);

static ssize_t onlined_by_userspace_blocks_show(struct device *dev,
						struct device_attribute *attr,
						char *buf)
{
	return kmm_show_onlined(dev, buf, true);
}
static DEVICE_ATTR_RO(onlined_by_userspace_blocks);

static ssize_t refused_onlines_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", kmm_refused_onlines(kmm_dev_of(dev)));
}
static DEVICE_ATTR_RO(refused_onlines);

static ssize_t tables_first_blocks_show(struct device *dev,
					struct device_attribute *attr,
					char *buf)
{
	return sysfs_emit(buf, "%lu\n", kmm_dev_of(dev)->nr_first);
}
static DEVICE_ATTR_RO(tables_first_blocks);

static ssize_t memmap_tables_in_device_show(struct device *dev,
					    struct device_attribute *attr,
					    char *buf)
{
	return sysfs_emit(buf, "%lu\n", kmm_tables_in_device(kmm_dev_of(dev)));
}
static DEVICE_ATTR_RO(memmap_tables_in_device);

static ssize_t online_request_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", kmm_online_request(kmm_dev_of(dev)));
}
static DEVICE_ATTR_RO(online_request);

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  kmm_dev_of(dev)->degraded ? "degraded" : "ok");
}
static DEVICE_ATTR_RO(state);

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
	&dev_attr_memmap_hotplug_blocks.attr,
	&dev_attr_memmap_device_bytes.attr,
	&dev_attr_memmap_ram_bytes.attr,
	&dev_attr_memmap_hotplug_bytes.attr,
	&dev_attr_memmap_fallback_reason.attr,
	&dev_attr_memmap_policy.attr,
	&dev_attr_memmap_policy_reason.attr,
	&dev_attr_gigantic_pages.attr,
	&dev_attr_online_requested.attr,
	&dev_attr_online_movable_blocks.attr,
	&dev_attr_online_normal_blocks.attr,
	&dev_attr_offline_blocks.attr,
	&dev_attr_online_request.attr,
	&dev_attr_onlined_by_kernel_blocks.attr,
	&dev_attr_onlined_by_userspace_blocks.attr,
	&dev_attr_refused_onlines.attr,
	&dev_attr_tables_first_blocks.attr,
	&dev_attr_memmap_tables_in_device.attr,
	&dev_attr_state.attr,
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
