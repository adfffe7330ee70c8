// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where a device's memmap should go, decided once per device before its
 * first block: the module parameter memmap_on_memory says 1 (the device),
 * 0 (system RAM) or auto.  auto weighs, in this order:
 *
 *   the kernel cannot place a memmap on the device   -> ram
 *   its memmap would overrun memmap_ram_budget       -> device
 *   the kernel could not give such a device back,
 *   and RAM has room                                 -> ram
 *   persistent or slow memory, and RAM has room      -> ram
 *   otherwise (fast or unknown volatile, no room)    -> device
 *
 * A memmap on slow memory makes every struct page update (refcounts, LRU
 * and flag bits) pay that memory's latency, and on persistent memory it
 * adds wear and survives nothing useful across a reboot; a memmap in RAM
 * costs 1/64 of the device in DRAM, which is what the budget bounds.  The
 * decision and its inputs are kept as one line for sysfs and dmesg.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <kmem_mom/kmem_mom.h>

static const char *const kmm_policy_names[] = {
	[KMM_POLICY_RAM] = "ram",
	[KMM_POLICY_DEVICE] = "device",
	[KMM_POLICY_AUTO] = "auto",
};

const char *kmm_policy_name(enum kmm_policy policy)
{
	return kmm_policy_names[policy];
}

static int memmap_policy = KMM_POLICY_AUTO;

/* 0/1 (and n/y/N/Y) as before, or auto. */
static int kmm_param_set_memmap(const char *val, const struct kernel_param *kp)
{
	bool on;

	if (sysfs_streq(val, "auto")) {
		WRITE_ONCE(memmap_policy, KMM_POLICY_AUTO);
		return 0;
	}
	if (!kmm_parse_strict_bool(val, &on)) {
		WRITE_ONCE(memmap_policy,
			   on ? KMM_POLICY_DEVICE : KMM_POLICY_RAM);
		return 0;
	}
	return kmm_param_invalid(kp, val, "0, 1 or auto");
}

/* The policy as the parameter spells it. */
const char *kmm_memmap_param_value(enum kmm_policy policy)
{
	static const char *const values[] = {
		[KMM_POLICY_RAM] = "0",
		[KMM_POLICY_DEVICE] = "1",
		[KMM_POLICY_AUTO] = "auto",
	};

	return values[policy];
}

static int kmm_param_get_memmap(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n",
			  kmm_memmap_param_value(READ_ONCE(memmap_policy)));
}

static const struct kernel_param_ops kmm_memmap_ops = {
	.set = kmm_param_set_memmap,
	.get = kmm_param_get_memmap,
};

enum kmm_policy kmm_param_memmap_policy(void)
{
	return READ_ONCE(memmap_policy);
}

/*
 * memmap_ram_budget: how much DRAM the memmaps that kmem_mom keeps in RAM
 * may take, all devices together, as a percentage of the RAM present at
 * boot ("2%") or a size ("512M").  Under kmm_budget_lock, with the bytes
 * charged to bound devices.
 */
static DEFINE_MUTEX(kmm_budget_lock);
static bool budget_percent = true;
static u64 budget_value = 2;
static u64 kmm_budget_used;

/* Digits and at most one suffix (%, K, M, G, T); nothing else. */
static int kmm_parse_budget(const char *val, bool *percent, u64 *value)
{
	size_t len = strcspn(val, "\n");
	unsigned int shift = 0;
	char buf[24];

	if (!len || len >= sizeof(buf) || (val[len] && val[len + 1]))
		return -EINVAL;
	memcpy(buf, val, len);
	buf[len] = '\0';
	*percent = buf[len - 1] == '%';
	switch (buf[len - 1]) {
	case 'T':
		shift += 10;
		fallthrough;
	case 'G':
		shift += 10;
		fallthrough;
	case 'M':
		shift += 10;
		fallthrough;
	case 'K':
		shift += 10;
		fallthrough;
	case '%':
		buf[--len] = '\0';
	}
	if (!len || !isdigit(buf[0]) || kstrtou64(buf, 10, value))
		return -EINVAL;
	if (*percent)
		return *value > 100 ? -EINVAL : 0;
	return check_shl_overflow(*value, shift, value) ? -EINVAL : 0;
}

