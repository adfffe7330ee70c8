// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmem_mom: a drop-in for the dax "kmem" driver that hot-adds device memory
 * one memory block at a time and lets the administrator choose where each
 * block's memmap lives: on the device itself or in system RAM.
 *
 * This file: module parameters, and registration on the dax bus under the
 * name "kmem" so that unmodified daxctl drives us.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <kmem_mom/kmem_mom.h>
#include <kmem_mom/kmem_name.h>

/*
 * Resource name for add_memory_driver_managed().  Child resources point at
 * it, so it must outlive the module if any memory stays behind.
 */
const char *kmm_resource_name;

const char kmm_version[] = KMM_VERSION;
EXPORT_SYMBOL_GPL(kmm_version);
struct kmm_memtiers kmm_tiers;
bool kmm_hotremove_failed;

static bool memmap_fallback = true;
static int online_mode = KMM_ONLINE_KERNEL;

/* Only 0/1/n/y/N/Y: a typo must not silently pick a placement. */
int kmm_parse_strict_bool(const char *val, bool *res)
{
	static const char *const truths[] = { "1", "y", "Y" };
	static const char *const lies[] = { "0", "n", "N" };
	int i;

	for (i = 0; i < ARRAY_SIZE(truths); i++) {
		if (sysfs_streq(val, truths[i])) {
			*res = true;
			return 0;
		}
		if (sysfs_streq(val, lies[i])) {
			*res = false;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * One line, and a short one: sysfs writes end in a newline and may be a
 * page long.
 */
int kmm_param_invalid(const struct kernel_param *kp, const char *val,
		      const char *expected)
{
	pr_err("%s: invalid value '%.*s': expected %s\n", kp->name,
	       (int)min_t(size_t, strcspn(val, "\n"), 32), val, expected);
	return -EINVAL;
}

static int kmm_param_set_strict_bool(const char *val,
				     const struct kernel_param *kp)
{
	if (!kmm_parse_strict_bool(val, kp->arg))
		return 0;
	return kmm_param_invalid(kp, val, "0 or 1");
}

static const struct kernel_param_ops kmm_strict_bool_ops = {
	.set = kmm_param_set_strict_bool,
	.get = param_get_bool,
};

static const char *const kmm_online_names[] = {
	[KMM_ONLINE_KERNEL] = "kernel",
	[KMM_ONLINE_MOVABLE] = "movable",
};

const char *kmm_online_name(enum kmm_online online)
{
	return kmm_online_names[online];
}

static int kmm_param_set_online(const char *val, const struct kernel_param *kp)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(kmm_online_names); i++) {
		if (sysfs_streq(val, kmm_online_names[i])) {
			WRITE_ONCE(*(int *)kp->arg, i);
			return 0;
		}
	}
	return kmm_param_invalid(kp, val, "kernel or movable");
}

static int kmm_param_get_online(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n",
			  kmm_online_name(READ_ONCE(*(int *)kp->arg)));
}

static const struct kernel_param_ops kmm_online_ops = {
	.set = kmm_param_set_online,
	.get = kmm_param_get_online,
};

/* Each description stays on one greppable line. */
/* clang-format off */
module_param_cb(memmap_fallback, &kmm_strict_bool_ops, &memmap_fallback, 0644);
MODULE_PARM_DESC(memmap_fallback, "If the kernel will not put the memmap on the device, use system RAM (1) or fail the bind (0). Default: 1");
module_param_cb(online, &kmm_online_ops, &online_mode, 0644);
MODULE_PARM_DESC(online, "Who onlines a bound device's memory: the kernel's auto-online policy, as with kmem (kernel), or ZONE_MOVABLE only, blocks the policy would put in a kernel zone left offline for the shipped udev rule or daxctl (movable); read when a device is bound. Default: kernel");
/* clang-format on */

bool kmm_param_memmap_fallback(void)
{
	return READ_ONCE(memmap_fallback);
}

enum kmm_online kmm_param_online(void)
{
	return READ_ONCE(online_mode);
}

struct dax_device_driver kmm_driver = {
	.drv.groups = kmm_drv_groups,
	/* type 0: DAXDRV_KMEM_TYPE on 6.3+, "new_id only" before; see dax_abi.h */
	.type = 0,
	.probe = kmm_probe,
	.remove = kmm_remove,
};

static int __init kmm_init(void)
{
	int rc;

	kmm_resource_name = kstrdup_const("System RAM (kmem)", GFP_KERNEL);
	if (!kmm_resource_name)
		return -ENOMEM;

	rc = kmm_memtiers_init(&kmm_tiers);
	if (rc)
		goto err_free_name;

	/* Before any bind: it holds blocks offline through the notifier. */
	rc = kmm_online_init();
	if (rc)
		goto err_put_tiers;

	/* daxctl binds to, and reports modes from, a driver named "kmem". */
	rc = __dax_driver_register(&kmm_driver, THIS_MODULE, "kmem");
	if (rc == -EBUSY)
		pr_err("the dax driver name 'kmem' is taken, most likely by the in-tree kmem module: run 'modprobe -r kmem', install kmem_mom's /etc/modprobe.d/kmem_mom.conf, and run 'update-initramfs -u' if kmem is loaded from the initramfs\n");
	if (rc)
		goto err_online_exit;
	/* Says which driver serves "kmem" (the modprobe.d rule may fall back). */
	pr_info("serving the dax driver 'kmem' (memmap_on_memory=%s memmap_fallback=%d online=%s)\n",
		kmm_memmap_param_value(kmm_param_memmap_policy()),
		kmm_param_memmap_fallback(),
		kmm_online_name(kmm_param_online()));
	return 0;

err_online_exit:
	kmm_online_exit();
err_put_tiers:
	kmm_memtiers_exit(&kmm_tiers);
err_free_name:
	kfree_const(kmm_resource_name);
	return rc;
}

static void __exit kmm_exit(void)
{
	dax_driver_unregister(&kmm_driver);
	kmm_online_exit();
	if (!kmm_hotremove_failed)
		kfree_const(kmm_resource_name);
	kmm_memtiers_exit(&kmm_tiers);
}

module_init(kmm_init);
module_exit(kmm_exit);
MODULE_DESCRIPTION("dax kmem drop-in with the memmap on the device or in RAM");
MODULE_LICENSE("GPL");
MODULE_VERSION(KMM_VERSION);
/* Same modalias as the in-tree kmem, so udev binds KMEM-type dax devices. */
MODULE_ALIAS("dax:t0*");
