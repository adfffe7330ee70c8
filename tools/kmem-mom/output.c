// SPDX-License-Identifier: GPL-2.0-only
/*
 * JSON output in daxctl's and cxl-cli's manner: sizes are numbers of bytes,
 * or with -u strings such as "1.00 GiB (1.07 GB)"; absent facts are left
 * out rather than guessed.
 */
#include <stdio.h>
#include "kmem-mom.h"

struct json_object *kmm_json_size(const struct kmm_ctx *ctx, uint64_t bytes)
{
	static const char *const bin[] = { "KiB", "MiB", "GiB", "TiB" };
	static const char *const dec[] = { "KB", "MB", "GB", "TB" };
	double b = (double)bytes, d = (double)bytes;
	char buf[64];
	int i = -1, j = -1;

	if (!ctx->human)
		return json_object_new_int64((int64_t)bytes);
	if (bytes < 1024) {
		snprintf(buf, sizeof(buf), "%llu B", (unsigned long long)bytes);
		return json_object_new_string(buf);
	}
	while (b >= 1024 && i < 3) {
		b /= 1024;
		i++;
	}
	while (d >= 1000 && j < 3) {
		d /= 1000;
		j++;
	}
	snprintf(buf, sizeof(buf), "%.2f %s (%.2f %s)", b, bin[i], d,
		 j >= 0 ? dec[j] : "B");
	return json_object_new_string(buf);
}

void kmm_add_size(const struct kmm_ctx *ctx, struct json_object *obj,
		  const char *key, uint64_t bytes)
{
	json_object_object_add(obj, key, kmm_json_size(ctx, bytes));
}

void kmm_add_str(struct json_object *obj, const char *key, const char *val)
{
	if (val)
		json_object_object_add(obj, key, json_object_new_string(val));
}

void kmm_add_int(struct json_object *obj, const char *key, int64_t val)
{
	json_object_object_add(obj, key, json_object_new_int64(val));
}

void kmm_add_bool(struct json_object *obj, const char *key, bool val)
{
	json_object_object_add(obj, key, json_object_new_boolean(val));
}

/* Each file @dir/@names[i] that exists, under its own name. */
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

void kmm_print(struct json_object *obj)
{
	int flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		    JSON_C_TO_STRING_NOSLASHESCAPE;

	puts(json_object_to_json_string_ext(obj, flags));
}
