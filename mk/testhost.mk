# The emulated Xen host (testhost/README.md): Debian's Xen 4.17 in QEMU, built from
# Debian packages into build/testhost/. Each piece is rebuilt only when its inputs change.

TH_SRC := testhost
TH_OUT := build/testhost
TH_TOOLS := $(TH_SRC)/build

# What the host is made of; `make testhost` builds all of it.
TESTHOST := $(TH_OUT)/xen.elf $(TH_OUT)/linux/vmlinuz $(TH_OUT)/dom0-initrd.cpio

.PHONY: testhost testhost-build check-testhost clean-testhost testhost-recheck
# Several sessions share build/: one build at a time (flock); qemu-boot takes the
# same lock, shared, while QEMU loads the images.
testhost:
	@mkdir -p $(TH_OUT)
	@flock $(TH_OUT)/.lock $(MAKE) --no-print-directory TH_OUT=$(TH_OUT) testhost-build

testhost-build: $(TESTHOST)
	@echo "testhost: xen $$(cat $(TH_OUT)/xen.elf.version), dom0/guest kernel $$(cat $(TH_OUT)/linux/release); boot with testhost/qemu-boot"

# apt's current linux-image-amd64 kernel; the file is rewritten only when it changes
$(TH_OUT)/linux.want: testhost-recheck
	@mkdir -p $(@D)
	@$(TH_TOOLS)/kernel-version > $@.new
	@cmp -s $@.new $@ && rm -f $@.new || mv $@.new $@

$(TH_OUT)/linux/vmlinuz: $(TH_OUT)/linux.want $(TH_TOOLS)/mk-linux $(TH_TOOLS)/fetch-deb
	$(TH_TOOLS)/mk-linux $(TH_OUT)/linux $$(cat $<)
	@touch $@

$(TH_OUT)/dom0root/.done: $(TH_SRC)/dom0-packages $(TH_TOOLS)/mk-dom0root
	@echo "testhost: debootstrap of the dom0 userland (a few minutes)"
	$(TH_TOOLS)/mk-dom0root $(TH_OUT)/dom0root $<
	@touch $@

$(TH_OUT)/xen.elf: $(TH_OUT)/dom0root/.done $(TH_TOOLS)/mk-xen $(TH_TOOLS)/fetch-deb
	$(TH_TOOLS)/mk-xen $@ $(TH_OUT)/dom0root

$(TH_OUT)/guest-initrd.gz: $(TH_OUT)/dom0root/.done $(TH_OUT)/linux/vmlinuz $(TH_TOOLS)/mk-guest-initrd \
		$(TH_SRC)/guest-init $(TH_SRC)/guest-poweroff
	$(TH_TOOLS)/mk-guest-initrd $@ $(TH_OUT)/dom0root $(TH_OUT)/linux $(TH_SRC)

# The Split template's xl.cfg (with @FIELD@ placeholders the harness fills in)
TH_SPLIT_CFG := configs/Split.cfg

$(TH_OUT)/dom0-initrd.cpio: $(TH_OUT)/dom0root/.done $(TH_OUT)/linux/vmlinuz $(TH_OUT)/guest-initrd.gz \
		$(TH_SPLIT_CFG) $(TH_SRC)/dom0-init $(TH_TOOLS)/mk-dom0-initrd
	@echo "testhost: packing dom0 initramfs"
	$(TH_TOOLS)/mk-dom0-initrd $@ $(TH_OUT)/dom0root $(TH_OUT)/linux $(TH_OUT)/guest-initrd.gz $(TH_SPLIT_CFG) $(TH_SRC)

# Boots the host with Debian's kernel, one Split guest, iperf both ways (testhost/check-testhost).
check-testhost: testhost
	$(TH_SRC)/check-testhost

clean-testhost:
	rm -rf $(TH_OUT)

CHECKS += check-testhost
CLEAN += clean-testhost
