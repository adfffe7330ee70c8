// SPDX-License-Identifier: GPL-2.0-only
/*
 * The page tables that map a block's memmap, and the mem_section root that
 * holds its sections, are allocated by the core as the block is added, on
 * the device's own node first: vmemmap_populate() takes its table pages
 * there (one PMD table maps the memmap of 64 GiB on x86-64) and
 * sparse_index_init() its roots (one per 256 sections, 32 GiB).  Neither
 * asks for __GFP_THISNODE, so while nothing of the node is online they come
 * from elsewhere.  Once a block of the device is online in a kernel zone,
 * they land in it, and that block can never be offlined again.  The
 * in-tree kmem adds a range in one call, which makes them all before
 * anything is online.  kmem_mom adds one block per call, so it adds first,
 * held offline, every block that needs a table or a root that does not
 * exist yet ("first blocks"); the other blocks then find theirs in place.
 * A first block the kernel's policy wanted online is then removed and
 * added once more, and comes online as the policy says: its root stays
 * (roots are never freed), and so does its PMD table as long as another
 * section in the table's reach keeps it (add.c).
 *
 * Afterwards, kmm_tables_in_device() reads back from the page tables where
 * those tables and roots are.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/memory.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <kmem_mom/kmem_mom.h>

/* The PMD table whose reach holds the memmap of @pfn, as an index. */
static unsigned long kmm_table_window(unsigned long pfn)
{
	return (unsigned long)pfn_to_page(pfn) >> PUD_SHIFT;
}

/* The pfns whose memmap lies in the reach of @pfn's PMD table. */
static void kmm_window_pfns(unsigned long pfn, unsigned long *first,
			    unsigned long *last)
{
	unsigned long per = PUD_SIZE / sizeof(struct page);
	unsigned long off = ((unsigned long)pfn_to_page(pfn) & ~PUD_MASK) /
			    sizeof(struct page);

	*first = pfn > off ? pfn - off : 0;
	*last = *first + per - 1;
}

/*
 * Whether a present section outside [@skip, @skip + @n) has its memmap in
 * the reach of @pfn's PMD table: then that table exists, and outlives the
 * removal of those sections.  Sections on the edge of the reach count:
 * their memmap runs into it.
 */
static bool kmm_window_mapped(unsigned long pfn, unsigned long skip,
			      unsigned long n)
{
	unsigned long first, last, nr;

	kmm_window_pfns(pfn, &first, &last);
	nr = pfn_to_section_nr(first);
	last = pfn_to_section_nr(last);

	for (; nr <= last && nr < NR_MEM_SECTIONS; nr++) {
		if (nr >= skip && nr < skip + n)
			continue;
		if (valid_section(__nr_to_section(nr)))
			return true;
	}
	return false;
}

/* The mem_section root holding section @nr: its first section. */
static struct mem_section *kmm_section_root(unsigned long nr)
{
	return __nr_to_section(SECTION_NR_TO_ROOT(nr) * SECTIONS_PER_ROOT);
}

static bool kmm_root_present(unsigned long root)
{
	return __nr_to_section(root * SECTIONS_PER_ROOT);
}

/* How many of the device's blocks have their memmap where @pfn's has. */
static unsigned long kmm_window_blocks(struct kmm_dev *kd, unsigned long pfn)
{
	u64 bs = memory_block_size_bytes(), lo, hi;
	unsigned long first, last, n = 0;
	int i;

	kmm_window_pfns(pfn, &first, &last);
	for (i = 0; i < kd->nr_range; i++) {
		struct kmm_range *r = &kd->ranges[i];

		if (!kmm_range_blocks(r))
			continue;
		lo = max_t(u64, r->range.start, PFN_PHYS(first));
		hi = min_t(u64, r->range.end, PFN_PHYS(last + 1) - 1);
		if (lo > hi)
			continue;
		/* Blocks starting in [lo, hi]. */
		n += (hi - r->range.start) / bs -
		     (lo - r->range.start + bs - 1) / bs + 1;
	}
	return n;
}

