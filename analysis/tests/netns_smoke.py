"""End to end on real data: the harness runs its smoke plan (configs/smoke.plan) on the netns
backend for two kernel labels, one session each, into one results file; the analysis must combine
the sessions and draw and judge what the harness measured.

Not named test_*.py, so `make check-analysis` does not pick it up: `make check-analysis-netns` runs
after building harness/vifbench. Needs root. The harness runs inside its own network and mount
namespaces (unshare, a private /run holding its netns mounts and its session lock), so its bridge
and guest namespaces cannot collide with the harness's own tests running at the same time.
"""
import os
import shutil
import subprocess
import tempfile
import unittest

from analysis import cli, report, stats
from analysis.tests.test_real import RealChecks

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VIFBENCH = os.environ.get('VIFBENCH_BIN', os.path.join(REPO, 'harness', 'vifbench'))
PLAN = os.path.join(REPO, 'configs', 'smoke.plan')

# Fixed script; the harness's arguments come in as "$@", never pasted into the shell text.
ISOLATED = ('mount -t tmpfs vifbench-run /run && mkdir /run/netns && '
            'ip link set lo up && exec "$@"')

MISSING = [what for what, ok in (
    ('root', os.geteuid() == 0),
    (VIFBENCH, os.access(VIFBENCH, os.X_OK)),
    ('unshare', shutil.which('unshare')),
    ('ip', shutil.which('ip')),
    ('iperf', shutil.which('iperf'))) if not ok]


@unittest.skipIf(MISSING, 'needs %s' % ', '.join(MISSING))
class HarnessSmoke(RealChecks, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory()
        results = os.path.join(cls._tmp.name, 'results.pylist')
        cls.paths = [results]
        cls.codes = []
        for kernel in ('plain', 'patched'):
            argv = [VIFBENCH, 'run', PLAN, '--kernels', 'plain patched', '--kernel', kernel,
                    '--duration', '1', '--results', results]
            p = subprocess.run(['unshare', '--mount', '--net', '--propagation', 'private',
                                'sh', '-c', ISOLATED, 'sh'] + argv, cwd=REPO, timeout=600,
                               capture_output=True, text=True)
            cls.codes.append(p.returncode)
            if p.returncode not in (0, 1, 3):  # 1: some runs failed, 3: other kernels remain
                raise AssertionError('vifbench exit %d:\n%s' % (p.returncode, p.stderr[-3000:]))
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def test_sessions_combined(self):
        self.assertEqual(self.rs.kernels, ['plain', 'patched'])
        self.assertEqual([m['kernel'] for m in self.rs.metas], ['plain', 'patched'])
        self.assertEqual(self.codes[0], 3)  # plain done, patched remained

    def test_report_judges_every_case(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, 'analysis')
            cli.analyse(self.paths, out, 'V3')
            with open(os.path.join(out, 'REPORT.md')) as f:
                text = f.read()
        comparisons = stats.compare(self.rs)
        cases = {(c.direction, c.streams) for c in comparisons}
        self.assertEqual(cases, {(d, s) for d in stats.DIRECTION_ORDER for s in (1, 2)})
        for sentence in report.sentences(comparisons):
            self.assertIn(sentence, text)
        for c in comparisons:
            if c.a.n >= 2 and c.b.n >= 2:
                self.assertIsNotNone(c.p)
                self.assertTrue(0.0 <= c.p <= 1.0)


if __name__ == '__main__':
    unittest.main()
