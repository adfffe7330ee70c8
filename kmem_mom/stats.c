// SPDX-License-Identifier: GPL-2.0-only
/*
 * Module-wide counters, in /sys/bus/dax/drivers/kmem/kmem_mom/.  Per-device
 * attributes vanish with the binding; these do not, so a test (or an
 * administrator) can check that everything kmem_mom added was given back.
 * Documented in Documentation/ABI.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/nodemask.h>
#include <linux/sysfs.h>
#include <kmem_mom/kmem_mom.h>

atomic_long_t kmm_nr_devices;
atomic_long_t kmm_nr_blocks;
atomic_long_t kmm_nr_stranded_blocks;

static ssize_t devices_show(struct device_driver *drv, char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&kmm_nr_devices));
}
static DRIVER_ATTR_RO(devices);

static ssize_t blocks_show(struct device_driver *drv, char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&kmm_nr_blocks));
}
static DRIVER_ATTR_RO(blocks);

static ssize_t stranded_blocks_show(struct device_driver *drv, char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&kmm_nr_stranded_blocks));
}
static DRIVER_ATTR_RO(stranded_blocks);

/* memmap_ram_budget in bytes, and what bound devices have charged to it. */
static ssize_t memmap_ram_budget_bytes_show(struct device_driver *drv,
					    char *buf)
{
	return sysfs_emit(buf, "%llu\n", kmm_budget_limit());
}
static DRIVER_ATTR_RO(memmap_ram_budget_bytes);

static ssize_t memmap_ram_charged_bytes_show(struct device_driver *drv,
					     char *buf)
{
	return sysfs_emit(buf, "%llu\n", kmm_budget_charged());
}
static DRIVER_ATTR_RO(memmap_ram_charged_bytes);

/*
 * What kmem-mom plan needs to predict a bind without making one: the RAM
 * check's answer now, the memmap of one block, and the speed input of
 * memmap_on_memory=auto for every node, each from the code that binds.
 */
static ssize_t memmap_ram_headroom_bytes_show(struct device_driver *drv,
					      char *buf)
{
	return sysfs_emit(buf, "%llu\n", kmm_ram_headroom());
}
static DRIVER_ATTR_RO(memmap_ram_headroom_bytes);

static ssize_t block_memmap_bytes_show(struct device_driver *drv, char *buf)
{
	return sysfs_emit(buf, "%llu\n", kmm_block_memmap_bytes());
}
static DRIVER_ATTR_RO(block_memmap_bytes);

/* 1 where a block with its memmap on it cannot be given back (arm64 7.x). */
static ssize_t memmap_kept_on_device_show(struct device_driver *drv, char *buf)
{
	return sysfs_emit(buf, "%d\n", kmm_mhp_keeps_memmap_on_device());
}
static DRIVER_ATTR_RO(memmap_kept_on_device);

/* One field per node id, as in /sys/devices/system/node/nodeN/distance. */
static ssize_t node_adistance_show(struct device_driver *drv, char *buf)
{
	const char *source;
	int nid, adist, len = 0;

	for (nid = 0; nid < nr_node_ids; nid++) {
		if (kmm_media_adistance(nid, &adist, &source))
			len += sysfs_emit_at(buf, len, "%s-", nid ? " " : "");
		else
			len += sysfs_emit_at(buf, len, "%s%d", nid ? " " : "",
					     adist);
	}
	return len + sysfs_emit_at(buf, len, "\n");
}
static DRIVER_ATTR_RO(node_adistance);

static struct attribute *kmm_drv_attrs[] = {
	&driver_attr_devices.attr,
	&driver_attr_blocks.attr,
	&driver_attr_stranded_blocks.attr,
	&driver_attr_memmap_ram_budget_bytes.attr,
	&driver_attr_memmap_ram_charged_bytes.attr,
	&driver_attr_memmap_ram_headroom_bytes.attr,
	&driver_attr_block_memmap_bytes.attr,
	&driver_attr_memmap_kept_on_device.attr,
	&driver_attr_node_adistance.attr,
	NULL,
};

static const struct attribute_group kmm_drv_group = {
	.name = "kmem_mom",
	.attrs = kmm_drv_attrs,
};

const struct attribute_group *kmm_drv_groups[] = {
	&kmm_drv_group,
	NULL,
};
