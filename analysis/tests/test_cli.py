"""The whole path: results files in, the output folder out (PNG per case, CSVs, REPORT.md with the
study-style sentences), atomically; bad input leaves nothing behind."""
import csv
import io
import os
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

from analysis import cli, load, report, stats
from analysis.tests import synth

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Base(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.dir = self._tmp.name
        self.results = os.path.join(self.dir, 'results.pylist')
        synth.write(self.results, synth.standard())
        self.out = os.path.join(self.dir, 'analysis')

    def tearDown(self):
        self._tmp.cleanup()

    def read(self, name):
        with open(os.path.join(self.out, name), encoding='utf-8') as f:
            return f.read()

    def leftovers(self):
        return [n for n in os.listdir(self.dir) if n.startswith('.')]


class Outputs(Base):
    def test_files(self):
        cli.analyse([self.results], self.out, 'V3')
        names = sorted(os.listdir(self.out))
        self.assertEqual(names, sorted([
            'V3-split-1.png', 'V3-split-2.png', 'V3-reverse-split-1.png',
            'V3-reverse-split-2.png', 'fairness-split.png', 'fairness-reverse-split.png',
            'verdicts.csv', 'fairness.csv', 'points.csv', 'regions.csv', 'REPORT.md',
            cli.MARKER]))
        for n in names:
            if n.endswith('.png'):
                with open(os.path.join(self.out, n), 'rb') as f:
                    self.assertEqual(f.read(8), b'\x89PNG\r\n\x1a\n')
        self.assertEqual(self.leftovers(), [])

    def test_prefix(self):
        cli.analyse([self.results], self.out, 'X9')
        self.assertIn('X9-reverse-split-2.png', os.listdir(self.out))
        self.assertIn('![X9-split-1.png](X9-split-1.png)', self.read('REPORT.md'))

    def test_report(self):
        cli.analyse([self.results], self.out, 'V3')
        text = self.read('REPORT.md')
        # study-style sentences, by construction of the data
        for sentence in (
                'dom0 \u2192 domU, 1 stream: no significant change at 1-8 VMs.',
                'dom0 \u2192 domU, 2 streams: no significant change up to 6 VMs; insufficient '
                'data at 7 VMs; no significant change above.',
                'domU \u2192 dom0, 1 stream: no significant change up to 4 VMs; plain better '
                'above.',
                'domU \u2192 dom0, 2 streams: patched better at 1-8 VMs.'):
            self.assertIn(sentence, text)
        self.assertIn('alpha = 0.05', text)
        for n in os.listdir(self.out):
            if n.endswith('.png'):
                self.assertIn('](%s)' % n, text)  # every plot inline
        # metadata and failed-run accounting
        self.assertIn('6.1.0-test', text)
        self.assertIn('| plain | 96 | 1 | 1 |', text)
        self.assertIn('| patched | 93 | 3 | 0 |', text)
        self.assertIn('guest vb-3 did not start', text)
        # the tables
        self.assertIn('| domU-to-dom0 | 1 | 5 | 17.500 \u00b1 0.200 (n=3) | '
                      '14.500 \u00b1 0.300 (n=3) | -3.000 | -17.1% |', text)
        self.assertIn('| dom0-to-domU | 2 | 7 | 21.000 \u00b1 0.200 (n=3) | 20.700 \u00b1 ? (n=1)',
                      text)
        self.assertIn('| dom0-to-domU | 1 | 2 | 1.000 \u00b1 0.000 (n=3) |', text)

    def test_verdict_csv_matches_stats(self):
        cli.analyse([self.results], self.out, 'V3')
        rows = list(csv.DictReader(io.StringIO(self.read('verdicts.csv'))))
        self.assertEqual(len(rows), 32)
        cmp = {(c.direction, c.streams, c.vms): c
               for c in stats.compare(load.load([self.results]))}
        for row in rows:
            c = cmp[(row['direction'], int(row['streams']), int(row['vms']))]
            self.assertEqual(row['verdict'], c.verdict)
            self.assertEqual(int(row['n']), c.b.n)
            self.assertAlmostEqual(float(row['mean_gbps']), c.b.mean, places=4)
            if c.p is None:
                self.assertEqual(row['p_welch'], '')
            else:
                self.assertAlmostEqual(float(row['p_welch']), c.p, delta=1e-5 * c.p)
        worse = [r for r in rows if r['verdict'] == 'worse']
        self.assertEqual(sorted((r['direction'], r['streams'], r['vms']) for r in worse),
                         [('domU-to-dom0', '1', str(n)) for n in (5, 6, 7, 8)])

    def test_fairness_csv(self):
        cli.analyse([self.results], self.out, 'V3')
        rows = list(csv.DictReader(io.StringIO(self.read('fairness.csv'))))
        self.assertEqual(len(rows), 2 * 2 * 7 * 2)  # directions x streams x N=2..8 x kernels
        self.assertTrue(all(int(r['vms']) >= 2 for r in rows))
        plain = [float(r['jain_mean']) for r in rows if r['kernel'] == 'plain']
        self.assertTrue(all(abs(x - 1.0) < 1e-9 for x in plain))

    def test_single_kernel_report(self):
        synth.write(self.results, [synth.meta('plain')] + synth.kernel_runs('plain', 0))
        cli.analyse([self.results], self.out, 'V3')
        self.assertIn('nothing to compare', self.read('REPORT.md'))
        self.assertEqual(self.read('verdicts.csv').splitlines(),
                         [','.join(report.VERDICT_CSV_HEADER)])

    def test_planned_kernel_without_runs(self):
        synth.write(self.results, [synth.meta('plain')] + synth.kernel_runs('plain', 0))
        cli.analyse([self.results], self.out, 'V3')
        self.assertIn('Kernels in the plan without any run yet: `patched`.', self.read('REPORT.md'))

    def test_two_files(self):
        a = os.path.join(self.dir, 'a.pylist')
        b = os.path.join(self.dir, 'b.pylist')
        synth.write(a, [synth.meta('plain')] + synth.kernel_runs('plain', 0))
        synth.write(b, [synth.meta('patched')] + synth.kernel_runs('patched', 1))
        cli.analyse([a, b], self.out, 'V3')
        text = self.read('REPORT.md')
        self.assertIn('domU \u2192 dom0, 1 stream: no significant change up to 4 VMs; plain '
                      'better above.', text)
        self.assertIn('`%s`, `%s`' % (a, b), text)

    def test_three_kernels_sentences(self):
        synth.write(self.results, synth.standard(kernels=('plain', 'patched', 'third')))
        cli.analyse([self.results], self.out, 'V3')
        text = self.read('REPORT.md')
        self.assertIn('domU \u2192 dom0, 1 stream: patched vs plain: no significant change up to '
                      '4 VMs; plain better above / third vs plain: third better at 1-8 VMs.', text)
        self.assertIn('verdict for third', text)


class Sentences(unittest.TestCase):
    def sentence(self, verdicts):
        cs = []
        for n, v in verdicts:
            c = stats.Comparison(('domU-to-dom0', 1, n), 'plain', 'patched',
                                 stats.Summary([]), stats.Summary([]))
            c.verdict = v
            cs.append(c)
        return report.verdict_sentence(cs)

    def test_shapes(self):
        N, B, W, I = stats.NO_CHANGE, stats.BETTER, stats.WORSE, stats.INSUFFICIENT
        self.assertEqual(self.sentence([(1, W)]), 'plain better at 1 VM')
        self.assertEqual(self.sentence([(1, N), (2, B), (3, B)]),
                         'no significant change at 1 VM; patched better above')
        self.assertEqual(self.sentence([(1, N), (2, N), (4, W), (8, N)]),
                         'no significant change up to 2 VMs; plain better at 4 VMs; '
                         'no significant change above')
        self.assertEqual(self.sentence([(2, I), (3, I)]), 'insufficient data at 2-3 VMs')


class Atomic(Base):
    def test_bad_input_writes_nothing(self):
        with open(self.results, 'w') as f:
            f.write("[{'record': 'meta'}]")
        with self.assertRaises(load.ResultsError):
            cli.analyse([self.results], self.out, 'V3')
        self.assertFalse(os.path.exists(self.out))
        self.assertEqual(self.leftovers(), [])

    def test_failure_while_rendering_keeps_previous_output(self):
        cli.analyse([self.results], self.out, 'V3')
        before = {n: self.read(n) for n in os.listdir(self.out) if not n.endswith('.png')}
        with mock.patch.object(report, 'report_markdown', side_effect=RuntimeError('boom')):
            with self.assertRaises(RuntimeError):
                cli.analyse([self.results], self.out, 'OTHER')
        after = {n: self.read(n) for n in os.listdir(self.out) if not n.endswith('.png')}
        self.assertEqual(before, after)
        self.assertNotIn('OTHER-split-1.png', os.listdir(self.out))
        self.assertEqual(self.leftovers(), [])

    def test_failure_of_final_rename_restores_previous(self):
        cli.analyse([self.results], self.out, 'V3')
        real_rename = os.rename

        def rename(src, dst):
            if dst == self.out and '.tmp-' in src:  # the new folder moving into place
                raise OSError('simulated')
            return real_rename(src, dst)
        with mock.patch.object(cli.os, 'rename', side_effect=rename):
            with self.assertRaises(OSError):
                cli.analyse([self.results], self.out, 'NEW')
        self.assertIn('V3-split-1.png', os.listdir(self.out))
        self.assertEqual(self.leftovers(), [])

    def test_replaces_previous_analysis(self):
        cli.analyse([self.results], self.out, 'V3')
        cli.analyse([self.results], self.out, 'W4')
        names = os.listdir(self.out)
        self.assertIn('W4-split-1.png', names)
        self.assertNotIn('V3-split-1.png', names)
        self.assertEqual(self.leftovers(), [])

    def test_refuses_foreign_folder(self):
        os.mkdir(self.out)
        keep = os.path.join(self.out, 'precious.txt')
        with open(keep, 'w') as f:
            f.write('x')
        with self.assertRaises(cli.OutputError) as cm:
            cli.analyse([self.results], self.out, 'V3')
        self.assertIn('not made by the analysis', str(cm.exception))
        self.assertEqual(os.listdir(self.out), ['precious.txt'])

    def test_refuses_folder_holding_the_results(self):
        with self.assertRaises(cli.OutputError) as cm:
            cli.analyse([self.results], self.dir, 'V3')
        self.assertIn('would contain results file', str(cm.exception))
        self.assertTrue(os.path.exists(self.results))


class CommandLine(Base):
    def run_cli(self, *args):
        return subprocess.run([sys.executable, '-m', 'analysis'] + list(args), cwd=REPO,
                              capture_output=True, text=True, timeout=120)

    def test_default_out_and_exit_code(self):
        p = self.run_cli(self.results)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(self.out, p.stdout)
        self.assertTrue(os.path.exists(os.path.join(self.out, 'REPORT.md')))

    def test_bad_record_exit_2_one_line(self):
        recs = synth.standard()
        del recs[5]['vms']
        with open(self.results, 'w') as f:  # one record a line, as the harness writes
            f.write('[' + ',\n '.join(repr(r) for r in recs) + ']\n')
        p = self.run_cli(self.results, '--out', self.out)
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stderr.strip().count('\n'), 0, p.stderr)
        self.assertIn("%s: record 5 (line 6): missing field 'vms'" % self.results, p.stderr)
        self.assertFalse(os.path.exists(self.out))

    def test_make_plots(self):
        out = os.path.join(self.dir, 'mk-out')
        p = subprocess.run(['make', '--no-print-directory', 'plots', 'RESULTS=' + self.results,
                            'OUT=' + out, 'PREFIX=M1'], cwd=REPO, capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn('M1-split-1.png', os.listdir(out))


if __name__ == '__main__':
    unittest.main()
