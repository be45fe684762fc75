# Lifecycle stress of xen-netback on the emulated Xen host (testhost/check-netback-stress):
# a warm-up round of STRESS_GUESTS guests, CYCLES guest create/destroy cycles with iperf,
# a guest destroyed mid-iperf, two more rounds of STRESS_GUESTS guests at once; asserts no
# oops/warning, no vif left, dom0 memory and slab back to baseline and no growth in the
# second round (a leak grows again, first use does not).
# Long (TCG: ~30-60 s per cycle, ~5 min per multi-guest round), so not part of CHECKS
# (its judge is: check-stress-judge below).
#   make stress-netback [DOM0=out/kernel-plain-x86_64/bzImage] [CYCLES=50] [STRESS_GUESTS=8]
#                       [STRESS_ARGS='--budget 1500 --label plain']
DOM0 ?= out/kernel-patched-x86_64/bzImage
CYCLES ?= 50
STRESS_GUESTS ?= 8
STRESS_ARGS ?=

# The helper the stress job runs in dom0 before each snapshot to make 3.11 free its lazily
# unmapped vmalloc areas now (static: it runs on dom0's userland, not the build host's).
build/testhost/vmap-purge: testhost/vmap-purge.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -Wall -Wextra -Werror -O2 -static -o $@ $<

.PHONY: stress-netback
stress-netback: testhost build/testhost/vmap-purge
	testhost/check-netback-stress --kernel $(DOM0) --cycles $(CYCLES) --guests $(STRESS_GUESTS) $(STRESS_ARGS)

# The judge's leak-or-first-use decision on synthetic runs with known answers (no QEMU;
# a fraction of a second), part of `make check`.
.PHONY: check-stress-judge
check-stress-judge: build/testhost/vmap-purge
	testhost/check-netback-stress --self-test
CHECKS += check-stress-judge

# A connect that fails after a ring was mapped, then the frontend closes: netback must not
# unmap that ring a second time (napi/0005). One boot per kernel (~3 min each under TCG);
# each kernel's expectation comes from its manifest, so the plain kernel's run shows the
# 3.11 bug the check guards against. Needs the x86_64 kernels (make kernel-{patched,plain}).
#   make check-netback-connect-error [CONNECT_ERROR_KERNELS='out/kernel-patched-x86_64/bzImage ...']
CONNECT_ERROR_KERNELS ?= out/kernel-patched-x86_64/bzImage out/kernel-plain-x86_64/bzImage

.PHONY: check-netback-connect-error
check-netback-connect-error: testhost
	testhost/check-netback-connect-error $(addprefix --kernel ,$(CONNECT_ERROR_KERNELS))

# Its judge on the two recorded runs (results/2026-12-02-netback-connect-error/), each
# against its own manifest (passes) and the other's (fails); no QEMU, part of `make check`.
.PHONY: check-connect-error-judge
check-connect-error-judge:
	testhost/check-netback-connect-error --self-test
CHECKS += check-connect-error-judge
