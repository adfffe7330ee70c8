// SPDX-License-Identifier: GPL-2.0-only
/*
 * A device's memory in memory blocks: its ranges as kmem_mom adds them
 * (each trimmed to whole blocks), the state and zone of every block, and
 * its node's totals.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <daxctl/libdaxctl.h>
#include "kmem-mom.h"

#define SZ_1G 0x40000000ULL
#define KMM_BLOCK "/sys/devices/system/memory/memory%llu"

static void add_range(struct kmm_ranges *rs, uint64_t start, uint64_t size,
		      uint64_t bs)
{
	uint64_t s = (start + bs - 1) / bs * bs, e = (start + size) / bs * bs;
	struct kmm_range *r;

	if (e <= s)
		return;
	if (rs->nr == rs->alloc) {
		r = reallocarray(rs->r, rs->alloc ? rs->alloc * 2 : 8,
				 sizeof(*r));
		if (!r)
			kmm_oom();
		rs->r = r;
		rs->alloc = rs->alloc ? rs->alloc * 2 : 8;
	}
	rs->r[rs->nr].start = s;
	rs->r[rs->nr].end = e;
	rs->nr++;
	rs->blocks += (e - s) / bs;
}

/*
 * The device's ranges (every mapping, else its one resource), as libdaxctl
 * reads them; root only.  -1 where the kernel did not let us read them;
 * else kmm_ranges_free() them.
 */
int kmm_dev_ranges(struct daxctl_dev *dev, struct kmm_ranges *out)
{
	struct daxctl_mapping *m;
	uint64_t bs = kmm_block_size(), res;
	bool mapped = false;

	memset(out, 0, sizeof(*out));
	if (!bs)
		return -1;
	daxctl_mapping_foreach(dev, m) {
		add_range(out, daxctl_mapping_get_start(m),
			  daxctl_mapping_get_size(m), bs);
		mapped = true;
	}
	if (mapped)
		return 0;
	res = daxctl_dev_get_resource(dev);
	if (!res || res == (uint64_t)-1)
		return -1;
	add_range(out, res, daxctl_dev_get_size(dev), bs);
	return 0;
}

void kmm_ranges_free(struct kmm_ranges *rs)
{
	free(rs->r);
	memset(rs, 0, sizeof(*rs));
}

/* Every block of @rs: online in ZONE_MOVABLE, in a kernel zone, offline. */
void kmm_count_zones(const struct kmm_ranges *rs, struct kmm_zones *z)
{
	uint64_t bs = kmm_block_size(), a;
	char state[32], zone[64];
	size_t i;
	int rc;

	memset(z, 0, sizeof(*z));
	for (i = 0; i < rs->nr; i++) {
		for (a = rs->r[i].start; a < rs->r[i].end; a += bs) {
			unsigned long long id = a / bs;

			rc = kmm_read_str(state, sizeof(state),
					  KMM_BLOCK "/state", id);
			if (rc == -ENOENT)
				z->absent++;
			if (rc)
				continue;
			if (strcmp(state, "online")) {
				z->offline++;
				continue;
			}
			/* An online block's valid_zones is the zone it is in. */
			if (kmm_read_str(zone, sizeof(zone),
					 KMM_BLOCK "/valid_zones", id))
				continue;
			if (!strcmp(zone, "Movable"))
				z->movable++;
			else
				z->normal++;
		}
	}
}

/* 1 GiB-aligned windows wholly inside the ranges. */
uint64_t kmm_gigantic_windows(const struct kmm_ranges *rs)
{
	uint64_t n = 0, s, e;
	size_t i;

	for (i = 0; i < rs->nr; i++) {
		s = (rs->r[i].start + SZ_1G - 1) / SZ_1G * SZ_1G;
		e = rs->r[i].end / SZ_1G * SZ_1G;
		if (e > s)
			n += (e - s) / SZ_1G;
	}
	return n;
}

/*
 * Of those windows, the ones a memmap on the device spoils: a block's
 * memmap sits at its start, so every window that holds the start of a
 * block (all of them with blocks of 1 GiB or less, every other one with
 * 2 GiB blocks).
 */
uint64_t kmm_gigantic_windows_spoiled(const struct kmm_ranges *rs)
{
	uint64_t n = 0, bs = kmm_block_size(), w, a, s, e;
	size_t i;

	if (!bs)
		return 0;
	for (i = 0; i < rs->nr; i++) {
		s = rs->r[i].start;
		e = rs->r[i].end;
		for (w = (s + SZ_1G - 1) / SZ_1G * SZ_1G; w + SZ_1G <= e;
		     w += SZ_1G) {
			/* The first block starting at or after w. */
			a = s + (w - s + bs - 1) / bs * bs;
			n += a < w + SZ_1G;
		}
	}
	return n;
}

/* MemTotal and MemFree of nodeN/meminfo ("Node 1 MemTotal:  1048576 kB"). */
static void add_node_meminfo(const struct kmm_ctx *ctx, struct json_object *j,
			     int node)
{
	static const char *const keys[][2] = {
		{ "MemTotal:", "memtotal" },
		{ "MemFree:", "memfree" },
	};
	char path[96], line[256], k[64];
	unsigned long long kb;
	int nid;
	size_t i;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo",
		 node);
	f = kmm_fopen(path);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %d %63s %llu", &nid, k, &kb) != 3)
			continue;
		for (i = 0; i < ARRAY_SIZE(keys); i++)
			if (!strcmp(k, keys[i][0]))
				kmm_add_size(ctx, j, keys[i][1], kb * 1024);
	}
	kmm_fclose(f, path);
}

/* Pages present and managed over the node's zones, from /proc/zoneinfo. */
static int node_pages(int node, uint64_t *present, uint64_t *managed)
{
	static const char *path = "/proc/zoneinfo";
	unsigned long long v;
	char line[256], zone[32];
	bool cur = false;
	int nid;
	FILE *f;

	f = kmm_fopen(path);
	if (!f)
		return -1;
	*present = *managed = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %d, zone %31s", &nid, zone) == 2)
			cur = nid == node;
		else if (cur && sscanf(line, " present %llu", &v) == 1)
			*present += v;
		else if (cur && sscanf(line, " managed %llu", &v) == 1)
			*managed += v;
	}
	return kmm_fclose(f, path);
}

struct json_object *kmm_node_json(const struct kmm_ctx *ctx, int node)
{
	struct json_object *j = kmm_obj();
	uint64_t present, managed;
	int adist;

	kmm_add_int(j, "node", node);
	add_node_meminfo(ctx, j, node);
	if (!node_pages(node, &present, &managed)) {
		kmm_add_int(j, "present_pages", (int64_t)present);
		kmm_add_int(j, "managed_pages", (int64_t)managed);
	}
	adist = kmm_node_adistance(node);
	if (adist >= 0)
		kmm_add_int(j, "adistance", adist);
	return j;
}
