// SPDX-License-Identifier: GPL-2.0-only
/*
 * How the device's blocks come online, and which ones may not yet.
 *
 * With auto_online_blocks=online (Debian 6.12+), add_memory_driver_managed()
 * onlines each block before it returns, in a zone of the kernel's choosing
 * (ZONE_NORMAL for a memory-only node).  The vmemmap of the next add is
 * allocated on the device's node first, so a memmap meant for system RAM
 * would land in an earlier block of the same device that is already online
 * in a kernel zone, pin it there, and make the device impossible to give
 * back.  kmem_mom prevents it by order: a device whose memmap goes to RAM
 * is added in one call per range (the core allocates the whole memmap
 * before it onlines anything), and while a device binds, a memory notifier
 * refuses to online into a kernel zone any block of a range added before
 * the last memmap meant for RAM ("held" ranges: the earlier ranges of a
 * multi-range device).  ZONE_MOVABLE never serves the memmap's GFP_KERNEL
 * allocation, so onlining there is always let through.
 *
 * The same notifier gives online=movable: every block the kernel's policy
 * would put in a kernel zone is held offline while the device binds.  A
 * module cannot online memory itself (device_online() is not exported, and
 * 7.3's __add_memory_driver_managed() with an online type is exported to a
 * module named "kmem" only), so held blocks stay offline and kmem_mom asks
 * userspace for them in online_request: the udev rule it ships runs
 * kmem_mom-online-held, which onlines exactly the device's blocks (daxctl
 * online-memory would miss the later ranges of a multi-range device).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/notifier.h>
#include <linux/spinlock.h>
#include <kmem_mom/kmem_mom.h>

static DEFINE_SPINLOCK(kmm_devs_lock);
static LIST_HEAD(kmm_devs);

/* The range of @kd that holds @pfn, or -1. */
static int kmm_range_of(struct kmm_dev *kd, unsigned long pfn)
{
	phys_addr_t phys = PFN_PHYS(pfn);
	int i;

	for (i = 0; i < kd->nr_range; i++)
		if (phys >= kd->ranges[i].range.start &&
		    phys <= kd->ranges[i].range.end)
			return i;
	return -1;
}

/* MEM_GOING_ONLINE of a block of @kd's range @i, to @zone. */
static bool kmm_refuse_online(struct kmm_dev *kd, int i, enum zone_type zone)
{
	if (!kd->binding)
		return false;
	if (!kd->probing &&
	    (zone == ZONE_MOVABLE || !(kd->hold_all || kd->ranges[i].hold)))
		return false;
	kd->held_zone = zone;
	return true;
}

/*
 * Held blocks that userspace onlines count down to the end of the request;
 * offlining one of them before that counts back up.
 */
static void kmm_track_request(struct kmm_dev *kd, unsigned long action)
{
	if (kd->binding || kd->held_zone < 0)
		return;
	if (action == MEM_OFFLINE)
		kd->unonlined++;
	else if (kd->unonlined && !--kd->unonlined)
		kd->held_zone = -1;
}

static int kmm_memory_notify(struct notifier_block *nb, unsigned long action,
			     void *data)
{
	const struct memory_notify *mn = data;
	int ret = NOTIFY_OK, i;
	enum zone_type zone;
	struct kmm_dev *kd;

	if (action != MEM_GOING_ONLINE && action != MEM_ONLINE &&
	    action != MEM_OFFLINE)
		return NOTIFY_DONE;

	spin_lock(&kmm_devs_lock);
	list_for_each_entry(kd, &kmm_devs, list) {
		i = kmm_range_of(kd, mn->start_pfn);
		if (i < 0)
			continue;
		if (action != MEM_GOING_ONLINE) {
			kmm_track_request(kd, action);
			break;
		}
		/* The core has linked the pages to the zone it chose. */
		zone = page_zonenum(pfn_to_page(mn->start_pfn));
		if (kmm_refuse_online(kd, i, zone))
			ret = notifier_from_errno(-EBUSY);
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
 * Which blocks to hold while binding, from the placement plan: all of them
 * for online=movable or while a probe block tells where the memmap goes
 * (probing); with the memmap in RAM, every range but the last one added.
 */
void kmm_plan_holds(struct kmm_dev *kd)
{
	int i, last = -1;

	for (i = 0; i < kd->nr_range; i++)
		if (kmm_range_blocks(&kd->ranges[i]))
			last = i;
	spin_lock(&kmm_devs_lock);
	kd->hold_all = kd->online == KMM_ONLINE_MOVABLE;
	for (i = 0; i < kd->nr_range; i++)
		kd->ranges[i].hold = !kd->on_device && i < last;
	spin_unlock(&kmm_devs_lock);
}

/* Open the hold window: from now on the notifier knows the device. */
void kmm_bind_begin(struct kmm_dev *kd)
{
	kd->held_zone = -1;
	spin_lock(&kmm_devs_lock);
	kd->binding = true;
	list_add_tail(&kd->list, &kmm_devs);
	spin_unlock(&kmm_devs_lock);
}

/*
 * Close the hold window.  If the kernel tried to online blocks we held,
 * the request for userspace stands until all of them are online.
 */
void kmm_bind_end(struct kmm_dev *kd)
{
	unsigned long movable, normal, offline;

	kmm_count_zones(kd, &movable, &normal, &offline);
	spin_lock(&kmm_devs_lock);
	kd->binding = false;
	kd->probing = false;
	kd->unonlined = offline;
	if (!offline)
		kd->held_zone = -1;
	spin_unlock(&kmm_devs_lock);
}

/* While a probe block is added and looked at, hold it in any zone. */
void kmm_hold_probe(struct kmm_dev *kd, bool on)
{
	spin_lock(&kmm_devs_lock);
	kd->probing = on;
	spin_unlock(&kmm_devs_lock);
}

void kmm_untrack(struct kmm_dev *kd)
{
	spin_lock(&kmm_devs_lock);
	list_del_init(&kd->list);
	spin_unlock(&kmm_devs_lock);
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

/* What userspace should do with the blocks we held: a memory state name. */
const char *kmm_online_request(struct kmm_dev *kd)
{
	const char *req = "none";

	spin_lock(&kmm_devs_lock);
	if (kd->held_zone >= 0)
		req = kd->online == KMM_ONLINE_MOVABLE ? "online_movable" :
							 "online_kernel";
	spin_unlock(&kmm_devs_lock);
	return req;
}

/*
 * One line per bind about onlining, when there is something to know: blocks
 * held for userspace, or blocks the kernel's policy put in a kernel zone,
 * where the kernel's own allocations can keep the device from going back.
 */
void kmm_report_online(struct kmm_dev *kd)
{
	struct device *dev = &kd->dev_dax->dev;
	unsigned long movable, normal, offline;
	const char *req = kmm_online_request(kd);

	const char *why = kd->hold_all ?
				  "online=movable" :
				  "a memmap in RAM must not land on them";

	kmm_count_zones(kd, &movable, &normal, &offline);
	/* One message per line; clang-format would break after "dev_info(". */
	/* clang-format off */
	if (strcmp(req, "none"))
		dev_info(dev,
			 "%lu memory block(s) held offline (%s); online_request is %s: the kmem_mom udev rule onlines them (by hand: /usr/lib/kmem_mom/kmem_mom-online-held %s)\n",
			 offline, why, req, dev_name(dev));
	else if (normal)
		dev_warn(dev,
			 "the kernel's online policy put %lu of %lu memory block(s) in ZONE_NORMAL: kernel allocations there can keep the device from being hot-removed; load kmem_mom with online=movable to keep them in ZONE_MOVABLE\n",
			 normal, movable + normal + offline);
	/* clang-format on */
}
