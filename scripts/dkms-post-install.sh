#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# DKMS POST_INSTALL: install the modprobe.d rule that routes loads of the
# in-tree "kmem" (daxctl, udev) to kmem_mom.  Run from the DKMS build dir.
set -eu
dst=${KMM_MODPROBE_D:-/etc/modprobe.d}
mkdir -p "$dst"
install -m 0644 kmem_mom.conf "$dst/kmem_mom.conf"
echo "kmem_mom: installed $dst/kmem_mom.conf; run 'update-initramfs -u' if kmem is in your initramfs"
