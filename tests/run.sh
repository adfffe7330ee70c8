#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The guest suite: install kmem_mom into a staging root per kernel (make
# install, as a user would), then boot each kernel with each device recipe
# and run the guest scenarios.  One top-level TAP line per guest run, the
# guest's own TAP indented beneath it; then the summary table of the runs
# that report one (tests/guest/lib.sh: summary), also written to
# build/summary-SET.md.
#   tests/run.sh [-S check|stress|debug] [-k KVER]... [-s SCENARIO]... [-l]
# -S: the scenario set, "check" (make check, the default), "stress"
# (make stress: the full-length reliability suite) or "debug" (make
# check-debug, on the debug lane's kernel).  -l lists the guest runs
# ("KVER NAME") and runs nothing.
# -k: a release, a kernels.env name (K61, K612, K73), a kernels-arm64.env
# name (A61, A612, A73), or "arm64" for all three arm64 kernels.  Without
# -k: the x86 and the arm64 kernels.  An arm64 kernel (*-arm64) runs the
# scenarios marked arch=arm64 and only those (tests/boot-guest.sh boots it
# under qemu-system-aarch64); an x86 kernel never runs them.
set -uo pipefail
. "$(dirname "$0")/../devel/lib.sh"
kmm_kernels_env

kernels=() only=() set=check list=
while getopts S:k:s:l o; do
	case $o in
	l) list=1 ;;
	S) set=$OPTARG ;;
	k) kernels+=("$OPTARG") ;;
	s) only+=("$OPTARG") ;;
	*) exit 2 ;;
	esac
done
[ ${#kernels[@]} -gt 0 ] || kernels=("$K61" "$K612" "$K73" "$A61" "$A612" "$A73")
# Names to releases.
resolved=()
for k in "${kernels[@]}"; do
	case $k in
	K[0-9]*) resolved+=("${!k:?"-k $k: no such name in kernels.env"}") ;;
	A[0-9]* | arm64)
		[ -f "$KMM_STATE/kernels-arm64.env" ] ||
			kmm_die "-k $k: $KMM_STATE/kernels-arm64.env missing (devel/kernels-arm64.sh)"
		# shellcheck disable=SC1091
		. "$KMM_STATE/kernels-arm64.env"
		if [ "$k" = arm64 ]; then
			resolved+=("$A61" "$A612" "$A73")
		else
			resolved+=("${!k:?"-k $k: no such name in kernels-arm64.env"}")
		fi
		;;
	*) resolved+=("$k") ;;
	esac
done
kernels=("${resolved[@]}")

