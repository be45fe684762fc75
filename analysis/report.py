"""Tables (Markdown and CSV), study-style sentences and REPORT.md."""
import csv
import io

from . import load, stats

DIRECTION_WORDS = {'dom0-to-domU': 'dom0 \u2192 domU', 'domU-to-dom0': 'domU \u2192 dom0'}


def _f(x, fmt='%.3f'):
    # Rounding away float noise (1e-17, -0.000) that would only distract a reader.
    return '' if x is None else fmt % (round(x, 12) + 0.0)


def _msd(s):
    """'mean ± SD (n=..)' for a table cell."""
    if s.n == 0:
        return '\u2013'
    return '%s \u00b1 %s (n=%d)' % (_f(s.mean), _f(s.sd) if s.sd is not None else '?', s.n)


def _vms(lo, hi):
    if lo == hi:
        return '%d VM%s' % (lo, '' if lo == 1 else 's')
    return '%d-%d VMs' % (lo, hi)


def _phrase(c_verdict, baseline, kernel):
    return {
        stats.NO_CHANGE: 'no significant change',
        stats.BETTER: '%s better' % kernel,
        stats.WORSE: '%s better' % baseline,
        stats.INSUFFICIENT: 'insufficient data',
        stats.NO_VARIANCE: 'no test possible (zero variance)',
    }[c_verdict]


def verdict_sentence(comparisons):
    """One clause per run of equal verdicts over N, in the study's style, for the comparisons of one
    kernel at one (direction, streams),
    e.g. 'no significant change up to 4 VMs; plain better above'."""
    cs = sorted(comparisons, key=lambda c: c.vms)
    segs = []  # [phrase, first N, last N]
    for c in cs:
        ph = _phrase(c.verdict, c.baseline, c.kernel)
        if segs and segs[-1][0] == ph:
            segs[-1][2] = c.vms
        else:
            segs.append([ph, c.vms, c.vms])
    if len(segs) == 1:
        ph, lo, hi = segs[0]
        return '%s at %s' % (ph, _vms(lo, hi))
    parts = []
    for i, (ph, lo, hi) in enumerate(segs):
        if i == len(segs) - 1:
            parts.append('%s above' % ph)
        elif i == 0 and lo != hi:
            parts.append('%s up to %s' % (ph, _vms(hi, hi)))
        else:
            parts.append('%s at %s' % (ph, _vms(lo, hi)))
    return '; '.join(parts)


def _by_case(comparisons):
    """{(direction, streams): {kernel: [Comparison]}} in point order."""
    out = {}
    for c in comparisons:
        out.setdefault((c.direction, c.streams), {}).setdefault(c.kernel, []).append(c)
    return out


def _streams(s):
    return '%d stream%s' % (s, '' if s == 1 else 's')


def sentences(comparisons):
    """['dom0 → domU, 1 stream: no significant change at 1-8 VMs.', ...]"""
    out = []
    for (d, s), per_kernel in _by_case(comparisons).items():
        clauses = []
        for k, cs in per_kernel.items():
            text = verdict_sentence(cs)
            if len(per_kernel) > 1:
                text = '%s vs %s: %s' % (k, cs[0].baseline, text)
            clauses.append(text)
        out.append('%s, %s: %s.' % (DIRECTION_WORDS[d], _streams(s), ' / '.join(clauses)))
    return out


VERDICT_CSV_HEADER = ['direction', 'streams', 'vms', 'baseline', 'baseline_mean_gbps',
                      'baseline_sd_gbps', 'baseline_n', 'kernel', 'mean_gbps', 'sd_gbps', 'n',
                      'diff_gbps', 'diff_pct', 'p_welch', 'verdict']


def verdict_csv(comparisons):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator='\n')
    w.writerow(VERDICT_CSV_HEADER)
    for c in comparisons:
        w.writerow([c.direction, c.streams, c.vms, c.baseline, _f(c.a.mean, '%.6g'),
                    _f(c.a.sd, '%.6g'), c.a.n, c.kernel, _f(c.b.mean, '%.6g'), _f(c.b.sd, '%.6g'),
                    c.b.n, _f(c.diff, '%.6g'), _f(c.diff_pct, '%.6g'), _f(c.p, '%.6g'), c.verdict])
    return buf.getvalue()


