"""Reading and validating results files: good files load, bad ones give one clear error naming the
file, the record index and the field."""
import copy
import os
import tempfile
import unittest

from analysis import load
from analysis.tests import synth


class TmpDir(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.dir = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def write(self, name, records):
        path = os.path.join(self.dir, name)
        synth.write(path, records)
        return path

    def write_text(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, 'w') as f:
            f.write(text)
        return path


class GoodFiles(TmpDir):
    def test_standard_set(self):
        recs = synth.standard()
        rs = load.load([self.write('r.pylist', recs)])
        self.assertEqual(rs.kernels, ['plain', 'patched'])
        self.assertEqual(len(rs.metas), 2)
        n_runs = sum(1 for r in recs if r['record'] == 'run')
        n_failed = sum(1 for r in recs if r['record'] == 'run' and r['status'] == 'failed')
        self.assertEqual(len(rs.runs), n_runs)
        self.assertEqual(len(rs.failed_runs), n_failed)
        self.assertEqual(n_failed, 4)
        # Each run belongs to the session of the meta record before it.
        self.assertTrue(all(r.meta['kernel'] == r.kernel for r in rs.runs))

    def test_unknown_kinds_and_keys_ignored(self):
        recs = synth.standard()
        recs.insert(1, {'record': 'note', 'text': 'rebooted'})
        recs[2]['future_key'] = [1, 2]
        recs[0]['another'] = None
        rs = load.load([self.write('r.pylist', recs)])
        self.assertEqual(len(rs.runs), sum(1 for r in recs if r['record'] == 'run'))

    def test_int_for_float_accepted(self):
        recs = [synth.meta('plain'), synth.run('plain', 'dom0-to-domU', 2, 1, 1, 0,
                                               per_guest=[3, 4])]
        recs[1]['cpu_pct'] = 100
        recs[1]['total_gbps'] = 7
        rs = load.load([self.write('r.pylist', recs)])
        self.assertEqual(rs.runs[0].total_gbps, 7.0)
        self.assertEqual(rs.runs[0].cpu_pct, 100.0)

    def test_kernel_order_is_first_appearance(self):
        recs = [synth.meta('zeta')] + synth.kernel_runs('plain', 0, vms=[1])
        recs[1]['kernel'] = 'zeta'
        rs = load.load([self.write('r.pylist', recs)])
        self.assertEqual(rs.kernels, ['zeta', 'plain'])

    def test_two_files_same_plan_combined(self):
        plain = [synth.meta('plain')] + synth.kernel_runs('plain', 0)
        patched = [synth.meta('patched')] + synth.kernel_runs('patched', 1)
        a = self.write('a.pylist', plain)
        b = self.write('b.pylist', patched)
        rs = load.load([b, a])
        self.assertEqual(rs.kernels, ['patched', 'plain'])  # order follows the files given
        self.assertEqual(len(rs.ok_runs), len(plain) + len(patched) - 2)
        self.assertEqual(rs.paths, [b, a])

    def test_failed_then_ok_same_identity_is_fine(self):
        recs = [synth.meta('plain'),
                synth.run('plain', 'dom0-to-domU', 1, 1, 1, 0, status='failed', reason='x',
                          per_guest=[]),
                synth.meta('plain'),
                synth.run('plain', 'dom0-to-domU', 1, 1, 1, 5.0)]
        rs = load.load([self.write('r.pylist', recs)])
        self.assertEqual(len(rs.ok_runs), 1)
        self.assertEqual(len(rs.failed_runs), 1)

    def test_default_out_dir(self):
        self.assertEqual(load.default_out_dir(['/x/y/results.pylist', '/z/r.pylist']),
                         '/x/y/analysis')


class BadFiles(TmpDir):
    def assertError(self, path, *parts):
        with self.assertRaises(load.ResultsError) as cm:
            load.load([path] if isinstance(path, str) else path)
        msg = str(cm.exception)
        for p in parts:
            self.assertIn(p, msg)
        return msg

    def base(self):
        return [synth.meta('plain'),
                synth.run('plain', 'dom0-to-domU', 2, 1, 1, 10.0),
                synth.run('plain', 'dom0-to-domU', 2, 1, 2, 11.0)]

    def test_not_a_literal(self):
        p = self.write_text('r.pylist', "[{'record': 'meta'},\n open('x')]\n")
        self.assertError(p, p, 'not a Python literal')

    def test_syntax_error_names_line(self):
        p = self.write_text('r.pylist', "[{'record': 'meta'},\n\n {'record': 'run',,}]\n")
        self.assertError(p, p, 'line 3')

    def test_not_a_list(self):
        p = self.write_text('r.pylist', "{'record': 'meta'}\n")
        self.assertError(p, p, 'not a Python list', 'dict')

    def test_empty_file(self):
        p = self.write_text('r.pylist', '')
        self.assertError(p, p, 'not a Python literal')

    def test_missing_file(self):
        p = os.path.join(self.dir, 'nope.pylist')
        self.assertError(p, p, 'cannot read')

    def test_record_not_a_dict(self):
        recs = self.base()
        recs.insert(2, ['run'])
        self.assertError(self.write('r.pylist', recs), 'record 2', 'not a dict')

    def test_record_without_kind(self):
        recs = self.base()
        del recs[1]['record']
        self.assertError(self.write('r.pylist', recs), 'record 1', "missing field 'record'")

    def test_every_missing_run_field(self):
        for name, _, _ in load.RUN_FIELDS:
            with self.subTest(field=name):
                recs = self.base()
                del recs[2][name]
                p = self.write('r.pylist', recs)
                self.assertError(p, p, 'record 2', "missing field '%s'" % name)

    def test_every_missing_meta_field(self):
        for name, _, _ in load.META_FIELDS:
            with self.subTest(field=name):
                recs = self.base()
                del recs[0][name]
                self.assertError(self.write('r.pylist', recs), 'record 0',
                                 "missing field '%s'" % name)

    def test_wrong_types(self):
        cases = [('vms', '2'), ('vms', True), ('vms', 2.0), ('streams', None),
                 ('per_guest_gbps', [5.0, 'x']), ('per_guest_gbps', 5.0), ('total_gbps', '10'),
                 ('total_gbps', False), ('cpu_pct', 'high'), ('guests', ['vb-1', 2]),
                 ('split_evtchn', [True, 1]), ('kernel', None), ('reason', None)]
        for name, value in cases:
            with self.subTest(field=name, value=value):
                recs = self.base()
                recs[1][name] = value
                self.assertError(self.write('r.pylist', recs), 'record 1', "field '%s'" % name)

    def test_meta_wrong_type(self):
        recs = self.base()
        recs[0]['plan'] = ['kernels']
        self.assertError(self.write('r.pylist', recs), 'record 0', "field 'plan'")

    def test_bad_values(self):
        cases = [('direction', 'up'), ('status', 'maybe'), ('vms', 0), ('repeat', 0),
                 ('streams', -1)]
        for name, value in cases:
            with self.subTest(field=name, value=value):
                recs = self.base()
                recs[1][name] = value
                self.assertError(self.write('r.pylist', recs), 'record 1', "field '%s'" % name)

    def test_ok_run_with_wrong_number_of_guests(self):
        recs = self.base()
        recs[1]['per_guest_gbps'] = [10.0]
        recs[1]['total_gbps'] = 10.0
        self.assertError(self.write('r.pylist', recs), 'record 1', 'per_guest_gbps', 'vms=2')

    def test_failed_run_may_be_partial(self):
        recs = self.base()
        recs[1].update(status='failed', reason='guest died', per_guest_gbps=[1.0],
                       total_gbps=1.0, guests=['vb-1'], split_evtchn=[None])
        rs = load.load([self.write('r.pylist', recs)])
        self.assertEqual(len(rs.failed_runs), 1)

    def test_failed_run_measurements_not_type_checked(self):
        # As the harness writes it when guests never started.
        recs = self.base()
        recs[1].update(status='failed', reason='guests did not start', guests=[None, None],
                       per_guest_gbps=[], total_gbps=0.0, cpu_pct=None, split_evtchn=[],
                       elapsed=0.0)
        rs = load.load([self.write('r.pylist', recs)])
        self.assertEqual(len(rs.failed_runs), 1)

    def test_failed_run_identity_still_checked(self):
        for name, value in (('vms', None), ('direction', 'sideways'), ('reason', None)):
            with self.subTest(field=name):
                recs = self.base()
                recs[1].update(status='failed', reason='x')
                recs[1][name] = value
                self.assertError(self.write('r.pylist', recs), 'record 1', "field '%s'" % name)

    def test_failed_run_fields_must_be_present(self):
        recs = self.base()
        recs[1].update(status='failed', reason='x')
        del recs[1]['guests']
        self.assertError(self.write('r.pylist', recs), 'record 1', "missing field 'guests'")

    def test_total_not_sum(self):
        recs = self.base()
        recs[2]['total_gbps'] += 1.0
        self.assertError(self.write('r.pylist', recs), 'record 2', 'total_gbps')

    def test_total_rounding_tolerated(self):
        recs = self.base()
        recs[2]['total_gbps'] += 0.0015  # 2 guests rounded to 3 decimals each
        load.load([self.write('r.pylist', recs)])

    def test_duplicate_ok_identity(self):
        recs = self.base()
        recs.append(copy.deepcopy(recs[1]))
        p = self.write('r.pylist', recs)
        msg = self.assertError(p, 'record 3', 'second ok record', 'record 1')
        self.assertIn("vms=2", msg)

    def test_duplicate_across_files(self):
        a = self.write('a.pylist', self.base())
        b = self.write('b.pylist', self.base())
        self.assertError([a, b], b, 'second ok record', a)

    def test_mixed_plans(self):
        a = self.write('a.pylist', self.base())
        other = self.base()
        other[0]['plan']['duration'] = 120
        for r in other[1:]:
            r['kernel'] = 'patched'
        b = self.write('b.pylist', other)
        self.assertError([a, b], b, 'record 0', 'mixed plans', 'duration')

    def test_repeats_may_differ(self):
        # a plan run repeat by repeat: --repeats 1 for every kernel, then --repeats 2
        recs = self.base()
        m = synth.meta('plain')
        m['plan']['repeats'] = 1
        recs.insert(0, m)
        rs = load.load([self.write('r.pylist', recs)])
        self.assertEqual(rs.kernels, ['plain'])

    def test_client_addrs_may_differ(self):
        # a file begun before the plan set client_addrs, resumed after: one session without
        # the key, one with it; the runs of the second record their client_addr
        recs = self.base()
        m = synth.meta('plain')
        m['plan']['client_addrs'] = ['198.18.0.1', '198.18.0.2']
        recs.append(m)
        recs.append(dict(synth.run('plain', 'dom0-to-domU', 2, 1, 3, 12.0), client_addr='198.18.0.2'))
        rs = load.load([self.write('c.pylist', recs)])
        self.assertEqual(rs.kernels, ['plain'])
        self.assertEqual(len(rs.runs), 3)

    def test_session_keys_may_differ(self):
        # netns: the plan's 'kernel' names the kernel of the session; 'results' the file.
        a_recs = self.base()
        a_recs[0]['plan'].update(kernel='plain', results='a.pylist', port=5001)
        b_recs = self.base()
        b_recs[0]['plan'].update(kernel='patched', results='b.pylist', port=5002)
        for r in b_recs[1:]:
            r['kernel'] = 'patched'
        rs = load.load([self.write('a.pylist', a_recs), self.write('b.pylist', b_recs)])
        self.assertEqual(rs.kernels, ['plain', 'patched'])

    def test_unknown_plan_key_must_match(self):
        recs = self.base()
        m = synth.meta('plain')
        m['plan']['guest_memory_mb'] = 256
        recs.append(m)
        self.assertError(self.write('r.pylist', recs), 'record 3', 'mixed plans',
                         'guest_memory_mb')

    def test_mixed_plans_in_one_file(self):
        recs = self.base()
        m = synth.meta('plain')
        m['plan']['vms'] = [1, 2, 3]
        recs.append(m)
        self.assertError(self.write('r.pylist', recs), 'record 3', 'mixed plans', 'vms')

    def test_run_before_meta(self):
        recs = self.base()
        recs = recs[1:] + recs[:1]
        self.assertError(self.write('r.pylist', recs), 'record 0', 'before any meta')

    def test_no_ok_runs(self):
        recs = self.base()[:1]
        self.assertError(self.write('r.pylist', recs), 'no ok run')

    def test_no_files(self):
        self.assertError([], 'no results file')


if __name__ == '__main__':
    unittest.main()
