"""Read and validate results files (docs/results-format.md).

Everything the analysis needs is checked here, before anything is computed or written, so a bad
file gives one clear error naming the file, the record index and the field.
"""
import ast
import datetime
import os

DIRECTIONS = ('dom0-to-domU', 'domU-to-dom0')
STATUSES = ('ok', 'failed')


class ResultsError(Exception):
    """Bad input: the message names the file, record and field."""


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v):
    # The format says float; an integral value written as an int is still a number.
    return (isinstance(v, (int, float)) and not isinstance(v, bool))


def _is_str(v):
    return isinstance(v, str)


def _is_opt_str(v):
    return v is None or isinstance(v, str)


def _is_opt_num(v):
    return v is None or _is_num(v)


def _list_of(check):
    return lambda v: isinstance(v, list) and all(check(x) for x in v)


def _is_opt_bool(v):
    return v is None or isinstance(v, bool)


def _is_dict(v):
    return isinstance(v, dict)


# (field, check, description used in the error message)
META_FIELDS = (
    ('format', _is_int, 'an int'),
    ('harness_version', _is_str, 'a str'),
    ('backend', _is_str, 'a str'),
    ('kernel', _is_str, 'a str'),
    ('kernel_release', _is_str, 'a str'),
    ('dom0_arch', _is_str, 'a str'),
    ('dom0_vcpus', _is_int, 'an int'),
    ('host', _is_str, 'a str'),
    ('xen_version', _is_opt_str, 'a str or None'),
    ('started', _is_str, 'a str'),
    ('plan_file', _is_str, 'a str'),
    ('plan', _is_dict, 'a dict'),
)

RUN_FIELDS = (
    ('kernel', _is_str, 'a str'),
    ('direction', _is_str, 'a str'),
    ('vms', _is_int, 'an int'),
    ('streams', _is_int, 'an int'),
    ('repeat', _is_int, 'an int'),
    ('duration', _is_int, 'an int'),
    ('guests', _list_of(_is_str), 'a list of str'),
    ('per_guest_gbps', _list_of(_is_num), 'a list of numbers'),
    ('total_gbps', _is_num, 'a number'),
    ('cpu_pct', _is_opt_num, 'a number or None'),
    ('split_evtchn', _list_of(_is_opt_bool), 'a list of bool/None'),
    ('start', _is_str, 'a str'),
    ('elapsed', _is_num, 'a number'),
    ('status', _is_str, 'a str'),
    ('reason', _is_str, 'a str'),
)


class Run:
    """One run record, with where it came from (for error messages and the report)."""

    def __init__(self, rec, path, index, where, meta):
        self.kernel = rec['kernel']
        self.direction = rec['direction']
        self.vms = rec['vms']
        self.streams = rec['streams']
        self.repeat = rec['repeat']
        # Measurements: as recorded; numbers are made floats only for ok runs (a failed run's
        # may be partial or None, and are never used).
        self.per_guest_gbps = rec['per_guest_gbps']
        self.total_gbps = rec['total_gbps']
        self.cpu_pct = rec['cpu_pct']
        if rec['status'] == 'ok':
            self.per_guest_gbps = [float(x) for x in self.per_guest_gbps]
            self.total_gbps = float(self.total_gbps)
            self.cpu_pct = None if self.cpu_pct is None else float(self.cpu_pct)
        self.split_evtchn = rec['split_evtchn']
        self.status = rec['status']
        self.reason = rec['reason']
        self.start = rec['start']
        self.elapsed = rec['elapsed']
        self.excluded = None  # the exclusion window's reason, when one covers this run
        self.path = path
        self.index = index
        self.where = where  # 'file: record i (line l)', i 0-based
        self.meta = meta

    @property
    def ok(self):
        return self.status == 'ok'

    @property
    def identity(self):
        return (self.kernel, self.direction, self.vms, self.streams, self.repeat)


# Present only when netback ran in a driver domain (harness netback_domain = dd32): where the
# traffic end and the CPU figure were (docs/results-format.md).
OPTIONAL_META = ('netback_domain', 'netback_arch', 'netback_kernel_release', 'netback_vcpus',
                 'xen_flavour')

# How a failed run's reason starts when dom0's kernel died (oops/BUG) during it (the harness's
# RESULTS_KERNEL_DIED).
KERNEL_DIED = 'dom0 kernel died during the run'


class Meta:
    def __init__(self, rec, path, index, where):
        self.fields = {name: rec[name] for name, _, _ in META_FIELDS}
        for name in OPTIONAL_META:
            self.fields[name] = rec.get(name)
        self.path = path
        self.index = index
        self.where = where

    def __getitem__(self, key):
        return self.fields[key]


