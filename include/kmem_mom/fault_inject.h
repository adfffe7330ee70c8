/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test-build hooks (make KMM_FAULT_INJECT=1, kmem_mom/fault_inject.c): fail
 * the Nth add_memory_driver_managed() call of a bind, play a kernel that
 * cannot say up front where it will put a memmap (as 6.6-6.8), pretend the
 * kernel can hot-add less than it can, and make the RAM check's headroom
 * small and a bind's promise long, so that concurrent binds meet, fail
 * the creation of a bound device's attributes, and make a rollback wait
 * before it removes anything.  No-ops in normal builds.
 */
#ifndef KMEM_MOM_FAULT_INJECT_H
#define KMEM_MOM_FAULT_INJECT_H

#include <linux/types.h>

#ifdef KMM_FAULT_INJECT
bool kmm_inject_add_failure(unsigned long nth_call);
bool kmm_inject_hide_memmap_support(void);
u64 kmm_inject_pluggable_end(u64 end);
u64 kmm_inject_ram_cap(u64 avail);
void kmm_inject_promise_delay(void);
bool kmm_inject_attrs_failure(void);
void kmm_inject_rollback_delay(void);
#else
static inline bool kmm_inject_add_failure(unsigned long nth_call)
{
	return false;
}

static inline bool kmm_inject_hide_memmap_support(void)
{
	return false;
}

static inline u64 kmm_inject_pluggable_end(u64 end)
{
	return end;
}

static inline u64 kmm_inject_ram_cap(u64 avail)
{
	return avail;
}

static inline void kmm_inject_promise_delay(void)
{
}

static inline bool kmm_inject_attrs_failure(void)
{
	return false;
}

static inline void kmm_inject_rollback_delay(void)
{
}
#endif

#endif /* KMEM_MOM_FAULT_INJECT_H */
