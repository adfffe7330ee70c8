// SPDX-License-Identifier: GPL-2.0-only
/*
 * The speed of a memory node, read from the firmware's HMAT, for kernels
 * whose memory tiers cannot say (mt_calc_adistance() came in v6.7).  The
 * answer is an abstract distance computed as the memory tiers compute it:
 * DRAM's distance, times the node's latency over DRAM's, times DRAM's
 * bandwidth over the node's, reads and writes summed.  The figures are
 * the ones the memory tiers take from the CPUs' point of view (access
 * class 1): the attached initiator's, or else the best initiator's, figure
 * by figure.  DRAM is the memory of the first node with CPUs and memory
 * that the HMAT describes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/acpi.h>
#include <linux/math64.h>
#include <linux/memory-tiers.h>
#include <linux/nodemask.h>
#include <linux/overflow.h>
#include <acpi/actbl1.h>
#include <kmem_mom/kmem_mom.h>

/* Sanity bound on proximity domain lists: firmware tables can be wrong. */
#define KMM_HMAT_MAX_PDS 4096
/* Initiators with CPUs weighed for one target; more are left out. */
#define KMM_HMAT_MAX_INITIATORS 64

/*
 * The System Locality Latency and Bandwidth Information structure (ACPI
 * 6.3, 5.2.27.4), as ACPICA's struct acpi_hmat_locality with kernel-style
 * names; followed by the initiator and target proximity domain lists (u32
 * each) and the initiator-major matrix of u16 entries.
 */
struct kmm_hmat_locality {
	struct acpi_hmat_structure header;
	u8 flags;
	u8 data_type;
	u8 min_transfer_size;
	u8 reserved1;
	u32 nr_initiators;
	u32 nr_targets;
	u32 reserved2;
	u64 entry_base_unit;
} __packed;
static_assert(sizeof(struct kmm_hmat_locality) ==
	      sizeof(struct acpi_hmat_locality));

/* One entry per HMAT data type (access/read/write latency/bandwidth). */
struct kmm_hmat_perf {
	u64 val[ACPI_HMAT_WRITE_BANDWIDTH + 1];
};

static const u32 *kmm_hmat_initiators(const struct kmm_hmat_locality *loc)
{
	return (const u32 *)(loc + 1);
}

static const u32 *kmm_hmat_targets(const struct kmm_hmat_locality *loc)
{
	return kmm_hmat_initiators(loc) + loc->nr_initiators;
}

/*
 * The memory-hierarchy locality structure after @prev (NULL: the first)
 * whose lists and matrix fit in its length; NULL at the end of the table.
 */
static const struct kmm_hmat_locality *
kmm_hmat_next(const struct acpi_table_header *tbl,
	      const struct kmm_hmat_locality *prev)
{
	const u8 *end = (const u8 *)tbl + tbl->length;
	const u8 *p = prev ? (const u8 *)prev + prev->header.length :
			     (const u8 *)tbl + sizeof(struct acpi_table_hmat);

	for (; p + sizeof(struct acpi_hmat_structure) <= end;
	     p += ((const struct acpi_hmat_structure *)p)->length) {
		const struct kmm_hmat_locality *loc = (const void *)p;
		u64 ni, nt, need;

		if (loc->header.length < sizeof(struct acpi_hmat_structure) ||
		    p + loc->header.length > end)
			return NULL;
		if (loc->header.type != ACPI_HMAT_TYPE_LOCALITY ||
		    loc->header.length < sizeof(*loc))
			continue;
		ni = loc->nr_initiators;
		nt = loc->nr_targets;
		need = sizeof(*loc) + 4 * (ni + nt) + 2 * ni * nt;
		if (ni > KMM_HMAT_MAX_PDS || nt > KMM_HMAT_MAX_PDS ||
		    need > loc->header.length)
			continue;
		if ((loc->flags & ACPI_HMAT_MEMORY_HIERARCHY) !=
			    ACPI_HMAT_MEMORY ||
		    loc->data_type > ACPI_HMAT_WRITE_BANDWIDTH)
			continue;
		return loc;
	}
	return NULL;
}

static int kmm_hmat_index(const u32 *pds, u32 n, u32 pxm)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (pds[i] == pxm)
			return i;
	return -1;
}

/*
 * The (@ini, @tgt) entry of @loc in its base unit; 0 if there is none, or
 * if the product does not fit in 64 bits (a broken table).
 */
