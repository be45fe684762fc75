#!/usr/bin/env bash
# make kernel-source: fetch the 2013 study's tree, linux-next at 404f7e793,
# into a folder outside the repository (default ../linux-next).
#
#   kernel/source.sh DIR URL COMMIT
#
# Old linux-next states are reachable only through the daily next-YYYYMMDD
# tags, so the 2013 tags are fetched (not the current branch) and the commit is
# checked out from them.  Needs network access to URL; fails with a clear
# message without it.
set -euo pipefail

die() { echo "kernel-source: $*" >&2; exit 1; }
[ $# -eq 3 ] || die "usage: kernel/source.sh DIR URL COMMIT"
dir=$1 url=$2 commit=$3
repo=$(cd "$(dirname "$0")/.." && pwd)

command -v git >/dev/null || die "git is not installed"
mkdir -p "$(dirname "$dir")"
dir=$(cd "$(dirname "$dir")" && pwd -P)/$(basename "$dir")
case $dir/ in "$repo"/*) die "$dir is inside the repository; kernel sources must stay outside it" ;; esac

if [ -d "$dir/.git" ] && git -C "$dir" cat-file -e "$commit^{commit}" 2>/dev/null; then
	echo "kernel-source: $dir already has $commit"
else
	[ ! -e "$dir" ] || [ -d "$dir/.git" ] || die "$dir exists and is not a git checkout; move it away or set KERNEL_SOURCE_DIR"
	echo "kernel-source: checking that $url is reachable"
	timeout 60 git ls-remote --heads "$url" master >/dev/null 2>&1 ||
		die "cannot reach $url (no network access?).  Fetch linux-next $commit elsewhere, or point KSRC at any tree you have, e.g. make kernel-plain KSRC=/path/to/linux"
	[ -d "$dir/.git" ] || git init -q "$dir"
	git -C "$dir" remote get-url origin >/dev/null 2>&1 || git -C "$dir" remote add origin "$url"
	echo "kernel-source: fetching linux-next's 2013 tags into $dir (several GB; this takes a while)"
	timeout 14400 git -C "$dir" fetch --no-tags origin 'refs/tags/next-2013*:refs/tags/next-2013*' ||
		die "fetching from $url failed or took more than 4 hours"
	git -C "$dir" cat-file -e "$commit^{commit}" 2>/dev/null ||
		die "commit $commit is not in linux-next's 2013 tags"
fi
git -C "$dir" -c advice.detachedHead=false checkout -q "$commit"
echo "kernel-source: $dir is at $(git -C "$dir" rev-parse HEAD); build with KSRC=$dir"
