#!/usr/bin/env bash
# Build one flavour of the vifbench dom0 kernel for one arch:
#
#   kernel/build.sh {plain|patched} {i386|x86_64} KSRC
#
# KSRC is only read.  The flavour gets its own work copy of it (build/kernel/
# src-<flavour>) on which quilt applies the flavour's part of `series`; each
# arch builds out of tree (O=build/kernel/obj-<flavour>-<arch>).  The work copy
# and objects are kept, so a second run only redoes what a changed patch,
# fragment or tree requires.  Results: out/kernel-<flavour>-<arch>/{bzImage,
# vmlinux,.config,manifest}.
#
# Environment: JOBS (make -j, default 2), KERNEL_BUILD_DIR, KERNEL_OUT_DIR,
# KERNEL_BUILD_TIMEOUT (seconds, default 7200), PYTHON.
set -euo pipefail
# The braces make bash read the whole script before running it, so editing
# this file while a build runs cannot derail that build.
{

die() { echo "kernel/build.sh: $*" >&2; exit 1; }

[ $# -eq 3 ] || die "usage: kernel/build.sh {plain|patched} {i386|x86_64} KSRC"
flavour=$1 arch=$2 ksrc=$3
repo=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
jobs=${JOBS:-2}
build=${KERNEL_BUILD_DIR:-$repo/build/kernel}
outroot=${KERNEL_OUT_DIR:-$repo/out}
timeout_s=${KERNEL_BUILD_TIMEOUT:-7200}
series=$repo/series
patches=$repo/patches
frags=("$repo/configs/dom0-common.config" "$repo/configs/dom0-$arch.config")

# --- Check everything before starting anything -------------------------------
case $flavour in plain|patched) ;; *) die "flavour '$flavour': expected plain or patched" ;; esac
case $arch in i386|x86_64) ;; *) die "ARCH '$arch': expected i386 or x86_64" ;; esac
[ -d "$ksrc" ] || die "KSRC '$ksrc' is not a directory"
ksrc=$(cd "$ksrc" && pwd -P)
[ -f "$ksrc/Makefile" ] && grep -q '^VERSION = ' "$ksrc/Makefile" ||
	die "KSRC '$ksrc' does not look like a Linux tree (no top-level Makefile with VERSION)"
[ -f "$ksrc/arch/x86/configs/${arch}_defconfig" ] ||
	die "KSRC '$ksrc' has no arch/x86/configs/${arch}_defconfig"
[ -x "$ksrc/scripts/kconfig/merge_config.sh" ] || [ -f "$ksrc/scripts/kconfig/merge_config.sh" ] ||
	die "KSRC '$ksrc' has no scripts/kconfig/merge_config.sh"
