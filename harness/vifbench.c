/*
 * vifbench: runs the iperf matrix of the 2013 xen-netback study on a host
 * backend and records every run in a crash-safe Python-literal file.
 *
 *   vifbench plan PLAN [--key value ...]      list runs, count, ETA
 *   vifbench run PLAN [--key value ...]       run (or resume) the plan
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "backend.h"
#include "kernel_health.h"
#include "dd_relay.h"
#include "iperf_csv.h"
#include "options.h"
#include "plan.h"
#include "pylit.h"
#include "results.h"
#include "runcmd.h"

#define RUN_OVERHEAD_S 0.5  /* ETA: client start, parse, record */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vifbench plan PLAN [--key value ...]\n"
		"       vifbench run PLAN [--key value ...]\n"
		"       vifbench clone PLAN [--key value ...]\n"
		"       vifbench --version | --help\n"
		"\n"
		"plan  print every run of PLAN in order, the count and an estimated time\n"
		"      (runs already recorded ok in the results file are marked done)\n"
		"run   run PLAN, appending to the results file; rerun to resume\n"
		"clone make guests 1..max(vms) from the template (xen; netns: nothing)\n"
		"\n"
		"Every key of a plan file (`key = value`, # comments) is also an option\n"
		"(--key value or --key=value), which overrides the file:\n");
	if (f == stdout)
		opt_print_help();
	fprintf(f,
		"\n"
		"Exit status of run: 0 every run of this kernel ok; 1 matrix done, some runs\n"
		"still failed (recorded; rerun to retry them); 2 bad input (nothing started);\n"
		"3 this kernel's runs done, other kernels remain (boot the next, rerun);\n"
		"128+N interrupted by signal N (the run in flight is not recorded).\n");
}

static int bad_input(const struct err *e)
{
	progress_clear();
	fprintf(stderr, "vifbench: %s\n", e->msg);
	return EXIT_BAD_INPUT;
}

/* Parse "plan|run PLAN --key value ..." into the plan. */
static int parse_args(int argc, char **argv, struct plan *p, struct err *e)
{
	const char *plan_path = NULL;
	struct plan cli;
	int rc = 0;

	plan_init(&cli);
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "--", 2) && a[2]) {
			const char *eq = strchr(a, '=');
			char key[64];

			if (eq) {
				snprintf(key, sizeof(key), "%.*s", (int)(eq - a - 2), a + 2);
				rc = plan_set_cli(&cli, key, eq + 1, e);
			} else if (i + 1 < argc) {
				snprintf(key, sizeof(key), "%s", a + 2);
				rc = plan_set_cli(&cli, key, argv[++i], e);
			} else {
				rc = err_set(e, "command line: %s needs a value", a);
			}
			if (rc < 0)
				goto out;
		} else if (!plan_path) {
			plan_path = a;
		} else {
			rc = err_set(e, "command line: unexpected argument '%s' (one PLAN only)", a);
			goto out;
		}
	}
	if (!plan_path) {
		rc = err_set(e, "command line: %s needs a PLAN file (see vifbench --help)", argv[1]);
		goto out;
	}
	if (plan_read_file(p, plan_path, e) < 0) {
		rc = -1;
		goto out;
	}
	/* Command-line values win over the file's. */
	for (int k = 0; k < K_NKEYS; k++) {
		if (!cli.v[k].set)
			continue;
		free(p->v[k].raw);
		p->v[k].raw = xstrdup(cli.v[k].raw);
		p->v[k].set = true;
		memcpy(p->v[k].where, cli.v[k].where, sizeof(p->v[k].where));
	}
	rc = plan_finish(p, e);
out:
	plan_free(&cli);
	return rc;
}

/* ---- plan ---- */

