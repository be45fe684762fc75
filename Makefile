# vifbench: re-run and extend the 2013 xen-netback NAPI + kthread-per-VIF study.
# See README.md.  Each area keeps its rules in mk/<area>.mk and adds its test
# target to CHECKS, so `make check` runs every area's tests.

# Debian's interpreter: python3-matplotlib and python3-scipy are installed for it,
# not for whatever python3 comes first on PATH.
PYTHON := /usr/bin/python3

CHECKS :=
CLEAN :=

.PHONY: all check bench clean
all:

include $(sort $(wildcard mk/*.mk))

# The main job: see mk/bench.mk.
bench: $(BENCH)

check: $(CHECKS)
	@echo "make check: passed: $(CHECKS)"

clean: $(CLEAN)
