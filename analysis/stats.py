"""Means, SDs, Welch's t-tests and Jain's fairness index over a ResultSet.

A "point" is (direction, streams, vms); each kernel has one sample per point: the values of its
ok runs over the repeats. SD is the sample SD (ddof=1), undefined (None) for fewer than 2 values.
"""
import statistics

from scipy import stats as sps

ALPHA = 0.05
DIRECTION_ORDER = ('dom0-to-domU', 'domU-to-dom0')  # the order of plots and tables

BETTER = 'better'
WORSE = 'worse'
NO_CHANGE = 'no significant change'
INSUFFICIENT = 'insufficient data'
NO_VARIANCE = 'undefined (zero variance)'


class Summary:
    """mean, sd, n of a sample; sd is None when n < 2, mean is None when n == 0."""

    def __init__(self, values):
        self.values = list(values)
        self.n = len(self.values)
        self.mean = statistics.fmean(self.values) if self.n else None
        self.sd = statistics.stdev(self.values) if self.n >= 2 else None


def jain(xs):
    """Jain's fairness index (sum x)^2 / (n * sum x^2): 1 when all equal, 1/n when one takes all.
    None when every value is 0 (no throughput, so no share to be fair about)."""
    sq = sum(x * x for x in xs)
    if not xs or sq == 0:
        return None
    return sum(xs) ** 2 / (len(xs) * sq)


def _group(runs, value):
    """{(direction, streams, vms, kernel): [value(run), ...]} over ok runs, skipping None values."""
    groups = {}
    for r in runs:
        if not r.ok:
            continue
        v = value(r)
        if v is None:
            continue
        groups.setdefault((r.direction, r.streams, r.vms, r.kernel), []).append(v)
    return groups


def summarise(runs, value):
    """{(direction, streams, vms, kernel): Summary} of value(run) over the ok runs."""
    return {k: Summary(v) for k, v in _group(runs, value).items()}


def total(r):
    return r.total_gbps


def per_vm(r):
    return r.total_gbps / r.vms


def cpu(r):
    return r.cpu_pct


def fairness(r):
    return jain(r.per_guest_gbps) if r.vms >= 2 else None


class Comparison:
    """One kernel against the baseline at one point."""

    def __init__(self, point, baseline, kernel, a, b):
        self.direction, self.streams, self.vms = point
        self.baseline = baseline
        self.kernel = kernel
        self.a = a  # Summary of the baseline
        self.b = b  # Summary of the compared kernel
        self.diff = self.diff_pct = self.p = None
        if a.n and b.n:
            self.diff = b.mean - a.mean
            if a.mean != 0:
                self.diff_pct = 100.0 * self.diff / a.mean
        self.verdict = self._test()

    def _test(self):
        if self.a.n < 2 or self.b.n < 2:
            return INSUFFICIENT
        if self.a.sd == 0 and self.b.sd == 0:
            # Welch's t is 0/0 or x/0 here: no test possible; equal constants are no change.
            return NO_CHANGE if self.diff == 0 else NO_VARIANCE
        self.p = float(sps.ttest_ind(self.b.values, self.a.values, equal_var=False).pvalue)
        if self.p >= ALPHA:
            return NO_CHANGE
        return BETTER if self.diff > 0 else WORSE


def compare(rs, value=total):
    """Compare every kernel after the first (the baseline) with the baseline, at every point where
    either has ok runs. Returns a list of Comparison sorted by direction, streams, vms, then
    kernel order."""
    kernels = rs.kernels
    base = kernels[0]
    summ = summarise(rs.runs, value)
    points = sorted({k[:3] for k in summ}, key=_point_key)
    empty = Summary([])
    out = []
    for point in points:
        a = summ.get(point + (base,), empty)
        for k in kernels[1:]:
            b = summ.get(point + (k,), empty)
            if a.n or b.n:
                out.append(Comparison(point, base, k, a, b))
    return out


def _point_key(point):
    direction, streams, vms = point
    return (DIRECTION_ORDER.index(direction), streams, vms)

