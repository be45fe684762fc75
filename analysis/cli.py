"""Command line: results files in, a folder of plots, tables and REPORT.md out.

    /usr/bin/python3 -m analysis [-o OUT] [--prefix V3] results.pylist [more.pylist ...]

OUT defaults to 'analysis' beside the first results file. All input is validated before anything
is written; outputs are written to a temporary folder beside OUT and renamed into place, so OUT is
either the previous complete analysis or the new complete one, never a mix.
"""
import argparse
import os
import shutil
import sys
import tempfile

from . import load as load_mod
from . import plots, report, stats

# Written into every output folder: only a folder holding it may be replaced by a new analysis,
# so a mistyped OUT can never wipe results or anything else.
MARKER = '.vifbench-analysis'


class OutputError(Exception):
    pass


def render(rs, out_dir, prefix, regions=stats.REGIONS):
    """Write every output of result set rs into the existing, empty folder out_dir.
    Returns the list of file names written."""
    plot_files = []
    cases = sorted({(r.direction, r.streams) for r in rs.ok_runs},
                   key=lambda c: (stats.DIRECTION_ORDER.index(c[0]), c[1]))
    for d, s in cases:
        fig, _, _ = plots.throughput_figure(rs, d, s, prefix)
        name = plots.plot_name(prefix, d, s)
        plots.save(fig, os.path.join(out_dir, name))
        plot_files.append(name)
    fairness_files = []
    for d in stats.DIRECTION_ORDER:
        res = plots.fairness_figure(rs, d)
        if res is None:
            continue
        name = plots.fairness_name(d)
        plots.save(res[0], os.path.join(out_dir, name))
        fairness_files.append(name)
    comparisons = stats.compare(rs)
    by_region = [('total Gbit/s', stats.compare_regions(rs, stats.total, regions)),
                 ('dom0 CPU %', stats.compare_regions(rs, stats.cpu, regions)),
                 ("Jain's fairness index", stats.compare_regions(rs, stats.fairness, regions))]
    texts = {
        'verdicts.csv': report.verdict_csv(comparisons),
        'fairness.csv': report.fairness_csv(rs),
        'points.csv': report.points_csv(rs),
        'regions.csv': report.regions_csv(by_region),
        'REPORT.md': report.report_markdown(rs, comparisons, plot_files, fairness_files, prefix,
                                            by_region),
        MARKER: 'Made by vifbench analysis from: %s\n' % ' '.join(rs.paths),
    }
    for name, text in texts.items():
        with open(os.path.join(out_dir, name), 'w', encoding='utf-8') as f:
            f.write(text)
    return plot_files + fairness_files + sorted(texts)


def _check_out(out, inputs):
    out = os.path.abspath(out)
    for p in inputs:
        p = os.path.abspath(p)
        if p == out or p.startswith(out + os.sep):
            raise OutputError('%s: output folder would contain results file %s; choose another OUT'
                              % (out, p))
    if os.path.lexists(out):
        if not os.path.isdir(out) or os.path.islink(out):
            raise OutputError('%s: exists and is not a folder' % out)
        if not os.path.exists(os.path.join(out, MARKER)):
            raise OutputError('%s: exists and was not made by the analysis (no %s); '
                              'refusing to replace it' % (out, MARKER))
    parent = os.path.dirname(out)
    if not os.path.isdir(parent):
        raise OutputError('%s: parent folder does not exist' % parent)
    return out


def analyse(paths, out, prefix='V3', regions=stats.REGIONS, exclusions=None):
    """Load, validate, render into a temp folder beside out, then move it into place.
    Raises ResultsError / OutputError before touching out. Returns the files written."""
    rs = load_mod.load(paths, exclusions)
    if len(rs.kernels) > len(plots.COLOURS):  # bad input too: fail before writing anything
        raise load_mod.ResultsError('%s: %d kernels (%s); at most %d can be told apart by colour'
                                    % (', '.join(paths), len(rs.kernels), ', '.join(rs.kernels),
                                       len(plots.COLOURS)))
    out = _check_out(out, paths)
    parent = os.path.dirname(out)
    tmp = tempfile.mkdtemp(prefix='.%s.tmp-' % os.path.basename(out), dir=parent)
    old = None
    try:
        files = render(rs, tmp, prefix, regions)
        os.chmod(tmp, 0o755)
        if os.path.exists(out):
            old = tempfile.mkdtemp(prefix='.%s.old-' % os.path.basename(out), dir=parent)
            os.rename(out, os.path.join(old, 'previous'))
        try:
            os.rename(tmp, out)
        except OSError:
            if old:  # put the previous analysis back
                os.rename(os.path.join(old, 'previous'), out)
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if old and os.path.isdir(out):  # keep the previous analysis if it could not be put back
            shutil.rmtree(old, ignore_errors=True)
    return [os.path.join(out, f) for f in files]


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog='python3 -m analysis',
        description='Plots, significance and fairness verdicts and REPORT.md from results files '
                    '(docs/results-format.md). Several files of the same plan are combined.')
    ap.add_argument('results', nargs='+', help='results.pylist file(s)')
    ap.add_argument('-o', '--out', help="output folder (default: 'analysis' beside the first "
                                        'results file); replaced as a whole')
    ap.add_argument('--prefix', default='V3', help='plot file name prefix (default V3)')
    ap.add_argument('--regions', default='1-4,5-',
                    help="ranges of N for the region verdicts, e.g. '1-4,5-' (the default: the "
                         "study's 'up to 4 VMs' and 'above 4 VMs')")
    ap.add_argument('--exclude', metavar='FILE',
                    help='exclusion windows (START END REASON a line, UTC): runs overlapping one '
                         'are left out and listed in REPORT.md')
    args = ap.parse_args(argv)
    try:
        regions = stats.parse_regions(args.regions)
    except ValueError as e:
        ap.error('--regions: %s' % e)
    out = args.out or load_mod.default_out_dir(args.results)
    try:
        files = analyse(args.results, out, args.prefix, regions, args.exclude)
    except (load_mod.ResultsError, OutputError, OSError) as e:
        print('analysis: error: %s' % e, file=sys.stderr)
        return 2
    print('analysis: wrote %d files to %s' % (len(files), os.path.abspath(out)))
    print('analysis: report: %s' % os.path.join(os.path.abspath(out), 'REPORT.md'))
    return 0