# name | script | device | kernel cmdline | options
#   options: fi = test build with fault injection (make KMM_FAULT_INJECT=1)
#            min=X.Y = kernels from X.Y on
#            series=X.Y = only kernels of the X.Y series
#            sets=A,B = the sets it belongs to (default: check)
#            env=NAME=VALUE = for the recipe (host) and /kmm/env (guest)
#            timeout=SECONDS = for the guest (default 300)
#            kselftest = the kernel's memory-hotplug selftest of the guest
#                        kernel's series, under /kmm-linux in the guest
#            large = a guest whose host memory (a memmap of 8 GiB or so,
#                    sparse backends touched) allows one at a time: it
#                    waits for the others' turn (a lock on the machine)
#            injected = the stack dumps of injected allocation failures
#                       are the test's record, not a console failure
#            offline-retries = the stack dumps of an offline's failed
#                       migration-target allocations are let through (the
#                       kernel's selftest offlines boot memory whose pages
#                       may have nowhere to go; tests/guest/selftest.sh)
#            arch=arm64 = for the arm64 kernels only (default: x86 only)
# Userland follows the kernel's Debian release: bookworm (daxctl/cxl 76) for
# 6.1 and 6.12, trixie (81) for 7.x.
mom=memory_hotplug.memmap_on_memory=1
# auto_pair SOURCE: the rounds of auto-pair-slow (HMAT makes node1 and
# node2 12x DRAM's abstract distance; A and B each need 8 MiB of memmap;
# 2% of 1 GiB of boot RAM is a 20 MiB budget), then a budget for A only,
# none at all, and a RAM check that leaves room for neither.
auto_pair() {
	local slow="slow,.12.00x.DRAM.s.access.cost..$1."
	printf '%s' "@ram:$slow,.8.MiB.of.memmap.within.the.20.MiB.budget..0.MiB.in.use.:.slow.memory.->.ram" \
		"/ram:8.MiB.of.memmap.within.the.20.MiB.budget..8.MiB.in.use.:.slow.memory.->.ram" \
		";memmap_ram_budget=10M@ram:8.MiB.of.memmap.within.the.10.MiB.budget..0.MiB.in.use." \
		"/device:8.MiB.of.memmap.over.the.10.MiB.budget..8.MiB.in.use.:.over.budget.->.device" \
		";memmap_ram_budget=0@device:over.the.0.MiB.budget..0.MiB.in.use.:.over.budget.->.device" \
		"/device:over.the.0.MiB.budget..0.MiB.in.use.:.over.budget.->.device" \
		";memmap_ram_budget=100%+ram_cap=12582912@device:4.MiB.of.RAM.free:.not.enough.free.RAM.->.device" \
		"/device:not.enough.free.RAM.->.device"
}
cases_env="env=KMM_UDEV=1 env=KMM_CASES"
scenarios=(
	# The debug lane (make check-debug, on its KASAN/lockdep/kmemleak
	# kernel; timeouts there are 5x): these first, the longest, then the
	# lines tagged debug below.  Its KASAN shadow of a block onlined into
	# a kernel zone pins the device's other blocks, so a ZONE_NORMAL case
	# is a guest's last.  policy-debug-hmem's six cases outran 4500 s at
	# the fifth, beside three other guests.
	"allocfail-multi|tests/guest/allocfail.sh|multi|$mom|sets=debug injected timeout=1200"
	"policy-debug-hmem|tests/guest/policy.sh|hmem|$mom|sets=debug series=6.12 timeout=1600 $cases_env=mom:online_movable:device,movable:booted:device,movable:booted:ram,kmem:online_movable:ram,movable:booted:auto,mom:booted:ram"
	"cycles-50|tests/guest/cycles.sh|hmem|$mom|sets=debug env=KMM_CYCLES=50 timeout=1200"
	"policy-debug-cxl|tests/guest/policy.sh|cxl|$mom|sets=debug series=6.12 timeout=900 $cases_env=movable:booted:device,mom:online_movable:ram,mom:booted:device"
	"policy-debug-pmem|tests/guest/policy.sh|pmem||sets=debug series=6.12 timeout=900 $cases_env=movable:booted:fallback,mom:online_movable:ram,mom:booted:auto"
	"bind-hmem|tests/guest/bind.sh|hmem|$mom|env=KMM_HMAT=dram env=KMM_AUTO_WHY=fast,.1.00x.DRAM.+:.fast.or.unknown.volatile.memory.->.device sets=check,debug"
	"bind-pmem|tests/guest/bind.sh|pmem||series=6.1 env=KMM_AUTO_WHY=^auto:.persistent.memory.+:.persistent.memory.->.ram"
	"bind-pmem|tests/guest/bind.sh|pmem||min=6.12 env=KMM_AUTO_WHY=^auto:.persistent.memory.+:.the.kernel.cannot.place.it.on.the.device.->.ram sets=check,debug"
	# Two CPU initiators, the device slow from node0 and as fast as DRAM
	# from node2, which the HMAT attaches to it: kmem_mom's own HMAT reader
	# (6.1) and the memory tiers (6.12+) both see DRAM's speed.
	"bind-hmem-twoinit|tests/guest/bind.sh|hmem-twoinit|$mom|series=6.1 env=KMM_AUTO_WHY=fast,.1.00x.DRAM.s.access.cost..HMAT.+:.fast.or.unknown.volatile.memory.->.device"
	"bind-hmem-twoinit|tests/guest/bind.sh|hmem-twoinit|$mom|min=6.12 env=KMM_AUTO_WHY=fast,.1.00x.DRAM.s.access.cost..memory.tiers.+:.fast.or.unknown.volatile.memory.->.device"
	"hmat-overflow|tests/guest/hmat.sh|hmem-hmat-overflow||series=6.1"
	"autobind-hmem|tests/guest/autobind.sh|hmem|$mom|"
	"cost-hmem|tests/guest/cost.sh|hmem|$mom|"
	"fallback-pmem|tests/guest/fallback.sh|pmem||fi sets=check,debug"
	"bind-nvdimm|tests/guest/bind.sh|nvdimm||series=6.1 env=KMM_AUTO_WHY=^auto:.persistent.memory..region0.+:.persistent.memory.->.ram"
	"bind-nvdimm|tests/guest/bind.sh|nvdimm||min=6.12 env=KMM_AUTO_WHY=^auto:.persistent.memory..region0.+:.the.kernel.cannot.place.it.on.the.device.->.ram sets=check,debug"
	"badnode-nvdimm|tests/guest/badnode.sh|nvdimm-nonuma||"
	"cxl|tests/guest/cxl.sh|cxl|$mom|min=6.12 sets=check,debug"
	"switch-multi|tests/guest/switch.sh|multi|$mom|"
	"hostile-multi|tests/guest/hostile.sh|multi|$mom|fi sets=check,stress,debug"
	"takeover-hmem|tests/guest/takeover.sh|hmem|$mom|sets=check,debug"
	"neighbour-pair|tests/guest/neighbour.sh|pair|$mom|"
	"multirange-hmem|tests/guest/multirange.sh|hmem|$mom|"
	# memmap_on_memory=auto: slow media and the budget (pair), persistent
	# media with the boot parameter, and without it (then the RAM check).
	# 6.12 pair: 3 min on its kernel; on the debug kernel 19 min alone and
	# past 25 beside other guests (there 5 x 900 s).
	"auto-pair-slow|tests/guest/auto.sh|pair-nodes|$mom|fi series=6.1 env=KMM_HMAT=slow env=KMM_AUTO_ROUNDS=$(auto_pair HMAT)"
	"auto-pair-slow|tests/guest/auto.sh|pair-nodes|$mom|fi min=6.12 timeout=900 env=KMM_HMAT=slow env=KMM_AUTO_ROUNDS=$(auto_pair memory.tiers) sets=check,debug"
	"auto-pmem|tests/guest/auto.sh|pmem|$mom|min=6.12 env=KMM_AUTO_ROUNDS=@ram:persistent.memory..region0.,.speed.unknown,.14.MiB.of.memmap.within.the.20.MiB.budget..0.MiB.in.use.:.persistent.memory.->.ram;memmap_on_memory=1@device:memmap_on_memory=1.->.device"
	"auto-hmem-noparam|tests/guest/auto.sh|hmem||fi series=6.1 env=KMM_HMAT=dram env=KMM_AUTO_ROUNDS=@ram:fast,.1.00x.DRAM.s.access.cost..HMAT.,.16.MiB.of.memmap.within.+:.fast.or.unknown.volatile.memory.->.device;ram_cap=4194304@refused:;memmap_fallback=0@nofallback:fast.or.unknown.volatile.memory.->.device"
	"auto-hmem-noparam|tests/guest/auto.sh|hmem||fi min=6.12 env=KMM_HMAT=dram env=KMM_AUTO_ROUNDS=@ram:fast,.1.00x.DRAM.s.access.cost..memory.tiers.,.16.MiB.of.memmap.within.+:.the.kernel.cannot.place.it.on.the.device.->.ram;ram_cap=4194304@refused:;memmap_fallback=0@nofallback:fast.or.unknown.volatile.memory.->.device"
	# kmem-mom, the command: every device recipe, with and without the
	# boot parameter.
	"tool-hmem|tests/guest/tool.sh|hmem|$mom|"
	"tool-pmem|tests/guest/tool.sh|pmem||"
	"tool-nvdimm|tests/guest/tool.sh|nvdimm|$mom|"
	"tool-cxl|tests/guest/tool.sh|cxl|$mom|min=6.12"
	# Reliability (issue 5): short versions in check, full ones in stress.
	"access-multi|tests/guest/access.sh|multi|$mom|fi sets=check,stress,debug"
	"ramshort-bench48|tests/guest/ramshort.sh|bench|$mom|env=KMM_BENCH_GIB=48 sets=check,stress"
	"cycles-short|tests/guest/cycles.sh|hmem|$mom|env=KMM_CYCLES=10"
	"integrity-short|tests/guest/integrity.sh|hmem|$mom|env=KMM_FILL_MIB=128 env=KMM_ZONES=Movable sets=check,debug"
	"integrity-normal-short|tests/guest/integrity.sh|hmem|$mom|env=KMM_FILL_MIB=128 env=KMM_ZONES=Normal env=KMM_PLACEMENTS=device"
	"load-short|tests/guest/load.sh|hmem|$mom|env=KMM_LOAD_CYCLES=3"
	# 2.5 min on its kernel; on the debug kernel a third of it took 1500 s.
	"faults-short|tests/guest/faults.sh|multi|$mom|fi timeout=900 env=KMM_CONCURRENT=5 sets=check,debug"
	"selftest-6.1|tests/guest/selftest.sh|hmem|$mom|kselftest offline-retries series=6.1 timeout=900"
	# online=movable holds while the device is bound, against a RHEL-style
	# rule, chmem, daxctl --no-movable and plain writes.
	"movable-hmem|tests/guest/movable.sh|hmem|$mom|env=KMM_UDEV=1"
	# Real sizes under the kernel's policy as booted, beside the in-tree
	# kmem with its own knob in the same guest: 72 GiB (576 blocks over
	# three new section roots and a new PMD table), and on 7.3 the same
	# with 2 GiB blocks (65 GiB of boot RAM; 6.12's settles of such a
	# guest take 40 s each, so its 2 GiB blocks are in make stress).  7.x
	# keeps a device in ZONE_NORMAL (the node's kswapd), kmem's as
	# kmem_mom's: there the knob case is the last.
	"size-hmem-72|tests/guest/policy.sh|hmem|$mom|series=6.12 timeout=1800 env=KMM_DEV_GIB=72 env=KMM_BOOT_GIB=3 $cases_env=knob:booted:device,mom:booted:device,mom:booted:auto"
	"size-hmem-72|tests/guest/policy.sh|hmem|$mom|series=7.3 timeout=1800 env=KMM_DEV_GIB=72 env=KMM_BOOT_GIB=3 $cases_env=movable:booted:device,movable:booted:auto,knob:booted:device"
	"size-hmem-72-2g|tests/guest/policy.sh|hmem|$mom|series=7.3 timeout=1800 env=KMM_DEV_GIB=72 env=KMM_BOOT_GIB=65 $cases_env=movable:booted:device,knob:booted:device"
	# 72 GiB under every online policy a Debian kernel boots with, not
	# only its own: the blocks added first keep the memmap's tables out of
	# the device whatever zone the policy picks (on 7.3 a ZONE_NORMAL case
	# is a guest's last).
	"size-hmem-72-policies|tests/guest/policy.sh|hmem|$mom|sets=stress series=6.1 timeout=2400 env=KMM_DEV_GIB=72 env=KMM_BOOT_GIB=3 $cases_env=mom:offline:device,mom:online_movable:device,mom:online_kernel:device,mom:auto-movable:device"
	"size-hmem-72-policies|tests/guest/policy.sh|hmem|$mom|sets=stress series=6.12 timeout=2400 env=KMM_DEV_GIB=72 env=KMM_BOOT_GIB=3 $cases_env=mom:offline:device,mom:online_movable:device,mom:online_kernel:device,mom:auto-movable:device"
	"size-hmem-72-policies|tests/guest/policy.sh|hmem|$mom|sets=stress series=7.3 timeout=2400 env=KMM_DEV_GIB=72 env=KMM_BOOT_GIB=3 $cases_env=mom:offline:device,mom:online_movable:device,mom:online_kernel:device"
	# 62 GiB from 68 GiB with 2 GiB blocks: the last block alone in a new
	# PMD table's reach, which no other section keeps: added after the
	# first blocks, before anything of the device is online (tables.c).
	"size-hmem-62-2g-lone|tests/guest/policy.sh|hmem|$mom|sets=stress series=6.12 timeout=1800 env=KMM_DEV_GIB=62 env=KMM_BOOT_GIB=65 $cases_env=knob:booted:device,mom:booted:device"
	"size-hmem-62-2g-lone|tests/guest/policy.sh|hmem|$mom memhp_default_state=online|sets=stress series=6.1 timeout=1800 env=KMM_DEV_GIB=62 env=KMM_BOOT_GIB=65 $cases_env=kmem:booted:ram,mom:booted:device"
	# The kernel's online policy unpinned, udev binding devices: every
	# policy, device and placement at least once per kernel (the full
	# product is policy_matrix, in stress).  7.x cannot give back a device
	# the kernel onlined to ZONE_NORMAL, so there such a case ends a guest.
	"policy-hmem|tests/guest/policy.sh|hmem|$mom|timeout=1800 series=6.1 $cases_env=kmem:online:ram,mom:offline:device,mom:online:device,mom:online:ram,mom:online_kernel:device,mom:online_movable:ram,mom:auto-movable:device,movable:online:device,movable:online:ram,mom:online:auto"
	"policy-pmem|tests/guest/policy.sh|pmem||timeout=1800 series=6.1 $cases_env=kmem:online:ram,mom:online:fallback,movable:online:fallback,mom:online_movable:fallback,mom:auto-movable:fallback,mom:online:auto"
	"policy-hmem|tests/guest/policy.sh|hmem|$mom|timeout=1800 series=6.12 $cases_env=kmem:booted:ram,mom:booted:device,mom:booted:ram,mom:online_kernel:ram,mom:online_movable:device,mom:auto-movable:device,movable:booted:device,movable:booted:ram,mom:booted:auto"
	"policy-hmem-fallback|tests/guest/policy.sh|hmem||timeout=1800 series=6.12 $cases_env=mom:booted:fallback,movable:booted:fallback,mom:auto-movable:fallback,mom:online_kernel:fallback,mom:booted:auto"
	"policy-cxl|tests/guest/policy.sh|cxl|$mom|timeout=1800 series=6.12 $cases_env=mom:booted:device,mom:booted:ram,movable:booted:ram,mom:booted:auto"
	"policy-pmem|tests/guest/policy.sh|pmem||timeout=1800 series=6.12 $cases_env=kmem:booted:ram,mom:booted:fallback,movable:booted:ram,mom:booted:auto"
	"policy-hmem|tests/guest/policy.sh|hmem|$mom|timeout=1800 series=7.3 $cases_env=mom:online_movable:device,movable:booted:device,movable:booted:ram,kmem:online_movable:ram,movable:booted:auto,mom:booted:device"
	"policy-hmem-ram|tests/guest/policy.sh|hmem|$mom|timeout=1800 series=7.3 $cases_env=mom:online_movable:ram,mom:booted:ram"
	"policy-hmem-fallback|tests/guest/policy.sh|hmem||timeout=1800 series=7.3 $cases_env=movable:booted:fallback,mom:online_movable:fallback,movable:booted:auto,mom:auto-movable:fallback"
	"policy-cxl|tests/guest/policy.sh|cxl|$mom|timeout=1800 series=7.3 $cases_env=movable:booted:device,mom:online_movable:ram,movable:booted:auto,mom:online_kernel:device"
	"policy-pmem|tests/guest/policy.sh|pmem||timeout=1800 series=7.3 $cases_env=movable:booted:fallback,mom:online_movable:ram,movable:booted:auto,kmem:booted:ram"
	# Where the memmap's page tables and section roots land while a 72 GiB
	# device binds under the policy as booted, traced with return probes:
	# the in-tree kmem with its knob, then kmem_mom, one guest each (the
	# roots the first bind makes are never freed).  6.12+: 6.1 refuses a
	# probe on vmemmap_alloc_block(); there the module's own read-back
	# (memmap_tables_in_device, policy.sh) and the give-back tell.
	"tables-hmem-72-ref|tests/guest/tables.sh|hmem|$mom|sets=stress min=6.12 timeout=1200 env=KMM_DEV_GIB=72 env=KMM_BOOT_GIB=3 env=KMM_CASES=knob"
	"tables-hmem-72-mom|tests/guest/tables.sh|hmem|$mom|sets=stress min=6.12 timeout=1200 env=KMM_DEV_GIB=72 env=KMM_BOOT_GIB=3 env=KMM_CASES=mom"
	"cycles|tests/guest/cycles.sh|hmem|$mom|sets=stress env=KMM_CYCLES=200 timeout=3000"
	"integrity|tests/guest/integrity.sh|hmem|$mom|sets=stress env=KMM_ZONES=Movable timeout=1800"
	"integrity-normal-device|tests/guest/integrity.sh|hmem|$mom|sets=stress env=KMM_ZONES=Normal env=KMM_PLACEMENTS=device timeout=1800"
	"integrity-normal-ram|tests/guest/integrity.sh|hmem|$mom|sets=stress env=KMM_ZONES=Normal env=KMM_PLACEMENTS=ram timeout=1800"
	"load|tests/guest/load.sh|hmem|$mom|sets=stress env=KMM_LOAD_CYCLES=20 timeout=1200"
	"faults|tests/guest/faults.sh|multi|$mom|sets=stress fi env=KMM_CONCURRENT=50 timeout=1200"
	"selftest|tests/guest/selftest.sh|hmem|$mom|kselftest offline-retries sets=stress timeout=900"

	# arm64 (qemu-system-aarch64, TCG, virt): the NVDIMM (through UEFI's
	# ACPI) on 6.12 and 7.3, and soft-reserved memory (hmem, the EFI
	# memory map handed over by tests/boot-guest.sh itself) on 6.12 only:
	# QEMU 10.0's virt has no CXL, no firmware marks memory
	# EFI_MEMORY_SP, and 7.3's dax_hmem looks for soft-reserved ranges
	# only where x86's e820 puts them (soft_reserve_resource), not where
	# arm64's EFI code does (iomem_resource).  Debian's arm64 6.1 has no
	# ZONE_DEVICE (no devdax from an NVDIMM) and, with DAX=m, no hmem
	# devices: it only loads kmem_mom.  Debian's arm64 6.12 boots with
	# hot-added memory offline; 7.3 with MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO.
	# TCG guests on this host take 8 s to boot, a 1 GiB bind 13-15 s, a
	# 72 GiB one about 40 s.
	"intree-nvdimm|tests/guest/intree.sh|nvdimm||arch=arm64 min=6.12"
	"loadonly-6.1|tests/guest/loadonly.sh|none||arch=arm64 series=6.1"
	"bind-nvdimm|tests/guest/bind.sh|nvdimm||arch=arm64 min=6.12 env=KMM_AUTO_WHY=^auto:.persistent.memory..region0.+:.the.kernel.cannot.place.it.on.the.device.->.ram"
	"auto-nvdimm|tests/guest/auto.sh|nvdimm|$mom|arch=arm64 series=6.12 env=KMM_AUTO_ROUNDS=@ram:persistent.memory..region0.,.speed.unknown,.14.MiB.of.memmap.within.the.20.MiB.budget..0.MiB.in.use.:.persistent.memory.->.ram;memmap_on_memory=1@device:memmap_on_memory=1.->.device"
	"policy-nvdimm|tests/guest/policy.sh|nvdimm|$mom|arch=arm64 sets=check,stress series=6.12 timeout=1800 $cases_env=kmem:booted:ram,mom:booted:device,mom:booted:ram,mom:online:device,mom:online_movable:device,movable:online:device,mom:booted:auto"
	# arm64 7.x refuses to offline a block whose memmap is on it (its
	# notifier sees the vmemmap leaf split, leafsplit.sh): there a device
	# with the memmap on it cannot be given back, by either driver, so
	# 7.3's policy and size guests keep the memmap in RAM and auto-nvdimm
	# (whose second round puts it on the device) is 6.12's only.
	"leafsplit-nvdimm|tests/guest/leafsplit.sh|nvdimm|$mom|arch=arm64 series=6.12 env=KMM_LEAFSPLIT=given-back"
	"leafsplit-nvdimm|tests/guest/leafsplit.sh|nvdimm|$mom|arch=arm64 series=7.3 env=KMM_LEAFSPLIT=refused"
	# kmem_mom itself there: it must say so at bind on 7.3, and not on 6.12.
	"leafsplit-mom-nvdimm|tests/guest/leafsplit.sh|nvdimm|$mom|arch=arm64 series=6.12 env=KMM_LEAFSPLIT_DRIVER=kmem_mom env=KMM_LEAFSPLIT=given-back"
	"leafsplit-mom-nvdimm|tests/guest/leafsplit.sh|nvdimm|$mom|arch=arm64 series=7.3 env=KMM_LEAFSPLIT_DRIVER=kmem_mom env=KMM_LEAFSPLIT=refused"
	"policy-nvdimm|tests/guest/policy.sh|nvdimm|$mom|arch=arm64 sets=check,stress series=7.3 timeout=1800 $cases_env=mom:online_movable:ram,movable:booted:ram,movable:booted:auto,mom:booted:ram"
	"size-nvdimm-72|tests/guest/policy.sh|nvdimm|$mom|arch=arm64 sets=check,stress series=6.12 timeout=2400 env=KMM_DEV_GIB=72 env=KMM_BOOT_GIB=3 $cases_env=knob:booted:device,mom:booted:device,movable:online:device"
	"size-nvdimm-72|tests/guest/policy.sh|nvdimm|$mom|arch=arm64 sets=check,stress series=7.3 timeout=2400 env=KMM_DEV_GIB=72 env=KMM_BOOT_GIB=3 $cases_env=movable:booted:ram,mom:booted:ram"
	# kmem-mom (its ASan/UBSan build): plan's DRAM, with the linear map,
	# against the bind.  7.3 without the boot parameter, whose memmap on
	# the device could not be given back between the rounds.  The
	# sanitized command under TCG takes 250 s to the first bind: stress.
	"tool-nvdimm|tests/guest/tool.sh|nvdimm|$mom|arch=arm64 sets=stress series=6.12 timeout=1500"
	"tool-hmem|tests/guest/tool.sh|hmem|$mom|arch=arm64 sets=stress series=6.12 timeout=1500"
	"tool-nvdimm|tests/guest/tool.sh|nvdimm||arch=arm64 sets=stress series=7.3 timeout=1500"
	"bind-hmem|tests/guest/bind.sh|hmem|$mom|arch=arm64 series=6.12 env=KMM_AUTO_WHY=^auto:.volatile.memory..hmem.0.,.speed.unknown.+:.fast.or.unknown.volatile.memory.->.device"
	# The same on a CPU without LPA2 (most arm64 servers today): 6.12's
	# 52-bit kernel runs with 48-bit addresses, its fifth level folded at
	# run time, and kmem_mom's walk from TTBR1_EL1 must fold it the same.
	"bind-hmem-n1|tests/guest/bind.sh|hmem|$mom|arch=arm64 series=6.12 env=KMM_ARM64_CPU=neoverse-n1 env=KMM_AUTO_WHY=^auto:.volatile.memory..hmem.0.,.speed.unknown.+:.fast.or.unknown.volatile.memory.->.device"
	# The RAM check on arm64: without the boot parameter auto takes RAM,
	# a RAM check that sees 4 MiB refuses the bind, memmap_fallback=0
	# fails it.
	"auto-hmem-noparam|tests/guest/auto.sh|hmem||fi arch=arm64 series=6.12 env=KMM_AUTO_ROUNDS=@ram:speed.unknown,.16.MiB.of.memmap.within.+:.the.kernel.cannot.place.it.on.the.device.->.ram;ram_cap=4194304@refused:;memmap_fallback=0@nofallback:fast.or.unknown.volatile.memory.->.device"
	"autobind-hmem|tests/guest/autobind.sh|hmem|$mom|arch=arm64 sets=stress series=6.12"
	"takeover-hmem|tests/guest/takeover.sh|hmem|$mom|arch=arm64 sets=stress series=6.12"
	"movable-hmem|tests/guest/movable.sh|hmem|$mom|arch=arm64 sets=stress series=6.12 env=KMM_UDEV=1"
	"policy-hmem|tests/guest/policy.sh|hmem|$mom|arch=arm64 sets=stress series=6.12 timeout=1800 $cases_env=kmem:booted:ram,mom:booted:device,mom:booted:ram,mom:online:device,mom:online_movable:device,movable:online:device,mom:booted:auto"
	"size-hmem-72|tests/guest/policy.sh|hmem|$mom|arch=arm64 sets=stress series=6.12 timeout=2400 env=KMM_DEV_GIB=72 env=KMM_BOOT_GIB=3 $cases_env=knob:booted:device,mom:booted:device,movable:online:device"
)

