// SPDX-License-Identifier: GPL-2.0-only
/*
 * How the device's blocks come online, and which ones may not yet.
 *
 * With auto_online_blocks=online (Debian 6.12+, or 6.1 booted with
 * memhp_default_state=online), add_memory_driver_managed() onlines each
 * block before it returns, in a zone of the kernel's choosing (ZONE_NORMAL
 * for a memory-only node).  Whatever the core allocates for a later add
 * "on the device's node" -- a memmap meant for system RAM, the page tables
 * that map a memmap, a mem_section root -- then lands in an earlier block of
 * the same device that is already online in a kernel zone, pins it there,
 * and the device can never be given back.  A memory notifier refuses, while
 * a device binds, to online into a kernel zone the blocks that must not
 * take such allocations (they are "held"): the blocks added first for their
 * page tables (tables.c, add.c), and with a memmap in RAM every range but
 * the last (its memmap comes with the next range's add).  ZONE_MOVABLE
 * never serves those GFP_KERNEL allocations, so onlining there is always
 * let through.
 *
 * The same notifier gives online=movable: as long as the device is bound,
 * nothing of it goes online in a kernel zone.  A module cannot online
 * memory itself (device_online() is not exported, and 7.3's
 * __add_memory_driver_managed() with an online type is exported to a
 * module named "kmem" only), so blocks held offline at the end of a bind
 * wait for userspace: online_request names the state to write, and the
 * udev rule kmem_mom ships runs kmem_mom-online-held, which onlines exactly
 * the device's blocks (daxctl online-memory would miss the later ranges of
 * a multi-range device).
 *
 * The notifier also records who onlined each block: the kernel's policy
 * during one of kmem_mom's adds, or userspace.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/notifier.h>
#include <linux/spinlock.h>
#include <kmem_mom/kmem_mom.h>

static DEFINE_SPINLOCK(kmm_devs_lock);
static LIST_HEAD(kmm_devs);

/* Refusals closer together than this make one burst, logged once. */
#define KMM_REFUSAL_BURST (5 * HZ)

/* The index in kd->blk[] of the block holding @pfn, or -1; @i its range. */
static long kmm_block_of(struct kmm_dev *kd, unsigned long pfn, int *i)
{
	phys_addr_t phys = PFN_PHYS(pfn);
	struct kmm_range *r;

	for (*i = 0; *i < kd->nr_range; (*i)++) {
		r = &kd->ranges[*i];
		if (phys >= r->range.start && phys <= r->range.end)
			return r->first + (phys - r->range.start) /
						  memory_block_size_bytes();
	}
	return -1;
}

/* MEM_GOING_ONLINE of block @idx of @kd's range @i, to @zone. */
static bool kmm_refuse_online(struct kmm_dev *kd, int i, long idx,
			      enum zone_type zone)
{
	/* A rollback removes what it can: nothing goes online meanwhile. */
	if (kd->rolling_back || (kd->binding && kd->probing))
		return true;
	if (zone == ZONE_MOVABLE)
		return false;
	/* For as long as the device is bound, not only while it binds. */
	if (kd->online == KMM_ONLINE_MOVABLE)
		return true;
	if (!kd->binding)
		return false;
	return kd->ranges[i].hold || (kd->blk[idx] & KMM_BLK_FIRST);
}

/*
 * After the bind, a refusal is somebody's request turned down (a write to
 * the block's state, chmem, daxctl --no-movable, a distribution's udev
 * rule): say so, once per burst, naming the device and the parameter.
 */
static void kmm_log_refusal(struct kmm_dev *kd, unsigned long pfn,
			    enum zone_type zone)
{
	unsigned long block = PFN_PHYS(pfn) / memory_block_size_bytes();
	unsigned long now = jiffies;
	bool quiet = kd->nr_refused &&
		     time_before(now, kd->refused_at + KMM_REFUSAL_BURST);

