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

void kmm_print(struct json_object *obj)
{
	int flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		    JSON_C_TO_STRING_NOSLASHESCAPE;

	puts(json_object_to_json_string_ext(obj, flags));
}