static int cmd_plan(int argc, char **argv)
{
	struct plan p;
	struct err e;
	struct runlist l;
	struct results r;
	const struct backend_ops *ops;
	size_t done = 0;
	double eta = 0, iperf_s = 0;
	char hms[32];

	plan_init(&p);
	if (parse_args(argc, argv, &p, &e) < 0)
		return bad_input(&e);
	ops = backend_find(p.v[K_BACKEND].str);
	if (results_peek(&r, p.v[K_RESULTS].str, &e) < 0)
		return bad_input(&e);
	plan_expand(&p, &l);
	printf("plan %s: backend %s, results %s\n", p.file, ops->name, p.v[K_RESULTS].str);
	for (size_t k = 0; k < l.n; k++) {
		const struct run *x = &l.r[k];
		bool ok = results_has_ok(&r, x->kernel, x->direction, x->vms, x->streams, x->repeat);

		if (k == 0 || x->group != l.r[k - 1].group) {
			bool todo = false;

			printf("kernel %s, N=%ld, repeat %ld: start %ld guests\n", x->kernel,
			       x->vms, x->repeat, x->vms);
			for (size_t j = k; j < l.n && l.r[j].group == x->group; j++)
				todo |= !results_has_ok(&r, l.r[j].kernel, l.r[j].direction,
							l.r[j].vms, l.r[j].streams, l.r[j].repeat);
			if (todo)
				eta += ops->start_estimate_s((unsigned)x->vms);
		}
		printf("  %4zu  %-8s vms=%-3ld streams=%-2ld repeat=%-2ld %-13s%s\n", k + 1,
		       x->kernel, x->vms, x->streams, x->repeat, x->direction,
		       ok ? "  done" : "");
		if (ok) {
			done++;
		} else {
			iperf_s += (double)p.v[K_DURATION].num;
			eta += (double)p.v[K_DURATION].num + RUN_OVERHEAD_S;
		}
	}
	fmt_hms(eta, hms);
	printf("runs: %zu in %zu guest starts; already ok: %zu; to do: %zu\n", l.n, l.ngroups,
	       done, l.n - done);
	if (p.v[K_CLIENT_ADDRS].nwords) {
		printf("client source addresses, one per run in turn:");
		for (size_t k = 0; k < p.v[K_CLIENT_ADDRS].nwords; k++)
			printf(" %s", p.v[K_CLIENT_ADDRS].words[k]);
		printf("\n");
	}
	printf("estimated time: %s (%.0f s of iperf, plus guest starts and %.1f s per run)\n",
	       hms, iperf_s, RUN_OVERHEAD_S);
	runlist_free(&l);
	results_close(&r);
	plan_free(&p);
	return 0;
}

/* ---- run ---- */

struct session {
	struct plan plan;
	struct backend be;
	struct results res;
	struct runlist runs;
	const char *kernel;
	size_t total_todo, done_now;
	double eta_left;
	/* progress of the run in flight */
	size_t cur_index;
	double cur_start;
	int failed;
	double session_start;
	/* dom0's kernel died (oops/BUG: taint D) during this session: what it
	 * said; died_before: it had already died before, so we cannot tell */
	bool died, died_before;
	char death[512];
	/* runs started in this session, retries included: run k's probes and
	 * clients use the plan's client_addrs[k % n] (plan_client_addr) */
	unsigned long run_seq;
};

/* Has the kernel died since the session started?  Logged once. */
static bool check_death(struct session *s)
{
	if (s->died)
		return true;
	if (s->died_before || !(kernel_taint() & TAINT_DIE_BIT))
		return false;
	s->died = true;
	kernel_death_line(s->death, sizeof(s->death));
	if (!s->death[0])
		snprintf(s->death, sizeof(s->death), "no oops line found in the kernel log");
	logf_("dom0 kernel died (oops/BUG, taint D): %s", s->death);
	return true;
}

static void tick(void *arg)
{
	struct session *s = arg;
	const struct run *x = &s->runs.r[s->cur_index];
	double in_run = now_mono() - s->cur_start;
	char hms[32];

	fmt_hms(s->eta_left - in_run, hms);
	progress("[%zu/%zu] %s N=%ld streams=%ld repeat=%ld %s %4.0fs/%lds  ETA %s",
		 s->done_now + 1, s->total_todo, x->kernel, x->vms, x->streams, x->repeat,
		 x->direction, in_run, s->plan.v[K_DURATION].num, hms);
}

/* src: the run's source address (client_addrs), NULL if it never started */
static void add_common(struct buf *b, const struct session *s, const struct run *x,
		       const struct guest *g, const char *src)
{
	buf_adds(b, "{'record': 'run', 'kernel': ");
	pyl_str(b, x->kernel);
	buf_adds(b, ", 'direction': ");
	pyl_str(b, x->direction);
	buf_addf(b, ", 'vms': %ld, 'streams': %ld, 'repeat': %ld, 'duration': %ld, 'guests': [",
		 x->vms, x->streams, x->repeat, s->plan.v[K_DURATION].num);
	/* No guests (they did not start): an empty list. */
	for (long i = 0; g && i < x->vms; i++) {
		buf_adds(b, i ? ", " : "");
		pyl_str(b, g[i].name);
	}
	buf_adds(b, "]");
	/* only with client_addrs: records read as before the key existed */
	if (s->plan.v[K_CLIENT_ADDRS].nwords) {
		buf_adds(b, ", 'client_addr': ");
		pyl_str(b, src);
	}
}

