// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmem-mom plan daxX.Y: before a bind, what each memmap placement would
 * cost and whether kmem_mom would go through with it now.  The inputs come
 * from kmem_mom itself (the memmap of a block, its RAM check, its budget,
 * its speed input per node) so that the prediction is the module's own
 * rule applied to today's numbers, not a second opinion:
 *
 *   the kernel cannot place a memmap on the device   -> ram
 *   its memmap would overrun memmap_ram_budget       -> device
 *   the kernel could not give such a device back,
 *   and RAM has room                                 -> ram
 *   persistent or slow memory, and RAM has room      -> ram
 *   otherwise                                        -> device
 *
 * and a memmap meant for the device lands in RAM when the kernel was booted
 * without memory_hotplug.memmap_on_memory=1 (or the bind fails, with
 * memmap_fallback=0).  A memmap in RAM larger than the RAM check's headroom
 * is refused.  On arm64 every placement also costs the linear map's page
 * tables in DRAM.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <daxctl/libdaxctl.h>
#include "kmem-mom.h"

#define WHY_NO_FALLBACK \
	"the kernel was booted without memory_hotplug.memmap_on_memory=1 and memmap_fallback=0"
#define WHY_FALLBACK \
	"falls back to RAM: the kernel was booted without memory_hotplug.memmap_on_memory=1"
#define WHY_REFUSED \
	"refused by the RAM check: its memmap is larger than memmap_ram_headroom"

/* The first abstract distance below DRAM's tier (ABI: node_adistance). */
#define KMM_SLOW_ADISTANCE 640

struct plan_in {
	uint64_t blocks, block_size, block_memmap, memmap, gigantic, spoiled;
	uint64_t headroom, budget, charged, linear_map;
	bool boot_param, fallback, persistent, slow, kept;
	int adist;
};

struct outcome {
	const char *memmap; /* "device", "ram", or NULL: the bind fails */
	const char *why;
	bool fits; /* the RAM check would let it through */
};

/* Where a memmap asked for in @want really goes, and whether it fits. */
static struct outcome land(const struct plan_in *in, const char *want)
{
	struct outcome o = { .memmap = want, .fits = true };

	if (!strcmp(want, "device") && !in->boot_param) {
		if (!in->fallback) {
			o.memmap = NULL;
			o.why = WHY_NO_FALLBACK;
			return o;
		}
		o.memmap = "ram";
		o.why = WHY_FALLBACK;
	}
	if (!strcmp(o.memmap, "ram") && in->memmap > in->headroom) {
		o.fits = false;
		o.why = WHY_REFUSED;
	}
	return o;
}

static const char *auto_choice(const struct plan_in *in, const char **why)
{
	if (!in->boot_param && in->fallback) {
		*why = "the kernel cannot place it on the device";
		return "ram";
	}
	if (in->charged + in->memmap > in->budget) {
		*why = "over budget";
		return "device";
	}
	if (in->kept && in->headroom >= in->memmap) {
		*why = "the kernel could not give it back with its memmap on it";
		return "ram";
	}
	if (!in->persistent && !in->slow) {
		*why = "fast or unknown volatile memory";
		return "device";
	}
	if (in->headroom < in->memmap) {
		*why = "not enough free RAM";
		return "device";
	}
	*why = in->persistent ? "persistent memory" : "slow memory";
	return "ram";
}

static struct json_object *placement_json(const struct kmm_ctx *ctx,
					  const struct plan_in *in,
					  const char *want, bool *ok)
{
	struct json_object *j = kmm_obj();
	struct outcome o = land(in, want);
	uint64_t bytes = in->blocks * in->block_size;
	bool on_device = o.memmap && !strcmp(o.memmap, "device");

	kmm_add_str(j, "memmap", o.memmap ? o.memmap : "none: the bind fails");
	*ok = o.memmap && o.fits;
	kmm_add_bool(j, "ok", *ok);
	kmm_add_str(j, "why", o.why);
	if (!o.memmap)
		return j;
	kmm_add_size(ctx, j, "dram_cost",
		     in->linear_map + (on_device ? 0 : in->memmap));
	kmm_add_size(ctx, j, "capacity_cost", on_device ? in->memmap : 0);
	kmm_add_size(ctx, j, "system_ram_added",
		     on_device ? bytes - in->memmap : bytes);
	kmm_add_int(j, "gigantic_pages",
		    (int64_t)(in->gigantic - (on_device ? in->spoiled : 0)));
	kmm_add_int(j, "gigantic_pages_lost",
		    on_device ? (int64_t)in->spoiled : 0);
	return j;
}

