# Kernel patch queue (series, patches/) and the dom0 kernels built from it.
# See docs/kernel.md.
#
#   make kernel-source [KERNEL_SOURCE_DIR=../linux-next]   fetch linux-next 404f7e793 (network)
#   make kernel-plain   KSRC=<tree> [ARCH=i386|x86_64]     base queue only
#   make kernel-patched KSRC=<tree> [ARCH=i386|x86_64]     base + everything after the boundary
#       -> out/kernel-<flavour>-<arch>/{bzImage,vmlinux,System.map,.config,manifest}
#   make check-kernel   KSRC=<tree> [XEN_ELF=xen.elf]   queue applies, checkpatch, all four
#                       kernels build and boot in QEMU (x86_64 also as Xen PV dom0)
#   make check-kernel-queue KSRC=<tree>  only the apply + checkpatch part (no builds)
#   make check-queue                   the queue is complete and well formed (no tree needed)
#
# KSRC is never modified: each flavour gets a work copy under build/kernel/.

.PHONY: kernel-source kernel-plain kernel-patched check-kernel check-kernel-queue check-queue clean-kernel

# ARCH only from the command line: an ARCH in the environment is often meant
# for something else (cross builds, package tools).
KERNEL_ARCH := $(if $(filter command line,$(origin ARCH)),$(ARCH),i386)
KERNEL_SOURCE_DIR ?= $(abspath ..)/linux-next
KERNEL_SOURCE_URL ?= https://git.kernel.org/pub/scm/linux/kernel/git/next/linux-next.git
KERNEL_SOURCE_COMMIT := 404f7e793

kernel-source:
	kernel/source.sh '$(KERNEL_SOURCE_DIR)' '$(KERNEL_SOURCE_URL)' '$(KERNEL_SOURCE_COMMIT)'

kernel-plain kernel-patched:
	@test -n "$(KSRC)" || { echo "make $@: set KSRC=<kernel tree> (make kernel-source fetches linux-next 404f7e793 into ../linux-next)" >&2; exit 2; }
	PYTHON=$(PYTHON) kernel/build.sh $(patsubst kernel-%,%,$@) '$(KERNEL_ARCH)' '$(KSRC)'

# A Xen image for the dom0 boot test of the x86_64 kernels: the emulated host's,
# if it has been built.
XEN_ELF ?= $(wildcard build/testhost/xen.elf)

check-kernel:
ifeq ($(KSRC),)
	@echo "check-kernel: SKIPPED: no kernel tree (set KSRC=<tree>; it builds four kernels, ~30-60 min on 2 cores)"
else
	PYTHON=$(PYTHON) XEN_ELF='$(XEN_ELF)' kernel/check.sh '$(KSRC)'
endif

# The apply and checkpatch parts of check-kernel only: a minute, no builds.
check-kernel-queue:
	@test -n "$(KSRC)" || { echo "make $@: set KSRC=<kernel tree>" >&2; exit 2; }
	PYTHON=$(PYTHON) kernel/check.sh --queue-only '$(KSRC)'

check-queue:
	$(PYTHON) kernel/series.py check series patches
	$(PYTHON) -m unittest discover -s kernel/tests -v

clean-kernel:
	rm -rf build/kernel out/kernel-plain-* out/kernel-patched-*

CHECKS += check-queue
CLEAN += clean-kernel
