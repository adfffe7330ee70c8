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
	"  -d, --dev=daxX.Y   list: only this device\n"
	"  -u, --human        sizes as daxctl -u prints them: \"1024.00 MiB\n"
	"                     (1073.74 MB)\", below 5000 KiB a number of bytes\n"
	"  -v, --verbose      let libdaxctl, libcxl and libndctl log (debug)\n"
	"  -h, --help         this text\n"
	"  --version          kmem-mom's version\n"
	"\n"
	"Output is JSON.  Exit status: 0 ok, 1 plan: the bind would fail / status:\n"
	"problems found, 2 usage, 3 no such device, 4 kmem_mom not loaded,\n"
	"5 plan needs root, 6 system error.  See kmem-mom(1).\n";

/* A system error was reported: the command goes on, and exits 6. */
static bool failed;

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

/* As daxctl list's fail(): say it, leave the fact out, exit 6 at the end. */
void kmm_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	failed = true;
}

void kmm_oom(void)
{
	kmm_err("out of memory");
	exit(KMM_EXIT_FAIL);
}

/* Physical ranges (dax resource and mappings, kmem_mom/ranges) are 0400. */
int kmm_need_root(const struct kmm_ctx *ctx, const char *cmd)
{
	if (ctx->root)
		return 0;
	kmm_err("%s needs root: the physical ranges of dax devices are readable by root only",
		cmd);
	return KMM_EXIT_PERM;
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

/*
 * The libraries log as DAXCTL_LOG, CXL_LOG and NDCTL_LOG say (error by
 * default), as they do for daxctl and cxl; -v is debug for all three.
 */
static int open_libs(struct kmm_ctx *ctx)
{
	int rc;

	rc = daxctl_new(&ctx->dax);
	if (rc) {
		kmm_err("libdaxctl: cannot start: %s", strerror(-rc));
		return KMM_EXIT_FAIL;
	}
	/* Without CXL or NVDIMMs the sources are just not there. */
	if (cxl_new(&ctx->cxl))
		ctx->cxl = NULL;
	if (ndctl_new(&ctx->nd))
		ctx->nd = NULL;
	if (!ctx->verbose)
		return 0;
	daxctl_set_log_priority(ctx->dax, LOG_DEBUG);
	if (ctx->cxl)
		cxl_set_log_priority(ctx->cxl, LOG_DEBUG);
	if (ctx->nd)
		ndctl_set_log_priority(ctx->nd, LOG_DEBUG);
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
	bool dev_opt; /* takes -d */
} commands[] = {
	{ "list", cmd_list, true },
	{ "plan", cmd_plan, false },
	{ "status", cmd_status, false },
};

/*
 * The options of every command, in getopt's manner (-uv, -ddax0.0, --dev
 * dax0.0, anywhere among the operands).  0 to go on; else an exit status.
 */
static int parse_opts(struct kmm_ctx *ctx, bool dev_opt, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "human", no_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "d:uvh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!dev_opt) {
				kmm_err("%s: -d is list's option", argv[0]);
				return KMM_EXIT_USAGE;
			}
			ctx->dev = optarg;
			break;
		case 'u':
			ctx->human = true;
			break;
		case 'v':
			ctx->verbose = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		default:
			return KMM_EXIT_USAGE;
		}
	}
	return 0;
}

static int run(int argc, char **argv)
{
	struct kmm_ctx ctx = { .root = geteuid() == 0 };
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
		rc = parse_opts(&ctx, commands[i].dev_opt, argc - 1, argv + 1);
		if (rc)
			return rc < 0 ? KMM_EXIT_OK : rc;
		rc = open_libs(&ctx);
		if (rc)
			return rc;
		/* argv[optind] is the command's first operand. */
		rc = commands[i].fn(&ctx, argc - 1 - optind, argv + 1 + optind);
		close_libs(&ctx);
		return failed ? KMM_EXIT_FAIL : rc;
	}
	kmm_err("'%s' is not a command", argv[1]);
	fputs(usage_text, stderr);
	return KMM_EXIT_USAGE;
}

/*
 * Output that did not reach its file (a closed pipe, a full disk) is a
 * system error, said on stderr: not a success.
 */
int main(int argc, char **argv)
{
	int rc = run(argc, argv), err = 0;

	if (fflush(stdout))
		err = errno;
	else if (ferror(stdout))
		err = EIO;
	if (fclose(stdout) && !err)
		err = errno;
	if (!err)
		return rc;
	kmm_err("cannot write to standard output: %s", strerror(err));
	return KMM_EXIT_FAIL;
}
