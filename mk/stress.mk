# Lifecycle stress of xen-netback on the emulated Xen host (testhost/check-netback-stress):
# CYCLES guest create/destroy cycles with iperf, a guest destroyed mid-iperf, GUESTS
# guests at once; asserts no oops/warning, no vif left, MemFree and slab back to baseline.
# Long (TCG: ~30-60 s per cycle), so not part of CHECKS.
#   make stress-netback [DOM0=out/kernel-plain-x86_64/bzImage] [CYCLES=50] [STRESS_GUESTS=8]
DOM0 ?= out/kernel-patched-x86_64/bzImage
CYCLES ?= 50
STRESS_GUESTS ?= 8

.PHONY: stress-netback
stress-netback: testhost
	testhost/check-netback-stress --kernel $(DOM0) --cycles $(CYCLES) --guests $(STRESS_GUESTS)
