// SPDX-License-Identifier: GPL-2.0-only
/*
 * A device's memory in memory blocks: its ranges as kmem_mom adds them
 * (each trimmed to whole blocks), the state and zone of every block, and
 * its node's totals.
 */
#include <stdio.h>
#include <string.h>
#include <daxctl/libdaxctl.h>
#include "kmem-mom.h"

#define SZ_1G 0x40000000ULL
#define KMM_BLOCK "/sys/devices/system/memory/memory%llu"

static void add_range(struct kmm_ranges *rs, uint64_t start, uint64_t size,
		      uint64_t bs)
{
	uint64_t s = (start + bs - 1) / bs * bs, e = (start + size) / bs * bs;

	if (e <= s || rs->nr == KMM_MAX_RANGES)
		return;
	rs->r[rs->nr].start = s;
	rs->r[rs->nr].end = e;
	rs->nr++;
	rs->blocks += (e - s) / bs;
}

/*
 * The device's ranges (its mappings, else its one resource), as libdaxctl
 * reads them; root only.  -1 where the kernel did not let us read them.
 */
int kmm_dev_ranges(struct daxctl_dev *dev, struct kmm_ranges *out)
{
	struct daxctl_mapping *m;
	uint64_t bs = kmm_block_size(), res;

	memset(out, 0, sizeof(*out));
	if (!bs)
		return -1;
	daxctl_mapping_foreach(dev, m)
		add_range(out, daxctl_mapping_get_start(m),
			  daxctl_mapping_get_size(m), bs);
	if (out->nr)
		return 0;
	res = daxctl_dev_get_resource(dev);
	if (!res || res == (uint64_t)-1)
		return -1;
	add_range(out, res, daxctl_dev_get_size(dev), bs);
	return 0;
}

/* Every block of @rs: online in ZONE_MOVABLE, in a kernel zone, offline. */
void kmm_count_zones(const struct kmm_ranges *rs, struct kmm_zones *z)
{
	uint64_t bs = kmm_block_size(), a;
	char state[32], zone[64];
	int i;

	memset(z, 0, sizeof(*z));
	for (i = 0; i < rs->nr; i++) {
		for (a = rs->r[i].start; a < rs->r[i].end; a += bs) {
			unsigned long long id = a / bs;

			if (kmm_read_str(state, sizeof(state),
					 KMM_BLOCK "/state", id)) {
				z->absent++;
				continue;
			}
			if (strcmp(state, "online")) {
				z->offline++;
				continue;
			}
			/* An online block's valid_zones is the zone it is in. */
			if (!kmm_read_str(zone, sizeof(zone),
					  KMM_BLOCK "/valid_zones", id) &&
			    !strncmp(zone, "Movable", 7))
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
	int i;

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
	int i;

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

/* A field of nodeN/meminfo ("Node 1 MemTotal:  1048576 kB"), in bytes. */
static int node_meminfo(int node, const char *key, uint64_t *bytes)
{
	char path[96], line[256], k[64];
	unsigned long long kb;
	int nid, rc = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo",
		 node);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Node %d %63s %llu", &nid, k, &kb) == 3 &&
		    !strncmp(k, key, strlen(key)) && k[strlen(key)] == ':') {
			*bytes = kb * 1024;
			rc = 0;
			break;
		}
	fclose(f);
	return rc;
}

/* Pages present and managed over the node's zones, from /proc/zoneinfo. */
static int node_pages(int node, uint64_t *present, uint64_t *managed)
{
	unsigned long long v;
	char line[256], zone[32];
	bool cur = false;
	int nid;
	FILE *f;

	f = fopen("/proc/zoneinfo", "re");
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
	fclose(f);
	return 0;
}

struct json_object *kmm_node_json(const struct kmm_ctx *ctx, int node)
{
	struct json_object *j = json_object_new_object();
	uint64_t v, present, managed;
	int adist;

	kmm_add_int(j, "node", node);
	if (!node_meminfo(node, "MemTotal", &v))
		kmm_add_size(ctx, j, "memtotal", v);
	if (!node_meminfo(node, "MemFree", &v))
		kmm_add_size(ctx, j, "memfree", v);
	if (!node_pages(node, &present, &managed)) {
		kmm_add_int(j, "present_pages", (int64_t)present);
		kmm_add_int(j, "managed_pages", (int64_t)managed);
	}
	adist = kmm_node_adistance(node);
	if (adist >= 0)
		kmm_add_int(j, "adistance", adist);
	return j;
}