class ResultSet:
    """The runs and sessions of one or more results files of the same plan."""

    def __init__(self, paths, metas, runs, excluded=(), exclusions_path=None):
        self.paths = paths
        self.metas = metas
        self.runs = runs                  # every run record not covered by an exclusion window
        self.excluded = list(excluded)    # those that are (run.excluded says why)
        self.exclusions_path = exclusions_path

    @property
    def ok_runs(self):
        return [r for r in self.runs if r.ok]

    @property
    def failed_runs(self):
        return [r for r in self.runs if not r.ok]

    @property
    def kernels(self):
        """Kernel labels in order of first appearance among the runs: this order picks the colours
        and the baseline (the first kernel)."""
        seen = []
        for r in self.runs:
            if r.kernel not in seen:
                seen.append(r.kernel)
        return seen

    @property
    def plan(self):
        return self.metas[0]['plan'] if self.metas else None


def _check_fields(rec, fields, where):
    for name, check, desc in fields:
        if name not in rec:
            raise ResultsError('%s: missing field %r' % (where, name))
        if not check(rec[name]):
            raise ResultsError('%s: field %r must be %s, got %r' % (where, name, desc, rec[name]))


# A failed run keeps whatever was measured before it failed, possibly nothing (the harness writes
# e.g. guests [None, None] when they never started). Readers never use it for means, so for failed
# runs only these fields are type-checked; the others need only be present.
FAILED_CHECKED = frozenset(('kernel', 'direction', 'vms', 'streams', 'repeat', 'status', 'reason'))


def _check_run(rec, where):
    if rec.get('status') == 'failed':
        for name, _, _ in RUN_FIELDS:
            if name not in rec:
                raise ResultsError('%s: missing field %r' % (where, name))
        _check_fields(rec, [f for f in RUN_FIELDS if f[0] in FAILED_CHECKED], where)
    else:
        _check_fields(rec, RUN_FIELDS, where)
    if rec['direction'] not in DIRECTIONS:
        raise ResultsError('%s: field %r must be one of %s, got %r'
                           % (where, 'direction', ', '.join(DIRECTIONS), rec['direction']))
    if rec['status'] not in STATUSES:
        raise ResultsError('%s: field %r must be one of %s, got %r'
                           % (where, 'status', ', '.join(STATUSES), rec['status']))
    for name in ('vms', 'streams', 'repeat'):
        if rec[name] < 1:
            raise ResultsError('%s: field %r must be >= 1, got %r' % (where, name, rec[name]))
    if rec['status'] != 'ok':
        return  # a failed run keeps what it measured, which may be partial
    n = rec['vms']
    for name in ('guests', 'per_guest_gbps', 'split_evtchn'):
        if len(rec[name]) != n:
            raise ResultsError('%s: ok run with vms=%d has %d entries in %r'
                               % (where, n, len(rec[name]), name))
    if any(x < 0 for x in rec['per_guest_gbps']) or rec['total_gbps'] < 0:
        raise ResultsError('%s: negative throughput' % where)
    # total_gbps is documented as the sum of per_guest_gbps; allow for rounding by the writer.
    total = sum(rec['per_guest_gbps'])
    if abs(total - rec['total_gbps']) > 0.001 * n + 1e-6 * abs(total):
        raise ResultsError('%s: field %r is %r but per_guest_gbps sums to %r'
                           % (where, 'total_gbps', rec['total_gbps'], total))


def parse_file(path, text):
    """Parse one results file's text; return (metas, runs). Raises ResultsError."""
    try:
        tree = ast.parse(text, mode='eval')
        data = ast.literal_eval(tree)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError) as e:
        line = getattr(e, 'lineno', None)
        at = ' (line %d)' % line if line else ''
        raise ResultsError('%s: not a Python literal%s: %s' % (path, at, e)) from None
    if not isinstance(data, list):
        raise ResultsError('%s: not a Python list of records (got a %s)'
                           % (path, type(data).__name__))
    lines = [elt.lineno for elt in tree.body.elts]  # where each record starts, for messages
    metas, runs = [], []
    for i, rec in enumerate(data):
        where = '%s: record %d (line %d)' % (path, i, lines[i])
        if not isinstance(rec, dict):
            raise ResultsError('%s: not a dict (got a %s)' % (where, type(rec).__name__))
        if 'record' not in rec:
            raise ResultsError('%s: missing field %r' % (where, 'record'))
        kind = rec['record']
        if kind == 'meta':
            _check_fields(rec, META_FIELDS, where)
            metas.append(Meta(rec, path, i, where))
        elif kind == 'run':
            _check_run(rec, where)
            if not metas:
                raise ResultsError('%s: run record before any meta record' % where)
            runs.append(Run(rec, path, i, where, metas[-1]))
        # other kinds: ignored, as the format says
    return metas, runs


