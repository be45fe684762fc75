#!/usr/bin/env bash
# Boot a kernel as Xen's PV dom0 in QEMU (software emulation, no initramfs)
# and require that it gets as far as mounting its root file system, which it
# then cannot find.  This is the way the study's dom0 kernel is used.
#
#   kernel/xen-dom0-smoke.sh XEN_ELF BZIMAGE LOG
#
# XEN_ELF is a multiboot Xen hypervisor image (e.g. build/testhost/xen.elf,
# extracted from Debian's xen-hypervisor package).  Debian's Xen runs 64-bit
# PV guests only, so this is for x86_64 kernels.
set -euo pipefail

die() { echo "xen-dom0-smoke: FAIL: $*" >&2; exit 1; }
[ $# -eq 3 ] || die "usage: kernel/xen-dom0-smoke.sh XEN_ELF BZIMAGE LOG"
xen=$1 image=$2 log=$3
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is not installed (Debian: qemu-system-x86)"
[ -s "$xen" ] || die "$xen is missing or empty"
[ -s "$image" ] || die "$image is missing or empty"
case $image in *,*) die "$image: QEMU splits multiboot modules at commas; use a path without one" ;; esac

rm -f "$log"
# The dom0 panic makes Xen reboot the machine, which -no-reboot turns into
# QEMU exiting; timeout bounds a hang.
status=0
timeout 900 qemu-system-x86_64 -machine pc -accel tcg -cpu qemu64 -m 2048 -smp 1 \
	-display none -nic none -no-reboot -monitor none -serial "file:$log" \
	-kernel "$xen" -append "console=com1 com1=115200,8n1 dom0_mem=512M,max:512M dom0_max_vcpus=1 loglvl=all" \
	-initrd "$image console=hvc0 earlyprintk=xen root=/dev/none panic=-1" \
	</dev/null >/dev/null 2>&1 || status=$?
[ $status -ne 124 ] || die "no end after 900 s (log: $log)"
grep -q 'Dom0 kernel: ' "$log" || die "Xen did not build a PV dom0 from $image (log: $log)"
grep -q 'Xen version: ' "$log" || die "$image did not start as a Xen PV kernel (log: $log)"
grep -q 'VFS: Unable to mount root fs' "$log" ||
	{ tail -15 "$log" >&2; die "dom0 $image did not get as far as mounting its root file system (log: $log)"; }
echo "xen-dom0-smoke: $image boots as Xen PV dom0 to the root mount"
