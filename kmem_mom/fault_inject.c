// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test builds only (make KMM_FAULT_INJECT=1): make the Nth memory block add
 * of each bind fail with -ENOMEM, so the guest suite can check that a bind
 * failing midway rolls back every block and resource.  Debian kernels have
 * no CONFIG_FAULT_INJECTION to hang this on.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <kmem_mom/kmem_mom.h>

static unsigned int fail_add_at;
module_param(fail_add_at, uint, 0644);
/* clang-format off */
MODULE_PARM_DESC(fail_add_at, "Test builds: fail the Nth block add of every bind (0 = never). Default: 0");
/* clang-format on */

bool kmm_inject_add_failure(unsigned long nth_block)
{
	if (READ_ONCE(fail_add_at) != nth_block)
		return false;
	pr_info("injecting a failure into memory block add #%lu\n", nth_block);
	return true;
}