# The policy matrix of make stress: every driver (in-tree kmem, kmem_mom,
# kmem_mom online=movable), online policy and placement, on every device.
# One guest per series, device and boot parameter holds every case the
# kernel can give back; on 7.x a case that ends in ZONE_NORMAL cannot be
# given back (the node's kswapd lives there), so it gets a guest of its own.
policy_matrix() {
	local series dev param drv pol place cases normal c n
	for series in 6.1 6.12 7.3; do
		for dev in hmem cxl pmem; do
			[ "$dev/$series" = cxl/6.1 ] && continue
			for param in on off; do
				cases=() normal=()
				for drv in kmem mom movable; do
					for pol in booted online online_kernel online_movable auto-movable; do
						# Debian 6.12 and 7.3 boot with "online".
						[ "$pol" = online ] && [ "$series" != 6.1 ] && continue
						for place in device ram fallback auto; do
							case $param/$place in
							on/fallback | off/device | off/ram) continue ;;
							esac
							[ "$drv" = kmem ] && [ "$place" != ram ] && continue
							c=$drv:$pol:$place
							if [ "$series" = 7.3 ] && [ "$drv" != movable ] &&
								[[ " booted online online_kernel auto-movable " == *" $pol "* ]]; then
								normal+=("$c")
							else
								cases+=("$c")
							fi
						done
					done
				done
				[ "$param" = on ] && param=$mom || param=
				n=0
				c=$(IFS=,; echo "${cases[*]}")
				scenarios+=("matrix-$dev${param:+-param}|tests/guest/policy.sh|$dev|$param|sets=stress series=$series timeout=1800 $cases_env=$c")
				for c in ${normal[@]+"${normal[@]}"}; do
					n=$((n + 1))
					scenarios+=("matrix-$dev${param:+-param}-normal$n|tests/guest/policy.sh|$dev|$param|sets=stress series=$series timeout=600 $cases_env=$c")
				done
			done
		done
	done
}
policy_matrix