/*
 * Mark the first blocks of a device whose memmap goes on the device:
 * before anything of it is added, the first block of each range in every
 * PMD table's reach that has no table yet, and in every root that does
 * not exist yet.  (A table or root two ranges share gets two first
 * blocks; the second one costs a re-add, nothing more.)
 *
 * A block alone in a reach that has no table is different: no other
 * section would keep its table when it is removed to be added again.  One
 * such block (the last) is added after the other first blocks and left to
 * the kernel's policy: nothing of the device is online yet, so its table
 * comes from elsewhere, and no later add needs a new one.  Any other stays
 * a first block, held for userspace.
 */
void kmm_plan_first_blocks(struct kmm_dev *kd)
{
	unsigned long pages = PHYS_PFN(memory_block_size_bytes());
	unsigned long b, pfn, end, root0, root1, win, last_win, last_root;
	long lone = -1;
	bool first, new_win;
	int i;

	for (i = 0; i < kd->nr_range; i++) {
		struct kmm_range *r = &kd->ranges[i];

		last_win = ULONG_MAX;
		last_root = ULONG_MAX;
		for (b = 0; b < kmm_range_blocks(r); b++) {
			pfn = PHYS_PFN(kmm_block_start(r, b));
			end = pfn + pages - 1;
			root0 = SECTION_NR_TO_ROOT(pfn_to_section_nr(pfn));
			root1 = SECTION_NR_TO_ROOT(pfn_to_section_nr(end));
			win = kmm_table_window(pfn);
			new_win = win != last_win &&
				  !kmm_window_mapped(pfn, 0, 0);
			first = new_win ||
				(root0 != last_root &&
				 !kmm_root_present(root0)) ||
				(root1 != root0 && !kmm_root_present(root1));
			last_root = root1;
			last_win = win;
			if (!first)
				continue;
			kd->nr_first++;
			if (!new_win || kmm_window_blocks(kd, pfn) != 1) {
				kmm_block_flags(kd, r->first + b, KMM_BLK_FIRST,
						0);
				continue;
			}
			if (lone >= 0)
				kmm_block_flags(kd, lone, KMM_BLK_FIRST,
						KMM_BLK_LONE);
			lone = r->first + b;
			kmm_block_flags(kd, lone, KMM_BLK_LONE, 0);
		}
	}
}

/*
 * Whether the PMD table mapping the memmap of block @b of range @r stays
 * when the block is removed: another section in its reach has a memmap.
 */
bool kmm_tables_outlive(struct kmm_dev *kd, const struct kmm_range *r,
			unsigned long b)
{
	unsigned long pfn = PHYS_PFN(kmm_block_start(r, b));

	return kmm_window_mapped(pfn, pfn_to_section_nr(pfn),
				 memory_block_size_bytes() /
					 (PAGES_PER_SECTION << PAGE_SHIFT));
}

/*
 * Page-table pages that map the memmap of the device's blocks, and section
 * roots that hold their sections, found inside the device's own added
 * blocks: each one pins the block it sits in.  Read from the page tables.
 */
unsigned long kmm_tables_in_device(struct kmm_dev *kd)
{
	phys_addr_t phys, table, root, prev_table = 0, prev_root = 0;
	unsigned long n = 0, b, addr, end, size, pfn, nr;
	int i;

	for (i = 0; i < kd->nr_range; i++) {
		struct kmm_range *r = &kd->ranges[i];

		for (b = 0; b < kmm_range_blocks(r); b++) {
			if (!kmm_block_added(kd, r, b))
				continue;
			pfn = PHYS_PFN(kmm_block_start(r, b));
			end = PHYS_PFN(kmm_block_start(r, b + 1));
			for (nr = pfn_to_section_nr(pfn);
			     nr < pfn_to_section_nr(end); nr++) {
				root = __pa(kmm_section_root(nr));
				if (root != prev_root && kmm_dev_owns(kd, root))
					n++;
				prev_root = root;
			}
			addr = (unsigned long)pfn_to_page(pfn);
			end = (unsigned long)pfn_to_page(end);
			for (; addr < end;
			     addr = ALIGN_DOWN(addr, size) + size) {
				if (kmm_vmemmap_mapping(addr, &phys, &size,
							&table))
					break;
				if (table != prev_table &&
				    kmm_dev_owns(kd, table))
					n++;
				prev_table = table;
			}
		}
	}
	return n;
}
