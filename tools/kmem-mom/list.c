// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmem-mom list [-d daxX.Y]: every dax device, where its memory comes from,
 * and, once it is System RAM, where each block and its memmap went.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <daxctl/libdaxctl.h>
#include "kmem-mom.h"

/* kmem_mom's per-device attributes, by what they hold. */
static const char *const mom_strings[] = {
	"memmap_policy",
	"memmap_policy_reason",
	"memmap_requested",
	"memmap_fallback_reason",
	"online_requested",
	"online_request",
	"state",
};

static const char *const mom_counts[] = {
	"memmap_device_blocks",
	"memmap_ram_blocks",
	"memmap_hotplug_blocks",
	"online_movable_blocks",
	"online_normal_blocks",
	"offline_blocks",
	"gigantic_pages",
	"onlined_by_kernel_blocks",
	"onlined_by_userspace_blocks",
	"refused_onlines",
	"tables_first_blocks",
	"memmap_tables_in_device",
};

static const char *const mom_sizes[] = {
	"memmap_device_bytes",
	"memmap_ram_bytes",
	"memmap_hotplug_bytes",
};

/*
 * kmem_mom/ranges: one "start-end" line per range added.  Root's only:
 * left out for others, as an unreadable file is.
 */
static void add_mom_ranges(struct json_object *obj, const char *devname)
{
	struct json_object *j;
	unsigned long long s, e;
	char path[256], buf[48];
	FILE *f;

	snprintf(path, sizeof(path), KMM_DAX_DEVICES "/%s/kmem_mom/ranges",
		 devname);
	f = kmm_fopen(path);
	if (!f)
		return;
	j = kmm_arr();
	while (fscanf(f, "%llx-%llx", &s, &e) == 2) {
		snprintf(buf, sizeof(buf), "%#llx-%#llx", s, e);
		kmm_push(j, json_object_new_string(buf));
	}
	if (kmm_fclose(f, path))
		json_object_put(j);
	else
		kmm_add(obj, "ranges", j);
}

/* Every fact the module exposes; files an older module lacks are left out. */
static struct json_object *mom_json(const struct kmm_ctx *ctx,
				    const char *devname)
{
	struct json_object *j = kmm_obj();
	char dir[256];

	snprintf(dir, sizeof(dir), KMM_DAX_DEVICES "/%s/kmem_mom", devname);
	kmm_add_files(ctx, j, KMM_STRING, dir, mom_strings,
		      ARRAY_SIZE(mom_strings));
	kmm_add_files(ctx, j, KMM_NUMBER, dir, mom_counts,
		      ARRAY_SIZE(mom_counts));
	kmm_add_files(ctx, j, KMM_SIZE, dir, mom_sizes, ARRAY_SIZE(mom_sizes));
	add_mom_ranges(j, devname);
	return j;
}

/*
 * The blocks of a device in System RAM, found by its physical ranges (root
 * only).  daxctl's facts under daxctl's names in the device's object: the
 * blocks added and those online, and "movable" where all are online (true
 * if all are in ZONE_MOVABLE); in "memory", kmem-mom's own: the zones, and
 * the blocks of the ranges that are not added.  daxctl counts from the
 * first range's start over the size; kmem-mom over each range.
 */
static void add_memory(const struct kmm_ctx *ctx, struct json_object *dev_j,
		       struct daxctl_dev *dev)
{
	struct json_object *j;
	struct kmm_ranges rs;
	struct kmm_zones z;
	uint64_t online;

