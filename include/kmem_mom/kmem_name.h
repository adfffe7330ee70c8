/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Between kmem_mom and the module named "kmem" that DKMS installs beside
 * it (kmem_mom/kmem_name.c).
 */
#ifndef KMEM_MOM_KMEM_NAME_H
#define KMEM_MOM_KMEM_NAME_H

/*
 * kmem_mom's version.  The "kmem" module takes it with symbol_get(), which
 * pins kmem_mom while "kmem" is loaded, and checks it, so that it never
 * stands in for another build.
 */
extern const char kmm_version[];

#endif
