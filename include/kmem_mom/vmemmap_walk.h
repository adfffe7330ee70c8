/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * How a vmemmap address is mapped, read from the kernel's page tables.
 * The vmemmap is not in the linear map, so only a page-table walk tells
 * where a struct page physically lives; kmem_mom never takes its memmap's
 * placement from what it asked the core for.  Each architecture offers the
 * walk differently; scripts/conftest.sh finds which one this kernel has,
 * and refuses a kernel with neither.
 */
#ifndef KMEM_MOM_VMEMMAP_WALK_H
#define KMEM_MOM_VMEMMAP_WALK_H

#include <linux/mm.h>
#include <generated/kmem_mom_config.h>

#if KMM_HAVE_LOOKUP_ADDRESS && KMM_HAVE_SLOW_VIRT_TO_PHYS
/*
 * x86 exports its walk: lookup_address() finds the entry and its level,
 * slow_virt_to_phys() the physical address.
 */
static inline int kmm_vmemmap_mapping(unsigned long addr, phys_addr_t *phys,
				      unsigned long *size, phys_addr_t *table)
{
	unsigned int level;
	pte_t *entry = lookup_address(addr, &level);

	if (!entry || !pte_present(*entry))
		return -ENOENT;
	*size = page_level_size(level);
	*phys = slow_virt_to_phys((void *)addr);
	*table = __pa(entry) & PAGE_MASK;
	return 0;
}
#elif KMM_HAVE_TTBR1_WALK
/*
 * arm64 exports no walker and neither init_mm nor swapper_pg_dir, but the
 * MMU translates every kernel address through TTBR1_EL1, which holds the
 * physical address of swapper_pg_dir (the ASID sits in bits [63:48], CnP
 * in bit 0).  With 52-bit physical addresses, bits [51:48] of the table's
 * address are kept in TTBR bits [5:2] (phys_to_ttbr(), since v4.16).
 * From there the kernel's own
 * inline accessors walk, folding levels the CPU lacks at run time as the
 * kernel's walkers do (LPA2 kernels, v6.9).
 */
static inline phys_addr_t kmm_ttbr1_table(void)
{
	u64 ttbr = read_sysreg(ttbr1_el1);

	if (IS_ENABLED(CONFIG_ARM64_PA_BITS_52))
		return (ttbr & GENMASK_ULL(47, 6)) |
		       ((ttbr & GENMASK_ULL(5, 2)) << 46);
	return ttbr & GENMASK_ULL(47, 1);
}

static inline int kmm_vmemmap_mapping(unsigned long addr, phys_addr_t *phys,
				      unsigned long *size, phys_addr_t *table)
{
	pgd_t *pgdp = pgd_offset_pgd(__va(kmm_ttbr1_table()), addr);
	p4d_t *p4dp;
	pud_t *pudp, pud;
	pmd_t *pmdp, pmd;
	pte_t *ptep, pte;

	if (pgd_none(READ_ONCE(*pgdp)))
		return -ENOENT;
	p4dp = p4d_offset(pgdp, addr);
	if (p4d_none(READ_ONCE(*p4dp)))
		return -ENOENT;
	pudp = pud_offset(p4dp, addr);
	pud = READ_ONCE(*pudp);
	if (pud_none(pud))
		return -ENOENT;
	if (pud_leaf(pud)) {
		*size = PUD_SIZE;
		*phys = __pud_to_phys(pud) + (addr & ~PUD_MASK);
		*table = __pa(pudp) & PAGE_MASK;
		return 0;
	}
	pmdp = pmd_offset(pudp, addr);
	pmd = READ_ONCE(*pmdp);
	if (pmd_none(pmd))
		return -ENOENT;
	if (pmd_leaf(pmd)) {
		*size = PMD_SIZE;
		*phys = __pmd_to_phys(pmd) + (addr & ~PMD_MASK);
		*table = __pa(pmdp) & PAGE_MASK;
		return 0;
	}
	ptep = pte_offset_kernel(pmdp, addr);
	pte = READ_ONCE(*ptep);
	if (!pte_present(pte))
		return -ENOENT;
	*size = PAGE_SIZE;
	*phys = __pte_to_phys(pte) + (addr & ~PAGE_MASK);
	*table = __pa(ptep) & PAGE_MASK;
	return 0;
}
#else
#error "scripts/conftest.sh found no way to walk this kernel's page tables"
#endif

#endif /* KMEM_MOM_VMEMMAP_WALK_H */
