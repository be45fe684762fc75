"""Result sets built in code, where the right answers are known by construction.

Each kernel's repeats at a point are mean-d, mean, mean+d, so the mean is `mean` and the sample SD
is exactly d (sqrt((d^2 + 0 + d^2) / 2)).
"""
import pprint

PLAN = {'kernels': ['plain', 'patched'], 'vms': list(range(1, 9)), 'streams': [1, 2],
        'repeats': 3, 'duration': 5, 'directions': ['dom0-to-domU', 'domU-to-dom0'],
        'backend': 'netns'}

OFFSETS = (-1.0, 0.0, 1.0)  # times d, for repeats 1, 2, 3


def meta(kernel, plan=None, **over):
    m = {'record': 'meta', 'format': 1, 'harness_version': '0.1-test', 'backend': 'netns',
         'kernel': kernel, 'kernel_release': '6.1.0-test', 'dom0_arch': 'x86_64', 'dom0_vcpus': 2,
         'host': 'synthetic', 'xen_version': None, 'started': '2026-12-02T03:00:00Z',
         'plan_file': 'configs/test.plan', 'plan': dict(plan or PLAN)}
    m.update(over)
    return m


def shares(vms, kernel_index, repeat=1):
    """Relative per-guest shares: equal for the first kernel (Jain = 1); for the second, guest 1
    gets (1 + repeat) times the others' share (so the index varies over repeats); linearly rising
    for others."""
    if kernel_index == 0:
        w = [1.0] * vms
    elif kernel_index == 1:
        w = [1.0 + repeat] + [1.0] * (vms - 1)
    else:
        w = [float(i + 1) for i in range(vms)]
    s = sum(w)
    return [x / s for x in w]


def run(kernel, direction, vms, streams, repeat, total, cpu=50.0, kernel_index=0,
        status='ok', reason='', per_guest=None):
    pg = per_guest if per_guest is not None else [
        total * x for x in shares(vms, kernel_index, repeat)]
    return {'record': 'run', 'kernel': kernel, 'direction': direction, 'vms': vms,
            'streams': streams, 'repeat': repeat, 'duration': 5,
            'guests': ['vb-%d' % (i + 1) for i in range(len(pg))], 'per_guest_gbps': pg,
            'total_gbps': sum(pg), 'cpu_pct': cpu, 'split_evtchn': [None] * len(pg),
            'start': '2026-12-02T03:00:01Z', 'elapsed': 5.1, 'status': status, 'reason': reason}


# Designed means (Gbit/s) and verdicts of the second kernel ('patched') against 'plain':
#   dom0-to-domU, any streams: same means, different SDs -> no significant change everywhere
#   domU-to-dom0, 1 stream: same up to 4 VMs, patched 3 Gbit/s lower above -> worse above 4
#   domU-to-dom0, 2 streams: patched 3 Gbit/s higher everywhere -> better
def plain_mean(direction, streams, vms):
    return 10.0 + vms + 2.0 * streams + (0.5 if direction == 'domU-to-dom0' else 0.0)


def patched_mean(direction, streams, vms):
    m = plain_mean(direction, streams, vms)
    if direction == 'domU-to-dom0' and streams == 1 and vms > 4:
        return m - 3.0
    if direction == 'domU-to-dom0' and streams == 2:
        return m + 3.0
    return m


SD = {'plain': 0.2, 'patched': 0.3, 'third': 0.25}
CPU = {'plain': 40.0, 'patched': 60.0, 'third': 80.0}  # + vms, +- cpu_sd
CPU_SD = 2.0
MEANS = {'plain': plain_mean, 'patched': patched_mean,
         'third': lambda d, s, n: plain_mean(d, s, n) + 1.0}

DIRS = ('dom0-to-domU', 'domU-to-dom0')


def kernel_runs(kernel, kernel_index, streams=(1, 2), vms=range(1, 9)):
    out = []
    for n in vms:
        for rep, off in zip((1, 2, 3), OFFSETS):
            for s in streams:
                for d in DIRS:
                    total = MEANS[kernel](d, s, n) + off * SD[kernel]
                    cpu = CPU[kernel] + n + off * CPU_SD
                    out.append(run(kernel, d, n, s, rep, total, cpu, kernel_index))
    return out


def standard(kernels=('plain', 'patched')):
    """meta + runs per kernel (one session each), plus failures:
    - plain dom0-to-domU 8 VMs 1 stream repeat 2: failed first (garbage partial values), then ok;
    - patched domU-to-dom0 3 VMs 2 streams repeat 3: failed, never re-run (n = 2 there);
    - patched dom0-to-domU 7 VMs 2 streams repeats 2 and 3: failed (n = 1 -> insufficient data)."""
    recs = []
    for i, k in enumerate(kernels):
        recs.append(meta(k))
        runs = kernel_runs(k, i)
        drop = set()
        if k == 'patched':
            drop = {('domU-to-dom0', 3, 2, 3), ('dom0-to-domU', 7, 2, 2), ('dom0-to-domU', 7, 2, 3)}
        kept = []
        for r in runs:
            key = (r['direction'], r['vms'], r['streams'], r['repeat'])
            if key in drop:
                kept.append(run(k, r['direction'], r['vms'], r['streams'], r['repeat'], 0,
                                status='failed', reason='iperf timed out',
                                per_guest=[999.0]))
                continue
            if k == 'plain' and key == ('dom0-to-domU', 8, 1, 2):
                kept.append(run(k, r['direction'], 8, 1, 2, 0, cpu=999.0, status='failed',
                                reason='guest vb-3 did not start', per_guest=[500.0, 500.0]))
            kept.append(r)
        recs.extend(kept)
    return recs


def write(path, records):
    with open(path, 'w') as f:
        f.write(pprint.pformat(records, width=100))
        f.write('\n')
