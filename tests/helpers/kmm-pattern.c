// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmm-pattern NODE MIB SEED: data-integrity probe for memory hot-remove.
 *
 * Maps MIB MiB of anonymous memory bound to NUMA node NODE, fills every
 * 64-bit word with a value derived from SEED and the word's index, and
 * checks that every page really landed on NODE.  It then prints "ready" and
 * waits for a line on stdin, while the test offlines and removes the node's
 * memory (the kernel migrates the pages elsewhere).  Finally it verifies
 * every byte and reports where the pages went:
 *
 *   result bytes=N lost=N checksum=ok|bad on_node=N elsewhere=N
 *
 * Exit 0 only if no byte changed.  Raw syscalls, no libnuma: the binary is
 * linked statically on the build host and runs in any guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MPOL_BIND 2
#define MPOL_MF_STRICT (1 << 0)

/* splitmix64: cheap, and every word differs from its neighbours. */
static uint64_t word_at(uint64_t seed, uint64_t i)
{
	uint64_t z = seed + (i + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Fletcher-style sum over the words, order-sensitive. */
static uint64_t checksum(const uint64_t *w, size_t n)
{
	uint64_t a = 1, b = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		a += w[i];
		b += a;
	}
	return a ^ (b << 1);
}

/* Pages of [buf, buf + len) on @node, and on any other node. */
static int where(char *buf, size_t len, long node, size_t *on, size_t *off)
{
	size_t pg = sysconf(_SC_PAGESIZE), n = len / pg, i;
	void **pages = calloc(n, sizeof(*pages));
	int *status = calloc(n, sizeof(*status));

	if (!pages || !status)
		return -1;
	for (i = 0; i < n; i++)
		pages[i] = buf + i * pg;
	/* nodes == NULL: only query where each page is. */
	if (syscall(SYS_move_pages, 0, n, pages, NULL, status, 0)) {
		perror("move_pages");
		return -1;
	}
	*on = *off = 0;
	for (i = 0; i < n; i++) {
		if (status[i] == node)
			(*on)++;
		else if (status[i] >= 0)
			(*off)++;
	}
	free(pages);
	free(status);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long mask[16] = { 0 };
	size_t len, words, i, on, off, lost = 0;
	uint64_t seed, sum, *w;
	char line[64];
	long node;

	if (argc != 4) {
		fprintf(stderr, "usage: %s NODE MIB SEED\n", argv[0]);
		return 2;
	}
	node = strtol(argv[1], NULL, 0);
	len = strtoul(argv[2], NULL, 0) << 20;
	seed = strtoull(argv[3], NULL, 0);
	if (node < 0 || node >= (long)(sizeof(mask) * 8) || !len) {
		fprintf(stderr, "%s: bad NODE or MIB\n", argv[0]);
		return 2;
	}
	words = len / sizeof(*w);

	w = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	mask[node / (8 * sizeof(long))] = 1UL << (node % (8 * sizeof(long)));
	if (syscall(SYS_mbind, w, len, MPOL_BIND, mask, sizeof(mask) * 8,
		    MPOL_MF_STRICT)) {
		perror("mbind");
		return 2;
	}
	for (i = 0; i < words; i++)
		w[i] = word_at(seed, i);
	sum = checksum(w, words);
	if (where((char *)w, len, node, &on, &off))
		return 2;
	printf("filled bytes=%zu on_node=%zu elsewhere=%zu checksum=%016llx\n",
	       len, on, off, (unsigned long long)sum);
	if (off || on != len / sysconf(_SC_PAGESIZE)) {
		printf("error: not every page is on node %ld\n", node);
		return 2;
	}
	printf("ready\n");
	fflush(stdout);

	if (!fgets(line, sizeof(line), stdin))
		fprintf(stderr, "stdin closed, verifying now\n");

	for (i = 0; i < words; i++) {
		uint64_t x = w[i] ^ word_at(seed, i);

		while (x) {
			lost += !!(x & 0xff);
			x >>= 8;
		}
	}
	if (where((char *)w, len, node, &on, &off))
		return 2;
	printf("result bytes=%zu lost=%zu checksum=%s on_node=%zu elsewhere=%zu\n",
	       len, lost, checksum(w, words) == sum ? "ok" : "bad", on, off);
	return lost ? 1 : 0;
}