	kd->nr_refused++;
	kd->refused_at = now;
	if (quiet)
		return;
	/* One message per line; clang-format would break after "dev_info(". */
	/* clang-format off */
	dev_info(&kd->dev_dax->dev,
		 "refused to online memory%lu into %s: %s is bound with kmem_mom online=movable, which keeps it in ZONE_MOVABLE\n",
		 block, zone == ZONE_NORMAL ? "ZONE_NORMAL" : "a kernel zone",
		 dev_name(&kd->dev_dax->dev));
	/* clang-format on */
}

static int kmm_memory_notify(struct notifier_block *nb, unsigned long action,
			     void *data)
{
	const struct memory_notify *mn = data;
	int ret = NOTIFY_OK, i;
	enum zone_type zone;
	struct kmm_dev *kd;
	long idx;

	if (action != MEM_GOING_ONLINE && action != MEM_ONLINE &&
	    action != MEM_OFFLINE)
		return NOTIFY_DONE;

	spin_lock(&kmm_devs_lock);
	list_for_each_entry(kd, &kmm_devs, list) {
		idx = kmm_block_of(kd, mn->start_pfn, &i);
		if (idx < 0)
			continue;
		switch (action) {
		case MEM_GOING_ONLINE:
			/* The core has linked the pages to the zone it chose. */
			zone = page_zonenum(pfn_to_page(mn->start_pfn));
			if (!kmm_refuse_online(kd, i, idx, zone))
				break;
			kd->blk[idx] |= KMM_BLK_HELD;
			if (!kd->binding)
				kmm_log_refusal(kd, mn->start_pfn, zone);
			ret = notifier_from_errno(-EBUSY);
			break;
		case MEM_ONLINE:
			kd->blk[idx] &= ~(KMM_BLK_HELD | KMM_BLK_ONLINED);
			/* Onlined inside our add call: the kernel's policy. */
			kd->blk[idx] |= kd->adding ? KMM_BLK_BY_KERNEL :
						     KMM_BLK_BY_USER;
			break;
		case MEM_OFFLINE:
			kd->blk[idx] &= ~KMM_BLK_ONLINED;
			break;
		}
		break;
	}
	spin_unlock(&kmm_devs_lock);
	return ret;
}

static struct notifier_block kmm_memory_nb = {
	.notifier_call = kmm_memory_notify,
};

int kmm_online_init(void)
{
	return register_memory_notifier(&kmm_memory_nb);
}

void kmm_online_exit(void)
{
	unregister_memory_notifier(&kmm_memory_nb);
}

/*
 * Which ranges to hold while binding, from the placement plan: with the
 * memmap in RAM, every range but the last one added.  (online=movable
 * holds everything, always; the first blocks are marked by tables.c.)
 */
void kmm_plan_holds(struct kmm_dev *kd)
{
	int i, last = -1;

	for (i = 0; i < kd->nr_range; i++)
		if (kmm_range_blocks(&kd->ranges[i]))
			last = i;
	spin_lock(&kmm_devs_lock);
	for (i = 0; i < kd->nr_range; i++)
		kd->ranges[i].hold = !kd->on_device && i < last;
	spin_unlock(&kmm_devs_lock);
}

/* Open the hold window: from now on the notifier knows the device. */
void kmm_bind_begin(struct kmm_dev *kd)
{
	spin_lock(&kmm_devs_lock);
	kd->binding = true;
	list_add_tail(&kd->list, &kmm_devs);
	spin_unlock(&kmm_devs_lock);
}

/*
 * Close the hold window.  Blocks still held stay offline, and
 * online_request asks userspace for them.
 */
void kmm_bind_end(struct kmm_dev *kd)
{
	unsigned long b;

	spin_lock(&kmm_devs_lock);
	kd->binding = false;
	kd->probing = false;
	kd->rolling_back = false;
	for (b = 0; b < kd->nr_blocks; b++)
		kd->blk[b] &= ~(KMM_BLK_FIRST | KMM_BLK_LONE);
	spin_unlock(&kmm_devs_lock);
}