/*
 * The linear map's page tables for @bytes hot-added.  arm64 maps hot-added
 * memory page by page where it may change the linear map's permissions
 * later: rodata=full (its default) or a KFENCE that may start late (Debian
 * builds it with a sample interval of 0), one 4 KiB table per 2 MiB.  x86
 * maps it with large pages: nothing worth counting.
 */
static uint64_t linear_map_bytes(uint64_t bytes)
{
	char cmd[4096], *tok, *save;
	bool full = true, kfence_now = false;
	struct utsname u;
	FILE *f;

	if (uname(&u) || strcmp(u.machine, "aarch64"))
		return 0;
	f = fopen("/proc/cmdline", "r");
	if (f && fgets(cmd, sizeof(cmd), f)) {
		for (tok = strtok_r(cmd, "\n ", &save); tok;
		     tok = strtok_r(NULL, "\n ", &save)) {
			if (!strncmp(tok, "rodata=", 7))
				full = !strcmp(tok + 7, "full");
			else if (!strncmp(tok, "kfence.sample_interval=", 23))
				kfence_now = strcmp(tok + 23, "0") != 0;
		}
	}
	if (f)
		fclose(f);
	return full || !kfence_now ? bytes / 512 : 0;
}

static int read_inputs(struct kmm_ctx *ctx, struct daxctl_dev *dev,
		       struct plan_in *in, struct json_object *j)
{
	char buf[64];
	struct kmm_ranges rs;
	struct json_object *src;
	uint64_t v;
	int node, rc;

	memset(in, 0, sizeof(*in));
	if (kmm_dev_ranges(dev, &rs)) {
		kmm_err("%s: cannot read its physical ranges",
			daxctl_dev_get_devname(dev));
		return KMM_EXIT_FAIL;
	}
	in->blocks = rs.blocks;
	in->block_size = kmm_block_size();
	in->gigantic = kmm_gigantic_windows(&rs);
	in->spoiled = kmm_gigantic_windows_spoiled(&rs);
	kmm_ranges_free(&rs);
	if (!in->blocks) {
		kmm_err("%s holds no whole memory block: a bind would have nothing to add",
			daxctl_dev_get_devname(dev));
		return KMM_EXIT_FAIL;
	}
	rc = kmm_read_u64(&in->block_memmap,
			  KMM_MOM_DRIVER "/block_memmap_bytes");
	if (!rc)
		rc = kmm_read_u64(&in->headroom,
				  KMM_MOM_DRIVER "/memmap_ram_headroom_bytes");
	if (!rc)
		rc = kmm_read_u64(&in->budget,
				  KMM_MOM_DRIVER "/memmap_ram_budget_bytes");
	if (!rc)
		rc = kmm_read_u64(&in->charged,
				  KMM_MOM_DRIVER "/memmap_ram_charged_bytes");
	if (rc == -ENOENT)
		kmm_err("this kmem_mom is too old for plan (no %s/block_memmap_bytes); update it",
			KMM_MOM_DRIVER);
	if (rc)
		return KMM_EXIT_FAIL;
	/* Older modules lack it: they never had the rule either. */
	if (kmm_read_u64(&v, KMM_MOM_DRIVER "/memmap_kept_on_device"))
		v = 0;
	in->kept = v == 1;
	in->memmap = in->blocks * in->block_memmap;
	in->linear_map = linear_map_bytes(in->blocks * in->block_size);
	in->boot_param = kmm_boot_param_on(buf, sizeof(buf));
	in->fallback = !kmm_read_str(buf, sizeof(buf),
				     KMM_MOM_PARAMS "/memmap_fallback") &&
		       (buf[0] == '1' || buf[0] == 'Y');
	src = kmm_source_json(ctx, dev, &in->persistent);
	node = daxctl_dev_get_target_node(dev);
	in->adist = node >= 0 ? kmm_node_adistance(node) : -1;
	in->slow = in->adist >= KMM_SLOW_ADISTANCE;

