# Analysis (analysis/): plots, significance and fairness verdicts, REPORT.md from results files.
#
#   make plots RESULTS=results/x/results.pylist [OUT=dir] [PREFIX=V3] [EXCLUDE=file]
#       RESULTS may name several files of the same plan (quote them). OUT defaults to
#       'analysis' beside the first results file; it is replaced as a whole, atomically.
#       EXCLUDE: windows when the host was disturbed (START END REASON a line, UTC): runs
#       overlapping one are left out of the analysis and listed in REPORT.md.
#   make check-analysis                 unit tests (synthetic result sets, known answers)
#   make check-analysis-netns           the harness's smoke plan (netns, root), then the analysis
#   make check-analysis-results RESULTS=...   the real-data checks on any results file

.PHONY: plots analyse check-analysis check-analysis-netns check-analysis-results clean-analysis

# Only from the command line: PREFIX and OUT are common environment variables (an install prefix
# would otherwise end up in the plot names).
ANALYSIS_OUT := $(if $(filter command line,$(origin OUT)),$(OUT))
ANALYSIS_PREFIX := $(if $(filter command line,$(origin PREFIX)),$(PREFIX),V3)
ANALYSIS_EXCLUDE := $(if $(filter command line,$(origin EXCLUDE)),$(EXCLUDE))

plots analyse:
	@test -n "$(RESULTS)" || { echo "usage: make plots RESULTS=path/results.pylist [OUT=dir] [PREFIX=V3] [EXCLUDE=windows-file]" >&2; exit 2; }
	$(PYTHON) -m analysis $(if $(ANALYSIS_OUT),--out '$(ANALYSIS_OUT)') --prefix '$(ANALYSIS_PREFIX)' $(if $(ANALYSIS_EXCLUDE),--exclude '$(ANALYSIS_EXCLUDE)') $(RESULTS)

check-analysis:
	$(PYTHON) -m unittest discover -s analysis/tests -t . -v

# The harness's smoke plan on the netns backend (two kernel labels, one session each), then the
# analysis on what it measured. Needs root; builds the harness (mk/harness.mk).
check-analysis-netns: harness/vifbench
	VIFBENCH_BIN=$(CURDIR)/harness/vifbench $(PYTHON) -m unittest analysis.tests.netns_smoke -v

# Analyses a real results file (e.g. from the harness's netns test) and checks the output against
# values computed independently from the raw records.
check-analysis-results:
	@test -n "$(RESULTS)" || { echo "usage: make check-analysis-results RESULTS=path/results.pylist" >&2; exit 2; }
	VIFBENCH_RESULTS='$(RESULTS)' $(PYTHON) -m unittest analysis.tests.test_real -v

clean-analysis:
	find analysis -name __pycache__ -type d -prune -exec rm -rf {} +

CHECKS += check-analysis check-analysis-netns
CLEAN += clean-analysis
