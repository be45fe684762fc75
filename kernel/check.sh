#!/usr/bin/env bash
# make check-kernel KSRC=<tree>: the whole queue applies in order, without fuzz,
# on a fresh copy of KSRC's files; the patches pass the tree's checkpatch.pl;
# both flavours build for both arches (kernel/build.sh); each result has
# xen-netback built in, the configuration the fragments ask for and a manifest
# naming exactly its flavour's patches; x86_64 vmlinux has 2MB-aligned segments;
# each bzImage boots natively in QEMU up to the root mount (kernel/boot-smoke.sh),
# and with XEN_ELF set, each x86_64 one also as Xen PV dom0 (kernel/xen-dom0-smoke.sh).
#
#   kernel/check.sh [--queue-only] KSRC
#
# --queue-only stops after the apply and checkpatch steps (a minute, no builds).
set -euo pipefail
# The braces make bash read the whole script before running it, so editing
# this file while a build runs cannot derail that build.
{

die() { echo "check-kernel: FAIL: $*" >&2; exit 1; }
queue_only=0
if [ "${1:-}" = --queue-only ]; then queue_only=1; shift; fi
[ $# -eq 1 ] || die "usage: kernel/check.sh [--queue-only] KSRC"
ksrc=$(cd "$1" && pwd -P) || die "KSRC '$1' is not a directory"
repo=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
build=${KERNEL_BUILD_DIR:-$repo/build/kernel}
outroot=${KERNEL_OUT_DIR:-$repo/out}
series=$repo/series
patches=$repo/patches

"$PYTHON" "$repo/kernel/series.py" check-listed "$series" "$patches"
mapfile -t all < <("$PYTHON" "$repo/kernel/series.py" list "$series" patched)

# 1. Every patch applies in order, without fuzz, to pristine files.  Only the
# files the queue touches are copied: patch reads nothing else.
scratch=$build/applycheck
rm -rf "$scratch"
mkdir -p "$scratch/tree"
while read -r f; do
	if [ -f "$ksrc/$f" ]; then
		mkdir -p "$scratch/tree/$(dirname "$f")"
		cp -p "$ksrc/$f" "$scratch/tree/$f"
	fi
done < <(cd "$patches" && "$PYTHON" "$repo/kernel/series.py" files "${all[@]}" | sort -u)
printf '%s\n' "${all[@]}" >"$scratch/series"
for ((i = 0; i < ${#all[@]}; i++)); do
	if ! msg=$(cd "$scratch/tree" && QUILT_PATCHES=$patches QUILT_SERIES=$scratch/series \
		quilt --quiltrc=- push --fuzz=0 2>&1); then
		echo "$msg" >&2
		die "patch $((i + 1))/${#all[@]} ${all[$i]} does not apply without fuzz after the ones before it"
	fi
	if grep -q offset <<<"$msg"; then
		echo "check-kernel: note: ${all[$i]} applies at an offset" >&2
	fi
done
echo "check-kernel: all ${#all[@]} patches apply in order without fuzz"

# 2. checkpatch.pl from the tree.  3.11's script predates perl 5.26, which
# rejects its unescaped '{' in two regexes; a copy with those escaped is used.
cp "$ksrc/scripts/checkpatch.pl" "$scratch/checkpatch.pl"
sed -i -e 's/do\\s{\//do\\s\\{\//' -e 's/\\(\.\*\\)\.\*\\s{\//\\(.*\\).*\\s\\{\//' "$scratch/checkpatch.pl"
# Errors fail the check; warnings are listed here and again at the end (a
# warning can be about code a patch only moves).
warned=()
for name in "${all[@]}"; do
	report=$(perl "$scratch/checkpatch.pl" --no-tree "$patches/$name" 2>&1 | grep -v 'passed through in regex' || true)
	total=$(grep '^total:' <<<"$report" || true)
	[ -n "$total" ] || { echo "$report" >&2; die "checkpatch.pl did not run on $name"; }
	echo "check-kernel: checkpatch $name: $total"
	if ! grep -q '^total: 0 errors, 0 warnings' <<<"$total"; then
		echo "$report" >&2
	fi
	grep -q '^total: 0 errors' <<<"$total" || die "checkpatch.pl finds errors in $name (above)"
	grep -q ', 0 warnings' <<<"$total" || warned+=("$name")
done
if [ $queue_only -eq 1 ]; then
	echo "check-kernel: queue checks passed (builds not run: --queue-only)${warned[*]:+; checkpatch warnings in: ${warned[*]}}"
	exit 0
fi

# 3. Build both flavours for both arches, then look at what came out.
for flavour in plain patched; do
	for arch in x86_64 i386; do
		"$repo/kernel/build.sh" "$flavour" "$arch" "$ksrc"
		out=$outroot/kernel-$flavour-$arch
		obj=$build/obj-$flavour-$arch
		[ "$(head -c 4 <(tail -c +515 "$out/bzImage"))" = HdrS ] || die "$out/bzImage is not a bzImage"
		for o in netback.o interface.o xenbus.o; do
			[ -s "$obj/drivers/net/xen-netback/$o" ] || die "$obj/drivers/net/xen-netback/$o was not built"
		done
		"$PYTHON" "$repo/kernel/config_check.py" "$out/.config" \
			"$repo/configs/dom0-common.config" "$repo/configs/dom0-$arch.config" >/dev/null
		mapfile -t want < <("$PYTHON" "$repo/kernel/series.py" list "$series" "$flavour")
		mapfile -t got < <(sed -n 's/^patch: \([^ ]*\) .*/\1/p' "$out/manifest")
		[ "${want[*]}" = "${got[*]}" ] || die "$out/manifest lists other patches than the $flavour queue"
		if [ "$arch" = x86_64 ]; then
			# Fix 8 of the base queue: every loadable segment 2MB aligned.
			if readelf -lW "$out/vmlinux" | awk '$1 == "LOAD" && $NF != "0x200000" { bad = 1 } END { exit !bad }'; then
				die "$out/vmlinux has LOAD segments not aligned to 2MB"
			fi
		fi
		"$repo/kernel/boot-smoke.sh" "$out/bzImage" "$build/boot-$flavour-$arch.log"
		if [ "$arch" = x86_64 ] && [ -n "${XEN_ELF:-}" ]; then
			"$repo/kernel/xen-dom0-smoke.sh" "$XEN_ELF" "$out/bzImage" "$build/xen-dom0-$flavour-$arch.log"
		elif [ "$arch" = x86_64 ]; then
			echo "check-kernel: Xen dom0 boot of $out/bzImage skipped: set XEN_ELF=<multiboot xen image>"
		fi
		echo "check-kernel: $flavour $arch: ok ($(stat -c %s "$out/bzImage") byte bzImage)"
	done
done
echo "check-kernel: passed${warned[*]:+; checkpatch warnings in: ${warned[*]}}"
exit
}