	kmm_add_int(j, "blocks", (int64_t)in->blocks);
	kmm_add_size(ctx, j, "block_size", in->block_size);
	kmm_add_size(ctx, j, "memmap", in->memmap);
	kmm_add_size(ctx, j, "linear_map", in->linear_map);
	if (src)
		kmm_add(j, "source", src);
	kmm_add_bool(j, "persistent", in->persistent);
	if (in->adist >= 0)
		kmm_add_int(j, "adistance", in->adist);
	kmm_add_str(j, "speed",
		    in->adist < 0 ? "unknown" :
		    in->slow	  ? "slow" :
				    "fast");
	kmm_add_size(ctx, j, "memmap_ram_headroom", in->headroom);
	kmm_add_size(ctx, j, "memmap_ram_budget", in->budget);
	kmm_add_size(ctx, j, "memmap_ram_charged", in->charged);
	kmm_add_bool(j, "boot_memmap_on_memory", in->boot_param);
	kmm_add_bool(j, "memmap_fallback", in->fallback);
	kmm_add_bool(j, "memmap_kept_on_device", in->kept);
	return 0;
}

int cmd_plan(struct kmm_ctx *ctx, int argc, char **argv)
{
	struct json_object *j, *pl, *a;
	struct daxctl_dev *dev;
	const char *name, *drv, *choice, *why, *want;
	char dbuf[64], param[16];
	bool ok_dev, ok_ram, ok_auto, ok;
	struct plan_in in;
	int rc;

	if (argc != 1) {
		kmm_err("plan: name one dax device (kmem-mom plan daxX.Y)");
		return KMM_EXIT_USAGE;
	}
	name = argv[0];
	rc = kmm_need_root(ctx, "plan");
	if (rc)
		return rc;
	rc = kmm_find_dev(ctx, name, &dev);
	if (rc)
		return rc;
	if (!kmm_mom_loaded()) {
		kmm_err("kmem_mom is not loaded: plan applies its rules and reads its RAM check (modprobe kmem_mom)");
		return KMM_EXIT_NOMODULE;
	}
	drv = kmm_dev_driver(name, dbuf, sizeof(dbuf));
	if (drv && (!strcmp(drv, "kmem_mom") || !strcmp(drv, "kmem"))) {
		kmm_err("%s is System RAM already (driver %s): plan is for a device before its bind; kmem-mom list -d %s shows where it went",
			name, drv, name);
		return KMM_EXIT_FAIL;
	}
	if (kmm_read_str(param, sizeof(param),
			 KMM_MOM_PARAMS "/memmap_on_memory"))
		param[0] = '\0';

	j = kmm_obj();
	kmm_add_str(j, "chardev", name);
	rc = read_inputs(ctx, dev, &in, j);
	if (rc) {
		json_object_put(j);
		return rc;
	}
	pl = kmm_obj();
	kmm_add(pl, "device", placement_json(ctx, &in, "device", &ok_dev));
	kmm_add(pl, "ram", placement_json(ctx, &in, "ram", &ok_ram));
	choice = auto_choice(&in, &why);
	a = placement_json(ctx, &in, choice, &ok_auto);
	kmm_add(pl, "auto", a);
	kmm_add_str(a, "chooses", choice);
	kmm_add_str(a, "reason", why);
	kmm_add(j, "placements", pl);

	if (!strcmp(param, "1")) {
		want = "device";
		ok = ok_dev;
	} else if (!strcmp(param, "0")) {
		want = "ram";
		ok = ok_ram;
	} else {
		want = "auto";
		ok = ok_auto;
	}
	kmm_add_str(j, "memmap_on_memory", param);
	kmm_add_str(j, "now", want);
	kmm_add_bool(j, "would_succeed", ok);
	kmm_print(j);
	json_object_put(j);
	return ok ? KMM_EXIT_OK : KMM_EXIT_NO;
}
