# SPDX-License-Identifier: GPL-2.0-only
#
# kmem_mom: user-facing targets.  The module itself is described in Kbuild.
#   make [KERNELRELEASE=<ver>] [KDIR=<headers>]   configure + build kmem_mom.ko
#   make install [INSTALL_MOD_PATH=<root>]        modules_install, modprobe.d, udev rule and
#                                                 its helper, depmod, and the kmem-mom command
#   make tool [KMM_TOOL_SANITIZE=1]               the kmem-mom command (tools/kmem-mom); =1 is
#                                                 the test build (ASan + UBSan)
#   make clean
#   KMM_WERROR=1 (any target that builds): warnings are errors, as in the
#   project's own builds (devel/kbuild.sh, make lint); off for users
#   make check    build matrix + lint + guest tests (see README)
#   make check-debug  guest scenarios on a KASAN/lockdep/kmemleak kernel with
#                 allocation-failure sweeps (results/debug/)
#   make stress   reliability suite, full length (results/stress/)
#   make deb      kmem-mom-dkms and kmem-mom-tools in build/deb/, lintian-checked
#   make matrix | lint | guest-tests | demo | bench (results/latest/)
#   make bench-trace  where a bind and an unbind spend their time (function_graph,
#                 results/latest/trace.md)
#   make field    Debian 12/13 disk images through Secure Boot, shim, grub and
#                 systemd, kmem-mom installed by apt (results/field/)

KERNELRELEASE ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KERNELRELEASE)/build
INSTALL_MOD_PATH ?= $(DESTDIR)
INSTALL_MOD_DIR ?= updates
MODPROBE_D ?= $(INSTALL_MOD_PATH)/etc/modprobe.d
UDEV_RULES_D ?= $(INSTALL_MOD_PATH)/etc/udev/rules.d
HELPER_DIR ?= $(INSTALL_MOD_PATH)/usr/lib/kmem_mom
CONFIG_H := include/generated/kmem_mom_config.h
KMM_WERROR ?=

.PHONY: all modules configure install install-module install-tool tool deb clean check check-debug stress matrix lint guest-tests demo bench bench-trace field

all: modules

# Reconfigure whenever the target kernel or a probe changes.
$(CONFIG_H): scripts/conftest.sh $(wildcard scripts/probes/*.c) include/kmem_mom/dax_abi.h FORCE
	@if ! grep -qs '"$(KERNELRELEASE)"' $@ || [ -n "$$(find scripts include/kmem_mom -newer $@ -print -quit)" ]; then \
		scripts/conftest.sh --kdir $(KDIR) --kver $(KERNELRELEASE) $(if $(KMM_BTF),--btf $(KMM_BTF)) --out $@; fi

configure: $(CONFIG_H)

modules: $(CONFIG_H)
	$(MAKE) -C $(KDIR) M=$(CURDIR) KERNELRELEASE=$(KERNELRELEASE) KMM_WERROR=$(KMM_WERROR) modules

TOOL_MAKE = $(MAKE) -C tools/kmem-mom WERROR=$(KMM_WERROR) $(if $(filter 1,$(KMM_TOOL_SANITIZE)),SANITIZE=1)

tool:
	$(TOOL_MAKE)

install: install-module install-tool

install-tool: tool
	$(TOOL_MAKE) install DESTDIR=$(INSTALL_MOD_PATH)

install-module: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) KERNELRELEASE=$(KERNELRELEASE) \
		INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) \
		DEPMOD=true modules_install
	install -D -m 0644 kmem_mom.conf $(MODPROBE_D)/kmem_mom.conf
	install -D -m 0644 kmem_mom.rules $(UDEV_RULES_D)/80-kmem_mom.rules
	install -D -m 0755 kmem_mom-online-held $(HELPER_DIR)/kmem_mom-online-held
	depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KERNELRELEASE)

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	$(MAKE) -C tools/kmem-mom clean
	rm -rf include/generated build

check:
	devel/check.sh

check-debug:
	devel/check-debug.sh

stress:
	devel/stress.sh

matrix:
	devel/matrix.sh

lint:
	devel/lint.sh

deb:
	devel/deb.sh

guest-tests:
	tests/run.sh

demo:
	devel/demo.sh

bench:
	devel/bench.sh

bench-trace:
	devel/bench-trace.sh

field:
	devel/field.sh

FORCE:
