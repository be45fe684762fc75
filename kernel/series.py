#!/usr/bin/python3
"""Read and check the kernel patch queue (quilt's `series` + `patches/`).

The series file lists patches relative to the patches folder, one per line;
'#' starts a comment line.  One comment line, BOUNDARY below, splits the queue:
the patches before it are the base (the "plain" kernel), the whole queue is
the "patched" kernel.  Keeping that rule here means the Makefile and the build
script never count patches.

  series.py list SERIES {plain|patched}  print the flavour's patches, in order
  series.py files PATCH...               print the files each patch touches
  series.py check SERIES PATCHDIR        check the queue is complete and well formed
  series.py check-listed SERIES PATCHDIR like check, but patch files the series
                                         does not list are no error (for builds)

Errors name the file and line and exit with status 1.
"""
import os
import sys

BOUNDARY = "# --- patched: NAPI + kthread per VIF ---"
FLAVOURS = ("plain", "patched")


class QueueError(Exception):
    pass


def read_series(series_path):
    """Return (base, rest): lists of (line number, patch name)."""
    try:
        with open(series_path, encoding="utf-8") as f:
            lines = f.read().split("\n")
    except OSError as e:
        raise QueueError(f"{series_path}: cannot read: {e.strerror}")
    base, rest = [], []
    boundary_line = None
    seen = {}
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if line == BOUNDARY:
            if boundary_line is not None:
                raise QueueError(f"{series_path}:{number}: second boundary line "
                                 f"(first at line {boundary_line})")
            boundary_line = number
            continue
        if not line or line.startswith("#"):
            continue
        words = line.split()
        # quilt allows a strip level after the name; the queue is -p1 only.
        if len(words) > 2 or (len(words) == 2 and words[1] != "-p1"):
            raise QueueError(f"{series_path}:{number}: expected a patch name "
                             f"(optionally followed by -p1), got {line!r}")
        name = words[0]
        if name.startswith("/") or ".." in name.split("/"):
            raise QueueError(f"{series_path}:{number}: {name}: patch names must "
                             f"be relative paths inside the patches folder")
        if name in seen:
            raise QueueError(f"{series_path}:{number}: {name} is listed twice "
                             f"(first at line {seen[name]})")
        seen[name] = number
        (rest if boundary_line is not None else base).append((number, name))
    if boundary_line is None:
        raise QueueError(f"{series_path}: no boundary line {BOUNDARY!r}: "
                         f"cannot tell the plain kernel's patches from the rest")
    return base, rest


def flavour_patches(series_path, flavour):
    base, rest = read_series(series_path)
    if flavour == "plain":
        return [name for _, name in base]
    if flavour == "patched":
        return [name for _, name in base + rest]
    raise QueueError(f"unknown flavour {flavour!r}: expected one of {', '.join(FLAVOURS)}")


def touched_files(patch_path):
    """Paths (tree-relative, -p1) that a unified diff modifies, creates or deletes."""
    files = []
    with open(patch_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith(("--- ", "+++ ")):
                path = line[4:].split("\t")[0].strip()
                if path == "/dev/null" or "/" not in path:
                    continue
                path = path.split("/", 1)[1]
                if path not in files:
                    files.append(path)
    return files


def check_patch(path, name):
    """Problems with one patch file in git format-patch form, as messages."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return [f"{name}: listed in the series but {path} does not exist"]
    except (OSError, UnicodeDecodeError) as e:
        return [f"{path}: cannot read as UTF-8 text: {e}"]
    lines = text.split("\n")
    # The message is everything before the first diff.
    diff_start = next((i for i, l in enumerate(lines) if l.startswith("diff --git ")), None)
    problems = []
    if diff_start is None:
        return [f"{path}: no 'diff --git' line: not a git format-patch patch"]
    header = lines[:diff_start]
    if not any(l.startswith("From: ") for l in header):
        problems.append(f"{path}: no 'From:' header")
    subject = next((i for i, l in enumerate(header) if l.startswith("Subject: ")), None)
    if subject is None:
        problems.append(f"{path}: no 'Subject:' header")
    if not any(l.startswith("Signed-off-by: ") for l in header):
        problems.append(f"{path}:{diff_start + 1}: no 'Signed-off-by:' line before the diff")
    elif subject is not None:
        # The body (between the headers' blank line and Signed-off-by) must say why.
        body_start = next((i for i in range(subject, len(header)) if not header[i].strip()), None)
        sob = next(i for i, l in enumerate(header) if l.startswith("Signed-off-by: "))
        body = [l for l in header[(body_start or sob):sob] if l.strip()]
        if len(body) < 2:
            problems.append(f"{path}:{sob + 1}: the message does not say why "
                            f"(fewer than two lines of text before Signed-off-by)")
    if not any(l.startswith("@@ ") for l in lines[diff_start:]):
        problems.append(f"{path}: diff without any hunk")
    if not text.endswith("\n"):
        problems.append(f"{path}: does not end with a newline")
    return problems


def check_queue(series_path, patch_dir, unlisted_ok=False):
    base, rest = read_series(series_path)
    problems = []
    listed = set()
    for number, name in base + rest:
        listed.add(name)
        for p in check_patch(os.path.join(patch_dir, name), name):
            problems.append(f"{series_path}:{number}: {p}")
    if not base:
        problems.append(f"{series_path}: no base patches before the boundary")
    for root, _, names in os.walk(patch_dir):
        for n in names:
            if n.endswith(".patch"):
                rel = os.path.relpath(os.path.join(root, n), patch_dir)
                if rel not in listed and not unlisted_ok:
                    problems.append(f"{os.path.join(patch_dir, rel)}: not listed in {series_path}")
    if problems:
        raise QueueError("\n".join(problems))
    return len(base), len(rest)


def main(argv):
    if len(argv) >= 3 and argv[1] == "list" and len(argv) == 4:
        for name in flavour_patches(argv[2], argv[3]):
            print(name)
    elif len(argv) >= 3 and argv[1] == "files":
        for p in argv[2:]:
            for path in touched_files(p):
                print(path)
    elif len(argv) == 4 and argv[1] in ("check", "check-listed"):
        nbase, nrest = check_queue(argv[2], argv[3], unlisted_ok=argv[1] == "check-listed")
        print(f"{argv[2]}: {nbase} base patches, {nrest} after the boundary: "
              f"all present, with From, Subject, a message and Signed-off-by")
    else:
        raise QueueError(__doc__.split("\n\n")[2])
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except QueueError as e:
        print(f"series.py: {e}", file=sys.stderr)
        sys.exit(1)