static int record(struct session *s, struct buf *rec)
{
	struct err e;

	if (results_append(&s->res, rec->p, &e) < 0) {
		/* Losing results silently is worse than stopping. */
		logf_("cannot record: %s", e.msg);
		return -1;
	}
	return 0;
}

/* A run that never started (guests failed, or a server did not answer
 * the probe from src): recorded failed. */
static int record_not_run(struct session *s, const struct run *x, const struct guest *g,
			  const char *src, const char *reason)
{
	struct buf b = { 0 };
	char stamp[32];
	int rc;

	utc_stamp(stamp);
	add_common(&b, s, x, g, src);
	buf_adds(&b, ", 'per_guest_gbps': [], 'total_gbps': 0.0, 'cpu_pct': None, "
		 "'split_evtchn': [], 'start': ");
	pyl_str(&b, stamp);
	buf_adds(&b, ", 'elapsed': 0.0, 'status': 'failed', 'reason': ");
	pyl_str(&b, reason);
	buf_adds(&b, "}");
	rc = record(s, &b);
	buf_free(&b);
	s->failed++;
	logf_("run %s N=%ld streams=%ld repeat=%ld %s: failed: %s", x->kernel, x->vms,
	      x->streams, x->repeat, x->direction, reason);
	return rc;
}

