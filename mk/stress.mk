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

.PHONY: stress-netback
stress-netback: testhost
	testhost/check-netback-stress --kernel $(DOM0) --cycles $(CYCLES) --guests $(STRESS_GUESTS) $(STRESS_ARGS)

# The judge's leak-or-first-use decision on synthetic runs with known answers (no QEMU;
# a fraction of a second), part of `make check`.
.PHONY: check-stress-judge
check-stress-judge:
	testhost/check-netback-stress --self-test
CHECKS += check-stress-judge
