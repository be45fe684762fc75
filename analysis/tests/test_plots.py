"""What is drawn: line data, error bar sizes, colours, axis ranges and the CPU twin axis, read from
the matplotlib Figure objects, compared with values known by construction."""
import math
import unittest

from matplotlib import colors as mcolors
from matplotlib.container import ErrorbarContainer
import matplotlib.pyplot as plt

from analysis import plots
from analysis.tests import synth
from analysis.tests.test_stats import jain_by_definition, load_records


def bars(ax):
    """{label: (xs, ys, half error bar lengths, data line)} of the error-bar series on ax."""
    out = {}
    for c in ax.containers:
        if not isinstance(c, ErrorbarContainer):
            continue
        line, _caps, cols = c.lines
        xs = [float(x) for x in line.get_xdata()]
        ys = [float(y) for y in line.get_ydata()]
        # One vertical segment per point with an error bar; none where the SD is undefined.
        half = {}
        for seg in (cols[0].get_segments() if cols else []):
            if len(seg) == 0:
                continue
            (x0, y0), (x1, y1) = seg
            assert x0 == x1, seg
            half[float(x0)] = (y1 - y0) / 2
        errs = [half.get(x, math.nan) for x in xs]
        out[c.get_label()] = (xs, ys, errs, line)
    return out


