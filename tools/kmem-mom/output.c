// SPDX-License-Identifier: GPL-2.0-only
/*
 * JSON output in daxctl's and cxl-cli's manner: a size is a number of bytes,
 * and -u changes only how it is printed (daxctl's "1024.00 MiB (1073.74 MB)"
 * from 5000 KiB up, a number below); a value the kernel does not give is
 * left out rather than guessed.  Every object is checked: out of memory
 * ends the command (exit 6).
 */
#include <stdio.h>
#include <string.h>
#include <json-c/printbuf.h>
#include "kmem-mom.h"

#define SZ_1K 1024ULL
#define SZ_1M (SZ_1K * 1024)
#define SZ_1G (SZ_1M * 1024)
#define SZ_1T (SZ_1G * 1024)

static struct json_object *checked(struct json_object *j)
{
	if (!j)
		kmm_oom();
	return j;
}

struct json_object *kmm_obj(void)
{
	return checked(json_object_new_object());
}

struct json_object *kmm_arr(void)
{
	return checked(json_object_new_array());
}

/* @val straight from a json-c constructor: NULL is out of memory. */
void kmm_add(struct json_object *obj, const char *key, struct json_object *val)
{
	if (json_object_object_add(obj, key, checked(val)))
		kmm_oom();
}

void kmm_push(struct json_object *arr, struct json_object *val)
{
	if (json_object_array_add(arr, checked(val)))
		kmm_oom();
}

/* 1/100ths of @div in @bytes, rounded to the nearest, without overflow. */
static uint64_t centi(uint64_t bytes, uint64_t div)
{
	return (bytes / div * 200 + bytes % div * 200 / div + 1) / 2;
}

/*
 * daxctl's -u: bytes below 5000 KiB as a number; else a string with the
 * binary and the decimal value, in MiB/MB below 2 GiB, GiB/GB below 2 TiB,
 * TiB/TB above.
 */
static int print_size(struct json_object *j, struct printbuf *pb, int level,
		      int flags)
{
	static const struct {
		uint64_t below, bin, dec;
		const char *bunit, *dunit;
	} steps[] = {
		{ 2 * SZ_1G, SZ_1M, 1000000ULL, "MiB", "MB" },
		{ 2 * SZ_1T, SZ_1G, 1000000000ULL, "GiB", "GB" },
		{ UINT64_MAX, SZ_1T, 1000000000000ULL, "TiB", "TB" },
	};
	unsigned long long bytes = (uint64_t)json_object_get_int64(j), b, d;
	char buf[80];
	size_t i;

	(void)level;
	(void)flags;
	if (bytes < 5000 * SZ_1K) {
		snprintf(buf, sizeof(buf), "%llu", bytes);
	} else {
		for (i = 0; i < ARRAY_SIZE(steps) - 1; i++)
			if (bytes < steps[i].below)
				break;
		b = centi(bytes, steps[i].bin);
		d = centi(bytes, steps[i].dec);
		snprintf(buf, sizeof(buf),
			 "\"%llu.%02llu %s (%llu.%02llu %s)\"", b / 100,
			 b % 100, steps[i].bunit, d / 100, d % 100,
			 steps[i].dunit);
	}
	return printbuf_memappend(pb, buf, (int)strlen(buf));
}

/* cxl-cli's -u for a serial number: a hex string. */
static int print_hex(struct json_object *j, struct printbuf *pb, int level,
		     int flags)
{
	char buf[32];

	(void)level;
	(void)flags;
	snprintf(buf, sizeof(buf), "\"%#llx\"",
		 (unsigned long long)json_object_get_uint64(j));
	return printbuf_memappend(pb, buf, (int)strlen(buf));
}

struct json_object *kmm_json_size(const struct kmm_ctx *ctx, uint64_t bytes)
{
	struct json_object *j = checked(json_object_new_int64((int64_t)bytes));

	if (ctx->human)
		json_object_set_serializer(j, print_size, NULL, NULL);
	return j;
}

struct json_object *kmm_json_hex(const struct kmm_ctx *ctx, uint64_t val)
{
	struct json_object *j = checked(json_object_new_uint64(val));

	if (ctx->human)
		json_object_set_serializer(j, print_hex, NULL, NULL);
	return j;
}

void kmm_add_size(const struct kmm_ctx *ctx, struct json_object *obj,
		  const char *key, uint64_t bytes)
{
	kmm_add(obj, key, kmm_json_size(ctx, bytes));
}

void kmm_add_str(struct json_object *obj, const char *key, const char *val)
{
	if (val)
		kmm_add(obj, key, json_object_new_string(val));
}

void kmm_add_int(struct json_object *obj, const char *key, int64_t val)
{
	kmm_add(obj, key, json_object_new_int64(val));
}

void kmm_add_bool(struct json_object *obj, const char *key, bool val)
{
	kmm_add(obj, key, json_object_new_boolean(val));
}

/*
 * Each file @dir/@names[i] that exists, under its own name (a file that
 * cannot be read is reported by the reader, and left out).
 */
void kmm_add_files(const struct kmm_ctx *ctx, struct json_object *obj,
		   enum kmm_file_kind kind, const char *dir,
		   const char *const *names, size_t nr)
{
	char buf[512];
	uint64_t v;
	size_t i;

	for (i = 0; i < nr; i++) {
		if (kind == KMM_STRING) {
			if (!kmm_read_str(buf, sizeof(buf), "%s/%s", dir,
					  names[i]))
				kmm_add_str(obj, names[i], buf);
		} else if (!kmm_read_u64(&v, "%s/%s", dir, names[i])) {
			if (kind == KMM_SIZE)
				kmm_add_size(ctx, obj, names[i], v);
			else
				kmm_add_int(obj, names[i], (int64_t)v);
		}
	}
}

/* stdout's errors are main()'s to report, once, at exit. */
void kmm_print(struct json_object *obj)
{
	int flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		    JSON_C_TO_STRING_NOSLASHESCAPE;
	const char *s = json_object_to_json_string_ext(obj, flags);

	if (!s)
		kmm_oom();
	puts(s);
}