# The size matrix of make stress: 72 and 512 GiB of soft-reserved memory
# and pmem, and a 72 GiB CXL region (6.3+), on every series, with the boot
# parameter on and off, and 72 GiB with 2 GiB blocks (boot parameter on),
# under the policy the kernel boots with (and 6.1 also with
# memhp_default_state=online): the in-tree kmem (with its knob
# where it has one and can use it), kmem_mom, and kmem_mom online=movable.
# Where a case ends in ZONE_NORMAL on 7.x it cannot be given back, by
# either driver: such a case is the last of its guest.  Boot RAM holds a
# memmap in RAM (1.1 or 8 GiB); 512 GiB guests take turns (large).
# A 512 GiB guest holds one kind of memmap, so that QEMU keeps at most
# one 8 GiB memmap resident (a guest's touched pages stay allocated on the
# host): the memmap in RAM (11 GiB of boot RAM; the in-tree kmem on 6.1,
# every case with the boot parameter off) or on the device (5 GiB of boot
# RAM, enough for device_dax's own memmap of a hmem device given back:
# 2 GiB, 2 MiB compound pages).  6.1 with the boot parameter splits in two.
size_guests() { # size_guests TAG DEVICE APPEND MORE CASE...
	local tag=$1 dev=$2 append=$3 more=$4 c
	shift 4
	c=$(IFS=,; echo "$*")
	scenarios+=("$tag|tests/guest/policy.sh|$dev|$append|sets=stress $more $cases_env=$c")
}
size_matrix() {
	local series dev gib size param ref place boot append c cases tag more
	for series in 6.1 6.12 7.3; do
		for dev in hmem pmem cxl; do
			[ "$dev/$series" = cxl/6.1 ] && continue
			for gib in 72 512 72b2g; do
				[ "$dev/$gib" = cxl/512 ] && continue
				for param in on off memhp; do
					[ "$param" = memhp ] && { [ "$series" != 6.1 ] || [ "$gib" != 72 ]; } && continue
					[ "$gib" = 72b2g ] && [ "$param" != on ] && continue
					append=$mom place=device ref=kmem:booted:ram
					[ "$param" = off ] && append= place=fallback
					[ "$param" = memhp ] && append="$mom memhp_default_state=online"
					[ "$series" != 6.1 ] && [ "$param" = on ] && ref=knob:booted:device
					cases=("$ref" "mom:booted:$place" "movable:booted:$place")
					boot=3
					[ "$gib" = 512 ] && boot=11
					tag=size-$dev-$gib-param$param
					size=$gib
					# 2 GiB blocks: boot RAM ending at 68 GiB.
					[ "$gib" = 72b2g ] && size=72 boot=65
					more="series=$series timeout=2400 env=KMM_DEV_GIB=$size env=KMM_BOOT_GIB=$boot"
					# Three binds of 4096 blocks under TCG: 35 to 45 min on a
					# host shared with other work (40 min seen killing one).
					[ "$gib" = 512 ] && more="${more/timeout=2400/timeout=5400} large"
					if [ "$gib/$param/$ref" = 512/on/kmem:booted:ram ]; then
						size_guests "$tag-ram" "$dev" "$append" "$more" "$ref"
						more=${more/KMM_BOOT_GIB=11/KMM_BOOT_GIB=5}
						size_guests "$tag" "$dev" "$append" "$more" "${cases[@]:1}"
						continue
					fi
					[ "$gib/$param" = 512/on ] && more=${more/KMM_BOOT_GIB=11/KMM_BOOT_GIB=5}
					if [ "$series" = 7.3 ]; then
						# online=movable gives back; then one stuck case a guest.
						size_guests "$tag-1" "$dev" "$append" "$more" "${cases[2]}" "${cases[0]}"
						size_guests "$tag-2" "$dev" "$append" "$more" "${cases[1]}"
					else
						size_guests "$tag" "$dev" "$append" "$more" "${cases[@]}"
					fi
				done
			done
		done
	done
}
size_matrix

