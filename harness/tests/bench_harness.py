#!/usr/bin/python3
"""Benchmark of the harness itself on the netns backend (prints figures,
asserts nothing): wall time of a small matrix vs the sum of its iperf
durations, the time spent starting/stopping guests, and the harness's own
CPU time (getrusage of vifbench itself, children excluded, as it logs)."""
import ast
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
VIF = os.path.join(REPO, "harness", "vifbench")


def main():
    if os.geteuid() != 0:
        print("bench-harness: needs root (network namespaces)")
        return 1
    duration = int(os.environ.get("BENCH_DURATION", "5"))
    out = os.path.join(REPO, "build", "bench-harness")
    os.makedirs(out, exist_ok=True)
    res = os.path.join(out, "results.pylist")
    for f in (res, os.path.join(out, "results.log")):
        if os.path.exists(f):
            os.unlink(f)
    args = [VIF, "run", os.path.join(REPO, "configs", "smoke.plan"), "--results", res,
            "--kernels", "bench", "--repeats", "1", "--duration", str(duration),
            "--port", "15202"]
    t0 = time.monotonic()
    p = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        print(p.stderr)
        print("bench-harness: vifbench exit %d" % p.returncode)
        return 1
    log = p.stderr
    recs = [r for r in ast.literal_eval(open(res).read()) if r["record"] == "run"]
    iperf = sum(r["duration"] for r in recs)
    elapsed = sum(r["elapsed"] for r in recs)
    starts = sum(float(x) for x in re.findall(r"started \d+ guests in ([\d.]+) s", log))
    stops = sum(float(x) for x in re.findall(r"stopped \d+ guests in ([\d.]+) s", log))
    m = re.search(r"harness own CPU: ([\d.]+) s user, ([\d.]+) s system, over ([\d.]+) s", log)
    own_cpu, session = float(m.group(1)) + float(m.group(2)), float(m.group(3))
    beyond = wall - iperf - starts - stops
    opened = float(re.search(r"backend netns open in ([\d.]+) s", log).group(1))
    gaps = wall - elapsed - starts - stops - opened
    print("bench-harness: netns, %d runs x %d s (vms 1-2, streams 1-2, both directions)"
          % (len(recs), duration))
    print("  wall time of vifbench run:       %7.2f s" % wall)
    print("  sum of iperf durations:          %7.2f s" % iperf)
    print("  guest starts + stops:            %7.2f s + %.2f s" % (starts, stops))
    print("  runs' own elapsed (iperf wall):  %7.2f s (%.3f s per run over -t)"
          % (elapsed, (elapsed - iperf) / len(recs)))
    print("  overhead beyond iperf + guests:  %7.2f s = %.2f %% of iperf time (goal <= 3 %%)"
          % (beyond, 100.0 * beyond / iperf))
    print("    of which iperf's own overrun:  %7.2f s; backend open %.2f s; the rest "
          "(process start, records, between runs, close) %.2f s = %.2f %%"
          % (elapsed - iperf, opened, gaps, 100.0 * gaps / iperf))
    print("  overhead incl. guest start/stop: %7.2f s = %.2f %% of iperf time"
          % (wall - iperf, 100.0 * (wall - iperf) / iperf))
    print("  harness own CPU:                 %7.3f s over %.1f s = %.3f %% of one CPU "
          "(goal < 0.5 %%)" % (own_cpu, session, 100.0 * own_cpu / session))
    return 0


if __name__ == "__main__":
    sys.exit(main())
