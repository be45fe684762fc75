"""Exclusion windows (load.load(paths, exclusions)): runs overlapping a window when the host was
disturbed are set aside, listed in REPORT.md, and left out of every statistic; the results file
itself is never touched; a bad windows file is one clear error before anything is written."""
import os
import tempfile
import unittest

from analysis import cli, load, stats
from analysis.tests import synth


def at(run, start, elapsed):
    run['start'], run['elapsed'] = start, elapsed
    return run


class Exclusions(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.dir = self._tmp.name
        self.results = os.path.join(self.dir, 'results.pylist')
        # three runs of one point, 30 s apart, each 20.4 s long
        self.recs = [synth.meta('plain'),
                     at(synth.run('plain', 'dom0-to-domU', 2, 1, 1, 10.0),
                        '2026-12-02T06:00:00Z', 20.4),
                     at(synth.run('plain', 'dom0-to-domU', 2, 1, 2, 11.0),
                        '2026-12-02T06:00:30Z', 20.4),
                     at(synth.run('plain', 'dom0-to-domU', 2, 1, 3, 30.0),
                        '2026-12-02T06:01:00Z', 20.4)]
        synth.write(self.results, self.recs)
        with open(self.results, 'rb') as f:
            self.bytes = f.read()

    def tearDown(self):
        self._tmp.cleanup()

    def windows(self, text):
        p = os.path.join(self.dir, 'exclusions')
        with open(p, 'w') as f:
            f.write(text)
        return p

    def test_overlapping_runs_set_aside(self):
        # the window starts during repeat 2's run (06:00:30-06:00:50.4) and ends before repeat 3
        p = self.windows('# host disturbed\n\n'
                         '2026-12-02T06:00:50Z 2026-12-02T06:00:55Z another QEMU on the host\n')
        rs = load.load([self.results], p)
        self.assertEqual([r.repeat for r in rs.runs], [1, 3])
        self.assertEqual([(r.repeat, r.excluded) for r in rs.excluded],
                         [(2, 'another QEMU on the host')])
        s = stats.summarise(rs.runs, stats.total)[('dom0-to-domU', 1, 2, 'plain')]
        self.assertEqual((s.n, s.mean), (2, 20.0))

    def test_touching_is_not_overlapping(self):
        # repeat 1 ends at 06:00:20.4; a window from 06:00:21 to repeat 2's start leaves both
        p = self.windows('2026-12-02T06:00:21Z 2026-12-02T06:00:30Z gap\n')
        rs = load.load([self.results], p)
        self.assertEqual(len(rs.runs), 3)
        self.assertEqual(rs.excluded, [])

    def test_report_lists_and_file_untouched(self):
        p = self.windows('2026-12-02T05:59:00Z 2026-12-02T06:00:10Z cron job\n')
        out = os.path.join(self.dir, 'analysis')
        cli.analyse([self.results], out, exclusions=p)
        with open(os.path.join(out, 'REPORT.md'), encoding='utf-8') as f:
            text = f.read()
        self.assertIn('because they overlap a window of `%s`' % p, text)
        self.assertIn('- plain, dom0-to-domU, 2 VMs, 1 stream, repeat 1, ok, started '
                      '2026-12-02T06:00:00Z: cron job (%s: record 1 (line ' % self.results, text)
        self.assertIn('(the records stay in the results file): 1 run record.', text)
        with open(self.results, 'rb') as f:
            self.assertEqual(f.read(), self.bytes)

    def test_everything_excluded_is_an_error(self):
        p = self.windows('2026-12-02T05:00:00Z 2026-12-02T07:00:00Z all of it\n')
        with self.assertRaises(load.ResultsError) as cm:
            load.load([self.results], p)
        self.assertIn('no ok run records outside the exclusion windows', str(cm.exception))

    def test_bad_lines(self):
        for text, msg in (('2026-12-02T06:00:00Z 2026-12-02T06:01:00Z\n', 'want START END REASON'),
                          ('2026-12-02 06:00 x y\n', 'is not a UTC time'),
                          ('2026-12-02T06:01:00Z 2026-12-02T06:00:00Z late\n', 'is not after')):
            p = self.windows('# ok\n' + text)
            with self.assertRaises(load.ResultsError, msg=text) as cm:
                load.load([self.results], p)
            self.assertIn('%s: line 2: ' % p, str(cm.exception))
            self.assertIn(msg, str(cm.exception))
        with self.assertRaises(load.ResultsError) as cm:
            load.load([self.results], os.path.join(self.dir, 'missing'))
        self.assertIn('cannot read', str(cm.exception))


if __name__ == '__main__':
    unittest.main()