/* One run: iperf against all N guests at once. */
static int do_run(struct session *s, const struct run *x, struct guest *g)
{
	const struct plan *p = &s->plan;
	long duration = p->v[K_DURATION].num;
	double timeout = (double)(duration + p->v[K_IPERF_MARGIN].num);
	bool reverse = !strcmp(x->direction, "domU-to-dom0");
	struct child *c = xmalloc(sizeof(*c) * (size_t)x->vms);
	struct child **cp = xmalloc(sizeof(*cp) * (size_t)x->vms);
	struct iperf_result *res = xmalloc(sizeof(*res) * (size_t)x->vms);
	bool *measured = xmalloc(sizeof(bool) * (size_t)x->vms);
	/* this run's source address (client_addrs), for every client (-B) */
	const char *src = s->be.client_addr;
	char dur_s[16], par_s[16], port_s[16], stamp[32], reason[2048] = "";
	double cpu0 = 0, cpu1 = 0, t0, t1, total = 0;
	bool cpu_ok, ok = true;
	long started = 0;
	struct err e;
	struct buf b = { 0 };
	int rc;

	snprintf(dur_s, sizeof(dur_s), "%ld", duration);
	snprintf(par_s, sizeof(par_s), "%ld", x->streams);
	snprintf(port_s, sizeof(port_s), "%ld", p->v[K_PORT].num);
	utc_stamp(stamp);
	cpu_ok = s->be.ops->cpu_busy_seconds(&s->be, &cpu0, &e) == 0;
	t0 = now_mono();
	s->cur_start = t0;
	/* The client runs here, or through the backend's relay (a driver
	 * domain's agent): the same child, deadline and CSV either way. */
	const char *const *prefix = s->be.ops->client_prefix ?
		s->be.ops->client_prefix(&s->be) : NULL;
	size_t np = 0;

	while (prefix && prefix[np] && np < 16)   /* a backend's prefix is a few words */
		np++;
	for (long i = 0; i < x->vms; i++) {
		/* -R: the guest's server sends, so guests only ever run iperf -s.
		 * dd32's agent accepts exactly this argv (testhost/pv32-dd-agent). */
		const char *iperf[] = { "iperf", "-c", g[i].addr, "-p", port_s, "-t", dur_s,
					"-P", par_s, "-y", "C" };
		const char *argv[16 + 16];
		size_t na = np;

		for (size_t k = 0; k < np; k++)
			argv[k] = prefix[k];
		memcpy(argv + na, iperf, sizeof(iperf));
		na += sizeof(iperf) / sizeof(iperf[0]);
		if (reverse)
			argv[na++] = "-R";
		if (src) {
			argv[na++] = "-B";
			argv[na++] = src;
		}
		argv[na] = NULL;
		cp[i] = &c[i];
		if (child_start(&c[i], argv, RC_CAPTURE_OUT | RC_CAPTURE_ERR, timeout, &e) < 0) {
			snprintf(reason, sizeof(reason), "%s: %s", g[i].name, e.msg);
			ok = false;
			break;
		}
		started++;
	}
	if (child_wait_all(cp, (size_t)started, tick, s) < 0) {
		for (long i = 0; i < started; i++)
			child_free(&c[i]);
		free(c), free(cp), free(res), free(measured);
		return -1;     /* interrupted: the run in flight is not recorded */
	}
	t1 = now_mono();
	cpu_ok = cpu_ok && s->be.ops->cpu_busy_seconds(&s->be, &cpu1, &e) == 0;
	for (long i = 0; i < x->vms; i++) {
		char why[256] = "", how[64];

		measured[i] = false;
		if (i >= started)
			continue;
		int prc = iperf_parse_csv(c[i].out.p, (int)x->streams, (int)duration, &res[i],
					  why, sizeof(why));

		measured[i] = res[i].streams > 0;
		if (measured[i])
			total += res[i].gbps;
		/* iperf 2 only warns when -B fails and connects from wherever the
		 * kernel likes: the run is not what the plan asked for */
		const char *bindfail = src && c[i].err.p ? strstr(c[i].err.p, "bind failed") : NULL;

		if (prc == 0 && !c[i].timed_out && !bindfail)
			continue;
		if (bindfail) {
			snprintf(why, sizeof(why), "iperf could not bind the source address %s: %.*s",
				 src, (int)strcspn(bindfail, "\n"), bindfail);
		} else if (c[i].timed_out) {
			child_describe_status(&c[i], how, sizeof(how));
			snprintf(why, sizeof(why), "iperf client %s after %.0f s", how, timeout);
		} else if (c[i].err.len) {
			/* iperf's own message says more than "no CSV". */
			size_t l = strcspn(c[i].err.p, "\n");
			char first[200];

			snprintf(first, sizeof(first), "%.*s", (int)l, c[i].err.p);
			strncat(why, ": ", sizeof(why) - strlen(why) - 1);
			strncat(why, first, sizeof(why) - strlen(why) - 1);
		}
		if (ok || strlen(reason) + strlen(why) + 16 < sizeof(reason)) {
			size_t l = strlen(reason);

			snprintf(reason + l, sizeof(reason) - l, "%s%s: %s", l ? "; " : "",
				 g[i].name, why);
		}
		ok = false;
	}
	/* A guest destroyed during the run can leave its client with a
	 * report that covers the whole duration (seen on Xen: xl destroy
	 * 5 s into a 15 s run was recorded ok), so ask the backend again,
	 * from the next run's source address: iperf 2.1.8 is still ending
	 * this run's test, and a connection from its source now is the one
	 * that can wedge the server (plan key client_addrs). */
	s->be.client_addr = plan_client_addr(p, s->run_seq);   /* (counts this run already) */
	if (s->be.ops->check_guests &&
	    s->be.ops->check_guests(&s->be, (unsigned)x->vms, g, &e) < 0) {
		size_t l = strlen(reason);

		if (runcmd_interrupted) {
			for (long i = 0; i < started; i++)
				child_free(&c[i]);
			free(c), free(cp), free(res), free(measured);
			return -1;
		}
		snprintf(reason + l, sizeof(reason) - l, "%safter the run: %s",
			 l ? "; " : "", e.msg);
		ok = false;
	}
	/* A kernel that died under the run (netback's thread gone, say) makes
	 * its figures meaningless, whatever they look like. */
	if (check_death(s)) {
		char why[sizeof(reason)];

		snprintf(why, sizeof(why), "%s (oops/BUG, taint D): %s%s%s", RESULTS_KERNEL_DIED,
			 s->death, reason[0] ? "; " : "", reason);
		snprintf(reason, sizeof(reason), "%s", why);
		ok = false;
	}
	add_common(&b, s, x, g, src);
	/* A failed run keeps what was measured: guests that reported nothing
	 * are left out (the contract's "possibly fewer than vms entries"),
	 * and the reason names them. */
	buf_adds(&b, ", 'per_guest_gbps': [");
	for (long i = 0, n = 0; i < x->vms; i++) {
		if (!measured[i])
			continue;
		buf_adds(&b, n++ ? ", " : "");
		pyl_float(&b, res[i].gbps);
	}
	buf_adds(&b, "], 'total_gbps': ");
	pyl_float(&b, total);
	buf_adds(&b, ", 'cpu_pct': ");
	if (cpu_ok && t1 > t0)
		pyl_float(&b, (cpu1 - cpu0) / (t1 - t0) * 100.0);
	else
		pyl_none(&b);
	buf_adds(&b, ", 'split_evtchn': [");
	for (long i = 0; i < x->vms; i++) {
		buf_adds(&b, i ? ", " : "");
		if (g[i].split_evtchn < 0)
			pyl_none(&b);
		else
			pyl_bool(&b, g[i].split_evtchn);
	}
	buf_adds(&b, "], 'start': ");
	pyl_str(&b, stamp);
	buf_adds(&b, ", 'elapsed': ");
	pyl_float(&b, (double)(long long)((t1 - t0) * 1000 + 0.5) / 1000.0);
	buf_addf(&b, ", 'status': '%s', 'reason': ", ok ? "ok" : "failed");
	pyl_str(&b, ok ? "" : reason);
	buf_adds(&b, "}");
	rc = record(s, &b);
	if (ok) {
		logf_("run %s N=%ld streams=%ld repeat=%ld %s: %.3f Gbit/s, cpu %.1f%%, %.1f s%s%s",
		      x->kernel, x->vms, x->streams, x->repeat, x->direction, total,
		      cpu_ok ? (cpu1 - cpu0) / (t1 - t0) * 100.0 : -1.0, t1 - t0,
		      src ? ", from " : "", src ? src : "");
	} else {
		s->failed++;
		logf_("run %s N=%ld streams=%ld repeat=%ld %s: failed: %s", x->kernel, x->vms,
		      x->streams, x->repeat, x->direction, reason);
	}
	buf_free(&b);
	for (long i = 0; i < started; i++)
		child_free(&c[i]);
	free(c), free(cp), free(res), free(measured);
	return rc;
}

