#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# DKMS POST_INSTALL: install the modprobe.d rule that routes loads of the
# in-tree "kmem" (daxctl, udev) to kmem_mom, and the udev rule (with its
# helper) that onlines the blocks kmem_mom holds offline.  Run from the DKMS
# build dir.
set -eu
dst=${KMM_MODPROBE_D:-/etc/modprobe.d}
rules=${KMM_UDEV_RULES_D:-/etc/udev/rules.d}
helper=${KMM_HELPER_DIR:-/usr/lib/kmem_mom}
mkdir -p "$dst" "$rules" "$helper"
install -m 0644 kmem_mom.conf "$dst/kmem_mom.conf"
install -m 0644 kmem_mom.rules "$rules/80-kmem_mom.rules"
install -m 0755 kmem_mom-online-held "$helper/kmem_mom-online-held"
if [ -z "${KMM_UDEV_RULES_D:-}" ] && command -v udevadm >/dev/null; then
	udevadm control --reload 2>/dev/null || true
fi
echo "kmem_mom: installed $dst/kmem_mom.conf, $rules/80-kmem_mom.rules and $helper/kmem_mom-online-held; run 'update-initramfs -u' if kmem is in your initramfs"