# Plan keys that describe a session or where it ran, not the experiment: they may differ between
# sessions of one plan (e.g. the harness's 'kernel' names the kernel running now on netns, and
# 'results' differs when two files are combined). Every other key, known or not, must be equal.
# 'repeats' too: a plan is often run repeat by repeat (--repeats 1, then 2, then 3, every kernel
# each time, so that each kernel's repeat r ran close in time); every run records its own repeat.
# 'client_addrs' too: which dom0 addresses the clients alternate between (a way around an iperf
# 2.1.8 server bug) is how the harness drives iperf, not what is measured; runs record their own.
SESSION_PLAN_KEYS = frozenset(('kernel', 'results', 'port', 'guest_start_timeout', 'iperf_margin',
                               'repeats', 'client_addrs'))


def _plan_diff(a, b):
    keys = sorted((set(a) | set(b)) - SESSION_PLAN_KEYS)
    return [k for k in keys if a.get(k, '<absent>') != b.get(k, '<absent>')]


def _utc(text, where):
    try:
        return datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%SZ').replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        raise ResultsError('%s: %r is not a UTC time like 2026-12-02T06:00:00Z' % (where, text)) \
            from None


def load_exclusions(path):
    """An exclusions file: one window a line, `START END REASON` (UTC, 2026-12-02T06:00:00Z),
    '#' comments. Returns [(start, end, reason)]. Windows when the host was disturbed: runs that
    overlap one are left out of the analysis (and listed), never deleted from the results."""
    try:
        with open(path, encoding='utf-8') as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise ResultsError('%s: cannot read: %s' % (path, e)) from None
    out = []
    for i, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        where = '%s: line %d' % (path, i)
        parts = line.split(None, 2)
        if len(parts) < 3:
            raise ResultsError('%s: want START END REASON' % where)
        start, end = _utc(parts[0], where), _utc(parts[1], where)
        if end <= start:
            raise ResultsError('%s: END %s is not after START %s' % (where, parts[1], parts[0]))
        out.append((start, end, parts[2]))
    return out


def _covered(run, windows):
    """The reason of the first window overlapping the run's [start, start + elapsed], or None."""
    try:
        t0 = _utc(run.start, run.where)
    except ResultsError:
        return None  # a start time the harness did not write: cannot be placed, so kept
    t1 = t0 + datetime.timedelta(seconds=float(run.elapsed))
    for start, end, reason in windows:
        if t0 < end and t1 > start:
            return reason
    return None


def load(paths, exclusions=None):
    """Load and validate results files of the same plan into one ResultSet; runs overlapping a
    window of the exclusions file (if given) are set aside in ResultSet.excluded."""
    if not paths:
        raise ResultsError('no results file given')
    metas, runs = [], []
    for path in paths:
        try:
            with open(path, encoding='utf-8') as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as e:
            raise ResultsError('%s: cannot read: %s' % (path, e)) from None
        m, r = parse_file(path, text)
        metas.extend(m)
        runs.extend(r)
    for m in metas[1:]:
        diff = _plan_diff(metas[0]['plan'], m['plan'])
        if diff:
            raise ResultsError('%s: plan differs from %s (keys %s): mixed plans cannot be '
                               'combined' % (m.where, metas[0].where, ', '.join(diff)))
    seen = {}
    for r in runs:
        if not r.ok:
            continue
        if r.identity in seen:
            first = seen[r.identity]
            raise ResultsError('%s: second ok record for run %s (first: %s)'
                               % (r.where, _ident_str(r.identity), first.where))
        seen[r.identity] = r
    windows = load_exclusions(exclusions) if exclusions else []
    kept, excluded = [], []
    for r in runs:
        r.excluded = _covered(r, windows)
        (excluded if r.excluded else kept).append(r)
    if not any(r.ok for r in kept):
        raise ResultsError('%s: no ok run records%s' % (', '.join(paths),
                           ' outside the exclusion windows' if excluded else ''))
    return ResultSet(list(paths), metas, kept, excluded, exclusions)


def _ident_str(ident):
    kernel, direction, vms, streams, repeat = ident
    return '(kernel=%r, direction=%r, vms=%d, streams=%d, repeat=%d)' % (
        kernel, direction, vms, streams, repeat)


def default_out_dir(paths):
    """Default output folder: 'analysis' beside the first results file."""
    return os.path.join(os.path.dirname(os.path.abspath(paths[0])), 'analysis')