def verdict_markdown(comparisons):
    """One table per compared kernel."""
    out = []
    kernels = []
    for c in comparisons:
        if c.kernel not in kernels:
            kernels.append(c.kernel)
    for k in kernels:
        cs = [c for c in comparisons if c.kernel == k]
        base = cs[0].baseline
        out.append('| direction | streams | VMs | %s Gbit/s | %s Gbit/s | %s \u2212 %s Gbit/s '
                   '| %% | p (Welch) | verdict for %s |' % (base, k, k, base, k))
        out.append('|---|---:|---:|---|---|---:|---:|---:|---|')
        for c in cs:
            out.append('| %s | %d | %d | %s | %s | %s | %s | %s | %s |' % (
                c.direction, c.streams, c.vms, _msd(c.a), _msd(c.b), _f(c.diff, '%+.3f'),
                _f(c.diff_pct, '%+.1f%%'), _f(c.p, '%.3g'), c.verdict))
        out.append('')
    return '\n'.join(out)


def fairness_rows(rs):
    """[(direction, streams, vms, kernel, Summary)] of Jain's index, in point order, then kernel
    order."""
    fair = stats.summarise(rs.runs, stats.fairness)
    order = rs.kernels
    keys = sorted(fair, key=lambda k: (stats.DIRECTION_ORDER.index(k[0]), k[1], k[2],
                                       order.index(k[3])))
    return [k + (fair[k],) for k in keys]


def fairness_csv(rs):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator='\n')
    w.writerow(['direction', 'streams', 'vms', 'kernel', 'jain_mean', 'jain_sd', 'n'])
    for d, s, n, k, summ in fairness_rows(rs):
        w.writerow([d, s, n, k, _f(summ.mean, '%.6g'), _f(summ.sd, '%.6g'), summ.n])
    return buf.getvalue()


def fairness_markdown(rs):
    rows = fairness_rows(rs)
    if not rows:
        return 'No run with 2 or more VMs: fairness is not defined.\n'
    kernels = rs.kernels
    table = {}
    for d, s, n, k, summ in rows:
        table.setdefault((d, s, n), {})[k] = summ
    out = ['| direction | streams | VMs | %s |' % ' | '.join('%s Jain' % k for k in kernels),
           '|---|---:|---:|%s' % ('---|' * len(kernels))]
    empty = stats.Summary([])
    for (d, s, n), per in table.items():
        out.append('| %s | %d | %d | %s |' % (d, s, n, ' | '.join(
            _msd(per.get(k, empty)) for k in kernels)))
    return '\n'.join(out) + '\n'


def points_csv(rs):
    """Every kernel's mean/SD/n per point for total, per-VM mean and CPU: the numbers behind
    the plots."""
    tot = stats.summarise(rs.runs, stats.total)
    pvm = stats.summarise(rs.runs, stats.per_vm)
    cpu = stats.summarise(rs.runs, stats.cpu)
    order = rs.kernels
    keys = sorted(tot, key=lambda k: (stats.DIRECTION_ORDER.index(k[0]), k[1], k[2],
                                      order.index(k[3])))
    empty = stats.Summary([])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator='\n')
    w.writerow(['direction', 'streams', 'vms', 'kernel', 'total_mean_gbps', 'total_sd_gbps',
                'per_vm_mean_gbps', 'per_vm_sd_gbps', 'cpu_mean_pct', 'cpu_sd_pct', 'n', 'cpu_n'])
    for key in keys:
        t, p, c = tot[key], pvm[key], cpu.get(key, empty)
        w.writerow(list(key) + [_f(t.mean, '%.6g'), _f(t.sd, '%.6g'), _f(p.mean, '%.6g'),
                                _f(p.sd, '%.6g'), _f(c.mean, '%.6g'), _f(c.sd, '%.6g'), t.n, c.n])
    return buf.getvalue()


