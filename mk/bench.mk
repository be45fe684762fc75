# make bench (= bench-xen): the study's matrix, small, on the emulated Xen host (testhost/),
# on the dom0 kernels there are: plain and patched when both
# out/kernel-<flavour>-x86_64/bzImage exist (make kernel-plain / kernel-patched: the
# study's comparison, plain first so the analysis takes it as the baseline); otherwise
# Debian's stock kernel plus whichever of the two exists.
# Results in build/bench/results.pylist (each boot's files in build/bench/results.boots/),
# plots beside them in build/bench/analysis/.
# make check-xen: end-to-end test of the xen backend on the emulated host (two boots).

# make bench ARCH=i386: the study's 32-bit netback instead (bench-pv32, mk/pv32.mk: the PV32
# hypervisor, each i386 kernel as the network driver domain dd32). Only from the command line,
# as for the kernel targets (ARCH is a common environment variable).
BENCH_ARCH := $(if $(filter command line,$(origin ARCH)),$(ARCH),x86_64)
BENCH := $(if $(filter i386,$(BENCH_ARCH)),bench-pv32,$(if $(filter x86_64,$(BENCH_ARCH)),bench-xen,bench-bad-arch))
.PHONY: bench-bad-arch
bench-bad-arch:
	@echo "bench: ARCH=$(BENCH_ARCH): want x86_64 (default: dom0 netback) or i386 (driver domain on the PV32 hypervisor)" >&2; exit 2
BENCH_OUT := build/bench

.PHONY: bench-xen check-xen clean-bench
bench-xen: testhost harness/vifbench
	@start=$$(date +%s); echo "bench: started $$(date -u +%FT%TZ)"; \
	have=""; for k in plain patched; do \
		if [ -f out/kernel-$$k-x86_64/bzImage ]; then have="$$have $$k"; fi; done; \
	case "$$have" in " plain patched") kernels="plain patched";; *) kernels="stock$$have";; esac; \
	echo "bench: dom0 kernels: $$kernels (configs/bench.plan, emulated host; fresh results)"; \
	rm -rf $(BENCH_OUT); mkdir -p $(BENCH_OUT); \
	testhost/run-plan configs/bench.plan --results $(BENCH_OUT)/results.pylist --kernels "$$kernels"; \
	rc=$$?; \
	first=$$(grep -o "'start': '[^']*', 'elapsed': [0-9.]*" $(BENCH_OUT)/results.pylist 2>/dev/null | head -n 1 \
		| sed "s/'start': '\(.*\)', 'elapsed': \(.*\)/\1 \2/"); \
	if [ -n "$$first" ]; then set -- $$first; \
		echo "bench: first result measured $$(( $$(date -d "$$1" +%s) + $${2%.*} - start ))s after make bench started"; fi; \
	echo "bench: run-plan exit status $$rc after $$(( $$(date +%s) - start ))s"; \
	test -s $(BENCH_OUT)/results.pylist || { echo "bench: no results"; exit 1; }; \
	$(PYTHON) -m analysis $(BENCH_OUT)/results.pylist || exit 1; \
	echo "bench: results $(BENCH_OUT)/results.pylist (logs per boot in $(BENCH_OUT)/results.boots/)"; \
	echo "bench: plots and report in $(BENCH_OUT)/analysis/"; \
	test $$rc -eq 0

check-xen: testhost harness/vifbench
	testhost/check-xen

clean-bench:
	rm -rf $(BENCH_OUT) build/check-xen

CHECKS += check-xen
CLEAN += clean-bench