[ -e "$ksrc/.config" ] && die "KSRC '$ksrc' has a .config: out-of-tree builds need a clean tree (make mrproper there)"
mkdir -p "$build" "$outroot"
build=$(cd "$build" && pwd -P)
case $ksrc/ in "$build"/*) die "KSRC '$ksrc' is inside the build folder $build" ;; esac
for tool in quilt make gcc ld bc perl sha256sum tar timeout flock; do
	command -v "$tool" >/dev/null || die "'$tool' is not installed (Debian: see .ci/packages and docs/kernel.md)"
done
for f in "${frags[@]}"; do [ -f "$f" ] || die "config fragment $f is missing"; done
"$PYTHON" "$repo/kernel/series.py" check-listed "$series" "$patches" >/dev/null
mapfile -t want < <("$PYTHON" "$repo/kernel/series.py" list "$series" "$flavour")

# One build per flavour at a time: both arches share the flavour's work copy.
exec 9>"$build/lock-$flavour"
if ! flock -n 9; then
	echo "kernel/build.sh: another $flavour build is running; waiting for it (up to ${timeout_s}s)"
	flock -w "$timeout_s" 9 || die "gave up waiting for the other $flavour build"
fi
src=$build/src-$flavour
obj=$build/obj-$flavour-$arch
out=$outroot/kernel-$flavour-$arch
log=$build/build-$flavour-$arch.log
started=$(date +%s)
echo "kernel/build.sh: $flavour $arch from $ksrc (${#want[@]} patches)"

# --- Work copy of KSRC ---------------------------------------------------------
# A cheap fingerprint (git commit + local changes, or every file's size and
# mtime) tells whether the work copy still matches KSRC.
fingerprint() {
	if [ "$(git -C "$ksrc" rev-parse --show-toplevel 2>/dev/null)" = "$ksrc" ]; then
		echo "git $(git -C "$ksrc" rev-parse HEAD)" \
			"$(git -C "$ksrc" status --porcelain --untracked-files=no | sha256sum | cut -c1-16)"
	else
		echo "files $(cd "$ksrc" && find . -path ./.git -prune -o -type f -printf '%P %s %T@\n' |
			LC_ALL=C sort | sha256sum | cut -c1-64)"
	fi
}
fp=$(fingerprint)
if [ ! -f "$src/.vifbench/fingerprint" ] || [ "$(cat "$src/.vifbench/fingerprint")" != "$fp" ]; then
	echo "kernel/build.sh: new work copy of $ksrc in $src (previous objects for $flavour dropped)"
	rm -rf "$src" "$src.tmp" "$build/obj-$flavour-i386" "$build/obj-$flavour-x86_64"
	mkdir -p "$src.tmp/.vifbench"
	tar -C "$ksrc" --exclude=./.git -cf - . | tar -C "$src.tmp" -xf -
	{
		echo "base-tree: $ksrc"
		if [ "${fp%% *}" = git ]; then
			echo "base-git-commit: $(git -C "$ksrc" rev-parse HEAD)"
			echo "base-git-describe: $(git -C "$ksrc" describe --always --tags 2>/dev/null || echo none)"
			dirty=$(git -C "$ksrc" status --porcelain --untracked-files=no | wc -l)
			echo "base-git-modified-files: $dirty"
		else
			echo "base-git-commit: none (not a git checkout)"
		fi
		# Content hash of every file of the copy: identifies the tree either way.
		echo "base-files-sha256: $(cd "$src.tmp" && find . -path ./.vifbench -prune -o -type f -print0 |
			LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64)"
		echo "base-version: $(make -s -C "$src.tmp" kernelversion)"
	} >"$src.tmp/.vifbench/base-id"
	echo "$fp" >"$src.tmp/.vifbench/fingerprint"
	mv "$src.tmp" "$src"
fi

# --- Bring the work copy's quilt stack to the flavour's patches ----------------
# quilt remembers its series and patches folder in .pc and prefers them over the
# environment, so both are set explicitly each time.
quilt_series=$src/.vifbench/series
q() {
	if [ -d "$src/.pc" ]; then
		echo "$patches" >"$src/.pc/.quilt_patches"
		echo "$quilt_series" >"$src/.pc/.quilt_series"
	fi
	(cd "$src" && QUILT_PATCHES=$patches QUILT_SERIES=$quilt_series QUILT_PC=.pc quilt --quiltrc=- "$@")
}
applied_state=$src/.vifbench/applied # "name sha256" per applied patch
[ -f "$applied_state" ] || : >"$applied_state"
have=()
[ -f "$src/.pc/applied-patches" ] && mapfile -t have <"$src/.pc/applied-patches"
# Keep the longest prefix of the applied stack that is exactly what we want now.
keep=0
while [ $keep -lt ${#have[@]} ] && [ $keep -lt ${#want[@]} ] && [ "${have[$keep]}" = "${want[$keep]}" ]; do
	recorded=$(awk -v n="${have[$keep]}" '$1 == n { print $2 }' "$applied_state")
	current=$(sha256sum <"$patches/${want[$keep]}" | cut -c1-64)
	[ "$recorded" = "$current" ] || break
	keep=$((keep + 1))
done
popped_files=()
if [ $keep -lt ${#have[@]} ]; then
	printf '%s\n' "${have[@]}" >"$quilt_series"
	for ((i = keep; i < ${#have[@]}; i++)); do
		mapfile -t -O ${#popped_files[@]} popped_files < <(q files "${have[$i]}")
	done
	# -f: restore the saved originals even though the patch file has changed
	# since it was applied (quilt would otherwise refuse to pop it).
	if [ $keep -eq 0 ]; then to=(-a); else to=("${have[$((keep - 1))]}"); fi
	q pop -f -q "${to[@]}" >/dev/null || die "quilt pop failed in $src (remove $src to start afresh)"
	echo "kernel/build.sh: popped $((${#have[@]} - keep)) patches that changed or left the $flavour queue"
fi
: >"$applied_state.new"
for ((i = 0; i < keep; i++)); do awk -v n="${want[$i]}" '$1 == n' "$applied_state" >>"$applied_state.new"; done
mv "$applied_state.new" "$applied_state"
printf '%s\n' "${want[@]}" >"$quilt_series"
for ((i = keep; i < ${#want[@]}; i++)); do
	name=${want[$i]}
	if ! msg=$(q push --fuzz=0 2>&1); then
		echo "$msg" >&2
		die "series: patch $((i + 1))/${#want[@]} $name does not apply without fuzz on top of the previous ones"
	fi
	if grep -q 'offset' <<<"$msg"; then
		echo "kernel/build.sh: note: $name applies at an offset:" >&2
		grep 'offset' <<<"$msg" >&2
	fi
	echo "$name $(sha256sum <"$patches/$name" | cut -c1-64)" >>"$applied_state"
done
if [ $keep -lt ${#want[@]} ]; then echo "kernel/build.sh: applied $((${#want[@]} - keep)) patches"; fi
# quilt pop restores the original files with their old mtimes, which would
# leave objects built from the patched versions looking up to date.
for f in "${popped_files[@]}"; do if [ -e "$src/$f" ]; then touch "$src/$f"; fi; done

# --- Configure: defconfig + fragments, olddefconfig, verify --------------------
# The candidate .config only replaces the current one when it differs, so an
# unchanged configuration does not make kbuild reconsider anything.
mkdir -p "$obj" "$build/merge-$flavour-$arch"
(cd "$build/merge-$flavour-$arch" && bash "$src/scripts/kconfig/merge_config.sh" -m -O . \
	"$src/arch/x86/configs/${arch}_defconfig" "${frags[@]}") >"$build/config-$flavour-$arch.log" 2>&1 ||
	{ cat "$build/config-$flavour-$arch.log" >&2; die "merge_config.sh failed"; }
cp "$build/merge-$flavour-$arch/.config" "$obj/.config.candidate"
timeout 600 make -s -C "$src" O="$obj" ARCH="$arch" KCONFIG_CONFIG=.config.candidate olddefconfig \
	>>"$build/config-$flavour-$arch.log" 2>&1 ||
	{ cat "$build/config-$flavour-$arch.log" >&2; die "make olddefconfig failed"; }
rm -f "$obj/.config.candidate.old"
if cmp -s "$obj/.config.candidate" "$obj/.config"; then
	rm "$obj/.config.candidate"
else
	mv "$obj/.config.candidate" "$obj/.config"
fi
"$PYTHON" "$repo/kernel/config_check.py" "$obj/.config" "${frags[@]}" ||
	die "the configuration lacks options the fragments ask for (above); nothing was built"

# --- Build -----------------------------------------------------------------------
echo "kernel/build.sh: make -j$jobs bzImage, log in $log"
build_start=$(date +%s)
# timeout makes itself a process group leader: stop that group if we are stopped.
timeout "$timeout_s" make -C "$src" O="$obj" ARCH="$arch" -j"$jobs" bzImage >"$log" 2>&1 &
make_pid=$!
trap 'kill -TERM -- -$make_pid 2>/dev/null; exit 130' INT TERM
status=0
wait $make_pid || status=$?
trap - INT TERM
if [ $status -ne 0 ]; then
	grep -E 'error|Error' "$log" | tail -20 >&2 || true
	tail -5 "$log" >&2
	die "kernel build failed (or exceeded ${timeout_s}s); full log: $log"
fi
build_end=$(date +%s)
for o in netback.o interface.o xenbus.o built-in.o; do
	[ -s "$obj/drivers/net/xen-netback/$o" ] || die "built, but drivers/net/xen-netback/$o is missing in $obj"
done
grep -q ' xenvif_alloc$' "$obj/System.map" || die "vmlinux does not contain xen-netback (no xenvif_alloc in System.map)"

# --- Results ----------------------------------------------------------------------
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
cp "$obj/arch/x86/boot/bzImage" "$obj/vmlinux" "$obj/System.map" "$out.tmp/"
cp "$obj/.config" "$out.tmp/.config"
sha() { sha256sum <"$1" | cut -c1-64; }
{
	echo "# vifbench kernel build manifest (kernel/build.sh)"
	echo "flavour: $flavour"
	echo "arch: $arch"
	echo "kernelrelease: $(make -s -C "$src" O="$obj" ARCH="$arch" kernelrelease)"
	echo "built-utc: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "make-seconds: $((build_end - build_start))"
	cat "$src/.vifbench/base-id"
	echo "vifbench-commit: $(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)$(
		git -C "$repo" diff --quiet HEAD -- series patches configs kernel 2>/dev/null || echo ' (queue/configs/scripts modified)')"
	echo "patches-applied: ${#want[@]}"
	for name in "${want[@]}"; do echo "patch: $name sha256:$(sha "$patches/$name")"; done
	for f in "${frags[@]}"; do echo "config-fragment: ${f#"$repo"/} sha256:$(sha "$f")"; done
	echo "config-sha256: $(sha "$obj/.config")"
	echo "toolchain-gcc: $(gcc --version | head -1)"
	echo "toolchain-ld: $(ld --version | head -1)"
	echo "toolchain-make: $(make --version | head -1)"
	echo "toolchain-quilt: quilt $(quilt --version)"
	echo "bzImage: $(stat -c %s "$obj/arch/x86/boot/bzImage") bytes sha256:$(sha "$obj/arch/x86/boot/bzImage")"
	echo "vmlinux: $(stat -c %s "$obj/vmlinux") bytes sha256:$(sha "$obj/vmlinux")"
} >"$out.tmp/manifest"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "kernel/build.sh: $out/bzImage ($(stat -c %s "$out/bzImage") bytes)," \
	"make took $((build_end - build_start)) s, all steps $(($(date +%s) - started)) s"
exit
}