def _md(v):
    return str(v).replace('|', '\\|')


def run_counts(rs):
    """{kernel: (ok, failed records, failed identities later re-run ok)}."""
    ok_ids = {r.identity for r in rs.ok_runs}
    out = {}
    for k in rs.kernels:
        runs = [r for r in rs.runs if r.kernel == k]
        failed = [r for r in runs if not r.ok]
        out[k] = (len(runs) - len(failed), len(failed),
                  sum(1 for r in failed if r.identity in ok_ids))
    return out


MAX_FAILED_LISTED = 50


def _netback(m):
    """Where netback ran, for the sessions table: dom0, or the driver domain and what it ran."""
    if not m['netback_domain']:
        return 'dom0'
    return '%s (%s, %s, %s VCPU%s%s)' % (
        m['netback_domain'], m['netback_arch'] or '?', m['netback_kernel_release'] or '?',
        m['netback_vcpus'] or '?', '' if m['netback_vcpus'] == 1 else 's',
        '; Xen %s' % m['xen_flavour'] if m['xen_flavour'] else '')


def report_markdown(rs, comparisons, plot_files, fairness_files, prefix, regions=()):
    """regions: [(measure name, [RegionComparison])], the region verdicts section."""
    L = ['# %s: vifbench results' % prefix, '']
    L.append('Source%s: %s.' % ('s' if len(rs.paths) > 1 else '',
                                ', '.join('`%s`' % p for p in rs.paths)))
    L.append('Kernels, in order of first appearance (the first is the baseline): %s.'
             % ', '.join('`%s`' % k for k in rs.kernels))
    planned = rs.plan.get('kernels') if rs.plan else None
    if isinstance(planned, list):
        missing = [k for k in planned if k not in rs.kernels]
        if missing:
            L.append('Kernels in the plan without any run yet: %s.'
                     % ', '.join('`%s`' % _md(k) for k in missing))
    L.append('')

    L += ['## Sessions (host and kernel metadata)', '',
          '| kernel | kernel release | dom0 arch | dom0 VCPUs | netback in | backend | host | Xen '
          '| harness | started | file: record |',
          '|---|---|---|---:|---|---|---|---|---|---|---|']
    for m in rs.metas:
        L.append('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s: %s |' % tuple(
            _md(x) for x in (m['kernel'], m['kernel_release'], m['dom0_arch'], m['dom0_vcpus'],
                             _netback(m), m['backend'], m['host'], m['xen_version'] or '\u2013',
                             m['harness_version'], m['started'], m.path, m.index)))
    L.append('')
    L.append('(Records are numbered from 0.)')
    L.append('')
    if rs.plan is not None:
        L.append('Plan `%s` (keys that describe the experiment; all sessions agree on them):'
                 % _md(rs.metas[0]['plan_file']))
        L.append('')
        for key in sorted(set(rs.plan) - load.SESSION_PLAN_KEYS):
            L.append('- `%s`: `%r`' % (key, rs.plan[key]))
        asked = sorted({m['plan'].get('repeats') for m in rs.metas
                        if isinstance(m['plan'].get('repeats'), int)})
        if asked:
            L.append('- `repeats` (per session; every run records its own): %s'
                     % ', '.join('`%d`' % a for a in asked))
        L.append('')
    dds = sorted({m['netback_domain'] for m in rs.metas if m['netback_domain']})
    if dds:
        L.append('CPU is the CPU use of the domain netback ran in (%s: the traffic end too), as '
                 '%% of one of its VCPUs (100 %% = one VCPU busy).' % ', '.join(dds))
    else:
        L.append('CPU is dom0 CPU use as % of one dom0 VCPU (100 % = one VCPU busy).')
    L.append('')

    L += ['## Runs', '', '| kernel | ok runs | failed records | of which later re-run ok |',
          '|---|---:|---:|---:|']
    for k, (ok, failed, rerun) in run_counts(rs).items():
        L.append('| %s | %d | %d | %d |' % (_md(k), ok, failed, rerun))
    L.append('')
    L.append('Failed runs are left out of every mean, SD, test and plot.')
    deaths = [r for r in rs.failed_runs if str(r.reason).startswith(load.KERNEL_DIED)]
    if deaths:
        per = {}
        for r in deaths:
            per.setdefault(r.kernel, []).append(r)
        L.append('')
        L.append('**The dom0 kernel died** (oops/BUG) during %d run%s; the harness ended each such '
                 'session and the rest ran after a fresh boot:' % (len(deaths),
                                                                   '' if len(deaths) == 1 else 's'))
        L.append('')
        for k, rr in per.items():
            where = ', '.join('%s %d VMs %s r%d' % (DIRECTION_WORDS.get(r.direction, r.direction),
                                                   r.vms, _streams(r.streams), r.repeat)
                              for r in rr)
            L.append('- %s: %d (%s)' % (_md(k), len(rr), where))
    failed = rs.failed_runs
    if failed:
        L.append('')
        for r in failed[:MAX_FAILED_LISTED]:
            L.append('- %s, %s, %d VMs, %s, repeat %d: %s (%s)' % (
                r.kernel, r.direction, r.vms, _streams(r.streams), r.repeat,
                _md(r.reason) or 'no reason given', r.where))
        if len(failed) > MAX_FAILED_LISTED:
            L.append('- ... and %d more' % (len(failed) - MAX_FAILED_LISTED))
    if rs.excluded:
        L.append('')
        L.append('Left out of everything below, because they overlap a window of `%s` (the '
                 'records stay in the results file): %d run record%s.'
                 % (_md(rs.exclusions_path), len(rs.excluded), '' if len(rs.excluded) == 1 else 's'))
        L.append('')
        for r in rs.excluded:
            L.append('- %s, %s, %d VMs, %s, repeat %d, %s, started %s: %s (%s)' % (
                r.kernel, r.direction, r.vms, _streams(r.streams), r.repeat, r.status, r.start,
                _md(r.excluded), r.where))
    split = {}
    for r in rs.ok_runs:
        for v in r.split_evtchn:
            split[v] = split.get(v, 0) + 1
    L.append('')
    L.append('Split event channels over all guests of ok runs: %d negotiated, %d not, %d not '
             'applicable/unknown.' % (split.get(True, 0), split.get(False, 0), split.get(None, 0)))
    L.append('')

    L += ['## Verdicts', '']
    if comparisons:
        L.append("Total throughput of each kernel against the baseline `%s`, per point: Welch's "
                 "t-test (unequal variances) over the repeats, significance level alpha = %g. "
                 "`better`/`worse` is said of the compared kernel; fewer than 2 ok repeats on "
                 "either side: `insufficient data`." % (rs.kernels[0], stats.ALPHA))
        L.append('')
        for s in sentences(comparisons):
            L.append('- ' + s)
        L.append('')
    else:
        L.append('Only one kernel (`%s`): nothing to compare.' % rs.kernels[0])
        L.append('')

    L += regions_section(regions)

    L += ['## Plots', '',
          'Throughput in Gbit/s (left axis; total and mean per VM, \u00b11 SD over repeats) and '
          'dom0 CPU (right axis, dotted green, a marker per kernel) against the number of VMs.', '']
    for f in plot_files:
        L.append('![%s](%s)' % (f, f))
        L.append('')

    if comparisons:
        L += ['## Significance tables', '', '(Also in `verdicts.csv`; every kernel\'s means, '
              'per-VM means and CPU in `points.csv`.)', '', verdict_markdown(comparisons)]

    L += ['## Fairness', '',
          "Jain's index over the per-guest throughputs of each ok run with 2 or more VMs "
          "((sum x)\u00b2 / (n \u00b7 sum x\u00b2): 1 = equal shares, 1/n = one guest takes all), "
          "mean \u00b11 SD over repeats (also in `fairness.csv`).", '']
    for f in fairness_files:
        L.append('![%s](%s)' % (f, f))
        L.append('')
    L.append(fairness_markdown(rs))
    return '\n'.join(L)