static u64 kmm_hmat_entry(const struct kmm_hmat_locality *loc, u32 ini, u32 tgt)
{
	u32 ni = loc->nr_initiators, nt = loc->nr_targets;
	const u16 *vals = (const u16 *)(kmm_hmat_targets(loc) + nt);
	int i = kmm_hmat_index(kmm_hmat_initiators(loc), ni, ini);
	int t = kmm_hmat_index(kmm_hmat_targets(loc), nt, tgt);
	u64 v;
	u16 e;

	if (i < 0 || t < 0)
		return 0;
	e = vals[i * nt + t];
	/* 0 and 0xffff both mean "not provided". */
	if (!e || e == U16_MAX)
		return 0;
	if (check_mul_overflow((u64)e, loc->entry_base_unit, &v))
		return 0;
	return v;
}

static bool kmm_hmat_is_latency(u8 data_type)
{
	return data_type <= ACPI_HMAT_WRITE_LATENCY;
}

/*
 * The HMAT's figure of @type (read or write, latency or bandwidth) from
 * @ini to @tgt, 0 if it has none; an "access" figure stands for both.
 */
static u64 kmm_hmat_value(const struct acpi_table_header *tbl, u32 ini, u32 tgt,
			  u8 type)
{
	u8 access = kmm_hmat_is_latency(type) ? ACPI_HMAT_ACCESS_LATENCY :
						ACPI_HMAT_ACCESS_BANDWIDTH;
	const struct kmm_hmat_locality *loc = NULL;
	u64 v, any = 0;

	while ((loc = kmm_hmat_next(tbl, loc))) {
		if (loc->data_type != type && loc->data_type != access)
			continue;
		v = kmm_hmat_entry(loc, ini, tgt);
		if (v && loc->data_type == type)
			return v;
		any = any ?: v;
	}
	return any;
}

/*
 * The initiator the Memory Proximity Domain Attributes structure of target
 * @tgt names as attached to it (HMAT revision 2+), if that node has CPUs.
 */
static bool kmm_hmat_attached(const struct acpi_table_header *tbl, u32 tgt,
			      u32 *ini)
{
	const u8 *end = (const u8 *)tbl + tbl->length;
	const u8 *p = (const u8 *)tbl + sizeof(struct acpi_table_hmat);
	const struct acpi_hmat_proximity_domain *pd;
	int nid;

	if (tbl->revision < 2)
		return false;
	for (; p + sizeof(struct acpi_hmat_structure) <= end;
	     p += ((const struct acpi_hmat_structure *)p)->length) {
		pd = (const void *)p;
		if (pd->header.length < sizeof(struct acpi_hmat_structure) ||
		    p + pd->header.length > end)
			return false;
		if (pd->header.type != ACPI_HMAT_TYPE_PROXIMITY ||
		    pd->header.length < sizeof(*pd) ||
		    !(pd->flags & ACPI_HMAT_PROCESSOR_PD_VALID) ||
		    pd->memory_PD != tgt)
			continue;
		nid = pxm_to_node(pd->processor_PD);
		if (nid == NUMA_NO_NODE || !node_state(nid, N_CPU))
			return false;
		*ini = pd->processor_PD;
		return true;
	}
	return false;
}

/* Initiators with CPUs that the HMAT's locality structures list, at most @max. */
static int kmm_hmat_cpu_initiators(const struct acpi_table_header *tbl,
				   u32 *ini, int max)
{
	const struct kmm_hmat_locality *loc = NULL;
	int n = 0, nid;
	u32 i, pd;

	while ((loc = kmm_hmat_next(tbl, loc))) {
		for (i = 0; i < loc->nr_initiators && n < max; i++) {
			pd = kmm_hmat_initiators(loc)[i];
			nid = pxm_to_node(pd);
			if (nid == NUMA_NO_NODE || !node_state(nid, N_CPU) ||
			    kmm_hmat_index(ini, n, pd) >= 0)
				continue;
			ini[n++] = pd;
		}
	}
	return n;
}

/*
 * The figures of target @tgt as the memory tiers see them from the CPUs
 * (6.7+'s hmat_update_target_attrs(), access class 1): from the initiator
 * attached to it, or else, figure by figure, the best value among the
 * initiators still in the running, each figure keeping only those that
 * reach its best.  False if the HMAT gives none.
 */
static bool kmm_hmat_best(const struct acpi_table_header *tbl, u32 tgt,
			  struct kmm_hmat_perf *perf)
{
	static const u8 order[] = {
		ACPI_HMAT_WRITE_LATENCY,
		ACPI_HMAT_READ_LATENCY,
		ACPI_HMAT_WRITE_BANDWIDTH,
		ACPI_HMAT_READ_BANDWIDTH,
	};
	u32 ini[KMM_HMAT_MAX_INITIATORS];
	u64 v[KMM_HMAT_MAX_INITIATORS], best;
	bool any = false;
	int n, i, k, t;

