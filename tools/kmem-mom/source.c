// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where a dax device's memory comes from: a CXL region (its root decoder,
 * the endpoint decoders in it and their memdevs), an NVDIMM region and
 * namespace, or a soft-reserved range claimed by hmem.  Each library names
 * the dax region it knows of; the device's own dax region is matched by its
 * sysfs path, which all of them agree on.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>
#include <cxl/libcxl.h>
#include <daxctl/libdaxctl.h>
#include <ndctl/libndctl.h>
#include "kmem-mom.h"

/*
 * libcxl 77 added cxl_region_get_daxctl_region(); with 76 (Debian 12) the
 * dax region of a CXL region is the one whose path ends in
 * ".../<root decoder>/<region>/dax_region<id>".
 */
static bool cxl_region_is(struct cxl_decoder *root, struct cxl_region *r,
			  const char *dax_path)
{
#ifdef KMM_HAVE_CXL_REGION_GET_DAXCTL_REGION
	struct daxctl_region *dr = cxl_region_get_daxctl_region(r);
	char *real;
	bool same;

	(void)root;
	/* libcxl's path goes through /sys/bus/cxl/devices; daxctl's is real. */
	real = dr ? realpath(daxctl_region_get_path(dr), NULL) : NULL;
	same = real && !strcmp(real, dax_path);
	free(real);
	return same;
#else
	char tail[256];

	snprintf(tail, sizeof(tail), "/%s/%s/dax_region",
		 cxl_decoder_get_devname(root), cxl_region_get_devname(r));
	return strstr(dax_path, tail);
#endif
}

static void add_uuid(struct json_object *j, const uuid_t id)
{
	char uu[40];

	if (uuid_is_null(id))
		return;
	uuid_unparse(id, uu);
	kmm_add_str(j, "uuid", uu);
}

/* One of libcxl's unsigned values; cxl-cli leaves out what is not known. */
static void add_cxl_uint(struct json_object *j, const char *key,
			 unsigned int val)
{
	if (val < INT_MAX)
		kmm_add_int(j, key, val);
}

/*
 * The region with cxl-cli's names (region, size, interleave_ways and
 * _granularity, and per position of "mappings" the memdev, with its serial
 * and host, and the endpoint decoder), its root decoder and uuid; a value
 * libcxl could not read is left out, as cxl-cli leaves it out.
 */
static struct json_object *cxl_json(const struct kmm_ctx *ctx,
				    struct cxl_decoder *root,
				    struct cxl_region *r)
{
	struct json_object *j = kmm_obj(), *maps;
	struct cxl_memdev_mapping *m;
	uint64_t size;
	uuid_t id;

	kmm_add_str(j, "type", "cxl");
	kmm_add_str(j, "region", cxl_region_get_devname(r));
	kmm_add_str(j, "root_decoder", cxl_decoder_get_devname(root));
	size = cxl_region_get_size(r);
	if (size != ULLONG_MAX)
		kmm_add_size(ctx, j, "size", size);
	add_cxl_uint(j, "interleave_ways", cxl_region_get_interleave_ways(r));
	add_cxl_uint(j, "interleave_granularity",
		     cxl_region_get_interleave_granularity(r));
	cxl_region_get_uuid(r, id);
	add_uuid(j, id);
	maps = kmm_arr();
	cxl_mapping_foreach(r, m) {
		struct cxl_decoder *d = cxl_mapping_get_decoder(m);
		struct cxl_memdev *md = d ? cxl_decoder_get_memdev(d) : NULL;
		struct json_object *jm = kmm_obj();
		unsigned long long serial;

		kmm_push(maps, jm);
		add_cxl_uint(jm, "position", cxl_mapping_get_position(m));
		if (md) {
			kmm_add_str(jm, "memdev", cxl_memdev_get_devname(md));
			/* cxl-cli's u64, a hex string with -u */
			serial = cxl_memdev_get_serial(md);
			if (serial != ULLONG_MAX)
				kmm_add(jm, "serial",
					kmm_json_hex(ctx, serial));
			kmm_add_str(jm, "host", cxl_memdev_get_host(md));
		}
		if (d)
			kmm_add_str(jm, "decoder", cxl_decoder_get_devname(d));
	}
	kmm_add(j, "mappings", maps);
	return j;
}

