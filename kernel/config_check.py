#!/usr/bin/python3
"""Check that a kernel .config really has what the config fragments ask for.

  config_check.py FINAL_CONFIG FRAGMENT...

Kconfig silently drops a requested option whose dependencies are not met (and
some options, such as XEN_DOM0, have no prompt at all), so after
merge_config.sh and olddefconfig every "CONFIG_X=value" line of a fragment
must appear unchanged in the final .config, and every "# CONFIG_X is not set"
line must leave X unset.  Each miss is reported with the fragment's file and
line; the exit status is 1 if there was any.
"""
import re
import sys

SET = re.compile(r"^(CONFIG_[A-Za-z0-9_]+)=(.*)$")
UNSET = re.compile(r"^# (CONFIG_[A-Za-z0-9_]+) is not set$")


def read_final(path):
    values = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = SET.match(line.rstrip("\n"))
            if m:
                values[m.group(1)] = m.group(2)
    return values


def check(final_path, fragments):
    final = read_final(final_path)
    problems = []
    checked = 0
    for frag in fragments:
        with open(frag, encoding="utf-8") as f:
            for number, raw in enumerate(f, 1):
                line = raw.rstrip("\n").strip()
                m = SET.match(line)
                if m:
                    name, want = m.groups()
                    have = final.get(name)
                    checked += 1
                    if have != want:
                        got = "not set" if have is None else f"{name}={have}"
                        problems.append(f"{frag}:{number}: {name}={want} requested, "
                                        f"but {final_path} has {got} "
                                        f"(a dependency is missing?)")
                    continue
                m = UNSET.match(line)
                if m:
                    checked += 1
                    name = m.group(1)
                    if name in final:
                        problems.append(f"{frag}:{number}: {name} must not be set, "
                                        f"but {final_path} has {name}={final[name]}")
                    continue
                if line and not line.startswith("#"):
                    problems.append(f"{frag}:{number}: not a config line: {line!r}")
    return checked, problems


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    checked, problems = check(argv[1], argv[2:])
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    print(f"{argv[1]}: all {checked} options requested by the fragments are as asked")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
