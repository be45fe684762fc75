"""Means, SDs, Welch's t-tests and Jain's fairness index over a ResultSet.

A "point" is (direction, streams, vms); each kernel has one sample per point: the values of its
ok runs over the repeats. SD is the sample SD (ddof=1), undefined (None) for fewer than 2 values.
"""
import math
import statistics

from scipy import stats as sps

ALPHA = 0.05
DIRECTION_ORDER = ('dom0-to-domU', 'domU-to-dom0')  # the order of plots and tables

BETTER = 'better'
WORSE = 'worse'
NO_CHANGE = 'no significant change'
INSUFFICIENT = 'insufficient data'
NO_VARIANCE = 'undefined (zero variance)'
# Region verdicts are about several measures (Gbit/s, CPU, fairness) where "better" would mean
# opposite things: they say which way the compared kernel's values go.
HIGHER = 'higher'
LOWER = 'lower'


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



# --- region verdicts: the study's conclusions are about ranges of N ("up to 4 VMs", "above 4") ---
#
# Per point, Welch over 2-3 repeats can only see large changes. A region pools its points: each
# pair is one (N, repeat) of the same (direction, streams) where both kernels have an ok run, its
# value log(kernel / baseline). The harness runs repeat r of every kernel before repeat r + 1
# (configs/v3-emulated.plan is run repeat by repeat), so a pair's two runs are close in time and
# share the host's slow drift; pairing removes that drift from the comparison. The test is
# Wilcoxon's signed-rank test on the log ratios (no normality assumed; exact for small n); the
# effect is their geometric mean ratio with a t-interval on the logs.
REGIONS = ((1, 4), (5, None))     # the study's: up to 4 VMs, above 4 VMs
MIN_PAIRS = 6                     # below 6 pairs the exact two-sided Wilcoxon p is >= 0.0625


def parse_regions(text):
    """'1-4,5-' -> ((1, 4), (5, None)); ValueError naming the bad part."""
    out = []
    for part in text.split(','):
        lo, sep, hi = part.strip().partition('-')
        try:
            lo_n = int(lo)
            hi_n = int(hi) if hi else None
        except ValueError:
            raise ValueError('region %r: want LO-HI or LO- (numbers of VMs)' % part) from None
        if not sep or lo_n < 1 or (hi_n is not None and hi_n < lo_n):
            raise ValueError('region %r: want LO-HI or LO- with 1 <= LO <= HI' % part)
        out.append((lo_n, hi_n))
    return tuple(out)


class RegionComparison:
    """One kernel against the baseline over a range of N at one (direction, streams)."""

    def __init__(self, direction, streams, region, baseline, kernel, pairs):
        self.direction, self.streams = direction, streams
        self.lo, self.hi = region
        self.baseline, self.kernel = baseline, kernel
        self.pairs = pairs             # [(vms, repeat, baseline value, kernel value)]
        self.vms = sorted({p[0] for p in pairs})
        self.logs = [math.log(b / a) for _, _, a, b in pairs]
        self.n = len(self.logs)
        self.ratio = self.ci = self.p = None
        if self.n:
            self.ratio = math.exp(statistics.fmean(self.logs))
        if self.n >= 2:
            m, sd = statistics.fmean(self.logs), statistics.stdev(self.logs)
            h = float(sps.t.ppf(1 - ALPHA / 2, self.n - 1)) * sd / math.sqrt(self.n)
            self.ci = (math.exp(m - h), math.exp(m + h))
        self.verdict = self._test()

    def _test(self):
        if self.n < MIN_PAIRS:
            return INSUFFICIENT
        # Pairs with equal values carry no sign: left out (Wilcoxon's own convention), here
        # rather than in scipy, whose exact p-value gives way to a normal approximation when
        # any zero is left in.
        nonzero = [x for x in self.logs if x != 0]
        if not nonzero:
            return NO_CHANGE
        self.p = float(sps.wilcoxon(nonzero, mode='exact' if len(nonzero) <= 50 else 'approx').pvalue)
        if self.p >= ALPHA:
            return NO_CHANGE
        return HIGHER if self.ratio > 1 else LOWER


def compare_regions(rs, value=total, regions=REGIONS):
    """RegionComparison of every kernel after the first against the first, for every
    (direction, streams) and region holding at least one point of either kernel; a region is
    labelled with the N it actually holds (1-4 with data at 1-2 only: 1-2). Pairs with a value
    that is None or not > 0 (no ratio) are left out."""
    kernels = rs.kernels
    base = kernels[0]
    vals = {}
    for r in rs.runs:
        if r.ok:
            v = value(r)
            if v is not None and v > 0:
                vals[(r.kernel, r.direction, r.streams, r.vms, r.repeat)] = v
    # only N where the measure has values (fairness: none at N = 1)
    cases = sorted({(k[1], k[2]) for k in vals},
                   key=lambda c: (DIRECTION_ORDER.index(c[0]), c[1]))
    # the baseline's values in a fixed order, once: each pairs with the same (N, repeat)
    base_vals = sorted((k[1:], a) for k, a in vals.items() if k[0] == base)
    out = []
    for d, s in cases:
        present = sorted({k[3] for k in vals if (k[1], k[2]) == (d, s)})
        for lo, hi in regions:
            inside = [n for n in present if n >= lo and (hi is None or n <= hi)]
            if not inside:
                continue
            for k in kernels[1:]:
                pairs = []
                for (dd, ss, n, rep), a in base_vals:
                    if (dd, ss) == (d, s) and n in inside:
                        b = vals.get((k, d, s, n, rep))
                        if b is not None:
                            pairs.append((n, rep, a, b))
                out.append(RegionComparison(d, s, (min(inside), max(inside)), base, k, pairs))
    return out
