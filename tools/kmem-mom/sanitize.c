// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test build only (SANITIZE=1): the sanitizers' built-in options.
 *
 * The one leak that is not kmem-mom's: libdaxctl (76 to 81 at least)
 * allocates a device's mapping list on the first daxctl_mapping_get_first()
 * and never frees it, not even in daxctl_unref().  It is suppressed by the
 * kmem-mom function that walks the list, so a leak anywhere else (a context
 * never unreferenced, a json-c object never put) still fails.  libdaxctl has
 * no frame pointers: malloc stacks are unwound from DWARF instead, so that
 * the caller shows.
 */
const char *__asan_default_options(void);
const char *__lsan_default_options(void);
const char *__lsan_default_suppressions(void);

const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

/* Used suppressions are no news: keep stderr for kmem-mom's messages. */
const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}

const char *__lsan_default_suppressions(void)
{
	return "leak:kmm_dev_ranges\n";
}
