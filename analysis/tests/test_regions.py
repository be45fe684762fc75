"""Region verdicts (stats.compare_regions): pairs by (N, repeat), geometric mean ratio, t-interval
and Wilcoxon's signed-rank test, against values known by construction of synth.standard() and
against independent computations (the exact null distribution of the signed-rank statistic when
every sign is the same, a tabulated t quantile)."""
import math
import os
import subprocess
import sys
import tempfile
import unittest

from analysis import cli, load, report, stats
from analysis.tests import synth

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
T_975_DF11 = 2.200985  # Student's t, 97.5 % quantile, 11 degrees of freedom (printed tables)


def load_records(records):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, 'r.pylist')
        synth.write(p, records)
        return load.load([p])


def find(regs, direction, streams, lo):
    [rc] = [r for r in regs if (r.direction, r.streams, r.lo) == (direction, streams, lo)]
    return rc


def designed_logs(direction, streams, vms):
    """log(patched / plain) per (N, repeat) from synth's construction, not from the records."""
    out = []
    for n in vms:
        for off in synth.OFFSETS:
            a = synth.MEANS['plain'](direction, streams, n) + off * synth.SD['plain']
            b = synth.MEANS['patched'](direction, streams, n) + off * synth.SD['patched']
            out.append(math.log(b / a))
    return out


class Regions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rs = load_records(synth.standard())
        cls.regs = stats.compare_regions(cls.rs)

    def test_cases_and_labels(self):
        # 2 directions x 2 streams x 2 regions, one compared kernel
        self.assertEqual(len(self.regs), 8)
        self.assertEqual({(r.lo, r.hi) for r in self.regs}, {(1, 4), (5, 8)})
        self.assertTrue(all((r.baseline, r.kernel) == ('plain', 'patched') for r in self.regs))

    def test_worse_above_4_all_pairs_one_sign(self):
        rc = find(self.regs, 'domU-to-dom0', 1, 5)
        logs = designed_logs('domU-to-dom0', 1, range(5, 9))
        self.assertEqual(rc.n, 12)
        self.assertTrue(all(x < 0 for x in logs))
        self.assertAlmostEqual(rc.ratio, math.exp(sum(logs) / 12), places=12)
        # every sign negative: W = 0, the exact two-sided p is 2 / 2^12
        self.assertAlmostEqual(rc.p, 2 / 2 ** 12, places=12)
        self.assertEqual(rc.verdict, stats.LOWER)
        m = sum(logs) / 12
        sd = math.sqrt(sum((x - m) ** 2 for x in logs) / 11)
        h = T_975_DF11 * sd / math.sqrt(12)
        self.assertAlmostEqual(rc.ci[0], math.exp(m - h), places=5)
        self.assertAlmostEqual(rc.ci[1], math.exp(m + h), places=5)

    def test_same_means_up_to_4_no_change(self):
        # same means, patched's repeats spread wider: logs below, at and above zero
        rc = find(self.regs, 'domU-to-dom0', 1, 1)
        self.assertEqual(rc.n, 12)
        self.assertEqual(rc.verdict, stats.NO_CHANGE)
        self.assertGreater(rc.p, 0.05)
        self.assertLess(rc.ci[0], 1.0)
        self.assertGreater(rc.ci[1], 1.0)

    def test_better_everywhere(self):
        for lo in (1, 5):
            rc = find(self.regs, 'domU-to-dom0', 2, lo)
            self.assertEqual(rc.verdict, stats.HIGHER, lo)
            self.assertGreater(rc.ratio, 1.0)

    def test_failed_runs_leave_their_pairs_out(self):
        # patched dom0-to-domU 7 VMs 2 streams failed at repeats 2 and 3; plain's failed
        # first try at 8 VMs 1 stream repeat 2 was re-run ok, so that pair stays
        rc = find(self.regs, 'dom0-to-domU', 2, 5)
        self.assertEqual(rc.n, 10)
        self.assertNotIn((7, 2), [(n, rep) for n, rep, _, _ in rc.pairs])
        self.assertNotIn((7, 3), [(n, rep) for n, rep, _, _ in rc.pairs])
        rc = find(self.regs, 'dom0-to-domU', 1, 5)
        self.assertEqual(rc.n, 12)
        pair = [p for p in rc.pairs if p[:2] == (8, 2)][0]
        self.assertAlmostEqual(pair[2], synth.MEANS['plain']('dom0-to-domU', 1, 8), places=9)
        # patched domU-to-dom0 3 VMs 2 streams repeat 3 failed: 11 pairs up to 4 VMs
        self.assertEqual(find(self.regs, 'domU-to-dom0', 2, 1).n, 11)

    def test_too_few_pairs_is_insufficient(self):
        recs = [r for r in synth.standard() if r['record'] == 'meta' or r['repeat'] == 1]
        regs = stats.compare_regions(load_records(recs))
        rc = find(regs, 'domU-to-dom0', 1, 5)
        self.assertEqual(rc.n, 4)
        self.assertEqual(rc.verdict, stats.INSUFFICIENT)
        self.assertIsNone(rc.p)
        self.assertLess(rc.ratio, 1.0)

    def test_region_holds_only_the_n_measured(self):
        recs = [r for r in synth.standard() if r['record'] == 'meta' or r['vms'] <= 6]
        regs = stats.compare_regions(load_records(recs), regions=((1, 4), (5, None)))
        rc = find(regs, 'domU-to-dom0', 1, 5)
        self.assertEqual((rc.lo, rc.hi, rc.vms), (5, 6, [5, 6]))
        regs = stats.compare_regions(load_records(recs), regions=((7, None),))
        self.assertEqual(regs, [])

    def test_no_pairs_sentence(self):
        # patched has no run at 5-8 VMs: the region exists (plain has runs) with no pairs
        recs = [r for r in synth.standard()
                if r['record'] == 'meta' or r['kernel'] == 'plain' or r['vms'] <= 4]
        regs = stats.compare_regions(load_records(recs))
        rc = find(regs, 'domU-to-dom0', 1, 5)
        self.assertEqual((rc.n, rc.verdict), (0, stats.INSUFFICIENT))
        self.assertEqual(report.region_sentence(rc),
                         'domU \u2192 dom0, 1 stream, 5-8 VMs: no pairs (no (N, repeat) with an '
                         'ok run of both plain and patched).')

    def test_cpu_measure(self):
        # CPU by construction: patched 60 + N, plain 40 + N, both +- 2 per repeat: always higher
        regs = stats.compare_regions(self.rs, stats.cpu)
        for rc in regs:
            self.assertEqual(rc.verdict, stats.HIGHER, (rc.direction, rc.streams, rc.lo))