static struct json_object *cxl_source(const struct kmm_ctx *ctx,
				      const char *dax_path)
{
	struct cxl_decoder *root;
	struct cxl_region *r;
	struct cxl_port *port;
	struct cxl_bus *bus;

	if (!ctx->cxl)
		return NULL;
	cxl_bus_foreach(ctx->cxl, bus) {
		port = cxl_bus_get_port(bus);
		cxl_decoder_foreach(port, root)
			cxl_region_foreach(root, r)
				if (cxl_region_is(root, r, dax_path))
					return cxl_json(ctx, root, r);
	}
	return NULL;
}

static struct json_object *nvdimm_json(struct ndctl_bus *bus,
				       struct ndctl_region *region,
				       struct ndctl_dax *dax)
{
	struct ndctl_namespace *ns = ndctl_dax_get_namespace(dax);
	struct json_object *j = kmm_obj(), *dimms;
	struct ndctl_mapping *m;
	uuid_t id;

	kmm_add_str(j, "type", "nvdimm");
	kmm_add_str(j, "bus", ndctl_bus_get_devname(bus));
	kmm_add_str(j, "provider", ndctl_bus_get_provider(bus));
	kmm_add_str(j, "region", ndctl_region_get_devname(region));
	if (ns) {
		kmm_add_str(j, "namespace", ndctl_namespace_get_devname(ns));
		/* A labelled namespace is pmem; a label-less one is io. */
		kmm_add_str(j, "namespace_type",
			    ndctl_namespace_get_type_name(ns));
		kmm_add_bool(j, "labelled",
			     !strcmp(ndctl_namespace_get_type_name(ns),
				     "namespace_pmem"));
		ndctl_namespace_get_uuid(ns, id);
		add_uuid(j, id);
	}
	dimms = kmm_arr();
	ndctl_mapping_foreach(region, m) {
		struct ndctl_dimm *dimm = ndctl_mapping_get_dimm(m);
		const char *dname = dimm ? ndctl_dimm_get_devname(dimm) : NULL;

		if (dname)
			kmm_push(dimms, json_object_new_string(dname));
	}
	kmm_add(j, "dimms", dimms);
	return j;
}

static struct json_object *nvdimm_source(const struct kmm_ctx *ctx,
					 const char *dax_path)
{
	struct ndctl_region *region;
	struct daxctl_region *dr;
	struct ndctl_bus *bus;
	struct ndctl_dax *dax;

	if (!ctx->nd)
		return NULL;
	ndctl_bus_foreach(ctx->nd, bus)
		ndctl_region_foreach(bus, region)
			ndctl_dax_foreach(region, dax) {
				dr = ndctl_dax_get_daxctl_region(dax);
				if (dr && !strcmp(daxctl_region_get_path(dr),
						  dax_path))
					return nvdimm_json(bus, region, dax);
			}
	return NULL;
}

/* hmem claims soft-reserved ranges as platform devices hmem.N. */
static struct json_object *hmem_source(const char *dax_path)
{
	const char *p = strstr(dax_path, "/hmem.");
	struct json_object *j;
	char provider[32];

	if (!p)
		return NULL;
	snprintf(provider, sizeof(provider), "%.*s", (int)strcspn(p + 1, "/"),
		 p + 1);
	j = kmm_obj();
	kmm_add_str(j, "type", "soft-reserved");
	kmm_add_str(j, "provider", provider);
	return j;
}

struct json_object *kmm_source_json(const struct kmm_ctx *ctx,
				    struct daxctl_dev *dev, bool *persistent)
{
	const char *path = daxctl_region_get_path(daxctl_dev_get_region(dev));
	struct json_object *j;

	*persistent = false;
	if (!path)
		return NULL;
	j = cxl_source(ctx, path);
	if (j)
		return j;
	j = nvdimm_source(ctx, path);
	if (j) {
		*persistent = true;
		return j;
	}
	return hmem_source(path);
}