	if (kmm_hmat_attached(tbl, tgt, &ini[0]))
		n = 1;
	else
		n = kmm_hmat_cpu_initiators(tbl, ini, ARRAY_SIZE(ini));
	for (t = 0; t < ARRAY_SIZE(order); t++) {
		best = 0;
		for (i = 0; i < n; i++) {
			v[i] = kmm_hmat_value(tbl, ini[i], tgt, order[t]);
			if (v[i] && (!best || (kmm_hmat_is_latency(order[t]) ?
						       v[i] < best :
						       v[i] > best)))
				best = v[i];
		}
		if (!best)
			continue;
		for (i = 0, k = 0; i < n; i++)
			if (v[i] == best)
				ini[k++] = ini[i];
		n = k;
		perf->val[order[t]] = best;
		any = true;
	}
	return any;
}

/*
 * Read plus write, an "access" figure standing in for either; 0 if one is
 * missing or the sum does not fit in 64 bits.
 */
static u64 kmm_hmat_sum(const struct kmm_hmat_perf *perf, int access, int read,
			int write)
{
	u64 r = perf->val[read] ?: perf->val[access];
	u64 w = perf->val[write] ?: perf->val[access];
	u64 sum;

	if (!r || !w || check_add_overflow(r, w, &sum))
		return 0;
	return sum;
}

/* The proximity domain of node @nid among the HMAT's targets. */
static bool kmm_hmat_target_of(const struct acpi_table_header *tbl, int nid,
			       u32 *pxm)
{
	const struct kmm_hmat_locality *loc = NULL;
	u32 t;

	while ((loc = kmm_hmat_next(tbl, loc))) {
		for (t = 0; t < loc->nr_targets; t++) {
			*pxm = kmm_hmat_targets(loc)[t];
			if (pxm_to_node(*pxm) == nid)
				return true;
		}
	}
	return false;
}

int kmm_hmat_adistance(int nid, int *adist)
{
	struct kmm_hmat_perf node = {}, dram = {};
	struct acpi_table_header *tbl;
	u64 nl, dl, nb, db, a = MEMTIER_ADISTANCE_DRAM;
	int rc = -ENODATA, dnid;
	bool have_dram = false;
	u32 pxm;

	if (ACPI_FAILURE(acpi_get_table(ACPI_SIG_HMAT, 0, &tbl)))
		return -ENODATA;
	if (!kmm_hmat_target_of(tbl, nid, &pxm) ||
	    !kmm_hmat_best(tbl, pxm, &node))
		goto out;
	for_each_node_state(dnid, N_CPU) {
		if (dnid == nid || !node_state(dnid, N_MEMORY))
			continue;
		if (kmm_hmat_target_of(tbl, dnid, &pxm) &&
		    kmm_hmat_best(tbl, pxm, &dram)) {
			have_dram = true;
			break;
		}
	}
	if (!have_dram)
		goto out;
	nl = kmm_hmat_sum(&node, ACPI_HMAT_ACCESS_LATENCY,
			  ACPI_HMAT_READ_LATENCY, ACPI_HMAT_WRITE_LATENCY);
	dl = kmm_hmat_sum(&dram, ACPI_HMAT_ACCESS_LATENCY,
			  ACPI_HMAT_READ_LATENCY, ACPI_HMAT_WRITE_LATENCY);
	nb = kmm_hmat_sum(&node, ACPI_HMAT_ACCESS_BANDWIDTH,
			  ACPI_HMAT_READ_BANDWIDTH, ACPI_HMAT_WRITE_BANDWIDTH);
	db = kmm_hmat_sum(&dram, ACPI_HMAT_ACCESS_BANDWIDTH,
			  ACPI_HMAT_READ_BANDWIDTH, ACPI_HMAT_WRITE_BANDWIDTH);
	/* The memory tiers need both; with one of them, use what there is. */
	if (!(nl && dl) && !(nb && db))
		goto out;
	if (nl && dl)
		a = mul_u64_u64_div_u64(a, nl, dl);
	if (nb && db)
		a = mul_u64_u64_div_u64(a, db, nb);
	*adist = min_t(u64, a, INT_MAX);
	rc = 0;
out:
	acpi_put_table(tbl);
	return rc;
}