class ThroughputFigure(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rs = load_records(synth.standard())
        cls.figs = {}
        for d in synth.DIRS:
            for s in (1, 2):
                cls.figs[(d, s)] = plots.throughput_figure(cls.rs, d, s, 'T')

    @classmethod
    def tearDownClass(cls):
        plt.close('all')

    def test_lines_and_error_bars(self):
        for (d, s), (fig, ax, ax2) in self.figs.items():
            left, right = bars(ax), bars(ax2)
            self.assertEqual(sorted(left), sorted(['plain total', 'plain per-VM mean',
                                                   'patched total', 'patched per-VM mean']))
            self.assertEqual(sorted(right), ['patched dom0 CPU', 'plain dom0 CPU'])
            for k in ('plain', 'patched'):
                xs, ys, es, _ = left['%s total' % k]
                pxs, pys, pes, _ = left['%s per-VM mean' % k]
                cxs, cys, ces, _ = right['%s dom0 CPU' % k]
                self.assertEqual(xs, [float(n) for n in range(1, 9)])
                self.assertEqual(pxs, xs)
                self.assertEqual(cxs, xs)
                for i, n in enumerate(range(1, 9)):
                    with self.subTest(direction=d, streams=s, kernel=k, vms=n):
                        # repeats that ran ok (see synth.standard for the failures)
                        reps = {('dom0-to-domU', 2, 7): 1, ('domU-to-dom0', 2, 3): 2}.get(
                            (d, s, n), 3) if k == 'patched' else 3
                        offs = synth.OFFSETS[:reps]
                        m = synth.MEANS[k](d, s, n) + synth.SD[k] * sum(offs) / reps
                        self.assertAlmostEqual(ys[i], m, places=9)
                        self.assertAlmostEqual(pys[i], m / n, places=9)
                        self.assertAlmostEqual(cys[i], synth.CPU[k] + n + synth.CPU_SD * sum(offs)
                                               / reps, places=9)
                        if reps == 1:
                            self.assertTrue(math.isnan(es[i]))  # one repeat: no bar drawn
                            self.assertTrue(math.isnan(pes[i]))
                            continue
                        # sample SD of the offsets actually run, times the designed SD
                        mo = sum(offs) / reps
                        sd = math.sqrt(sum((o - mo) ** 2 for o in offs) / (reps - 1))
                        self.assertAlmostEqual(es[i], synth.SD[k] * sd, places=9)
                        self.assertAlmostEqual(pes[i], synth.SD[k] * sd / n, places=9)
                        self.assertAlmostEqual(ces[i], synth.CPU_SD * sd, places=9)
                        if reps == 3:
                            self.assertAlmostEqual(es[i], synth.SD[k], places=9)

    def test_colours_and_styles(self):
        fig, ax, ax2 = self.figs[('domU-to-dom0', 1)]
        left, right = bars(ax), bars(ax2)
        expect = {'plain total': 'red', 'plain per-VM mean': 'orange',
                  'patched total': 'blue', 'patched per-VM mean': 'purple'}
        for label, colour in expect.items():
            self.assertTrue(mcolors.same_color(left[label][3].get_color(), colour), label)
        markers = set()
        for label, (_, _, _, line) in right.items():
            self.assertTrue(mcolors.same_color(line.get_color(), 'green'), label)
            self.assertEqual(line.get_linestyle(), ':')
            markers.add(line.get_marker())
        self.assertEqual(len(markers), 2)  # a different marker per kernel

    def test_axes(self):
        for (d, s), (fig, ax, ax2) in self.figs.items():
            self.assertEqual(ax.get_xlim(), (0.0, 8.0))
            self.assertEqual(ax.get_ylim()[0], 0.0)
            self.assertEqual(ax2.get_ylim()[0], 0.0)
            self.assertGreaterEqual(ax.get_ylim()[1], synth.patched_mean(d, s, 8))
            self.assertIn('Gbit/s', ax.get_ylabel())
            self.assertIn('CPU', ax2.get_ylabel())
            self.assertIn('VCPU', ax2.get_ylabel())
            self.assertEqual(ax2.yaxis.get_label_position(), 'right')
            self.assertTrue(ax.get_shared_x_axes().joined(ax, ax2))
            self.assertEqual(len(fig.axes), 2)

    def test_legend_names_every_line(self):
        fig, ax, ax2 = self.figs[('dom0-to-domU', 1)]
        texts = [t.get_text() for t in ax.get_legend().get_texts()]
        self.assertEqual(sorted(texts), sorted(list(bars(ax)) + list(bars(ax2))))

    def test_max_n_per_plot(self):
        # As in the study's plan for 3-4 streams: N only up to 4.
        recs = [synth.meta('plain')] + synth.kernel_runs('plain', 0, streams=(3,), vms=range(1, 5))
        fig, ax, ax2 = plots.throughput_figure(load_records(recs), 'dom0-to-domU', 3)
        self.assertEqual(ax.get_xlim(), (0.0, 4.0))
        plt.close(fig)

    def test_third_kernel_distinct_colours(self):
        rs = load_records(synth.standard(kernels=('plain', 'patched', 'third')))
        fig, ax, ax2 = plots.throughput_figure(rs, 'dom0-to-domU', 1)
        cols = [mcolors.to_rgba(v[3].get_color()) for v in bars(ax).values()]
        self.assertEqual(len(cols), 6)
        self.assertEqual(len(set(cols)), 6)
        self.assertFalse(any(mcolors.same_color(c, 'green') for c in cols))
        self.assertEqual(len({v[3].get_marker() for v in bars(ax2).values()}), 3)
        plt.close(fig)

    def test_colours_follow_data_order(self):
        recs = synth.standard(kernels=('plain', 'patched'))
        for r in recs:  # relabel: 'patched' now first in the data would be red
            r['kernel'] = {'plain': 'B', 'patched': 'A'}[r['kernel']]
        rs = load_records(recs)
        fig, ax, _ = plots.throughput_figure(rs, 'dom0-to-domU', 1)
        self.assertTrue(mcolors.same_color(bars(ax)['B total'][3].get_color(), 'red'))
        self.assertTrue(mcolors.same_color(bars(ax)['A total'][3].get_color(), 'blue'))
        plt.close(fig)

    def test_single_repeat_everywhere(self):
        # One ok repeat per point: means drawn, no error bars at all (SD undefined).
        recs = [synth.meta('plain')] + [r for r in synth.kernel_runs('plain', 0, vms=[1, 2])
                                        if r['repeat'] == 1]
        fig, ax, ax2 = plots.throughput_figure(load_records(recs), 'dom0-to-domU', 1)
        xs, ys, es, _ = bars(ax)['plain total']
        self.assertEqual(xs, [1.0, 2.0])
        self.assertAlmostEqual(ys[1], synth.plain_mean('dom0-to-domU', 1, 2) - synth.SD['plain'])
        self.assertTrue(all(math.isnan(e) for e in es))
        plt.close(fig)

    def test_too_many_kernels(self):
        with self.assertRaises(ValueError):
            plots.colours(['k%d' % i for i in range(len(plots.COLOURS) + 1)])

    def test_no_data_for_case(self):
        with self.assertRaises(ValueError):
            plots.throughput_figure(self.rs, 'dom0-to-domU', 4)


class FairnessFigure(unittest.TestCase):
    def test_fairness_lines(self):
        rs = load_records(synth.standard())
        for d in synth.DIRS:
            fig, ax = plots.fairness_figure(rs, d)
            b = bars(ax)
            self.assertEqual(sorted(b), sorted(['plain, 1 stream', 'plain, 2 streams',
                                                'patched, 1 stream', 'patched, 2 streams']))
            self.assertEqual(ax.get_xlim(), (0.0, 8.0))
            self.assertEqual(ax.get_ylim(), (0.0, 1.05))
            for label, (xs, ys, es, line) in b.items():
                k = label.split(',')[0]
                s = int(label.split(', ')[1].split()[0])
                self.assertTrue(mcolors.same_color(line.get_color(),
                                                   'red' if k == 'plain' else 'blue'))
                self.assertEqual(xs, [float(n) for n in range(2, 9)])
                for x, y, e in zip(xs, ys, es):
                    vals = [jain_by_definition(r.per_guest_gbps) for r in rs.ok_runs
                            if (r.kernel, r.direction, r.streams, r.vms) == (k, d, s, int(x))]
                    m = sum(vals) / len(vals)
                    self.assertAlmostEqual(y, m, places=12)
                    if len(vals) >= 2:
                        sd = math.sqrt(sum((v - m) ** 2 for v in vals) / (len(vals) - 1))
                        self.assertAlmostEqual(e, sd, places=9)
            styles = {line.get_linestyle() for _, _, _, line in b.values()}
            self.assertEqual(len(styles), 2)  # stream counts told apart by line style
            plt.close(fig)

    def test_no_fairness_without_two_vms(self):
        rs = load_records([synth.meta('plain')] + synth.kernel_runs('plain', 0, vms=[1]))
        self.assertIsNone(plots.fairness_figure(rs, 'dom0-to-domU'))


if __name__ == '__main__':
    unittest.main()
