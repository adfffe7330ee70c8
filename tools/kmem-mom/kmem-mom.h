/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kmem-mom: where every dax device's memory and memmap went, and what a bind
 * would cost.  Shared declarations of the command's parts.
 */
#ifndef KMEM_MOM_H
#define KMEM_MOM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

/* The kernel's __printf(), __noreturn and ARRAY_SIZE(), for userspace. */
#define KMM_FORMAT_PRINTF(a, b) format(printf, a, b)
#define __printf(a, b) __attribute__((KMM_FORMAT_PRINTF(a, b)))
#define KMM_NORETURN __noreturn__
#define __noreturn __attribute__((KMM_NORETURN))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct daxctl_ctx;
struct daxctl_dev;
struct cxl_ctx;
struct ndctl_ctx;

/* Exit status of every command; documented in kmem-mom(1). */
enum kmm_exit {
	KMM_EXIT_OK = 0, /* done; plan: the bind would succeed */
	KMM_EXIT_NO = 1, /* plan: it would fail; status: problems */
	KMM_EXIT_USAGE = 2,
	KMM_EXIT_NODEV = 3, /* no such dax device */
	KMM_EXIT_NOMODULE = 4, /* kmem_mom is not loaded */
	KMM_EXIT_PERM = 5, /* needs root */
	KMM_EXIT_FAIL = 6, /* a library or the system failed */
};

struct kmm_ctx {
	struct daxctl_ctx *dax;
	struct cxl_ctx *cxl; /* NULL where libcxl could not start */
	struct ndctl_ctx *nd; /* NULL where libndctl could not start */
	const char *dev; /* list -d */
	bool human; /* -u */
	bool verbose; /* -v: library debug logs */
	bool root; /* physical ranges (0400 files) can be read */
};

/* Physical ranges of a device, trimmed to whole memory blocks. */
struct kmm_range {
	uint64_t start, end; /* [start, end) */
};

struct kmm_ranges {
	size_t nr, alloc;
	struct kmm_range *r;
	uint64_t blocks; /* memory blocks they hold */
};

/* Memory block states over a device's ranges. */
struct kmm_zones {
	uint64_t movable, normal, offline, absent;
};

/* main.c */
void kmm_err(const char *fmt, ...) __printf(1, 2);
void kmm_warn(const char *fmt, ...) __printf(1, 2);
void kmm_fail(const char *fmt, ...) __printf(1, 2);
void __noreturn kmm_oom(void);
int kmm_need_root(const struct kmm_ctx *ctx, const char *cmd);
int kmm_find_dev(struct kmm_ctx *ctx, const char *name,
		 struct daxctl_dev **out);

/* sysfs.c: what no library covers */
#define KMM_DAX_DEVICES "/sys/bus/dax/devices"
#define KMM_MOM_DRIVER "/sys/bus/dax/drivers/kmem/kmem_mom"
#define KMM_MOM_PARAMS "/sys/module/kmem_mom/parameters"
int kmm_io_error(const char *path, int err);
FILE *kmm_fopen(const char *path);
int kmm_fclose(FILE *f, const char *path);
int kmm_read_str(char *buf, size_t len, const char *fmt, ...) __printf(3, 4);
int kmm_read_u64(uint64_t *val, const char *fmt, ...) __printf(2, 3);
bool kmm_exists(const char *fmt, ...) __printf(1, 2);
bool kmm_mom_loaded(void);
bool kmm_mom_installed(void);
const char *kmm_dev_driver(const char *devname, char *buf, size_t len);
uint64_t kmm_block_size(void);
int kmm_node_adistance(int node);
bool kmm_boot_param_on(char *buf, size_t len);

/* output.c: every json-c object made through these; none can be NULL */
struct json_object *kmm_obj(void);
struct json_object *kmm_arr(void);
void kmm_add(struct json_object *obj, const char *key, struct json_object *val);
void kmm_push(struct json_object *arr, struct json_object *val);
struct json_object *kmm_json_size(const struct kmm_ctx *ctx, uint64_t bytes);
struct json_object *kmm_json_hex(const struct kmm_ctx *ctx, uint64_t val);
void kmm_add_size(const struct kmm_ctx *ctx, struct json_object *obj,
		  const char *key, uint64_t bytes);
void kmm_add_str(struct json_object *obj, const char *key, const char *val);
void kmm_add_int(struct json_object *obj, const char *key, int64_t val);
void kmm_add_bool(struct json_object *obj, const char *key, bool val);
void kmm_print(struct json_object *obj);

/* How kmm_add_files() shows a file: as read, as a number, as a size. */
enum kmm_file_kind { KMM_STRING, KMM_NUMBER, KMM_SIZE };
void kmm_add_files(const struct kmm_ctx *ctx, struct json_object *obj,
		   enum kmm_file_kind kind, const char *dir,
		   const char *const *names, size_t nr);

/* blocks.c */
int kmm_dev_ranges(struct daxctl_dev *dev, struct kmm_ranges *out);
void kmm_ranges_free(struct kmm_ranges *rs);
void kmm_count_zones(const struct kmm_ranges *rs, struct kmm_zones *z);
uint64_t kmm_gigantic_windows(const struct kmm_ranges *rs);
uint64_t kmm_gigantic_windows_spoiled(const struct kmm_ranges *rs);
struct json_object *kmm_node_json(const struct kmm_ctx *ctx, int node);

/* source.c */
struct json_object *kmm_source_json(const struct kmm_ctx *ctx,
				    struct daxctl_dev *dev, bool *persistent);

/* The commands: @argv holds the operands alone (options are main.c's). */
int cmd_list(struct kmm_ctx *ctx, int argc, char **argv);
int cmd_plan(struct kmm_ctx *ctx, int argc, char **argv);
int cmd_status(struct kmm_ctx *ctx, int argc, char **argv);

#endif