/* A run the kernel died in this many times is not tried again: a kernel
 * bug it reproduces would otherwise cost a boot each session. */
#define MAX_KERNEL_DEATHS 2

static bool run_done(const struct session *s, const struct run *x)
{
	return results_has_ok(&s->res, x->kernel, x->direction, x->vms, x->streams, x->repeat) ||
	       results_kernel_deaths(&s->res, x->kernel, x->direction, x->vms, x->streams,
				     x->repeat) >= MAX_KERNEL_DEATHS;
}

static int write_meta(struct session *s, const struct host_info *hi)
{
	struct buf b = { 0 };
	char stamp[32];
	int rc;

	utc_stamp(stamp);
	buf_adds(&b, "{'record': 'meta', 'format': 1, 'harness_version': ");
	pyl_str(&b, VIFBENCH_VERSION);
	buf_adds(&b, ", 'backend': ");
	pyl_str(&b, s->be.ops->name);
	buf_adds(&b, ", 'kernel': ");
	pyl_str(&b, s->kernel);
	buf_adds(&b, ", 'kernel_release': ");
	pyl_str(&b, hi->kernel_release);
	buf_adds(&b, ", 'dom0_arch': ");
	pyl_str(&b, hi->dom0_arch);
	buf_addf(&b, ", 'dom0_vcpus': %d, 'host': ", hi->dom0_vcpus);
	pyl_str(&b, hi->host);
	buf_adds(&b, ", 'xen_version': ");
	pyl_str(&b, hi->xen_version[0] ? hi->xen_version : NULL);
	/* Netback in a driver domain: say where and what (format: these keys
	 * only appear then; cpu_pct is that domain's). */
	if (hi->netback_domain[0]) {
		buf_adds(&b, ", 'netback_domain': ");
		pyl_str(&b, hi->netback_domain);
		buf_adds(&b, ", 'netback_arch': ");
		pyl_str(&b, hi->netback_arch);
		buf_adds(&b, ", 'netback_kernel_release': ");
		pyl_str(&b, hi->netback_kernel_release);
		buf_addf(&b, ", 'netback_vcpus': %d, 'xen_flavour': ", hi->netback_vcpus);
		pyl_str(&b, hi->xen_flavour[0] ? hi->xen_flavour : NULL);
	}
	buf_adds(&b, ", 'started': ");
	pyl_str(&b, stamp);
	buf_adds(&b, ", 'plan_file': ");
	pyl_str(&b, s->plan.file);
	buf_adds(&b, ", 'plan': ");
	plan_to_pylit(&s->plan, &b);
	buf_adds(&b, "}");
	rc = record(s, &b);
	buf_free(&b);
	return rc;
}

