// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmm-hmat-table OUT: write an ACPI HMAT for the two-node guests of
 * tests/boot-guest.sh (proximity domain 0: CPUs and DRAM; 1: device
 * memory), to be loaded over QEMU's own through the kernel's ACPI table
 * upgrade (an early cpio holding kernel/firmware/acpi/hmat.aml).  It
 * carries QEMU's OEM and table IDs and a newer OEM revision, so it
 * replaces QEMU's HMAT rather than sitting beside it.
 *
 * Its figures, from initiator 0: access latency 100 ns to DRAM and 300 ns
 * to the device (base unit 1 ns); access bandwidth 1 and 65534 units of
 * 2^49 MB/s.  The device's bandwidth entry times the base unit overflows 64
 * bits (65534 * 2^49 = 2^65 - 2^50): a reader must drop it, and the device is then 3x DRAM's latency
 * and nothing more (abstract distance 1728 against DRAM's 576).  A reader
 * that keeps the wrapped product sees bandwidth of no meaning.
 *
 * Runs on the build host (statically linked, as the other helpers).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t tbl[512];
static size_t len;

static void put(const void *p, size_t n)
{
	memcpy(tbl + len, p, n);
	len += n;
}

static void put8(uint8_t v)
{
	put(&v, 1);
}

static void put16(uint16_t v)
{
	put(&v, 2); /* x86-64 and ACPI: little-endian */
}

static void put32(uint32_t v)
{
	put(&v, 4);
}

static void put64(uint64_t v)
{
	put(&v, 8);
}

/* Memory Proximity Domain Attributes: @mem's attached initiator is @cpu. */
static void proximity(uint32_t cpu, uint32_t mem)
{
	put16(0); /* type */
	put16(0);
	put32(40); /* length */
	put16(1); /* flags: processor proximity domain valid */
	put16(0);
	put32(cpu);
	put32(mem);
	put32(0);
	put64(0);
	put64(0);
}

/* One locality structure from initiator 0 to targets 0 and 1. */
static void locality(uint8_t data_type, uint64_t base, uint16_t to_dram,
		     uint16_t to_dev)
{
	put16(1); /* type */
	put16(0);
	put32(32 + 4 + 2 * 4 + 2 * 2); /* length */
	put8(0); /* flags: memory hierarchy */
	put8(data_type);
	put8(0);
	put8(0);
	put32(1); /* initiators */
	put32(2); /* targets */
	put32(0);
	put64(base);
	put32(0); /* initiator list */
	put32(0); /* target list */
	put32(1);
	put16(to_dram);
	put16(to_dev);
}

int main(int argc, char **argv)
{
	uint8_t sum = 0;
	uint32_t n;
	size_t i;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: kmm-hmat-table OUT\n");
		return 2;
	}
	put("HMAT", 4);
	put32(0); /* length, below */
	put8(2); /* revision: ACPI 6.3 */
	put8(0); /* checksum, below */
	put("BOCHS ", 6); /* QEMU's OEM ID */
	put("BXPC    ", 8); /* and table ID */
	put32(2); /* OEM revision: an upgrade must be newer than QEMU's 1 */
	put("BXPC", 4);
	put32(1);
	put32(0); /* reserved */
	proximity(0, 0);
	proximity(0, 1);
	locality(0 /* access latency */, 1000, 100, 300);
	locality(3 /* access bandwidth */, 1ULL << 49, 1, 65534);
	n = len;
	memcpy(tbl + 4, &n, 4);
	for (i = 0; i < len; i++)
		sum += tbl[i];
	tbl[9] = -sum;
	f = fopen(argv[1], "wb");
	if (!f || fwrite(tbl, 1, len, f) != len || fclose(f)) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