case $set in
check | stress | debug) ;;
*) kmm_die "-S $set: want check, stress or debug" ;;
esac

stage() { "$KMM_TOP/devel/stage.sh" "$1" "$2" >/dev/null 2>&1; }

helpers=$KMM_TOP/build/helpers
[ -n "$list" ] || "$KMM_TOP/tests/helpers/build.sh" "$helpers" || kmm_die "test helpers do not build"
# The arm64 guests' helpers, cross-built, only when an arm64 kernel runs.
helpers_arm64=$KMM_TOP/build/helpers-arm64
if [ -z "$list" ] && [[ " ${kernels[*]} " == *-arm64" "* ]]; then
	"$KMM_TOP/tests/helpers/build.sh" "$helpers_arm64" aarch64-linux-gnu-gcc ||
		kmm_die "arm64 test helpers do not build"
fi

# kselftest KVER: an overlay with the memory-hotplug selftest of KVER's
# series at /kmm-linux/tools/testing/selftests/memory-hotplug.
kselftest() {
	local ov=$KMM_STATE/kselftest/${1%%-*}
	local dir=tools/testing/selftests/memory-hotplug
	[ -f "$ov/kmm-linux/$dir/mem-on-off-test.sh" ] ||
		(kmm_linux_source "$1" "$ov/kmm-linux" "$dir") >&2 || return 1
	echo "$ov"
}