/*
 * A failed bind gives back what it added: from here on nothing of it goes
 * online, in any zone, so that neither udev nor daxctl can online a block
 * into a kernel zone between our look at it and its removal.
 */
void kmm_hold_rollback(struct kmm_dev *kd)
{
	spin_lock(&kmm_devs_lock);
	kd->rolling_back = true;
	spin_unlock(&kmm_devs_lock);
}

/* While a probe block is added and looked at, hold it in any zone. */
void kmm_hold_probe(struct kmm_dev *kd, bool on)
{
	spin_lock(&kmm_devs_lock);
	kd->probing = on;
	spin_unlock(&kmm_devs_lock);
}

/* Around our own add calls: what goes online meanwhile, the kernel did. */
void kmm_set_adding(struct kmm_dev *kd, bool on)
{
	spin_lock(&kmm_devs_lock);
	kd->adding = on;
	spin_unlock(&kmm_devs_lock);
}

void kmm_untrack(struct kmm_dev *kd)
{
	spin_lock(&kmm_devs_lock);
	list_del_init(&kd->list);
	spin_unlock(&kmm_devs_lock);
}

/* Set or clear @flags of block @idx, under the notifier's lock. */
void kmm_block_flags(struct kmm_dev *kd, unsigned long idx, u8 set, u8 clear)
{
	spin_lock(&kmm_devs_lock);
	kd->blk[idx] = (kd->blk[idx] & ~clear) | set;
	spin_unlock(&kmm_devs_lock);
}

/* Block @idx is removed: nothing of it is held or online; its order stays. */
void kmm_block_removed(struct kmm_dev *kd, unsigned long idx)
{
	spin_lock(&kmm_devs_lock);
	kd->blk[idx] &= KMM_BLK_FIRST | KMM_BLK_LONE;
	spin_unlock(&kmm_devs_lock);
}

/* Where block @idx comes in the add: KMM_BLK_FIRST, KMM_BLK_LONE or 0. */
u8 kmm_block_order(struct kmm_dev *kd, unsigned long idx)
{
	return READ_ONCE(kd->blk[idx]) & (KMM_BLK_FIRST | KMM_BLK_LONE);
}

/*
 * Blocks [@idx, @idx + @n) were added in one call.  The core's auto-online
 * stops at the first block we refuse (walk_memory_blocks()), so the others
 * never asked: if one was held, the kernel's policy wanted them all, and
 * every one still offline is held too.
 */
void kmm_hold_added(struct kmm_dev *kd, unsigned long idx, unsigned long n)
{
	unsigned long b;

	spin_lock(&kmm_devs_lock);
	for (b = idx; b < idx + n; b++)
		if (kd->blk[b] & KMM_BLK_HELD)
			break;
	if (b < idx + n)
		for (b = idx; b < idx + n; b++)
			if (!(kd->blk[b] & KMM_BLK_ONLINED))
				kd->blk[b] |= KMM_BLK_HELD;
	spin_unlock(&kmm_devs_lock);
}

/*
 * Take block @idx out of the first blocks; true if the kernel's policy
 * tried to online it into a kernel zone meanwhile and it is still offline.
 */
bool kmm_first_block_done(struct kmm_dev *kd, unsigned long idx)
{
	bool held;

	spin_lock(&kmm_devs_lock);
	held = kd->blk[idx] & KMM_BLK_HELD;
	kd->blk[idx] &= ~KMM_BLK_FIRST;
	spin_unlock(&kmm_devs_lock);
	return held;
}

