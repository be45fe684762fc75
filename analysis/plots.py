"""The study's figures: throughput (+-1 SD) and dom0 CPU against the number of VMs, and fairness.

Functions return matplotlib Figures (Agg backend, no display needed) so tests can inspect what is
drawn; save() writes them as PNG.
"""
import math

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402 (after choosing the backend)

from . import stats  # noqa: E402

# (total, per-VM mean) colours by kernel order, as in the study: plain red/orange, patched
# blue/purple. Green is kept for CPU.
COLOURS = [('red', 'orange'), ('blue', 'purple'), ('black', 'grey'), ('brown', 'tan'),
           ('magenta', 'pink'), ('darkgoldenrod', 'gold')]
CPU_COLOUR = 'green'
CPU_MARKERS = ['o', 's', '^', 'D', 'v', 'P']
STREAM_STYLES = ['-', '--', '-.', ':']
STREAM_MARKERS = ['o', 's', '^', 'D', 'v', 'P', 'X', '*']

DIRECTION_TITLE = {'dom0-to-domU': 'dom0 \u2192 domU', 'domU-to-dom0': 'domU \u2192 dom0'}
DIRECTION_FILE = {'dom0-to-domU': 'split', 'domU-to-dom0': 'reverse-split'}


def colours(kernels):
    if len(kernels) > len(COLOURS):
        raise ValueError('%d kernels: only %d can be told apart by colour'
                         % (len(kernels), len(COLOURS)))
    return {k: COLOURS[i] for i, k in enumerate(kernels)}


def plot_name(prefix, direction, streams):
    return '%s-%s-%d.png' % (prefix, DIRECTION_FILE[direction], streams)


def fairness_name(direction):
    return 'fairness-%s.png' % DIRECTION_FILE[direction]


def _sd(s):
    # No error bar (NaN) where the SD is undefined (one repeat), rather than a fake zero.
    return s.sd if s.sd is not None else math.nan


def _series(summ, direction, streams, kernel):
    """Sorted (vms, Summary) of one kernel at one (direction, streams)."""
    pts = [(k[2], s) for k, s in summ.items() if k[0] == direction and k[1] == streams
           and k[3] == kernel]
    return sorted(pts, key=lambda p: p[0])


def _errorbar(ax, pts, **kw):
    xs = [n for n, _ in pts]
    ys = [s.mean for _, s in pts]
    es = [_sd(s) for _, s in pts]
    if all(math.isnan(e) for e in es):
        es = None  # matplotlib cannot take error bars that are all NaN; there are none to draw
    # clip_on=False: the axis ends exactly at max N, and the last point should still show whole.
    return ax.errorbar(xs, ys, yerr=es, capsize=3, clip_on=False, **kw)


def _plural(n, word):
    return '%d %s%s' % (n, word, '' if n == 1 else 's')


def throughput_figure(rs, direction, streams, prefix=''):
    """Gbit/s (total and per-VM mean, +-1 SD) on the left axis and dom0 CPU on the right, against
    the number of VMs, one set of lines per kernel. Returns (figure, left axis, right axis)."""
    kernels = rs.kernels
    col = colours(kernels)
    tot = stats.summarise(rs.runs, stats.total)
    pvm = stats.summarise(rs.runs, stats.per_vm)
    cpu = stats.summarise(rs.runs, stats.cpu)

    fig, ax = plt.subplots(figsize=(8, 6))
    ax2 = ax.twinx()
    max_n = 0
    for i, k in enumerate(kernels):
        t = _series(tot, direction, streams, k)
        if not t:
            continue
        max_n = max(max_n, t[-1][0])
        _errorbar(ax, t, color=col[k][0], marker='o', linestyle='-', label='%s total' % k)
        _errorbar(ax, _series(pvm, direction, streams, k), color=col[k][1], marker='o',
                  linestyle='-', label='%s per-VM mean' % k)
        c = _series(cpu, direction, streams, k)
        if c:
            _errorbar(ax2, c, color=CPU_COLOUR, marker=CPU_MARKERS[i % len(CPU_MARKERS)],
                      linestyle=':', label='%s dom0 CPU' % k)
    if max_n == 0:
        plt.close(fig)
        raise ValueError('no ok runs for %s, %s' % (direction, _plural(streams, 'stream')))

    ax.set_xlim(0, max_n)
    ax.set_xticks(range(0, max_n + 1))
    # From 0, with headroom so the highest line (often CPU at n x 100 %) is not drawn on the frame.
    for a in (ax, ax2):
        a.set_ylim(0, a.get_ylim()[1] * 1.08)
    ax.set_xlabel('number of VMs')
    ax.set_ylabel('throughput (Gbit/s)')
    ax2.set_ylabel('dom0 CPU (% of one dom0 VCPU)')
    title = '%s, %s per VM' % (DIRECTION_TITLE[direction], _plural(streams, 'TCP stream'))
    ax.set_title('%s: %s' % (prefix, title) if prefix else title)
    ax.grid(True, alpha=0.3)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    # Below the plot, so it never hides a line.
    ax.legend(h1 + h2, l1 + l2, loc='upper center', bbox_to_anchor=(0.5, -0.12),
              ncol=min(3, len(h1 + h2)), fontsize='small')
    fig.tight_layout()
    return fig, ax, ax2


def fairness_figure(rs, direction):
    """Jain's index (mean +-1 SD over repeats) against N >= 2, a line per kernel and stream count.
    Returns (figure, axis), or None when no run of this direction has N >= 2."""
    kernels = rs.kernels
    col = colours(kernels)
    fair = stats.summarise(rs.runs, stats.fairness)
    streams = sorted({k[1] for k in fair if k[0] == direction})
    if not streams:
        return None
    fig, ax = plt.subplots(figsize=(8, 6))
    max_n = 0
    for k in kernels:
        for j, s in enumerate(streams):
            pts = _series(fair, direction, s, k)
            if not pts:
                continue
            max_n = max(max_n, pts[-1][0])
            _errorbar(ax, pts, color=col[k][0], linestyle=STREAM_STYLES[j % len(STREAM_STYLES)],
                      marker=STREAM_MARKERS[j % len(STREAM_MARKERS)],
                      label='%s, %s' % (k, _plural(s, 'stream')))
    ax.set_xlim(0, max_n)
    ax.set_xticks(range(0, max_n + 1))
    ax.set_ylim(0, 1.05)
    ax.set_xlabel('number of VMs')
    ax.set_ylabel("Jain's fairness index over guests")
    ax.set_title('%s: fairness between guests (1 = equal shares)' % DIRECTION_TITLE[direction])
    ax.grid(True, alpha=0.3)
    ax.legend(loc='upper center', bbox_to_anchor=(0.5, -0.12), ncol=4, fontsize='small')
    fig.tight_layout()
    return fig, ax


def save(fig, path):
    fig.savefig(path, dpi=100)
    plt.close(fig)