static const char kmm_budget_syntax[] =
	"a percentage of boot-time RAM (0% to 100%) or a size (512M, 4G)";

static int kmm_param_set_budget(const char *val, const struct kernel_param *kp)
{
	bool percent;
	u64 value;

	if (kmm_parse_budget(val, &percent, &value))
		return kmm_param_invalid(kp, val, kmm_budget_syntax);
	mutex_lock(&kmm_budget_lock);
	budget_percent = percent;
	budget_value = value;
	mutex_unlock(&kmm_budget_lock);
	return 0;
}

static int kmm_param_get_budget(char *buf, const struct kernel_param *kp)
{
	static const char units[] = "KMGT";
	bool percent;
	u64 value;
	int i = -1;

	mutex_lock(&kmm_budget_lock);
	percent = budget_percent;
	value = budget_value;
	mutex_unlock(&kmm_budget_lock);
	if (percent)
		return sysfs_emit(buf, "%llu%%\n", value);
	while (i < 3 && value && !(value & (SZ_1K - 1))) {
		value >>= 10;
		i++;
	}
	if (i < 0)
		return sysfs_emit(buf, "%llu\n", value);
	return sysfs_emit(buf, "%llu%c\n", value, units[i]);
}

static const struct kernel_param_ops kmm_budget_ops = {
	.set = kmm_param_set_budget,
	.get = kmm_param_get_budget,
};

/* clang-format off */
module_param_cb(memmap_on_memory, &kmm_memmap_ops, &memmap_policy, 0644);
MODULE_PARM_DESC(memmap_on_memory, "Where each hot-added memory block's memmap goes: on the device (1), in system RAM (0), or chosen per device from its media, speed and memmap_ram_budget (auto); read when a device is bound. Default: auto");
module_param_cb(memmap_ram_budget, &kmm_budget_ops, NULL, 0644);
MODULE_PARM_DESC(memmap_ram_budget, "System RAM that memmap_on_memory=auto may spend on memmaps, all devices together: a percentage of the RAM present at boot (2%) or a size (512M); 0 puts every auto memmap on its device. Default: 2%");
/* clang-format on */

/* Caller holds kmm_budget_lock. */
static u64 kmm_budget_bytes(void)
{
	if (!budget_percent)
		return budget_value;
	return div_u64(kmm_boot_ram_bytes() * budget_value, 100);
}

/* memmap_ram_budget in bytes now, and what bound devices charged to it. */
u64 kmm_budget_limit(void)
{
	u64 bytes;

	mutex_lock(&kmm_budget_lock);
	bytes = kmm_budget_bytes();
	mutex_unlock(&kmm_budget_lock);
	return bytes;
}

u64 kmm_budget_charged(void)
{
	u64 bytes;

	mutex_lock(&kmm_budget_lock);
	bytes = kmm_budget_used;
	mutex_unlock(&kmm_budget_lock);
	return bytes;
}

static u64 kmm_dev_memmap_bytes(struct kmm_dev *kd)
{
	return kd->nr_blocks * kmm_block_memmap_bytes();
}

/* Caller holds kmm_budget_lock. */
static void __kmm_budget_charge(struct kmm_dev *kd)
{
	if (kd->budget_charged)
		return;
	kd->budget_charged = kmm_dev_memmap_bytes(kd);
	kmm_budget_used += kd->budget_charged;
}

/* The device's memmap goes to RAM after all (a fallback): it counts too. */
void kmm_budget_charge(struct kmm_dev *kd)
{
	mutex_lock(&kmm_budget_lock);
	__kmm_budget_charge(kd);
	mutex_unlock(&kmm_budget_lock);
}

void kmm_budget_release(struct kmm_dev *kd)
{
	mutex_lock(&kmm_budget_lock);
	kmm_budget_used -= kd->budget_charged;
	mutex_unlock(&kmm_budget_lock);
	kd->budget_charged = 0;
}

/*
 * The media half of an auto reason: "auto: volatile memory (hmem.0), slow,
 * 12.00x DRAM's access cost (HMAT)".  Gathered before kmm_budget_lock is
 * taken: the speed lookup sleeps on the memory tiers' and ACPI's locks.
 */
