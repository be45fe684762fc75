"""Means, SDs, Welch's t-test p-values, verdicts and Jain's index against values known by
construction and against independent computations (textbook formulas, not the code under test)."""
import math
import os
import tempfile
import unittest

from scipy import special

from analysis import load, stats
from analysis.tests import synth


def load_records(records):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, 'r.pylist')
        synth.write(p, records)
        return load.load([p])


def welch_by_hand(a, b):
    """Welch's t-test from the textbook formulas; the two-sided p-value from the regularised
    incomplete beta function: P(|T| > t) = I_{df/(df+t^2)}(df/2, 1/2)."""
    na, nb = len(a), len(b)
    ma, mb = sum(a) / na, sum(b) / nb
    va = sum((x - ma) ** 2 for x in a) / (na - 1)
    vb = sum((x - mb) ** 2 for x in b) / (nb - 1)
    se2 = va / na + vb / nb
    t = (mb - ma) / math.sqrt(se2)
    df = se2 ** 2 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1))
    p = special.betainc(df / 2, 0.5, df / (df + t * t))
    return t, df, p


def jain_by_definition(xs):
    return sum(xs) ** 2 / (len(xs) * sum(x ** 2 for x in xs))


class Summaries(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rs = load_records(synth.standard())
        cls.tot = stats.summarise(cls.rs.runs, stats.total)
        cls.pvm = stats.summarise(cls.rs.runs, stats.per_vm)
        cls.cpu = stats.summarise(cls.rs.runs, stats.cpu)

    def test_means_and_sds_by_construction(self):
        failed_short = {('dom0-to-domU', 2, 7, 'patched'), ('domU-to-dom0', 2, 3, 'patched')}
        checked = 0
        for d in synth.DIRS:
            for s in (1, 2):
                for n in range(1, 9):
                    for k in ('plain', 'patched'):
                        key = (d, s, n, k)
                        if key in failed_short:
                            continue
                        t = self.tot[key]
                        self.assertEqual(t.n, 3, key)
                        self.assertAlmostEqual(t.mean, synth.MEANS[k](d, s, n), places=9)
                        self.assertAlmostEqual(t.sd, synth.SD[k], places=9)
                        self.assertAlmostEqual(self.pvm[key].mean, synth.MEANS[k](d, s, n) / n,
                                               places=9)
                        self.assertAlmostEqual(self.pvm[key].sd, synth.SD[k] / n, places=9)
                        self.assertAlmostEqual(self.cpu[key].mean, synth.CPU[k] + n, places=9)
                        self.assertAlmostEqual(self.cpu[key].sd, synth.CPU_SD, places=9)
                        checked += 1
        self.assertEqual(checked, 2 * 2 * 8 * 2 - 2)

    def test_failed_runs_excluded(self):
        # plain dom0-to-domU 8 VMs 1 stream repeat 2 failed with 1000 Gbit/s and 999 % CPU
        # recorded, then ran ok: the mean is untouched and n is 3.
        t = self.tot[('dom0-to-domU', 1, 8, 'plain')]
        self.assertEqual(t.n, 3)
        self.assertAlmostEqual(t.mean, synth.plain_mean('dom0-to-domU', 1, 8))
        self.assertLess(self.cpu[('dom0-to-domU', 1, 8, 'plain')].mean, 100)
        # patched domU-to-dom0 3 VMs 2 streams: repeat 3 failed, so repeats 1 and 2 remain.
        m = synth.patched_mean('domU-to-dom0', 2, 3)
        vals = [m - synth.SD['patched'], m]
        t = self.tot[('domU-to-dom0', 2, 3, 'patched')]
        self.assertEqual(t.n, 2)
        self.assertAlmostEqual(t.mean, sum(vals) / 2)
        self.assertAlmostEqual(t.sd, math.sqrt(sum((v - sum(vals) / 2) ** 2 for v in vals)))
        # one ok repeat: mean known, SD undefined
        t = self.tot[('dom0-to-domU', 2, 7, 'patched')]
        self.assertEqual(t.n, 1)
        self.assertIsNone(t.sd)

    def test_cpu_none_is_skipped(self):
        recs = [synth.meta('plain')] + [
            synth.run('plain', 'dom0-to-domU', 1, 1, r, 5.0 + r, cpu=c)
            for r, c in ((1, 10.0), (2, None), (3, 30.0))]
        rs = load_records(recs)
        c = stats.summarise(rs.runs, stats.cpu)[('dom0-to-domU', 1, 1, 'plain')]
        self.assertEqual((c.n, c.mean), (2, 20.0))
        self.assertEqual(stats.summarise(rs.runs, stats.total)[('dom0-to-domU', 1, 1, 'plain')].n,
                         3)


class Welch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rs = load_records(synth.standard())
        cls.cmp = {(c.direction, c.streams, c.vms): c for c in stats.compare(cls.rs)}

    def test_textbook_example(self):
        # a = 1,2,3; b = 4,5,6: t = 3 / sqrt(2/3) = 3.674, df = 4, p = 0.02131 (t-table value)
        t, df, p = welch_by_hand([1, 2, 3], [4, 5, 6])
        self.assertAlmostEqual(t, 3.6742346, places=6)
        self.assertAlmostEqual(df, 4.0)
        self.assertAlmostEqual(p, 0.021312, places=5)
        c = stats.Comparison(('dom0-to-domU', 1, 1), 'a', 'b', stats.Summary([1, 2, 3]),
                             stats.Summary([4, 5, 6]))
        self.assertAlmostEqual(c.p, p, places=12)
        self.assertEqual(c.verdict, stats.BETTER)
        self.assertAlmostEqual(c.diff, 3.0)
        self.assertAlmostEqual(c.diff_pct, 150.0)

    def test_p_values_match_hand_formula(self):
        n = 0
        for c in self.cmp.values():
            if c.verdict == stats.INSUFFICIENT:
                continue
            t, df, p = welch_by_hand(c.a.values, c.b.values)
            self.assertAlmostEqual(c.p, p, places=10, msg=(c.direction, c.streams, c.vms))
            n += 1
        self.assertEqual(n, 31)

    def test_unequal_sizes(self):
        a, b = [10.0, 10.4, 9.7, 10.1], [11.0, 10.2]
        c = stats.Comparison(('dom0-to-domU', 1, 1), 'a', 'b', stats.Summary(a), stats.Summary(b))
        self.assertAlmostEqual(c.p, welch_by_hand(a, b)[2], places=10)

    def test_verdicts_by_construction(self):
        for (d, s, n), c in self.cmp.items():
            with self.subTest(point=(d, s, n)):
                self.assertEqual((c.baseline, c.kernel), ('plain', 'patched'))
                if (d, s, n) == ('dom0-to-domU', 2, 7):
                    self.assertEqual(c.verdict, stats.INSUFFICIENT)
                    self.assertIsNone(c.p)
                elif d == 'dom0-to-domU' or (s == 1 and n <= 4):
                    self.assertEqual(c.verdict, stats.NO_CHANGE)
                    self.assertAlmostEqual(c.diff, 0.0, places=9)
                    self.assertAlmostEqual(c.p, 1.0, places=9)
                elif s == 1:
                    self.assertEqual(c.verdict, stats.WORSE)
                    self.assertAlmostEqual(c.diff, -3.0, places=9)
                    self.assertAlmostEqual(c.diff_pct, -300.0 / synth.plain_mean(d, s, n))
                    self.assertLess(c.p, stats.ALPHA)
                else:
                    self.assertEqual(c.verdict, stats.BETTER)
                    self.assertLess(c.p, stats.ALPHA)
        self.assertEqual(len(self.cmp), 2 * 2 * 8)

    def test_alpha_boundary(self):
        # SD 0.5, n 3 on both sides, df 4: p = 0.05 at a shift of t_crit * sqrt(2 * 0.25 / 3)
        # = 2.7764 * 0.40825 = 1.1335 Gbit/s. Just below -> no change; just above -> significant.
        a = [10.0, 10.5, 11.0]
        for shift, verdict in ((1.10, stats.NO_CHANGE), (1.17, stats.BETTER),
                               (-1.17, stats.WORSE), (-1.10, stats.NO_CHANGE)):
            b = [x + shift for x in a]
            p = welch_by_hand(a, b)[2]
            c = stats.Comparison(('dom0-to-domU', 1, 1), 'a', 'b', stats.Summary(a),
                                 stats.Summary(b))
            self.assertEqual(c.verdict, verdict, (shift, p))
            self.assertEqual(p < 0.05, verdict != stats.NO_CHANGE)

    def test_insufficient_and_zero_variance(self):
        S = stats.Summary
        pt = ('dom0-to-domU', 1, 1)
        self.assertEqual(stats.Comparison(pt, 'a', 'b', S([1.0]), S([1.0, 2.0])).verdict,
                         stats.INSUFFICIENT)
        self.assertEqual(stats.Comparison(pt, 'a', 'b', S([]), S([1.0, 2.0])).verdict,
                         stats.INSUFFICIENT)
        c = stats.Comparison(pt, 'a', 'b', S([5.0, 5.0]), S([5.0, 5.0]))
        self.assertEqual((c.verdict, c.p), (stats.NO_CHANGE, None))
        c = stats.Comparison(pt, 'a', 'b', S([5.0, 5.0]), S([6.0, 6.0]))
        self.assertEqual((c.verdict, c.p), (stats.NO_VARIANCE, None))
        c = stats.Comparison(pt, 'a', 'b', S([0.0, 0.0]), S([1.0, 2.0]))
        self.assertIsNone(c.diff_pct)  # no % of a zero baseline

    def test_three_kernels_each_against_baseline(self):
        recs = synth.standard(kernels=('plain', 'patched', 'third'))
        rs = load_records(recs)
        self.assertEqual(rs.kernels, ['plain', 'patched', 'third'])
        cs = stats.compare(rs)
        self.assertEqual(len(cs), 2 * 2 * 8 * 2)
        third = [c for c in cs if c.kernel == 'third']
        self.assertTrue(all(c.baseline == 'plain' for c in cs))
        for c in third:
            self.assertAlmostEqual(c.diff, 1.0, places=9)
            self.assertEqual(c.verdict, stats.BETTER)  # +1 Gbit/s with SDs 0.2 and 0.25

    def test_one_kernel_nothing_to_compare(self):
        rs = load_records([synth.meta('plain')] + synth.kernel_runs('plain', 0))
        self.assertEqual(stats.compare(rs), [])


class Jain(unittest.TestCase):
    def test_definition_cases(self):
        self.assertEqual(stats.jain([3.0, 3.0, 3.0]), 1.0)
        self.assertAlmostEqual(stats.jain([5.0, 0.0, 0.0, 0.0]), 0.25)
        self.assertAlmostEqual(stats.jain([1.0, 2.0]), 9 / 10)
        self.assertIsNone(stats.jain([0.0, 0.0]))
        self.assertIsNone(stats.jain([]))

    def test_per_run_and_per_point(self):
        rs = load_records(synth.standard())
        fair = stats.summarise(rs.runs, stats.fairness)
        # No fairness for N = 1.
        self.assertFalse([k for k in fair if k[2] == 1])
        for (d, s, n, k), summ in fair.items():
            with self.subTest(point=(d, s, n, k)):
                ok = [r for r in rs.ok_runs if (r.direction, r.streams, r.vms, r.kernel)
                      == (d, s, n, k)]
                expect = [jain_by_definition(r.per_guest_gbps) for r in ok]
                self.assertEqual(summ.n, len(expect))
                self.assertAlmostEqual(summ.mean, sum(expect) / len(expect), places=12)
                if k == 'plain':
                    self.assertAlmostEqual(summ.mean, 1.0, places=12)
                else:
                    # guest 1 has (1 + repeat) shares, the others 1: closed form per repeat
                    closed = [(r + n) ** 2 / (n * ((1 + r) ** 2 + n - 1)) for r in (1, 2, 3)]
                    if summ.n == 3:
                        m = sum(closed) / 3
                        self.assertAlmostEqual(summ.mean, m, places=12)
                        sd = math.sqrt(sum((x - m) ** 2 for x in closed) / 2)
                        self.assertAlmostEqual(summ.sd, sd, places=12)
                        self.assertGreater(summ.sd, 0.0)


if __name__ == '__main__':
    unittest.main()
