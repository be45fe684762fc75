# harness/: the C runner vifbench, its tests and benchmarks.
HARNESS_CFLAGS := -std=c11 -Wall -Wextra -Werror -O2
HARNESS_SRCS := $(filter-out harness/vifbench.c,$(wildcard harness/*.c))
HARNESS_HDRS := $(wildcard harness/*.h)
# The xen backend links libxenlight + libxenstore (Debian: libxen-dev). Without the
# headers it is left out and `backend = xen` says so; netns works either way.
HARNESS_XEN := $(if $(wildcard /usr/include/libxl.h),$(wildcard /usr/include/xenstore.h))
ifneq ($(HARNESS_XEN),)
HARNESS_CFLAGS += -DVIFBENCH_XEN
HARNESS_LIBS := -lxenlight -lxenstore -lxentoollog
endif

all: harness/vifbench

harness/vifbench: harness/vifbench.c $(HARNESS_SRCS) $(HARNESS_HDRS)
	$(CC) $(HARNESS_CFLAGS) -o $@ harness/vifbench.c $(HARNESS_SRCS) $(HARNESS_LIBS)

# Unit tests link the modules directly (no main of vifbench).
build/harness/unit: harness/tests/unit.c $(HARNESS_SRCS) $(HARNESS_HDRS)
	@mkdir -p $(@D)
	$(CC) $(HARNESS_CFLAGS) -Iharness -o $@ harness/tests/unit.c $(HARNESS_SRCS) $(HARNESS_LIBS)

# Unit tests, netns integration with real iperf, crash safety (SIGKILL +
# resume), a guest whose server dies.  Needs root for the netns parts.
.PHONY: check-harness bench-harness bench-netns clean-harness
check-harness: harness/vifbench build/harness/unit
	$(PYTHON) harness/tests/run_tests.py

# Overhead of the harness: wall time vs iperf time, its own CPU time.
bench-harness: harness/vifbench
	$(PYTHON) harness/tests/bench_harness.py

# A small netns matrix into build/bench-netns/results.pylist.
bench-netns: harness/vifbench
	@mkdir -p build/bench-netns
	rm -f build/bench-netns/results.pylist build/bench-netns/results.log \
		build/bench-netns/results.guests.log
	harness/vifbench run configs/smoke.plan --duration 5 \
		--results build/bench-netns/results.pylist; rc=$$?; \
		test $$rc -eq 0 -o $$rc -eq 1 || exit $$rc
	@echo "bench-netns: results in build/bench-netns/results.pylist"

clean-harness:
	rm -f harness/vifbench
	rm -rf build/harness build/smoke build/bench-netns build/bench-harness

CHECKS += check-harness
CLEAN += clean-harness