/* Which kernel label this session measures. */
static const char *pick_kernel(struct session *s, struct err *e)
{
	const struct optval *kernels = &s->plan.v[K_KERNELS], *kern = &s->plan.v[K_KERNEL];
	const char *label = s->be.ops->running_kernel ? s->be.ops->running_kernel(&s->be) : NULL;

	if (!label && kern->set)
		label = kern->str;
	if (!label && kernels->nwords == 1)
		label = kernels->words[0];
	if (!label) {
		err_set(e, "%s: kernels: the plan names %zu kernels and backend %s cannot tell "
			"which one runs; say it with --kernel LABEL", kernels->where,
			kernels->nwords, s->be.ops->name);
		return NULL;
	}
	for (size_t k = 0; k < kernels->nwords; k++)
		if (!strcmp(kernels->words[k], label))
			return kernels->words[k];
	err_set(e, "%s: kernels: the running kernel is '%s', which the plan does not list",
		kernels->where, label);
	return NULL;
}

static int finish_interrupted(struct session *s)
{
	int sig = runcmd_interrupted;

	/* Clear it so the cleanup's own commands (ip netns del ...) can run. */
	runcmd_interrupted = 0;
	progress_clear();
	logf_("interrupted by signal %d: cleaning up; the run in flight is not recorded", sig);
	runcmd_kill_all();
	if (s->be.ops->close)
		s->be.ops->close(&s->be);
	results_close(&s->res);
	return 128 + sig;
}

