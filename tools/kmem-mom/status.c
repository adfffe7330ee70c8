// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmem-mom status: kmem_mom's parameters and counters, the kernel's memory
 * hotplug settings, and every problem found, each with its fix.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <daxctl/libdaxctl.h>
#include "kmem-mom.h"

/* Each problem: what is wrong (a format) and its fix. */
#define BOOT_PARAM_WHAT \
	"memory_hotplug.memmap_on_memory is %s: no memmap can go on a device, every memmap takes DRAM"
#define BOOT_PARAM_FIX \
	"add memory_hotplug.memmap_on_memory=1 to the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub) and reboot"
#define STRANDED_WHAT \
	"%llu memory block(s) were left online when their device was unbound"
#define STRANDED_FIX \
	"reboot: only a reboot gives them back (dmesg: \"cannot be hotremoved until the next reboot\")"
#define IN_TREE_WHAT \
	"%s is bound to the in-tree kmem although kmem_mom is installed"
#define IN_TREE_FIX \
	"daxctl reconfigure-device --mode=devdax --force %1$s; modprobe -r kmem; modprobe kmem_mom; daxctl reconfigure-device --mode=system-ram %1$s (update-initramfs -u if kmem is in the initramfs)"
#define DEGRADED_WHAT \
	"%s is degraded: a bind failed midway and left memory blocks it could not remove"
#define DEGRADED_FIX \
	"daxctl reconfigure-device --mode=devdax %s tries the removal again"
#define HELD_WHAT "%s has blocks held offline waiting for %s"
#define HELD_FIX \
	"/usr/lib/kmem_mom/kmem_mom-online-held %s (the udev rule runs it)"
#define NORMAL_WHAT \
	"%s has %llu memory block(s) online in ZONE_NORMAL: the kernel's own allocations there may keep it from being hot-removed"
#define NORMAL_FIX \
	"to be able to hot-remove it: daxctl reconfigure-device --mode=devdax --force %1$s, then bind it again with modprobe kmem_mom online=movable (or auto_online_blocks=online_movable)"
#define NOT_LOADED_WHAT "kmem_mom is not loaded%s"
#define NOT_INSTALLED " (nor installed: dkms install kmem_mom)"
#define NOT_ROOT_WARN \
	"not root: the blocks of devices bound to the in-tree kmem were not checked"

static const char *const params[] = {
	"memmap_on_memory",
	"memmap_ram_budget",
	"memmap_fallback",
	"online",
};

static const char *const counters[] = {
	"devices",
	"blocks",
	"stranded_blocks",
};

static const char *const sizes[] = {
	"memmap_ram_budget_bytes",
	"memmap_ram_charged_bytes",
	"memmap_ram_headroom_bytes",
	"block_memmap_bytes",
};

__printf(4, 5) static void add_problem(struct json_object *arr, const char *id,
				       const char *fix, const char *fmt, ...)
{
	struct json_object *p = kmm_obj();
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kmm_add_str(p, "id", id);
	kmm_add_str(p, "problem", buf);
	kmm_add_str(p, "fix", fix);
	fprintf(stderr, "kmem-mom: problem: %s; fix: %s\n", buf, fix);
	kmm_push(arr, p);
}

/* What status looks at once, not once per device. */
struct mom_state {
	bool loaded; /* kmem_mom is in the kernel */
	bool installed; /* modprobe would find it (libkmod) */
	bool root; /* the blocks of in-tree kmem devices can be read */
};

static struct json_object *module_json(const struct kmm_ctx *ctx,
				       const struct mom_state *st)
{
	struct json_object *j = kmm_obj(), *p;
	char buf[128];

	kmm_add_bool(j, "loaded", st->loaded);
	kmm_add_bool(j, "installed", st->installed);
	if (!st->loaded)
		return j;
	if (!kmm_read_str(buf, sizeof(buf), "/sys/module/kmem_mom/version"))
		kmm_add_str(j, "version", buf);
	p = kmm_obj();
	kmm_add_files(ctx, p, KMM_STRING, KMM_MOM_PARAMS, params,
		      ARRAY_SIZE(params));
	kmm_add(j, "parameters", p);
	kmm_add_files(ctx, j, KMM_NUMBER, KMM_MOM_DRIVER, counters,
		      ARRAY_SIZE(counters));
	kmm_add_files(ctx, j, KMM_SIZE, KMM_MOM_DRIVER, sizes,
		      ARRAY_SIZE(sizes));
	return j;
}

static struct json_object *kernel_json(const struct kmm_ctx *ctx,
				       struct json_object *problems)
{
	struct json_object *j = kmm_obj();
	char buf[64];
	bool on;

