"""REPORT.md says where netback ran (dom0 or a driver domain, whose CPU is then the figure) and
counts the runs the dom0 kernel died in, by the harness's reason prefix."""
import os
import tempfile
import unittest

from analysis import cli, load
from analysis.tests import synth


def report(records):
    with tempfile.TemporaryDirectory() as d:
        res = os.path.join(d, 'results.pylist')
        synth.write(res, records)
        out = os.path.join(d, 'analysis')
        cli.analyse([res], out)
        with open(os.path.join(out, 'REPORT.md'), encoding='utf-8') as f:
            return f.read()


class Sessions(unittest.TestCase):
    def test_dom0(self):
        text = report([synth.meta('plain'), synth.run('plain', 'dom0-to-domU', 1, 1, 1, 1.0)])
        self.assertIn('| plain | 6.1.0-test | x86_64 | 2 | dom0 | netns |', text)
        self.assertIn('CPU is dom0 CPU use as % of one dom0 VCPU', text)
        self.assertNotIn('kernel died', text)

    def test_driver_domain(self):
        m = synth.meta('plain', netback_domain='dd32', netback_arch='i686',
                       netback_kernel_release='3.11.0', netback_vcpus=1, xen_flavour='pv32')
        text = report([m, synth.run('plain', 'dom0-to-domU', 1, 1, 1, 1.0)])
        self.assertIn('| dd32 (i686, 3.11.0, 1 VCPU; Xen pv32) |', text)
        self.assertIn('CPU is the CPU use of the domain netback ran in (dd32', text)

    def test_kernel_deaths_counted(self):
        died = synth.run('plain', 'dom0-to-domU', 4, 4, 1, 0, status='failed',
                         reason=load.KERNEL_DIED + ' (oops/BUG, taint D): kernel BUG at '
                                                   'netback.c:709!')
        other = synth.run('plain', 'dom0-to-domU', 4, 3, 1, 0, status='failed',
                          reason='Split-1: iperf server dead')
        text = report([synth.meta('plain'), died, other,
                       synth.run('plain', 'dom0-to-domU', 1, 1, 1, 1.0)])
        self.assertIn('**The dom0 kernel died** (oops/BUG) during 1 run;', text)
        self.assertIn('- plain: 1 (dom0 \u2192 domU 4 VMs 4 streams r1)', text)


if __name__ == '__main__':
    unittest.main()