def _region(rc):
    return _vms(rc.lo, rc.hi) if rc.vms else '%d-%s VMs' % (rc.lo, rc.hi)


REGION_FIELDS = ['measure', 'direction', 'streams', 'vms_from', 'vms_to', 'baseline', 'kernel',
                 'pairs', 'ratio_geomean', 'ci95_low', 'ci95_high', 'p_wilcoxon', 'verdict']


def regions_csv(by_measure):
    """by_measure: [(measure name, [RegionComparison])] -> CSV text."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator='\n')
    w.writerow(REGION_FIELDS)
    for measure, regs in by_measure:
        for rc in regs:
            w.writerow([measure, rc.direction, rc.streams, rc.lo, rc.hi, rc.baseline, rc.kernel,
                        rc.n, _f(rc.ratio, '%.6g'), _f(rc.ci and rc.ci[0], '%.6g'),
                        _f(rc.ci and rc.ci[1], '%.6g'), _f(rc.p, '%.6g'), rc.verdict])
    return buf.getvalue()


def regions_markdown(regs, measure):
    L = ['| direction | streams | VMs | %s / %s of %s (geometric mean) | 95 %% CI | pairs | '
         'p (Wilcoxon) | verdict |' % (regs[0].kernel, regs[0].baseline, measure),
         '|---|---:|---|---:|---|---:|---:|---|']
    for rc in regs:
        ci = '%s\u2013%s' % (_f(rc.ci[0]), _f(rc.ci[1])) if rc.ci else ''
        L.append('| %s | %d | %s | %s | %s | %d | %s | %s |' % (
            DIRECTION_WORDS[rc.direction], rc.streams, _region(rc), _f(rc.ratio), ci, rc.n,
            _f(rc.p, '%.3g'), rc.verdict))
    return '\n'.join(L) + '\n'


def region_sentence(rc):
    """'domU → dom0, 1 stream, 5-8 VMs: patched/plain 0.870 (95 % CI 0.800-0.950) over 12 pairs,
    p = 0.01: worse.'"""
    if not rc.n:
        return '%s, %s, %s: no pairs (no (N, repeat) with an ok run of both %s and %s).' % (
            DIRECTION_WORDS[rc.direction], _streams(rc.streams), _region(rc), rc.baseline,
            rc.kernel)
    ci = ' (95 %% CI %s\u2013%s)' % (_f(rc.ci[0]), _f(rc.ci[1])) if rc.ci else ''
    p = ', p = %s' % _f(rc.p, '%.3g') if rc.p is not None else ''
    return '%s, %s, %s: %s/%s %s%s over %d pair%s%s: %s.' % (  # verdict: higher/lower/...
        DIRECTION_WORDS[rc.direction], _streams(rc.streams), _region(rc), rc.kernel, rc.baseline,
        _f(rc.ratio), ci, rc.n, '' if rc.n == 1 else 's', p, rc.verdict)


def regions_section(by_measure):
    """The REPORT.md section on region verdicts; [] when there is nothing to compare."""
    if not any(regs for _, regs in by_measure):
        return []
    L = ['## Region verdicts (the study\'s questions: up to 4 VMs, above 4 VMs)', '',
         "Each pair is one (N, repeat) with an ok run of both kernels; its value is the ratio "
         "kernel / baseline. Per region: the geometric mean ratio with a 95 %% t-interval on the "
         "log ratios, and Wilcoxon's signed-rank test on them (alpha = %g; `higher`/`lower`: the compared "
         "kernel's values, which is good for Gbit/s and fairness and bad for CPU; fewer than %d pairs: "
         "`insufficient data`, since the exact two-sided p cannot then fall below 0.0625). "
         "Pairing by repeat matches runs made close in time when each repeat was run for every "
         "kernel before the next (also in `regions.csv`)." % (stats.ALPHA, stats.MIN_PAIRS), '']
    for measure, regs in by_measure:
        if not regs:
            continue
        L += ['### %s' % measure, '']
        for rc in regs:
            L.append('- ' + region_sentence(rc))
        L += ['', regions_markdown(regs, measure)]
    return L