	on = kmm_boot_param_on(buf, sizeof(buf));
	kmm_add_str(j, "memmap_on_memory", buf[0] ? buf : "absent");
	if (!on)
		add_problem(problems, "boot-parameter-off", BOOT_PARAM_FIX,
			    BOOT_PARAM_WHAT, buf[0] ? buf : "absent");
	if (!kmm_read_str(buf, sizeof(buf),
			  "/sys/devices/system/memory/auto_online_blocks"))
		kmm_add_str(j, "auto_online_blocks", buf);
	kmm_add_size(ctx, j, "block_size", kmm_block_size());
	return j;
}

__printf(3, 4) static const
	char *fix(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return buf;
}

/* One of kmem_mom's attributes of device @name, "" if absent. */
static const char *mom_attr(char *buf, size_t len, const char *name,
			    const char *attr)
{
	if (kmm_read_str(buf, len, KMM_DAX_DEVICES "/%s/kmem_mom/%s", name,
			 attr))
		buf[0] = '\0';
	return buf;
}

/* Problems of one bound device. */
static void dev_problems(struct daxctl_dev *dev, const char *drv,
			 const struct mom_state *st,
			 struct json_object *problems)
{
	const char *name = daxctl_dev_get_devname(dev);
	char buf[64], fbuf[320];
	struct kmm_ranges rs;
	struct kmm_zones z;
	uint64_t normal = 0;

	if (!strcmp(drv, "kmem") && st->installed) {
		fix(fbuf, sizeof(fbuf), IN_TREE_FIX, name);
		add_problem(problems, "in-tree-kmem", fbuf, IN_TREE_WHAT, name);
	}
	if (!strcmp(drv, "kmem_mom")) {
		mom_attr(buf, sizeof(buf), name, "online_normal_blocks");
		normal = strtoull(buf, NULL, 10);
		mom_attr(buf, sizeof(buf), name, "state");
		if (!strcmp(buf, "degraded")) {
			fix(fbuf, sizeof(fbuf), DEGRADED_FIX, name);
			add_problem(problems, "degraded", fbuf, DEGRADED_WHAT,
				    name);
		}
		mom_attr(buf, sizeof(buf), name, "online_request");
		if (buf[0] && strcmp(buf, "none")) {
			fix(fbuf, sizeof(fbuf), HELD_FIX, name);
			add_problem(problems, "held-offline", fbuf, HELD_WHAT,
				    name, buf);
		}
	} else if (st->root && !kmm_dev_ranges(dev, &rs)) {
		kmm_count_zones(&rs, &z);
		kmm_ranges_free(&rs);
		normal = z.normal;
	}
	if (normal) {
		fix(fbuf, sizeof(fbuf), NORMAL_FIX, name);
		add_problem(problems, "zone-normal", fbuf, NORMAL_WHAT, name,
			    (unsigned long long)normal);
	}
}

int cmd_status(struct kmm_ctx *ctx, int argc, char **argv)
{
	struct json_object *j, *problems, *mod;
	struct daxctl_region *region;
	struct daxctl_dev *dev;
	struct mom_state st;
	char dbuf[64];
	const char *drv;
	uint64_t v;
	int n;

	if (argc) {
		kmm_err("status: unexpected argument '%s'", argv[0]);
		return KMM_EXIT_USAGE;
	}
	st.loaded = kmm_mom_loaded();
	st.installed = kmm_mom_installed();
	st.root = ctx->root;
	j = kmm_obj();
	problems = kmm_arr();
	mod = module_json(ctx, &st);
	kmm_add(j, "kmem_mom", mod);
	kmm_add(j, "kernel", kernel_json(ctx, problems));
	if (st.loaded && !kmm_read_u64(&v, KMM_MOM_DRIVER "/stranded_blocks") &&
	    v)
		add_problem(problems, "stranded", STRANDED_FIX, STRANDED_WHAT,
			    (unsigned long long)v);
	daxctl_region_foreach(ctx->dax, region)
		daxctl_dev_foreach(region, dev) {
			drv = kmm_dev_driver(daxctl_dev_get_devname(dev), dbuf,
					     sizeof(dbuf));
			if (drv)
				dev_problems(dev, drv, &st, problems);
		}
	if (!st.root)
		kmm_warn(NOT_ROOT_WARN);
	if (!st.loaded)
		add_problem(problems, "not-loaded", "modprobe kmem_mom",
			    NOT_LOADED_WHAT, st.installed ? "" : NOT_INSTALLED);
	kmm_add(j, "problems", problems);
	n = (int)json_object_array_length(problems);
	kmm_print(j);
	json_object_put(j);
	if (!st.loaded) {
		kmm_err("kmem_mom is not loaded (modprobe kmem_mom)");
		return KMM_EXIT_NOMODULE;
	}
	return n ? KMM_EXIT_NO : KMM_EXIT_OK;
}
