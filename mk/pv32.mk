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

.PHONY: testhost-pv32 testhost-pv32-build check-pv32 check-dd-agent check-pv32-plan bench-pv32 clean-pv32
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

# The harness's driver-domain mode end to end (docs/pv32.md): a small plan (vms 1-2,
# streams 1-2, repeats 1, 5 s, both directions) through run-plan --xen pv32 --arch i386,
# one boot per i386 kernel, then the results file judged. ~20-25 min with TCG for two
# kernels (each boot 2-3 min, plus dd32, 4 guest starts and 16 runs).
check-pv32-plan: testhost-pv32 harness/vifbench
	testhost/check-pv32-plan $(PV32_KERNELS)

# make bench-pv32: configs/bench.plan through the i386 netback: the plain and patched i386
# kernels that exist (plain first: the analysis's baseline) as dd32 beside Debian's 64-bit
# dom0 on the PV32 hypervisor. Results in build/bench-pv32/results.pylist (meta records
# say netback_domain dd32, netback_arch i686, xen_flavour pv32; cpu_pct is dd32's),
# plots in build/bench-pv32/analysis/. Same as
#   testhost/run-plan configs/bench.plan --results R --xen pv32 --arch i386 --kernels "plain patched"
PV32_BENCH_OUT := build/bench-pv32
bench-pv32: testhost-pv32 harness/vifbench
	@start=$$(date +%s); echo "bench-pv32: started $$(date -u +%FT%TZ)"; \
	kernels=""; for k in plain patched; do \
		if [ -f out/kernel-$$k-i386/bzImage ]; then kernels="$$kernels $$k"; fi; done; \
	test -n "$$kernels" || { echo "bench-pv32: no out/kernel-{plain,patched}-i386/bzImage"; exit 2; }; \
	echo "bench-pv32: i386 kernels as dd32:$$kernels (configs/bench.plan, emulated host; fresh results)"; \
	rm -rf $(PV32_BENCH_OUT); mkdir -p $(PV32_BENCH_OUT); \
	testhost/run-plan configs/bench.plan --results $(PV32_BENCH_OUT)/results.pylist \
		--xen pv32 --arch i386 --kernels "$${kernels# }"; \
	rc=$$?; echo "bench-pv32: run-plan exit status $$rc after $$(( $$(date +%s) - start ))s"; \
	test -s $(PV32_BENCH_OUT)/results.pylist || { echo "bench-pv32: no results"; exit 1; }; \
	$(PYTHON) -m analysis $(PV32_BENCH_OUT)/results.pylist || exit 1; \
	echo "bench-pv32: results $(PV32_BENCH_OUT)/results.pylist, plots in $(PV32_BENCH_OUT)/analysis/"; \
	test $$rc -eq 0

clean-pv32:
	rm -rf $(PV32_OUT) $(PV32_XEN) $(PV32_XEN).version $(PV32_BENCH_OUT) $(PV32_TH)/check-pv32-plan

CLEAN += clean-pv32
