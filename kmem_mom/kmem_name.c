// SPDX-License-Identifier: GPL-2.0-only
/*
 * The module named "kmem" that kmem_mom installs over the in-tree one.
 *
 * Before every bind, daxctl has libkmod load the module "kmem".  Unless a
 * module of that name is loaded, libkmod runs modprobe.d's "install kmem"
 * rule, which means a /bin/sh per "daxctl reconfigure-device": a fixed cost
 * the in-tree kmem does not pay.  That rule loads kmem_mom, which serves
 * the dax driver "kmem", and then this module, which holds the name and
 * nothing else.  It takes a reference on kmem_mom for as long as it is
 * loaded, so the name never stands for a driver that is gone.
 *
 * The reference is taken with symbol_get() rather than by linking: a link
 * would make kmem_mom a dependency that libkmod loads before the rule runs,
 * and a kmem_mom that refuses to load would then fail daxctl outright
 * instead of leaving the rule to hand "kmem" to the in-tree driver.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/string.h>
#include <linux/utsname.h>
#include <kmem_mom/kmem_name.h>

static const char (*kmem_mom_version)[];

static int __init kmem_name_init(void)
{
	kmem_mom_version = symbol_get(kmm_version);
	if (!kmem_mom_version) {
		pr_err("kmem_mom is not loaded, and this module only holds the name 'kmem' for it: 'modprobe kmem' loads both, 'insmod /lib/modules/%s/kernel/drivers/dax/kmem.ko*' the in-tree kmem\n",
		       init_utsname()->release);
		return -ENOENT;
	}
	/* A pair from two builds (a partial upgrade, an insmod by hand). */
	if (strcmp(*kmem_mom_version, KMM_VERSION)) {
		pr_err("built with kmem_mom %s, but kmem_mom %s is loaded: install the same version of both\n",
		       KMM_VERSION, *kmem_mom_version);
		symbol_put(kmm_version);
		return -EINVAL;
	}
	return 0;
}

static void __exit kmem_name_exit(void)
{
	symbol_put(kmm_version);
}

module_init(kmem_name_init);
module_exit(kmem_name_exit);
MODULE_DESCRIPTION("holds the name kmem for kmem_mom, the dax driver kmem");
MODULE_LICENSE("GPL");
MODULE_VERSION(KMM_VERSION);
/* The in-tree kmem's alias, which this module shadows in modules.alias. */
MODULE_ALIAS("dax:t0*");