class FairnessRegions(unittest.TestCase):
    def test_unequal_shares_are_lower(self):
        # synth: plain's guests get equal shares (Jain 1); patched's guest 1 gets (1 + repeat)
        # times the others' share, so its index is below 1 in every pair with N >= 2
        regs = stats.compare_regions(load_records(synth.standard()), stats.fairness)
        rc = find(regs, 'domU-to-dom0', 1, 5)
        self.assertEqual(rc.n, 12)
        self.assertEqual(rc.verdict, stats.LOWER)
        n, rep = 5, 2
        w = [1.0 + rep] + [1.0] * (n - 1)
        jain = sum(w) ** 2 / (n * sum(x * x for x in w))
        pair = [p for p in rc.pairs if p[:2] == (n, rep)][0]
        self.assertAlmostEqual(pair[2], 1.0, places=12)
        self.assertAlmostEqual(pair[3], jain, places=12)
        # N = 1 has no fairness: the 1-4 region starts at 2
        rc = find(regs, 'domU-to-dom0', 1, 2)
        self.assertEqual((rc.lo, rc.hi, rc.n), (2, 4, 9))


class ParseRegions(unittest.TestCase):
    def test_good(self):
        self.assertEqual(stats.parse_regions('1-4,5-'), ((1, 4), (5, None)))
        self.assertEqual(stats.parse_regions('2-2, 3-8'), ((2, 2), (3, 8)))

    def test_bad(self):
        for text in ('4', '0-3', '5-4', 'a-b', '1-4,x'):
            with self.assertRaises(ValueError, msg=text):
                stats.parse_regions(text)


class Output(unittest.TestCase):
    def test_report_and_csv(self):
        with tempfile.TemporaryDirectory() as d:
            res = os.path.join(d, 'results.pylist')
            synth.write(res, synth.standard())
            out = os.path.join(d, 'analysis')
            cli.analyse([res], out)
            with open(os.path.join(out, 'REPORT.md'), encoding='utf-8') as f:
                text = f.read()
            self.assertIn('## Region verdicts', text)
            self.assertRegex(text, r'domU \u2192 dom0, 1 stream, 5-8 VMs: patched/plain 0\.\d+ '
                                   r'\(95 % CI [0-9.]+\u2013[0-9.]+\) over 12 pairs, '
                                   r'p = 0\.000488: lower\.')
            with open(os.path.join(out, 'regions.csv'), encoding='utf-8') as f:
                rows = f.read().splitlines()
            self.assertEqual(rows[0].split(',')[:4], ['measure', 'direction', 'streams',
                                                      'vms_from'])
            self.assertEqual(len(rows), 1 + 24)  # 8 throughput + 8 CPU + 8 fairness

    def test_bad_regions_option(self):
        with tempfile.TemporaryDirectory() as d:
            res = os.path.join(d, 'results.pylist')
            synth.write(res, synth.standard())
            p = subprocess.run([sys.executable, '-m', 'analysis', res, '--regions', '5-4'],
                               cwd=REPO, capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 2)
            self.assertIn("--regions: region '5-4'", p.stderr)
            self.assertFalse(os.path.exists(os.path.join(d, 'analysis')))


if __name__ == '__main__':
    unittest.main()