# The table: one row per "# summary|..." line of a run; a failed run's rows
# say fail whatever the guest thought, and a run that printed none gets one.
table=$KMM_TOP/build/summary-$set.md
add_rows() { # add_rows KVER NAME TAPFILE RC
	local rows
	rows=$(grep '^# summary|' "$3" | cut -d'|' -f2-) || true
	if [ -z "$rows" ]; then
		[ "$4" = 0 ] && return 0
		rows="$2|-|fail|-|no summary: the run failed"
	fi
	while IFS='|' read -r check iter result lost drift; do
		[ "$4" = 0 ] || result=fail
		echo "| $check | $1 | $iter | $result | $lost | $drift |"
	done <<<"$rows" >>"$table"
}

# The policy table: one row per "# policy|..." line (tests/guest/policy.sh).
ptable=$KMM_TOP/build/policy-$set.md
# The size table: the same rows from the size-* guests (the size family of
# make check, the size matrix of make stress), in a table of their own.
stable=$KMM_TOP/build/sizes-$set.md
# The tables table: one row per "# tables|..." line (tests/guest/tables.sh).
ttable=$KMM_TOP/build/tables-$set.md
# new_tables: the four tables, headers only.  Not for -l, which must not
# empty the tables of a run going on in the same tree.
new_tables() {
	mkdir -p "$KMM_TOP/build"
	printf '| check | kernel | iterations | result | data lost (bytes) | drift |\n|---|---|---|---|---|---|\n' >"$table"
	printf '%s\n' "| kernel | device | GiB | blocks | memmap_on_memory (boot) | driver | policy | placement | node0 DRAM spent (kB) | node1 MemTotal (kB) | node1 MemFree (kB) | present - managed (pages) | sysfs device/ram/hotplug | first blocks | zones movable/normal/offline | give-back |" \
		"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|" >"$ptable"
	head -n 2 "$ptable" >"$stable"
	printf '%s\n' "| kernel | device | driver | blocks | zones movable/normal/offline | page-table pages allocated | of them in the device | section roots allocated | of them in the device | give-back |" \
		"|---|---|---|---|---|---|---|---|---|---|" >"$ttable"
}
md_rows() { # md_rows TAG TAPFILE: the TAG lines as table rows
	grep "^# $1|" "$2" | cut -d'|' -f2- |
		awk -F'|' '{ for (i = 1; i <= NF; i++) printf "| %s ", $i; print "|" }' || true
}
# add_policy_rows TAPFILE NAME RC: a failed run's rows say so in their
# last column, whatever the guest thought of them.
add_policy_rows() {
	local t=$ptable
	[[ "$2" == size-* ]] && t=$stable
	md_rows policy "$1" | if [ "$3" = 0 ]; then cat; else
		sed "s/| \([^|]*\) |\$/| FAILED run (rc $3): \1 |/"
	fi >>"$t"
	md_rows tables "$1" >>"$ttable"
}

