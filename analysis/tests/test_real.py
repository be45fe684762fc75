"""The analysis on real results files, e.g. from the harness's netns integration test.

Runs only when VIFBENCH_RESULTS names one or more results files (space-separated), as
`make check-analysis-results RESULTS=...` does; otherwise the tests are skipped. Everything is
checked against values computed here straight from the raw records with ast.literal_eval, not
through the analysis's own loader.
"""
import ast
import math
import os
import tempfile
import unittest

import matplotlib.pyplot as plt

from analysis import cli, load, plots, stats
from analysis.tests.test_plots import bars

PATHS = os.environ.get('VIFBENCH_RESULTS', '').split()


def raw_ok_runs(paths):
    out = []
    for p in paths:
        with open(p) as f:
            out += [r for r in ast.literal_eval(f.read())
                    if isinstance(r, dict) and r.get('record') == 'run' and r['status'] == 'ok']
    return out


def mean_sd(xs):
    m = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else math.nan
    return m, sd


class RealChecks:
    """Checks for any real result set; subclasses set cls.paths before setUpClass."""
    paths = []

    @classmethod
    def setUpClass(cls):
        cls.rs = load.load(cls.paths)
        cls.raw = raw_ok_runs(cls.paths)

    def test_full_run(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, 'analysis')
            files = cli.analyse(self.paths, out, 'V3')
            cases = {(r['direction'], r['streams']) for r in self.raw}
            for direction, s in cases:
                self.assertIn(os.path.join(out, plots.plot_name('V3', direction, s)), files)
            with open(os.path.join(out, 'REPORT.md')) as f:
                text = f.read()
            for m in self.rs.metas:
                self.assertIn(m['kernel_release'], text)

    def test_plotted_means_match_raw_records(self):
        cases = {(r['direction'], r['streams']) for r in self.raw}
        for direction, s in cases:
            fig, ax, ax2 = plots.throughput_figure(self.rs, direction, s)
            drawn = bars(ax)
            for k in self.rs.kernels:
                runs = [r for r in self.raw if (r['kernel'], r['direction'], r['streams'])
                        == (k, direction, s)]
                if not runs:
                    continue
                ns = sorted({r['vms'] for r in runs})
                xs, ys, es, _ = drawn['%s total' % k]
                self.assertEqual(xs, [float(n) for n in ns])
                self.assertEqual(ax.get_xlim(), (0.0, float(max(ns))))
                for n, y, e in zip(ns, ys, es):
                    vals = [sum(r['per_guest_gbps']) for r in runs if r['vms'] == n]
                    m, sd = mean_sd(vals)
                    self.assertAlmostEqual(y, m, delta=1e-3 * n + 1e-9 * m)
                    if len(vals) > 1:
                        self.assertAlmostEqual(e, sd, delta=1e-3 * n + 1e-6 * sd)
                    else:
                        self.assertTrue(math.isnan(e))
            plt.close(fig)

    def test_fairness_matches_raw_records(self):
        fair = stats.summarise(self.rs.runs, stats.fairness)
        for r in self.raw:
            if r['vms'] < 2 or not any(r['per_guest_gbps']):
                continue
            xs = r['per_guest_gbps']
            j = sum(xs) ** 2 / (len(xs) * sum(x * x for x in xs))
            key = (r['direction'], r['streams'], r['vms'], r['kernel'])
            self.assertGreaterEqual(j, 1.0 / len(xs) - 1e-12)
            self.assertLessEqual(j, 1.0 + 1e-12)
            self.assertTrue(any(abs(j - v) < 1e-12 for v in fair[key].values), key)


@unittest.skipUnless(PATHS, 'set VIFBENCH_RESULTS (make check-analysis-results RESULTS=...)')
class RealResults(RealChecks, unittest.TestCase):
    paths = PATHS


if __name__ == '__main__':
    unittest.main()
