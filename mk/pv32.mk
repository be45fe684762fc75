# The study's 32-bit dom0 kernel on the emulated host (docs/pv32.md): a Xen 4.17
# hypervisor with CONFIG_PV32=y built from Debian's source package, and the i386
# kernel as the network driver domain beside the 64-bit dom0's toolstack.
# Not in CHECKS: `make check` keeps Debian's hypervisor; this path has its own target.

# (own names: mk/*.mk are included in name order, before mk/testhost.mk)
PV32_TH := build/testhost
PV32_OUT := $(PV32_TH)/pv32
PV32_XEN := $(PV32_TH)/xen-pv32.elf
PV32_DD_INITRD := $(PV32_OUT)/dd-initrd.gz
# i386 kernels check-pv32 runs as the driver domain (those that exist are run)
PV32_KERNELS ?= $(wildcard out/kernel-plain-i386/bzImage out/kernel-patched-i386/bzImage)

.PHONY: testhost-pv32 testhost-pv32-build check-pv32 check-dd-agent clean-pv32
testhost-pv32: testhost
	@flock $(PV32_TH)/.lock $(MAKE) --no-print-directory testhost-pv32-build

testhost-pv32-build: $(PV32_XEN) $(PV32_DD_INITRD)
	@echo "testhost-pv32: xen $$(cat $(PV32_XEN).version); driver domain initrd $(PV32_DD_INITRD)"

# Debian's source package (private apt configuration under $(PV32_OUT)/apt), hypervisor only
$(PV32_XEN): testhost/build/mk-xen-pv32
	@echo "testhost-pv32: building the hypervisor from Debian's xen source with CONFIG_PV32=y (~3 min)"
	testhost/build/mk-xen-pv32 $@ $(PV32_OUT)

$(PV32_DD_INITRD): testhost/build/mk-dd-initrd testhost/pv32-dd-init testhost/pv32-dd-agent
	testhost/build/mk-dd-initrd $@ $(PV32_OUT) testhost/pv32-dd-init testhost/pv32-dd-agent

check-pv32: testhost-pv32
	testhost/check-pv32 $(PV32_KERNELS)

# The driver domain's agent (the harness's netback_domain = dd32) on loopback, in a fresh
# network namespace: refusals, a 1 s iperf through the relay, kill. Root; seconds.
check-dd-agent: harness/vifbench $(PV32_DD_INITRD)
	testhost/check-dd-agent

clean-pv32:
	rm -rf $(PV32_OUT) $(PV32_XEN) $(PV32_XEN).version

CLEAN += clean-pv32