static size_t kmm_auto_media(struct kmm_dev *kd, char *why, size_t len,
			     bool *persistent, bool *slow)
{
	const char *provider, *source;
	size_t n;
	int adist;
	u64 pct;

	*persistent = kmm_media_persistent(kd, &provider);
	n = scnprintf(why, len, "auto: %s memory (%s), ",
		      *persistent ? "persistent" : "volatile", provider);
	*slow = false;
	if (kmm_media_adistance(kd->nid, &adist, &source))
		return n + scnprintf(why + n, len - n, "speed unknown");
	*slow = kmm_media_slow(adist);
	pct = div_u64((u64)adist * 100, MEMTIER_ADISTANCE_DRAM);
	return n + scnprintf(why + n, len - n,
			     "%s, %llu.%02llux DRAM's access cost (%s)",
			     *slow ? "slow" : "fast", pct / 100, pct % 100,
			     source);
}

/*
 * Caller holds kmm_budget_lock.  @supported: kmm_mhp_memmap_supported().
 * Returns true for ram and appends the cost and the verdict to @why.
 */
static bool kmm_auto_wants_ram(struct kmm_dev *kd, int supported,
			       bool persistent, bool slow, char *why,
			       size_t len)
{
	u64 need = kmm_dev_memmap_bytes(kd), budget = kmm_budget_bytes();
	const char *verdict;
	u64 room = 0;
	size_t n;
	bool ram;

	if (!supported && kd->may_fall_back) {
		/* With memmap_fallback=0 the rest decides; "device" then fails. */
		ram = true;
		verdict = "the kernel cannot place it on the device";
	} else if (kmm_budget_used + need > budget) {
		ram = false;
		verdict = "over budget";
	} else if (kmm_mhp_keeps_memmap_on_device() &&
		   kmm_ram_headroom() >= need) {
		ram = true;
		verdict =
			"the kernel could not give it back with its memmap on it";
	} else if (!persistent && !slow) {
		ram = false;
		verdict = "fast or unknown volatile memory";
	} else {
		room = kmm_ram_headroom();
		ram = room >= need;
		if (!ram)
			verdict = "not enough free RAM";
		else if (persistent)
			verdict = "persistent memory";
		else
			verdict = "slow memory";
	}
	n = scnprintf(why, len, ", %llu MiB of memmap %s the %llu MiB",
		      need >> 20,
		      kmm_budget_used + need > budget ? "over" : "within",
		      budget >> 20);
	n += scnprintf(why + n, len - n, " budget (%llu MiB in use)",
		       kmm_budget_used >> 20);
	if (room && !ram)
		n += scnprintf(why + n, len - n, ", %llu MiB of RAM free",
			       room >> 20);
	scnprintf(why + n, len - n, ": %s -> %s", verdict,
		  ram ? "ram" : "device");
	return ram;
}

/*
 * Decide kd->want_device from the policy in force at bind time, charge a
 * memmap meant for RAM to the budget, and say why, once, in dmesg and in
 * kd->policy_reason.
 */
int kmm_policy_decide(struct kmm_dev *kd, int supported)
{
	bool persistent, slow, ram;
	char why[320];
	size_t n = 0;

	kd->policy = kmm_param_memmap_policy();
	if (kd->policy == KMM_POLICY_AUTO)
		n = kmm_auto_media(kd, why, sizeof(why), &persistent, &slow);
	mutex_lock(&kmm_budget_lock);
	if (kd->policy == KMM_POLICY_AUTO) {
		ram = kmm_auto_wants_ram(kd, supported, persistent, slow,
					 why + n, sizeof(why) - n);
	} else {
		ram = kd->policy == KMM_POLICY_RAM;
		snprintf(why, sizeof(why), "memmap_on_memory=%d -> %s", !ram,
			 ram ? "ram" : "device");
	}
	if (ram)
		__kmm_budget_charge(kd);
	mutex_unlock(&kmm_budget_lock);

	kd->want_device = !ram;
	kd->policy_reason = kstrdup(why, GFP_KERNEL);
	if (!kd->policy_reason) {
		kmm_budget_release(kd);
		return -ENOMEM;
	}
	dev_info(&kd->dev_dax->dev, "memmap placement: %s\n", why);
	return 0;
}
