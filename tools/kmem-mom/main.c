// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmem-mom: the command line, the libraries' contexts, and the errors every
 * command shares.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <cxl/libcxl.h>
#include <daxctl/libdaxctl.h>
#include <ndctl/libndctl.h>
#include "kmem-mom.h"

static const char *usage_text =
	"usage: kmem-mom <command> [<options>]\n"
	"\n"
	"  list [-d daxX.Y]   every dax device: size, node, mode, driver, where it\n"
	"                     comes from, and where its memory and memmap went\n"
	"  plan daxX.Y        what a bind would cost with the memmap on the device\n"
	"                     or in RAM, and what memmap_on_memory=auto would choose\n"
	"  status             kmem_mom's parameters and counters, the kernel's\n"
	"                     settings, and one line per problem with its fix\n"
	"\n"
	"options:\n"
	"  -u, --human        sizes as \"1.00 GiB (1.07 GB)\" instead of bytes\n"
	"  -v, --verbose      let libdaxctl, libcxl and libndctl log\n"
	"  -h, --help         this text\n"
	"  --version          kmem-mom's version\n"
	"\n"
	"Output is JSON.  Exit status: 0 ok, 1 plan: the bind would fail / status:\n"
	"problems found, 2 usage, 3 no such device, 4 kmem_mom not loaded,\n"
	"5 needs root, 6 system error.  See kmem-mom(1).\n";

static void vmsg(const char *tag, const char *fmt, va_list ap)
{
	fprintf(stderr, "kmem-mom: %s", tag);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void kmm_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void kmm_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

/* Physical ranges (dax resource and mappings, kmem_mom/ranges) are 0400. */
int kmm_need_root(const char *cmd)
{
	if (geteuid() == 0)
		return 0;
	kmm_err("%s needs root: the physical ranges of dax devices are readable by root only",
		cmd);
	return KMM_EXIT_PERM;
}

/* -u and -v, for the commands that take no others. */
int kmm_common_opts(struct kmm_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "human", no_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "uv", opts, NULL)) != -1) {
		if (c == 'u')
			ctx->human = true;
		else if (c != 'v')
			return -1;
	}
	return 0;
}

int kmm_find_dev(struct kmm_ctx *ctx, const char *name, struct daxctl_dev **out)
{
	struct daxctl_region *region;
	struct daxctl_dev *dev;

	daxctl_region_foreach(ctx->dax, region)
		daxctl_dev_foreach(region, dev)
			if (!strcmp(daxctl_dev_get_devname(dev), name)) {
				*out = dev;
				return 0;
			}
	kmm_err("%s: no such dax device (daxctl list -D lists them)", name);
	return KMM_EXIT_NODEV;
}

static int open_libs(struct kmm_ctx *ctx)
{
	int prio = ctx->verbose ? LOG_DEBUG : LOG_CRIT;
	int rc;

	rc = daxctl_new(&ctx->dax);
	if (rc) {
		kmm_err("libdaxctl: cannot start: %s", strerror(-rc));
		return KMM_EXIT_FAIL;
	}
	daxctl_set_log_priority(ctx->dax, prio);
	/* Without CXL or NVDIMMs the sources are just not there. */
	if (cxl_new(&ctx->cxl))
		ctx->cxl = NULL;
	else
		cxl_set_log_priority(ctx->cxl, prio);
	if (ndctl_new(&ctx->nd))
		ctx->nd = NULL;
	else
		ndctl_set_log_priority(ctx->nd, prio);
	return 0;
}

static void close_libs(struct kmm_ctx *ctx)
{
	if (ctx->nd)
		ndctl_unref(ctx->nd);
	if (ctx->cxl)
		cxl_unref(ctx->cxl);
	daxctl_unref(ctx->dax);
}

static const struct {
	const char *name;
	int (*fn)(struct kmm_ctx *ctx, int argc, char **argv);
} commands[] = {
	{ "list", cmd_list },
	{ "plan", cmd_plan },
	{ "status", cmd_status },
};

int main(int argc, char **argv)
{
	struct kmm_ctx ctx = { 0 };
	size_t i;
	int rc;

	if (argc < 2) {
		fputs(usage_text, stderr);
		return KMM_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version")) {
		puts("kmem-mom " KMM_VERSION);
		return KMM_EXIT_OK;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		fputs(usage_text, stdout);
		return KMM_EXIT_OK;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		/* Common options are parsed by each command with its own. */
		for (int a = 2; a < argc; a++) {
			if (!strcmp(argv[a], "-h") ||
			    !strcmp(argv[a], "--help")) {
				fputs(usage_text, stdout);
				return KMM_EXIT_OK;
			}
			if (!strcmp(argv[a], "-v") ||
			    !strcmp(argv[a], "--verbose"))
				ctx.verbose = true;
		}
		rc = open_libs(&ctx);
		if (rc)
			return rc;
		rc = commands[i].fn(&ctx, argc - 1, argv + 1);
		close_libs(&ctx);
		return rc;
	}
	kmm_err("'%s' is not a command", argv[1]);
	fputs(usage_text, stderr);
	return KMM_EXIT_USAGE;
}
