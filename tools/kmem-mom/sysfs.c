// SPDX-License-Identifier: GPL-2.0-only
/*
 * The few sysfs files no library covers: kmem_mom's own attributes and
 * parameters, a dax device's driver, the memory hotplug settings.  A file an
 * older kernel or module lacks is an absent value, never an error; a file
 * that is there and cannot be read is one (exit 6).
 */
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libkmod.h>
#include "kmem-mom.h"

#define KMM_HOTPLUG_PARAMS "/sys/module/memory_hotplug/parameters"

static int vpath(char *path, size_t len, const char *fmt, va_list ap)
{
	int n = vsnprintf(path, len, fmt, ap);

	if (n >= 0 && (size_t)n < len)
		return 0;
	kmm_fail("%.64s...: path too long", path);
	return -ENAMETOOLONG;
}

/*
 * What a failed open or read of @path means: -ENOENT, the fact is absent
 * (no such file, or one only root may read and we are not root: the field
 * is left out); else it is reported, the command will exit 6, and -@err
 * is returned.
 */
int kmm_io_error(const char *path, int err)
{
	if (err == ENOENT || ((err == EACCES || err == EPERM) && geteuid()))
		return -ENOENT;
	kmm_fail("%s: %s", path, strerror(err));
	return -err;
}

/*
 * fopen(), with errno ENOENT where the file is absent as above; errno is 0
 * after a success, for kmm_fclose() to tell a read error by.
 */
FILE *kmm_fopen(const char *path)
{
	FILE *f = fopen(path, "re");

	errno = f ? 0 : -kmm_io_error(path, errno);
	return f;
}

/* fclose(), with a read error reported: 0, or as kmm_io_error(). */
int kmm_fclose(FILE *f, const char *path)
{
	int err = ferror(f) ? (errno ? errno : EIO) : 0;

	fclose(f);
	return err ? kmm_io_error(path, err) : 0;
}

static int read_path(char *buf, size_t len, const char *path)
{
	FILE *f;
	size_t n;

	f = kmm_fopen(path);
	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return kmm_fclose(f, path);
}

/*
 * The first line of a file, without its newline; -ENOENT if absent, or
 * another -errno if it could not be read (said on stderr, exit 6).
 */
int kmm_read_str(char *buf, size_t len, const char *fmt, ...)
{
	char path[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vpath(path, sizeof(path), fmt, ap);
	va_end(ap);
	return rc ? rc : read_path(buf, len, path);
}

int kmm_read_u64(uint64_t *val, const char *fmt, ...)
{
	char path[512], buf[64], *end;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vpath(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (!rc)
		rc = read_path(buf, sizeof(buf), path);
	if (rc)
		return rc;
	errno = 0;
	*val = strtoull(buf, &end, 0);
	if (errno || end == buf) {
		kmm_fail("%s: not a number: '%s'", path, buf);
		return -EINVAL;
	}
	return 0;
}

bool kmm_exists(const char *fmt, ...)
{
	char path[512];
	struct stat st;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vpath(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (rc)
		return false;
	if (!stat(path, &st))
		return true;
	kmm_io_error(path, errno);
	return false;
}

bool kmm_mom_loaded(void)
{
	return kmm_exists("/sys/module/kmem_mom/parameters");
}

/* Whether modprobe would find kmem_mom for the running kernel. */
bool kmm_mom_installed(void)
{
	struct kmod_list *list = NULL;
	struct kmod_ctx *kctx;
	bool found;

	kctx = kmod_new(NULL, NULL);
	if (!kctx)
		return false;
	found = !kmod_module_new_from_lookup(kctx, "kmem_mom", &list) && list;
	kmod_module_unref_list(list);
	kmod_unref(kctx);
	return found;
}

/*
 * The driver a dax device is bound to, by the module that provides it:
 * "kmem_mom", "kmem" (the in-tree one), "device_dax", or NULL if unbound.
 * kmem_mom registers under the name "kmem", so the module tells them apart.
 */
const char *kmm_dev_driver(const char *devname, char *buf, size_t len)
{
	char path[512], *real;
	const char *name;

	snprintf(path, sizeof(path), KMM_DAX_DEVICES "/%s/driver/module",
		 devname);
	real = realpath(path, NULL);
	if (!real && errno == ENOENT) {
		/* A built-in driver has no module link: name the driver. */
		snprintf(path, sizeof(path), KMM_DAX_DEVICES "/%s/driver",
			 devname);
		real = realpath(path, NULL);
	}
	if (!real) {
		kmm_io_error(path, errno);
		return NULL;
	}
	name = basename(real);
	snprintf(buf, len, "%s", name);
	free(real);
	return buf;
}

/* The memory block size, or 0 where the kernel has no memory hotplug. */
uint64_t kmm_block_size(void)
{
	static const char *path = "/sys/devices/system/memory/block_size_bytes";
	static uint64_t bs;
	static bool done;
	char buf[64];

	if (!done && !kmm_read_str(buf, sizeof(buf), "%s", path))
		bs = strtoull(buf, NULL, 16);
	done = true;
	return bs;
}

/* kmem_mom's speed input for @node: its abstract distance, or -1. */
int kmm_node_adistance(int node)
{
	char buf[4096], *tok, *save = NULL;
	int i = 0;

	if (kmm_read_str(buf, sizeof(buf), KMM_MOM_DRIVER "/node_adistance"))
		return -1;
	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save), i++)
		if (i == node)
			return *tok == '-' ? -1 : atoi(tok);
	return -1;
}

/*
 * memory_hotplug.memmap_on_memory: "Y", "N", or "force" (6.6+); @buf gets
 * the value ("" where the kernel has no such parameter).
 */
bool kmm_boot_param_on(char *buf, size_t len)
{
	if (kmm_read_str(buf, len, KMM_HOTPLUG_PARAMS "/memmap_on_memory")) {
		buf[0] = '\0';
		return false;
	}
	return buf[0] == 'Y' || buf[0] == 'y' || buf[0] == '1' ||
	       !strcmp(buf, "force");
}