# Guests run KMM_JOBS at a time (default 2): a TCG guest's scripts keep
# about one host core busy, whatever its vCPUs.  Results are printed in the
# order the scenarios are listed, each as soon as it and those before it
# are done.
jobs_max=${KMM_JOBS:-2}
n=0 pass=0 fail=0 launched=0 printed=0 running=0
job_kver=() job_name=() job_out=()

# launch KVER NAME OUT CMD...: run one guest in the background; OUT.rc and
# OUT.secs say when it is done.
launch() {
	local kver=$1 name=$2 out=$3
	shift 3
	while [ "$running" -ge "$jobs_max" ]; do
		wait -n 2>/dev/null || true
		running=$(jobs -rp | wc -l)
	done
	rm -f "$out.rc" "$out.secs"
	(
		start=$(date +%s)
		"$@" >"$out.tap" 2>"$out.err"
		rc=$?
		echo $(($(date +%s) - start)) >"$out.secs"
		echo $rc >"$out.rc"
	) &
	job_kver[launched]=$kver job_name[launched]=$name job_out[launched]=$out
	launched=$((launched + 1))
	running=$(jobs -rp | wc -l)
}

# fail_job KVER NAME OUT REASON: a guest of the plan that cannot run; it
# is reported in its turn as "not ok" with REASON.
fail_job() {
	mkdir -p "${3%/*}"
	: >"$3.tap"
	printf '%s\n' "$4" >"$3.err"
	echo 0 >"$3.secs"
	echo 1 >"$3.rc"
	job_kver[launched]=$1 job_name[launched]=$2 job_out[launched]=$3
	launched=$((launched + 1))
}

