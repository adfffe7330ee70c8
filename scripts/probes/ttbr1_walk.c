// SPDX-License-Identifier: GPL-2.0-only
/*
 * arm64's kernel page tables, walked by a module: TTBR1_EL1 read with
 * read_sysreg() and the inline accessors from pgd_offset_pgd() down to
 * pte_offset_kernel(), with the leaf tests (p?d_leaf(), v5.6) and the
 * entries' phys helpers.  This is what include/kmem_mom/vmemmap_walk.h
 * does where no walker is exported.  Fails to build on x86, which
 * exports its own.
 */
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <asm/sysreg.h>

static phys_addr_t __maybe_unused kmm_probe(unsigned long addr)
{
	pgd_t *pgdp = pgd_offset_pgd(__va(read_sysreg(ttbr1_el1)), addr);
	p4d_t *p4dp = p4d_offset(pgdp, addr);
	pud_t *pudp = pud_offset(p4dp, addr);
	pmd_t *pmdp = pmd_offset(pudp, addr);
	pte_t *ptep = pte_offset_kernel(pmdp, addr);

	if (pgd_none(*pgdp) || p4d_none(*p4dp))
		return 0;
	if (pud_leaf(*pudp))
		return __pud_to_phys(*pudp);
	if (pmd_leaf(*pmdp))
		return __pmd_to_phys(*pmdp);
	return __pte_to_phys(*ptep);
}