/* Live, from the memory map: not what we asked for, what is. */
void kmm_count_zones(struct kmm_dev *kd, unsigned long *movable,
		     unsigned long *normal, unsigned long *offline)
{
	unsigned long b;
	struct page *page;
	int i;

	*movable = *normal = *offline = 0;
	for (i = 0; i < kd->nr_range; i++) {
		struct kmm_range *r = &kd->ranges[i];

		for (b = 0; b < kmm_range_blocks(r); b++) {
			if (!kmm_block_added(kd, r, b))
				continue;
			page = kmm_block_online_page(r, b);
			if (!page)
				(*offline)++;
			else if (page_zonenum(page) == ZONE_MOVABLE)
				(*movable)++;
			else
				(*normal)++;
		}
	}
}

/* Blocks online now that the kernel's policy onlined, and that userspace did. */
void kmm_count_onlined(struct kmm_dev *kd, unsigned long *by_kernel,
		       unsigned long *by_user)
{
	unsigned long b;

	*by_kernel = *by_user = 0;
	spin_lock(&kmm_devs_lock);
	for (b = 0; b < kd->nr_blocks; b++) {
		*by_kernel += !!(kd->blk[b] & KMM_BLK_BY_KERNEL);
		*by_user += !!(kd->blk[b] & KMM_BLK_BY_USER);
	}
	spin_unlock(&kmm_devs_lock);
}

/* Blocks held offline now: refused an online, and not online since. */
static unsigned long kmm_count_held(struct kmm_dev *kd)
{
	unsigned long n = 0, b;
	int i;

	spin_lock(&kmm_devs_lock);
	for (i = 0; i < kd->nr_range; i++) {
		struct kmm_range *r = &kd->ranges[i];

		for (b = 0; b < kmm_range_blocks(r); b++)
			n += (kd->blk[r->first + b] & KMM_BLK_HELD) &&
			     !kmm_block_online_page(r, b);
	}
	spin_unlock(&kmm_devs_lock);
	return n;
}

/* What userspace should do with the blocks we held: a memory state name. */
const char *kmm_online_request(struct kmm_dev *kd)
{
	if (!kmm_count_held(kd))
		return "none";
	return kd->online == KMM_ONLINE_MOVABLE ? "online_movable" :
						  "online_kernel";
}

unsigned long kmm_refused_onlines(struct kmm_dev *kd)
{
	unsigned long n;

	spin_lock(&kmm_devs_lock);
	n = kd->nr_refused;
	spin_unlock(&kmm_devs_lock);
	return n;
}

/*
 * One line per bind about onlining, when there is something to know: blocks
 * held for userspace, or blocks the kernel's policy put in a kernel zone,
 * where the kernel's own allocations can keep the device from going back.
 */
void kmm_report_online(struct kmm_dev *kd)
{
	struct device *dev = &kd->dev_dax->dev;
	unsigned long movable, normal, offline, held;
	const char *req = kmm_online_request(kd);
	const char *why = "a memmap in RAM must not land on them";
	int i;

	for (i = 0; i < kd->nr_range; i++)
		if (kd->ranges[i].hold)
			break;
	if (kd->online == KMM_ONLINE_MOVABLE)
		why = "online=movable";
	else if (i == kd->nr_range)
		why = "the page tables of the device's memmap must not land on them";

	held = kmm_count_held(kd);
	kmm_count_zones(kd, &movable, &normal, &offline);
	/* One message per line; clang-format would break after "dev_info(". */
	/* clang-format off */
	if (held)
		dev_info(dev,
			 "%lu memory block(s) held offline (%s); online_request is %s: the kmem_mom udev rule onlines them (by hand: /usr/lib/kmem_mom/kmem_mom-online-held %s)\n",
			 held, why, req, dev_name(dev));
	if (normal)
		dev_warn(dev,
			 "the kernel's online policy put %lu of %lu memory block(s) in ZONE_NORMAL: kernel allocations there can keep the device from being hot-removed; load kmem_mom with online=movable to keep them in ZONE_MOVABLE\n",
			 normal, movable + normal + offline);
	/* clang-format on */
}