# flush [final]: print every finished run not yet printed, in launch order.
# final (after the last wait): a run that left no rc (its subshell killed,
# a full disk) is a failure, not a gap.
flush() {
	local out rc retry
	while [ "$printed" -lt "$launched" ]; do
		out=${job_out[printed]}
		if [ ! -f "$out.rc" ]; then
			[ "${1:-}" = final ] || return 0
			echo "the run left no exit status (killed, or its files could not be written)" >>"$out.err"
			echo 255 >"$out.rc"
			[ -f "$out.secs" ] || echo '?' >"$out.secs"
			touch "$out.tap"
		fi
		rc=$(cat "$out.rc")
		n=$((n + 1))
		add_rows "${job_kver[printed]}" "${job_name[printed]}" "$out.tap" "$rc"
		add_policy_rows "$out.tap" "${job_name[printed]}" "$rc"
		sed 's/^/    /' "$out.tap"
		retry=
		grep -q '^# kmm-boot-retry' "$out.tap" && retry="; booted twice, the first boot died before /init"
		if [ "$rc" = 0 ]; then
			pass=$((pass + 1))
			echo "ok $n - ${job_kver[printed]} ${job_name[printed]} ($(cat "$out.secs") s$retry)"
		else
			fail=$((fail + 1))
			echo "not ok $n - ${job_kver[printed]} ${job_name[printed]}${retry:+ (${retry#; })}"
			sed 's/^/# /' "$out.err" | tail -n 40
		fi
		printed=$((printed + 1))
	done
}

# The plan: every guest run of this invocation, decided before anything
# runs ("KVER|SCENARIO" entries); "1..N" comes first and every one of them
# ends as ok or not ok.
plan=()
for kver in "${kernels[@]}"; do
	for sc in "${scenarios[@]}"; do
		IFS='|' read -r name script device append opts <<<"$sc"
		if [ ${#only[@]} -gt 0 ] && ! printf '%s\n' "${only[@]}" | grep -qx "$name"; then
			continue
		fi
		sets=check arch=x86
		for o in $opts; do
			case $o in
			min=*) kmm_kver_at_least "$kver" "${o#min=}" || continue 2 ;;
			series=*) [[ "$kver" == "${o#series=}".* ]] || continue 2 ;;
			sets=*) sets=${o#sets=} ;;
			arch=*) arch=${o#arch=} ;;
			esac
		done
		# The kernel's architecture must be the scenario's.
		case $kver in
		*-arm64) [ "$arch" = arm64 ] || continue ;;
		*) [ "$arch" = x86 ] || continue ;;
		esac
		[[ ",$sets," == *",$set,"* ]] || continue
		plan+=("$kver|$sc")
	done
done
# A -s that names no scenario is a typo, not an empty run.
for o in ${only[@]+"${only[@]}"}; do
	printf '%s\n' "${scenarios[@]}" | cut -d'|' -f1 | grep -qx -- "$o" ||
		kmm_die "no guest scenario is named '$o' (tests/run.sh -S SET -l lists them)"
done
if [ -n "$list" ]; then
	for p in ${plan[@]+"${plan[@]}"}; do
		IFS='|' read -r kver name _ <<<"$p"
		echo "$kver $name"
	done
	exit 0
fi
new_tables
echo "TAP version 13"
echo "1..${#plan[@]}"

staged_for= staged=
for p in ${plan[@]+"${plan[@]}"}; do
	IFS='|' read -r kver name script device append opts <<<"$p"
	out=$KMM_TOP/build/$kver/guest/$name
	mkdir -p "$KMM_TOP/build/$kver/guest"
	if [ "$staged_for" != "$kver" ]; then
		staged_for=$kver staged=
		for v in std fi; do
			if stage "$kver" $v; then
				staged+=" $v"
			else
				echo "# install kmem_mom ($v) for $kver failed; its guests fail:"
				sed 's/^/# /' "$KMM_TOP/build/$kver/install-$v.log" | tail -n 20
			fi
		done
	fi
	v=std rootfs=$(kmm_rootfs_for "$kver") timeout=300 envs=() more=() turn=() why=
	for o in $opts; do
		case $o in
		fi) v=fi ;;
		env=*) envs+=("${o#env=}") ;;
		timeout=*) timeout=${o#timeout=} ;;
		kselftest)
			if ks=$(kselftest "$kver"); then
				more+=(--overlay "$ks")
			else
				why="the memory-hotplug selftest of $kver's series could not be fetched (linux-source)"
			fi
			;;
		large) turn=(flock "$KMM_STATE/large-guest.lock") ;;
		injected) more+=(--allow-injected-failures) ;;
		offline-retries) more+=(--allow-offline-migration-failures) ;;
		esac
	done
	[ "$set" != debug ] || timeout=$((timeout * 5))
	[[ " $staged " == *" $v "* ]] || why="kmem_mom ($v) could not be installed for $kver (see above)"
	if [ -n "$why" ]; then
		fail_job "$kver" "$name" "$out" "$why"
		flush
		continue
	fi
	genv=()
	for e in ${envs[@]+"${envs[@]}"}; do
		genv+=(--env "$e")
	done
	hov=$helpers
	[[ "$kver" != *-arm64 ]] || hov=$helpers_arm64
	launch "$kver" "$name" "$out" \
		${turn[@]+"${turn[@]}"} env ${envs[@]+"${envs[@]}"} "$KMM_TOP/tests/boot-guest.sh" --kernel "$kver" \
		--device "$device" --script "$script" --rootfs "$rootfs" \
		--overlay "$KMM_TOP/build/$kver/overlay-$v" --overlay "$hov" ${more[@]+"${more[@]}"} \
		--append "$append" ${genv[@]+"${genv[@]}"} --timeout "$timeout" \
		--out "$out"
	flush
done
wait
flush final
[ "$n" = "${#plan[@]}" ] || {
	echo "not ok $((n + 1)) - the plan named ${#plan[@]} guest runs, $n were reported"
	fail=$((fail + 1))
}
# print_table TITLE FILE: a table with rows (more than its two header
# lines) as TAP comments.
print_table() {
	[ "$(wc -l <"$2")" -gt 2 ] || return 0
	echo "# $1 ($set):"
	sed 's/^/# /' "$2"
}
print_table summary "$table"
print_table "online policies" "$ptable"
print_table "the memmap's page tables, traced" "$ttable"
print_table "real sizes" "$stable"
echo "# guest suite: $pass passed, $fail failed"
[ $fail = 0 ]
