// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test build only (SANITIZE=1).  LeakSanitizer's built-in suppressions: the
 * one leak that is not kmem-mom's.  libdaxctl (76 to 81 at least) allocates
 * a device's mapping list on the first daxctl_mapping_get_first() and never
 * frees it, not even in daxctl_unref(); its frames carry no symbols, so the
 * library is named.  kmem-mom's own allocations are json-c objects, which
 * no suppression covers.
 */
const char *__lsan_default_suppressions(void);

const char *__lsan_default_suppressions(void)
{
	return "leak:libdaxctl.so.1\n";
}