	if (!ctx->root || kmm_dev_ranges(dev, &rs))
		return;
	kmm_count_zones(&rs, &z);
	kmm_ranges_free(&rs);
	online = z.movable + z.normal;
	kmm_add_int(dev_j, "online_memblocks", (int64_t)online);
	kmm_add_int(dev_j, "total_memblocks", (int64_t)(online + z.offline));
	if (!z.offline)
		kmm_add_bool(dev_j, "movable", online && !z.normal);
	j = kmm_obj();
	kmm_add_size(ctx, j, "block_size", kmm_block_size());
	kmm_add_int(j, "movable_blocks", (int64_t)z.movable);
	kmm_add_int(j, "normal_blocks", (int64_t)z.normal);
	kmm_add_int(j, "offline_blocks", (int64_t)z.offline);
	kmm_add_int(j, "absent_blocks", (int64_t)z.absent);
	kmm_add(dev_j, "memory", j);
}

/* daxctl list's facts first, under its names; then kmem-mom's own. */
static struct json_object *dev_json(const struct kmm_ctx *ctx,
				    struct daxctl_dev *dev)
{
	const char *name = daxctl_dev_get_devname(dev);
	struct json_object *j = kmm_obj(), *src;
	const char *drv;
	char dbuf[64], buf[64];
	bool persistent;
	uint64_t v;
	int node;

	kmm_add_str(j, "chardev", name);
	kmm_add_size(ctx, j, "size", daxctl_dev_get_size(dev));
	node = daxctl_dev_get_target_node(dev);
	if (node >= 0)
		kmm_add_int(j, "target_node", node);
	if (daxctl_dev_get_align(dev) > 0)
		kmm_add_size(ctx, j, "align", daxctl_dev_get_align(dev));
	kmm_add_str(j, "mode",
		    daxctl_dev_get_memory(dev) ? "system-ram" : "devdax");
	if (daxctl_dev_get_memory(dev))
		add_memory(ctx, j, dev);
	drv = kmm_dev_driver(name, dbuf, sizeof(dbuf));
	if (drv)
		kmm_add_str(j, "driver", drv);
	else
		kmm_add_str(j, "state", "disabled");
	/* The in-tree kmem's own per-device knob (6.9+). */
	if (!kmm_read_str(buf, sizeof(buf),
			  KMM_DAX_DEVICES "/%s/memmap_on_memory", name))
		kmm_add_bool(j, "kernel_memmap_on_memory",
			     buf[0] == '1' || buf[0] == 'Y' || buf[0] == 'y');
	src = kmm_source_json(ctx, dev, &persistent);
	if (src)
		kmm_add(j, "source", src);
	if (node >= 0)
		kmm_add(j, "node", kmm_node_json(ctx, node));
	if (drv && !strcmp(drv, "kmem_mom"))
		kmm_add(j, "kmem_mom", mom_json(ctx, name));
	if (kmm_mom_loaded() &&
	    !kmm_read_u64(&v, KMM_MOM_DRIVER "/memmap_ram_headroom_bytes"))
		kmm_add_size(ctx, j, "dram_headroom", v);
	return j;
}

/*
 * Unprivileged, as daxctl list: what needs root (the blocks, found by
 * physical ranges, and kmem_mom's ranges) is left out.
 */
int cmd_list(struct kmm_ctx *ctx, int argc, char **argv)
{
	struct json_object *arr;
	struct daxctl_region *region;
	struct daxctl_dev *dev;
	int rc;

	if (argc) {
		kmm_err("list: unexpected argument '%s'", argv[0]);
		return KMM_EXIT_USAGE;
	}
	if (ctx->dev) {
		rc = kmm_find_dev(ctx, ctx->dev, &dev);
		if (rc)
			return rc;
	}
	arr = kmm_arr();
	daxctl_region_foreach(ctx->dax, region)
		daxctl_dev_foreach(region, dev) {
			if (ctx->dev &&
			    strcmp(daxctl_dev_get_devname(dev), ctx->dev))
				continue;
			/* A region's unused seed device, as daxctl hides it. */
			if (!ctx->dev && !daxctl_dev_get_size(dev))
				continue;
			kmm_push(arr, dev_json(ctx, dev));
		}
	kmm_print(arr);
	json_object_put(arr);
	return KMM_EXIT_OK;
}
