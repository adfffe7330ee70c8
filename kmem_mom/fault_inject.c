// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test builds only (make KMM_FAULT_INJECT=1).  Debian kernels have no
 * CONFIG_FAULT_INJECTION to hang these on, and the guests cannot boot the
 * kernels (6.6-6.8, far-away address limits) whose behaviour they play:
 *   fail_add_at=N		the Nth add_memory_driver_managed() call of
 *				every bind fails with -ENOMEM;
 *   hide_memmap_support=1	act as if mhp_supports_memmap_on_memory()
 *				were not exported (6.6-6.8), so the first
 *				add must tell where the memmap goes;
 *   pluggable_end=ADDR		pretend the kernel cannot hot-add above ADDR;
 *   ram_cap=BYTES		the RAM check sees at most BYTES available;
 *   promise_ms=MS		a bind whose memmap goes to RAM waits MS
 *				between its promise and its add;
 *   fail_attrs=1		creating a bound device's attributes fails
 *				with -ENOMEM, after its memory is added;
 *   rollback_ms=MS		a failed bind waits MS between holding its
 *				blocks and removing them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/minmax.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <kmem_mom/kmem_mom.h>

static unsigned int fail_add_at;
module_param(fail_add_at, uint, 0644);
static bool hide_memmap_support;
module_param(hide_memmap_support, bool, 0644);
static ulong pluggable_end;
module_param(pluggable_end, ulong, 0644);
static ulong ram_cap;
module_param(ram_cap, ulong, 0644);
static uint promise_ms;
module_param(promise_ms, uint, 0644);
static bool fail_attrs;
module_param(fail_attrs, bool, 0644);
static uint rollback_ms;
module_param(rollback_ms, uint, 0644);
/* clang-format off */
MODULE_PARM_DESC(fail_add_at, "Test builds: fail the Nth memory add call of every bind (0 = never). Default: 0");
MODULE_PARM_DESC(hide_memmap_support, "Test builds: act as if the kernel could not say up front whether it honours MHP_MEMMAP_ON_MEMORY. Default: 0");
MODULE_PARM_DESC(pluggable_end, "Test builds: treat physical addresses above this one as not hot-pluggable (0 = the kernel's limit). Default: 0");
MODULE_PARM_DESC(ram_cap, "Test builds: the RAM check sees at most this many bytes available (0 = what there is). Default: 0");
MODULE_PARM_DESC(promise_ms, "Test builds: milliseconds a bind with its memmap in RAM waits between its RAM promise and its add. Default: 0");
MODULE_PARM_DESC(fail_attrs, "Test builds: fail the creation of a bound device's sysfs attributes. Default: 0");
MODULE_PARM_DESC(rollback_ms, "Test builds: milliseconds a failed bind waits between holding its blocks and removing them. Default: 0");
/* clang-format on */

bool kmm_inject_add_failure(unsigned long nth_call)
{
	if (READ_ONCE(fail_add_at) != nth_call)
		return false;
	pr_info("injecting a failure into memory add call #%lu\n", nth_call);
	return true;
}

bool kmm_inject_hide_memmap_support(void)
{
	return READ_ONCE(hide_memmap_support);
}

u64 kmm_inject_pluggable_end(u64 end)
{
	u64 fake = READ_ONCE(pluggable_end);

	return fake ? min(end, fake) : end;
}

u64 kmm_inject_ram_cap(u64 avail)
{
	u64 cap = READ_ONCE(ram_cap);

	return cap ? min(avail, cap) : avail;
}

void kmm_inject_promise_delay(void)
{
	unsigned int ms = READ_ONCE(promise_ms);

	if (ms)
		msleep(ms);
}

void kmm_inject_rollback_delay(void)
{
	unsigned int ms = READ_ONCE(rollback_ms);

	if (ms)
		msleep(ms);
}

bool kmm_inject_attrs_failure(void)
{
	if (!READ_ONCE(fail_attrs))
		return false;
	pr_info("injecting a failure into the creation of a device's attributes\n");
	return true;
}
