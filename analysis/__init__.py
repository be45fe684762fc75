"""vifbench analysis: the 2013 study's plots, significance and fairness verdicts from results files.

Modules: load (read + validate), stats (means, Welch's t, Jain), plots (matplotlib figures),
report (tables, REPORT.md), cli (command line, atomic output).
"""