static int cmd_run(int argc, char **argv)
{
	static struct session s;
	struct host_info hi;
	struct err e;
	long max_vms = 0;
	char *log_path;

	runcmd_install_signal_handlers();
	memset(&hi, 0, sizeof(hi));   /* backends fill what they know */
	s.session_start = now_mono();
	plan_init(&s.plan);
	if (parse_args(argc, argv, &s.plan, &e) < 0)
		return bad_input(&e);
	s.be.ops = backend_find(s.plan.v[K_BACKEND].str);
	s.be.plan = &s.plan;
	if (s.be.ops->validate(&s.be, &e) < 0)
		return bad_input(&e);
	if (!(s.kernel = pick_kernel(&s, &e)))
		return bad_input(&e);
	if (results_open(&s.res, s.plan.v[K_RESULTS].str, &e) < 0)
		return bad_input(&e);
	log_path = results_log_path(s.plan.v[K_RESULTS].str);
	log_open_file(log_path);
	free(log_path);
	double t_open = now_mono();

	if (s.be.ops->open(&s.be, &e) < 0) {
		if (runcmd_interrupted)
			return finish_interrupted(&s);
		s.be.ops->close(&s.be);
		return bad_input(&e);
	}
	logf_("backend %s open in %.2f s", s.be.ops->name, now_mono() - t_open);
	if (runcmd_interrupted)
		return finish_interrupted(&s);
	/* Backends that know the running kernel (xen) are asked after open. */
	if (!(s.kernel = pick_kernel(&s, &e)) || s.be.ops->host_info(&s.be, &hi, &e) < 0) {
		s.be.ops->close(&s.be);
		return bad_input(&e);
	}
	if (kernel_taint() & TAINT_DIE_BIT) {
		char line[512];

		s.died_before = true;
		kernel_death_line(line, sizeof(line));
		logf_("warning: the running kernel had already died (oops/BUG, taint D) before this "
		      "session (%s): a death during a run cannot be told from it", line);
	}
	if (s.plan.v[K_HOST_NOTE].set) {
		size_t l = strlen(hi.host);

		snprintf(hi.host + l, sizeof(hi.host) - l, "; %s", s.plan.v[K_HOST_NOTE].str);
	}
	plan_expand(&s.plan, &s.runs);
	for (size_t k = 0; k < s.runs.n; k++) {
		const struct run *x = &s.runs.r[k];

		if (strcmp(x->kernel, s.kernel))
			continue;
		if (run_done(&s, x)) {
			if (!results_has_ok(&s.res, x->kernel, x->direction, x->vms, x->streams,
					    x->repeat))
				logf_("not tried again: %s N=%ld streams=%ld repeat=%ld %s: the kernel "
				      "died in it %d times", x->kernel, x->vms, x->streams, x->repeat,
				      x->direction, MAX_KERNEL_DEATHS);
			continue;
		}
		s.total_todo++;
		s.eta_left += (double)s.plan.v[K_DURATION].num + RUN_OVERHEAD_S;
		if (x->vms > max_vms)
			max_vms = x->vms;
		if (k == 0 || x->group != s.runs.r[k - 1].group)
			s.eta_left += s.be.ops->start_estimate_s((unsigned)x->vms);
	}
	logf_("session: backend %s, kernel %s (%s), %zu runs to do, results %s",
	      s.be.ops->name, s.kernel, hi.kernel_release, s.total_todo, s.res.path);
	if (write_meta(&s, &hi) < 0)
		goto fatal;
	if (max_vms > 0 && s.be.ops->prepare(&s.be, (unsigned)max_vms, &e) < 0) {
		logf_("prepare: %s", e.msg);
		goto fatal;
	}

	for (size_t k = 0; k < s.runs.n;) {
		size_t end = k, todo = 0;
		const struct run *first = &s.runs.r[k];
		struct guest *g;

		while (end < s.runs.n && s.runs.r[end].group == first->group)
			end++;
		for (size_t j = k; j < end; j++)
			if (!strcmp(s.runs.r[j].kernel, s.kernel) && !run_done(&s, &s.runs.r[j]))
				todo++;
		if (todo == 0) {
			k = end;
			continue;
		}
		g = xmalloc(sizeof(*g) * (size_t)first->vms);
		double t_start = now_mono();

		s.cur_index = k;
		s.cur_start = t_start;
		/* fresh servers: any source will do; the next run's, as its probe */
		s.be.client_addr = plan_client_addr(&s.plan, s.run_seq);
		progress("[%zu/%zu] starting %ld guests", s.done_now + 1, s.total_todo, first->vms);
		if (s.be.ops->start_guests(&s.be, (unsigned)first->vms, g, &e) < 0) {
			if (runcmd_interrupted) {
				free(g);
				return finish_interrupted(&s);
			}
			if (check_death(&s)) {   /* not the guests' fault: no records */
				free(g);
				break;
			}
			char reason[1100];

			snprintf(reason, sizeof(reason), "guests did not start: %s", e.msg);
			for (size_t j = k; j < end; j++) {
				if (run_done(&s, &s.runs.r[j]))
					continue;
				if (record_not_run(&s, &s.runs.r[j], NULL, NULL, reason) < 0) {
					free(g);
					goto fatal;
				}
				s.done_now++;
				s.eta_left -= (double)s.plan.v[K_DURATION].num + RUN_OVERHEAD_S;
			}
			free(g);
			k = end;
			continue;
		}
		s.eta_left -= s.be.ops->start_estimate_s((unsigned)first->vms);
		logf_("started %ld guests in %.2f s", first->vms, now_mono() - t_start);
		for (size_t j = k; j < end; j++) {
			const struct run *x = &s.runs.r[j];

			if (run_done(&s, x))
				continue;
			if (check_death(&s))
				break;
			s.cur_index = j;
			for (long attempt = 0; attempt <= s.plan.v[K_RETRIES].num; attempt++) {
				if (attempt && check_death(&s))
					break;
				if (attempt)
					logf_("retrying (%ld of %ld)", attempt,
					      s.plan.v[K_RETRIES].num);
				/* run number run_seq: its probe and clients share a source
				 * (a probe is served at once, in iperf's listener thread) */
				const char *src = plan_client_addr(&s.plan, s.run_seq);

				s.run_seq++;
				s.be.client_addr = src;
				if (s.be.ops->check_guests &&
				    s.be.ops->check_guests(&s.be, (unsigned)first->vms, g, &e) < 0) {
					if (runcmd_interrupted) {
						free(g);
						return finish_interrupted(&s);
					}
					if (record_not_run(&s, x, g, src, e.msg) < 0) {
						free(g);
						goto fatal;
					}
				} else if (do_run(&s, x, g) < 0) {
					free(g);
					if (runcmd_interrupted)
						return finish_interrupted(&s);
					goto fatal;
				}
				if (run_done(&s, x))
					break;
			}
			s.done_now++;
			s.eta_left -= (double)s.plan.v[K_DURATION].num + RUN_OVERHEAD_S;
		}
		double t_stop = now_mono();

		if (s.be.ops->stop_guests(&s.be, (unsigned)first->vms, g, &e) < 0)
			logf_("stopping guests: %s", e.msg);
		else
			logf_("stopped %ld guests in %.2f s", first->vms, now_mono() - t_stop);
		free(g);
		if (runcmd_interrupted)
			return finish_interrupted(&s);
		if (s.died)
			break;
		k = end;
	}
	progress_clear();

	/* Kernels whose runs are not all ok yet. */
	struct buf left = { 0 };
	const struct optval *kernels = &s.plan.v[K_KERNELS];
	const char *next = NULL;

	for (size_t kk = 0; kk < kernels->nwords; kk++) {
		const char *label = kernels->words[kk];
		bool missing = false;

		if (!strcmp(label, s.kernel))
			continue;
		for (size_t j = 0; j < s.runs.n && !missing; j++)
			missing = !strcmp(s.runs.r[j].kernel, label) && !run_done(&s, &s.runs.r[j]);
		if (missing) {
			buf_addf(&left, "%s%s", left.len ? " " : "", label);
			if (!next)
				next = label;
		}
	}
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	logf_("session done: %zu runs, %d failed records; results in %s", s.done_now, s.failed,
	      s.res.path);
	/* Our own cost (children excluded), for make bench-harness. */
	logf_("harness own CPU: %.3f s user, %.3f s system, over %.1f s",
	      (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
	      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
	      now_mono() - s.session_start);
	size_t not_ok = 0;

	for (size_t j = 0; j < s.runs.n; j++)
		not_ok += !strcmp(s.runs.r[j].kernel, s.kernel) &&
			  !results_has_ok(&s.res, s.runs.r[j].kernel, s.runs.r[j].direction,
					  s.runs.r[j].vms, s.runs.r[j].streams, s.runs.r[j].repeat);
	if (not_ok)
		logf_("%zu runs of kernel %s are not ok; run again to retry them", not_ok, s.kernel);
	int rc = not_ok ? EXIT_RUNS_FAILED : EXIT_DONE;

	if (s.died) {
		/* Every later run would fail for the dead kernel's sake: the rest
		 * of this kernel's runs belong to a fresh boot of it (run-plan
		 * boots it again; resume retries the run that was in flight). */
		logf_("dom0 kernel %s died in this session: its remaining runs need a fresh boot",
		      s.kernel);
		next = NULL;
		if (s.be.ops->next_kernel && s.be.ops->next_kernel(&s.be, s.kernel, &e) == 0) {
			logf_("next boot: kernel %s again", s.kernel);
			rc = EXIT_KERNELS_LEFT;
		} else {
			logf_("reboot into kernel %s and run again", s.kernel);
			rc = EXIT_RUNS_FAILED;
		}
	}
	if (next) {
		logf_("kernels remaining: %s (this session runs only kernel %s)", left.p, s.kernel);
		if (s.be.ops->next_kernel) {
			if (s.be.ops->next_kernel(&s.be, next, &e) < 0)
				logf_("cannot switch to kernel %s: %s", next, e.msg);
			else
				logf_("next boot: kernel %s", next);
		} else {
			logf_("backend %s cannot switch kernels: boot kernel %s and run again",
			      s.be.ops->name, next);
		}
		rc = EXIT_KERNELS_LEFT;
	}
	buf_free(&left);
	s.be.ops->close(&s.be);
	results_close(&s.res);
	runlist_free(&s.runs);
	plan_free(&s.plan);
	return rc;
fatal:
	progress_clear();
	s.be.ops->close(&s.be);
	results_close(&s.res);
	return EXIT_RUNS_FAILED;
}

/* vifbench clone PLAN: make guests 1..max(vms) startable (xen: clones). */
static int cmd_clone(int argc, char **argv)
{
	struct plan p;
	struct backend be = { 0 };
	struct err e;
	long max_vms = 0;
	int rc = 0;

	runcmd_install_signal_handlers();
	plan_init(&p);
	if (parse_args(argc, argv, &p, &e) < 0)
		return bad_input(&e);
	be.ops = backend_find(p.v[K_BACKEND].str);
	be.plan = &p;
	for (size_t k = 0; k < p.v[K_VMS].nints; k++)
		if (p.v[K_VMS].ints[k] > max_vms)
			max_vms = p.v[K_VMS].ints[k];
	if (be.ops->validate(&be, &e) < 0)
		return bad_input(&e);
	if (be.ops->open(&be, &e) < 0) {
		be.ops->close(&be);
		return bad_input(&e);
	}
	if (be.ops->prepare(&be, (unsigned)max_vms, &e) < 0) {
		logf_("clone: %s", e.msg);
		rc = EXIT_RUNS_FAILED;
	} else {
		logf_("backend %s: guests 1..%ld ready to start", be.ops->name, max_vms);
	}
	be.ops->close(&be);
	plan_free(&p);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_BAD_INPUT;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("%s\n", VIFBENCH_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "plan"))
		return cmd_plan(argc, argv);
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc, argv);
	if (!strcmp(argv[1], "clone"))
		return cmd_clone(argc, argv);
	/* Internal: the xen backend's relay to a driver domain (dd_relay.h). */
	if (!strcmp(argv[1], "dd-relay"))
		return dd_relay_main(argc, argv);
	fprintf(stderr, "vifbench: unknown command '%s' (see vifbench --help)\n", argv[1]);
	return EXIT_BAD_INPUT;
}
