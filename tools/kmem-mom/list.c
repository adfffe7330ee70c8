// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmem-mom list [-d daxX.Y]: every dax device, where its memory comes from,
 * and, once it is System RAM, where each block and its memmap went.
 */
#include <getopt.h>
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

/* kmem_mom/ranges: one "start-end" line per range added. */
static struct json_object *mom_ranges(const char *devname)
{
	struct json_object *j = json_object_new_array();
	unsigned long long s, e;
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), KMM_DAX_DEVICES "/%s/kmem_mom/ranges",
		 devname);
	f = fopen(path, "re");
	if (!f)
		return j;
	while (fscanf(f, "%llx-%llx", &s, &e) == 2) {
		char buf[48];

		snprintf(buf, sizeof(buf), "%#llx-%#llx", s, e);
		json_object_array_add(j, json_object_new_string(buf));
	}
	fclose(f);
	return j;
}

/* Every fact the module exposes; files an older module lacks are left out. */
static struct json_object *mom_json(const struct kmm_ctx *ctx,
				    const char *devname)
{
	struct json_object *j = json_object_new_object();
	char dir[256];

	snprintf(dir, sizeof(dir), KMM_DAX_DEVICES "/%s/kmem_mom", devname);
	kmm_add_files(ctx, j, KMM_STRING, dir, mom_strings,
		      ARRAY_SIZE(mom_strings));
	kmm_add_files(ctx, j, KMM_NUMBER, dir, mom_counts,
		      ARRAY_SIZE(mom_counts));
	kmm_add_files(ctx, j, KMM_SIZE, dir, mom_sizes, ARRAY_SIZE(mom_sizes));
	json_object_object_add(j, "ranges", mom_ranges(devname));
	return j;
}

/* The blocks of a device in System RAM, as the memory map says. */
static struct json_object *memory_json(const struct kmm_ctx *ctx,
				       struct daxctl_dev *dev)
{
	struct json_object *j = json_object_new_object();
	struct kmm_ranges rs;
	struct kmm_zones z;

	kmm_add_size(ctx, j, "block_size", kmm_block_size());
	if (kmm_dev_ranges(dev, &rs))
		return j;
	kmm_count_zones(&rs, &z);
	kmm_add_int(j, "blocks", (int64_t)rs.blocks);
	kmm_add_int(j, "movable_blocks", (int64_t)z.movable);
	kmm_add_int(j, "normal_blocks", (int64_t)z.normal);
	kmm_add_int(j, "offline_blocks", (int64_t)z.offline);
	kmm_add_int(j, "absent_blocks", (int64_t)z.absent);
	return j;
}

static struct json_object *dev_json(const struct kmm_ctx *ctx,
				    struct daxctl_dev *dev)
{
	const char *name = daxctl_dev_get_devname(dev);
	struct json_object *j = json_object_new_object(), *src;
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
		json_object_object_add(j, "source", src);
	if (node >= 0)
		json_object_object_add(j, "node", kmm_node_json(ctx, node));
	if (daxctl_dev_get_memory(dev))
		json_object_object_add(j, "memory", memory_json(ctx, dev));
	if (drv && !strcmp(drv, "kmem_mom"))
		json_object_object_add(j, "kmem_mom", mom_json(ctx, name));
	if (kmm_mom_loaded() &&
	    !kmm_read_u64(&v, KMM_MOM_DRIVER "/memmap_ram_headroom_bytes"))
		kmm_add_size(ctx, j, "dram_headroom", v);
	return j;
}

int cmd_list(struct kmm_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "human", no_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *arr;
	struct daxctl_region *region;
	struct daxctl_dev *dev;
	const char *only = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "d:uv", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			only = optarg;
			break;
		case 'u':
			ctx->human = true;
			break;
		case 'v':
			break;
		default:
			return KMM_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		kmm_err("list: unexpected argument '%s'", argv[optind]);
		return KMM_EXIT_USAGE;
	}
	rc = kmm_need_root("list");
	if (rc)
		return rc;
	if (only) {
		rc = kmm_find_dev(ctx, only, &dev);
		if (rc)
			return rc;
	}
	arr = json_object_new_array();
	daxctl_region_foreach(ctx->dax, region)
		daxctl_dev_foreach(region, dev) {
			if (only && strcmp(daxctl_dev_get_devname(dev), only))
				continue;
			/* A region's unused seed device, as daxctl hides it. */
			if (!only && !daxctl_dev_get_size(dev))
				continue;
			json_object_array_add(arr, dev_json(ctx, dev));
		}
	kmm_print(arr);
	json_object_put(arr);
	return KMM_EXIT_OK;
}
