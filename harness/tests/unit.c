/*
 * Unit tests of the harness modules on real inputs: plan files (good and
 * bad), iperf 2.1.8 CSV captured from real runs (tests/data), the
 * Python-literal writer/reader and the results file.  Prints one
 * "ok - NAME" / "not ok - NAME: why" line per test; run_tests.py counts.
 *
 *   unit DATADIR                    run the tests
 *   unit --pylit-encode IN OUT      IN: one hex-encoded byte string a line;
 *                                   OUT: a Python list literal of them
 *   unit --pylit-decode IN          IN: a Python list of str (from repr);
 *                                   prints each decoded string in hex
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iperf_csv.h"
#include "kernel_health.h"
#include "options.h"
#include "plan.h"
#include "pylit.h"
#include "results.h"
#include "runcmd.h"
#include "tcp_probe.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/wait.h>
#include <dirent.h>

static const char *datadir;
static char tmpdir[256];
static int failures_in_test;
static char first_failure[4096];

#define CHECK(cond, ...)                                                        \
	do {                                                                    \
		if (!(cond)) {                                                  \
			if (!failures_in_test++)                                \
				snprintf(first_failure, sizeof(first_failure),  \
					 __VA_ARGS__);                          \
		}                                                               \
	} while (0)

static int passed, failed;

static void run_test(const char *name, void (*fn)(void))
{
	failures_in_test = 0;
	first_failure[0] = '\0';
	fn();
	if (failures_in_test) {
		printf("not ok - %s: %s\n", name, first_failure);
		failed++;
	} else {
		printf("ok - %s\n", name);
		passed++;
	}
	fflush(stdout);
}

static char *write_tmp(const char *name, const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

/* Parse a plan text; returns 0/-1, message in e. */
static int load_plan(const char *text, struct plan *p, struct err *e)
{
	char *path = write_tmp("t.plan", text);

	plan_init(p);
	if (plan_read_file(p, path, e) < 0)
		return -1;
	return plan_finish(p, e);
}

static void t_plan_defaults(void)
{
	struct plan p;
	struct err e;

	CHECK(load_plan("# only comments\n\n   # indented\n", &p, &e) == 0, "%s", e.msg);
	CHECK(p.v[K_VMS].nints == 8 && p.v[K_VMS].ints[0] == 1 && p.v[K_VMS].ints[7] == 8,
	      "vms default not 1..8");
	CHECK(p.v[K_STREAMS].nints == 4, "streams default not 1..4");
	CHECK(p.v[K_REPEATS].num == 3 && p.v[K_DURATION].num == 120, "repeats/duration");
	CHECK(p.v[K_DIRECTIONS].nwords == 2 &&
	      !strcmp(p.v[K_DIRECTIONS].words[0], "dom0-to-domU"), "directions");
	CHECK(!strcmp(p.v[K_TEMPLATE].str, "Split") && !strcmp(p.v[K_CLONE_PREFIX].str, "Split-"),
	      "template");
	CHECK(!p.v[K_KERNEL].set, "kernel should be unset");
	plan_free(&p);
}

static void t_plan_values(void)
{
	struct plan p;
	struct err e;
	struct runlist l;

	CHECK(load_plan("kernels = plain patched  # two\n"
			"vms = 1-2 4\n"
			"streams=1,3\n"
			"repeats = 2\n"
			"duration = 5\n"
			"directions = domU-to-dom0\n"
			"clone-prefix = Guest-\n"
			"max_vms_for_streams = 3:2\n"
			"results = out/x#1.pylist\n", &p, &e) == 0, "%s", e.msg);
	CHECK(p.v[K_KERNELS].nwords == 2 && !strcmp(p.v[K_KERNELS].words[1], "patched"),
	      "kernels");
	CHECK(p.v[K_VMS].nints == 3 && p.v[K_VMS].ints[2] == 4, "vms 1-2 4");
	CHECK(p.v[K_STREAMS].nints == 2 && p.v[K_STREAMS].ints[1] == 3, "streams 1,3");
	CHECK(!strcmp(p.v[K_CLONE_PREFIX].str, "Guest-"), "clone-prefix with dash");
	CHECK(!strcmp(p.v[K_RESULTS].str, "out/x#1.pylist"), "'#' inside a value is kept: %s",
	      p.v[K_RESULTS].str);
	CHECK(plan_max_vms(&p, 3) == 2, "limit");
	plan_expand(&p, &l);
	/* per kernel: N=1: 2 repeats x (s1, s3) ; N=2: 2 x (s1, s3); N=4: 2 x (s1) */
	CHECK(l.n == 2 * (4 + 4 + 2), "run count %zu", l.n);
	CHECK(l.ngroups == 2 * 3 * 2, "group count %zu", l.ngroups);
	CHECK(!strcmp(l.r[0].kernel, "plain") && l.r[0].vms == 1 && l.r[0].repeat == 1 &&
	      l.r[0].streams == 1 && l.r[1].streams == 3 && l.r[2].repeat == 2, "order");
	CHECK(l.r[8].vms == 4 && l.r[8].streams == 1 && l.r[9].repeat == 2 &&
	      !strcmp(l.r[10].kernel, "patched"), "order N=4 / next kernel");
	struct buf b = { 0 };

	plan_to_pylit(&p, &b);
	CHECK(strstr(b.p, "'vms': [1, 2, 4]") && strstr(b.p, "'max_vms_for_streams': {3: 2}") &&
	      strstr(b.p, "'kernel': None"), "plan dict: %s", b.p);
	buf_free(&b);
	runlist_free(&l);
	plan_free(&p);
}

/* netback_domain = dd32 with its keys: accepted, defaults, in the plan dict. */
static void t_plan_dd(void)
{
	struct plan p;
	struct err e;
	struct buf b = { 0 };

	CHECK(load_plan("backend = xen\n", &p, &e) == 0, "%s", e.msg);
	CHECK(!strcmp(p.v[K_NETBACK_DOMAIN].str, "dom0") && p.v[K_DD_MEMORY].num == 384 &&
	      !p.v[K_DD_KERNEL].set && !p.v[K_DD_CPUS].set, "defaults");
	/* dom0's netback: the plan dict is as before these keys existed */
	plan_to_pylit(&p, &b);
	CHECK(!strstr(b.p, "netback") && !strstr(b.p, "dd_") && b.len > 16 &&
	      !strcmp(b.p + b.len - 16, "'reboot': 'yes'}"), "dom0 plan dict: %s", b.p);
	buf_free(&b);
	plan_free(&p);
	CHECK(load_plan("backend = xen\nnetback_domain = dd32\ndd_kernel = /j/dd-kernel\n"
			"dd_ramdisk = /j/dd-initrd.gz\ndd_memory = 512\ndd_cpus = 0\n", &p, &e) == 0,
	      "%s", e.msg);
	CHECK(!strcmp(p.v[K_NETBACK_DOMAIN].str, "dd32") &&
	      !strcmp(p.v[K_DD_KERNEL].str, "/j/dd-kernel") && p.v[K_DD_MEMORY].num == 512 &&
	      !strcmp(p.v[K_DD_CPUS].str, "0"), "values");
	plan_to_pylit(&p, &b);
	CHECK(strstr(b.p, "'netback_domain': 'dd32'") && strstr(b.p, "'dd_kernel': '/j/dd-kernel'") &&
	      strstr(b.p, "'dd_memory': 512"), "plan dict: %s", b.p);
	buf_free(&b);
	plan_free(&p);
	/* the command line (as run-plan --arch i386 passes them) */
	char *path = write_tmp("o.plan", "backend = xen\n");

	plan_init(&p);
	CHECK(plan_read_file(&p, path, &e) == 0, "%s", e.msg);
	CHECK(plan_set_cli(&p, "netback-domain", "dd32", &e) == 0 &&
	      plan_set_cli(&p, "dd-kernel", "/results/job/dd-kernel", &e) == 0, "%s", e.msg);
	CHECK(plan_finish(&p, &e) < 0 && strstr(e.msg, "command line (--netback_domain)") &&
	      strstr(e.msg, "needs dd_ramdisk"), "cli: %s", e.msg);
	plan_free(&p);
}

/* client_addrs: absent by default (plan dict as before), rotation k % n,
 * commas as blanks, the command line. */
static void t_plan_client_addrs(void)
{
	struct plan p;
	struct err e;
	struct buf b = { 0 };

	CHECK(load_plan("vms = 1\n", &p, &e) == 0, "%s", e.msg);
	CHECK(p.v[K_CLIENT_ADDRS].nwords == 0 && !plan_client_addr(&p, 0) &&
	      !plan_client_addr(&p, 7), "default: no source addresses");
	plan_to_pylit(&p, &b);
	CHECK(!strstr(b.p, "client_addr"), "default plan dict names client_addrs: %s", b.p);
	buf_free(&b);
	plan_free(&p);

	CHECK(load_plan("client_addrs = 198.18.0.1 198.18.0.2   # two\n", &p, &e) == 0, "%s",
	      e.msg);
	CHECK(p.v[K_CLIENT_ADDRS].nwords == 2, "two addresses: %zu", p.v[K_CLIENT_ADDRS].nwords);
	static const char *const want2[] = { "198.18.0.1", "198.18.0.2", "198.18.0.1",
					     "198.18.0.2", "198.18.0.1" };

	for (unsigned long k = 0; k < 5; k++) {
		const char *a = plan_client_addr(&p, k);

		CHECK(a && !strcmp(a, want2[k]), "run %lu: %s, want %s", k, a ? a : "NULL",
		      want2[k]);
	}
	/* consecutive runs never share one */
	for (unsigned long k = 0; k < 1000; k++)
		CHECK(strcmp(plan_client_addr(&p, k), plan_client_addr(&p, k + 1)),
		      "runs %lu and %lu share %s", k, k + 1, plan_client_addr(&p, k));
	CHECK(!strcmp(plan_client_addr(&p, 1000001), "198.18.0.2"), "run 1000001");
	plan_to_pylit(&p, &b);
	CHECK(strstr(b.p, "'client_addrs': ['198.18.0.1', '198.18.0.2']"), "plan dict: %s", b.p);
	buf_free(&b);
	plan_free(&p);

	CHECK(load_plan("client_addrs = 10.1.1.3,10.1.1.1, 10.1.1.2\n", &p, &e) == 0, "%s", e.msg);
	CHECK(p.v[K_CLIENT_ADDRS].nwords == 3 && !strcmp(plan_client_addr(&p, 0), "10.1.1.3") &&
	      !strcmp(plan_client_addr(&p, 4), "10.1.1.1") &&
	      !strcmp(plan_client_addr(&p, 8), "10.1.1.2"), "three, in the order given");
	plan_free(&p);

	/* the command line, either spelling; an empty value means none */
	char *path = write_tmp("o.plan", "client_addrs = 198.18.0.1 198.18.0.2\n");

	plan_init(&p);
	CHECK(plan_read_file(&p, path, &e) == 0, "%s", e.msg);
	CHECK(plan_set_cli(&p, "client-addrs", "", &e) == 0, "%s", e.msg);
	CHECK(plan_finish(&p, &e) == 0 && p.v[K_CLIENT_ADDRS].nwords == 0 &&
	      !plan_client_addr(&p, 0), "--client-addrs '' turns them off: %s", e.msg);
	plan_free(&p);
	plan_init(&p);
	CHECK(plan_read_file(&p, path, &e) == 0, "%s", e.msg);
	CHECK(plan_set_cli(&p, "client_addrs", "127.0.0.9", &e) == 0, "%s", e.msg);
	CHECK(plan_finish(&p, &e) < 0 && strstr(e.msg, "command line (--client_addrs): "
						  "client_addrs: one address ('127.0.0.9')"),
	      "bad cli value named: %s", e.msg);
	plan_free(&p);
}

static void t_plan_cli_override(void)
{
	struct plan p;
	struct err e;
	char *path = write_tmp("o.plan", "vms = 1-8\nduration = 120\n");

	plan_init(&p);
	CHECK(plan_read_file(&p, path, &e) == 0, "%s", e.msg);
	CHECK(plan_set_cli(&p, "vms", "2", &e) == 0, "%s", e.msg);
	CHECK(plan_set_cli(&p, "nope", "2", &e) < 0 && strstr(e.msg, "unknown option '--nope'"),
	      "unknown cli option: %s", e.msg);
	CHECK(plan_set_cli(&p, "duration", "0", &e) == 0, "raw set");
	CHECK(plan_finish(&p, &e) < 0 && strstr(e.msg, "command line (--duration)") &&
	      strstr(e.msg, "'0'"), "bad cli value named: %s", e.msg);
	plan_free(&p);
}

struct bad { const char *text, *want1, *want2; };

static void t_plan_bad(void)
{
	static const struct bad cases[] = {
		{ "vms = 1-8\nvm = 2\n", ":2: unknown key 'vm'", "known:" },
		{ "vms = 3-1\n", ":1: vms: bad range '3-1'", "start > end" },
		{ "vms = 0-2\n", ":1: vms: bad range '0-2'", "1..200" },
		{ "vms = 1-x\n", ":1: vms: bad range '1-x'", NULL },
		{ "vms = \n", ":1: vms: empty list", NULL },
		{ "vms = 1 1\n", "1 listed twice", NULL },
		{ "\n\nstreams 4\n", ":3: expected 'key = value'", NULL },
		{ "repeats = 3\nrepeats = 4\n", ":2: key 'repeats' given twice", ":1" },
		{ "duration = 2.5\n", ":1: duration: '2.5' is not a whole number", NULL },
		{ "backend = kvm\n", ":1: backend: 'kvm' is not one of: netns xen", NULL },
		{ "directions = up down\n", ":1: directions: 'up' is not one of", NULL },
		{ "kernels = plain pat/ched\n", "'pat/ched' is not a name", NULL },
		{ "kernels = a b\nkernel = c\n", ":2: kernel: 'c' is not one of kernels", NULL },
		{ "streams = 1-2\nmax_vms_for_streams = 3:4\n", "stream count 3 is not in streams",
		  NULL },
		{ "max_vms_for_streams = 3-4\n", "bad pair '3-4'", NULL },
		{ "template = \"Split\"\n", "template: '\"Split\"' is not a name", NULL },
		/* the driver-domain mode (netback_domain = dd32, docs/pv32.md) */
		{ "netback_domain = dd31\n", ":1: netback_domain: 'dd31' is not one of: dom0 dd32",
		  NULL },
		{ "backend = xen\nnetback_domain = dd32\n", ":2: netback_domain: dd32 needs dd_kernel",
		  "run-plan --arch i386" },
		{ "backend = xen\nnetback_domain = dd32\ndd_kernel = /k\n",
		  ":2: netback_domain: dd32 needs dd_ramdisk", NULL },
		{ "netback_domain = dd32\ndd_kernel = /k\ndd_ramdisk = /r\n",
		  ":1: netback_domain: dd32 needs backend = xen", "backend netns" },
		{ "backend = xen\ndd_kernel = /k\n", ":2: dd_kernel: only for netback_domain = dd32",
		  "it is dom0" },
		{ "backend = xen\nnetback_domain = dom0\ndd_cpus = 0\n",
		  ":3: dd_cpus: only for netback_domain = dd32", NULL },
		{ "backend = xen\nnetback_domain = dd32\ndd_kernel = /k\ndd_ramdisk = /r\n"
		  "dd_memory = 16\n", ":5: dd_memory: '16' is not a whole number in 64..", NULL },
		{ "backend = xen\nnetback_domain = dd32\ndd_kernel = \ndd_ramdisk = /r\n",
		  ":3: dd_kernel: empty value", NULL },
		/* client_addrs: the clients' source addresses, in turn */
		{ "client_addrs = 198.18.0.1 198.18.0\n",
		  ":1: client_addrs: '198.18.0' is not an IPv4 address", NULL },
		{ "vms = 1\nclient_addrs = 198.18.0.1 dom0.example\n",
		  ":2: client_addrs: 'dom0.example' is not an IPv4 address", NULL },
		{ "client_addrs = 198.18.0.1 198.18.0.02\n", "'198.18.0.02' is not an IPv4", NULL },
		{ "client_addrs = 198.18.0.1 198.18.0.256\n", "'198.18.0.256' is not an IPv4", NULL },
		{ "client_addrs = 198.18.0.1 fe80::1\n", "'fe80::1' is not an IPv4", NULL },
		{ "client_addrs = 198.18.0.1 198.18.0.2/24\n", "'198.18.0.2/24' is not an IPv4",
		  NULL },
		{ "client_addrs = 0.0.0.0 198.18.0.2\n", "'0.0.0.0' is not a unicast address", NULL },
		{ "client_addrs = 198.18.0.1 239.1.1.1\n", "'239.1.1.1' is not a unicast", NULL },
		{ "client_addrs = 198.18.0.1 198.18.0.2 198.18.0.1\n",
		  ":1: client_addrs: '198.18.0.1' listed twice", NULL },
		{ "client_addrs = 198.18.0.1\n", ":1: client_addrs: one address ('198.18.0.1')",
		  "give two or more" },
		{ "client_addrs = 10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5 10.0.0.6 10.0.0.7 "
		  "10.0.0.8 10.0.0.9 10.0.0.10 10.0.0.11 10.0.0.12 10.0.0.13 10.0.0.14 10.0.0.15 "
		  "10.0.0.16 10.0.0.17\n", "17 addresses, at most 16", NULL },
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct plan p;
		struct err e = { "" };
		int rc = load_plan(cases[k].text, &p, &e);

		CHECK(rc < 0, "case %zu accepted", k);
		CHECK(strstr(e.msg, "t.plan") && strstr(e.msg, cases[k].want1) &&
		      (!cases[k].want2 || strstr(e.msg, cases[k].want2)),
		      "case %zu: message '%s'", k, e.msg);
		plan_free(&p);
	}
	struct plan p;
	struct err e;

	plan_init(&p);
	CHECK(plan_read_file(&p, "/nonexistent/x.plan", &e) < 0 &&
	      strstr(e.msg, "/nonexistent/x.plan: cannot read plan"), "missing file: %s", e.msg);
	plan_free(&p);
}

/* ---- TCP probe: real sockets on loopback ---- */

/* A listener on 127.0.0.1, kernel-chosen port; -1 on failure. */
static int loopback_listener(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/* The source address of the connection waiting on lfd ("" if none in 1 s). */
static void accepted_peer(int lfd, char *out, size_t len)
{
	struct sockaddr_in peer;
	socklen_t pl = sizeof(peer);
	struct pollfd pf = { .fd = lfd, .events = POLLIN };
	int c;

	out[0] = '\0';
	if (poll(&pf, 1, 1000) != 1)
		return;
	c = accept4(lfd, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);
	if (c < 0)
		return;
	inet_ntop(AF_INET, &peer.sin_addr, out, (socklen_t)len);
	close(c);
}

static void t_tcp_probe(void)
{
	char peer[INET_ADDRSTRLEN], port_s[16];
	int port = 0, lfd = loopback_listener(&port);
	struct err e = { "" };

	CHECK(lfd >= 0, "no loopback listener: %s", strerror(errno));
	if (lfd < 0)
		return;
	CHECK(tcp_port_answers("127.0.0.1", port, NULL, 1.0), "unbound probe not answered");
	accepted_peer(lfd, peer, sizeof(peer));
	CHECK(!strcmp(peer, "127.0.0.1"), "unbound probe came from '%s'", peer);
	/* the server sees the chosen source (all of 127/8 is this host's) */
	CHECK(tcp_port_answers("127.0.0.1", port, "127.0.0.2", 1.0), "probe from .2 not answered");
	accepted_peer(lfd, peer, sizeof(peer));
	CHECK(!strcmp(peer, "127.0.0.2"), "probe from 127.0.0.2 came from '%s'", peer);
	CHECK(tcp_port_answers("127.0.0.1", port, "127.0.0.3", 1.0), "probe from .3 not answered");
	accepted_peer(lfd, peer, sizeof(peer));
	CHECK(!strcmp(peer, "127.0.0.3"), "probe from 127.0.0.3 came from '%s'", peer);
	/* not this host's (TEST-NET-2): the bind fails, nothing is sent */
	CHECK(!tcp_port_answers("127.0.0.1", port, "198.51.100.7", 1.0),
	      "probe from a foreign source answered");
	accepted_peer(lfd, peer, sizeof(peer));
	CHECK(!peer[0], "a connection arrived from '%s'", peer);
	CHECK(!tcp_port_answers("127.0.0.1", port, "not-an-address", 1.0), "bad source answered");
	close(lfd);
	/* a closed port */
	snprintf(port_s, sizeof(port_s), "%d", port);
	CHECK(!tcp_port_answers("127.0.0.1", port, "127.0.0.2", 1.0), "closed port %s answered",
	      port_s);
	CHECK(tcp_can_bind("127.0.0.2", &e) == 0, "127.0.0.2 not bindable: %s", e.msg);
	CHECK(tcp_can_bind("198.51.100.7", &e) < 0 && strstr(e.msg, "Cannot assign requested"),
	      "198.51.100.7 bindable? %s", e.msg);
	CHECK(addr_host_in("198.18.0.2", "198.18.0") == 2 &&
	      addr_host_in("198.18.0.10", "198.18.0") == 10 &&
	      addr_host_in("198.18.10.2", "198.18.0") == -1 &&
	      addr_host_in("198.18.0.02", "198.18.0") == -1 &&
	      addr_host_in("198.18.0.256", "198.18.0") == -1 &&
	      addr_host_in("198.18.0.", "198.18.0") == -1 &&
	      addr_host_in("198.18.01.2", "198.18.0") == -1, "addr_host_in");
}

/* ---- iperf CSV ---- */

static char *fixture(const char *name)
{
	char path[512];
	struct buf b = { 0 };

	snprintf(path, sizeof(path), "%s/%s", datadir, name);
	if (read_file(path, &b) < 0) {
		CHECK(0, "fixture %s: %s", path, strerror(errno));
		return xstrdup("");
	}
	return b.p;
}

/* Sum of the last field of every line, as an independent reference. */
static double sum_bps(const char *text)
{
	double s = 0;

	for (const char *l = text; l && *l;) {
		const char *eol = strchr(l, '\n');
		const char *end = eol ? eol : l + strlen(l), *comma = end;

		while (comma > l && comma[-1] != ',')
			comma--;
		if (comma > l)
			s += strtod(comma, NULL);
		l = eol ? eol + 1 : NULL;
	}
	return s;
}

static void t_csv_single(void)
{
	char *t = fixture("single.csv"), why[256];
	struct iperf_result r;

	CHECK(iperf_parse_csv(t, 1, 2, &r, why, sizeof(why)) == 0, "%s", why);
	CHECK(r.streams == 1 && fabs(r.gbps - sum_bps(t) / 1e9) < 1e-9 && r.gbps > 0.1,
	      "gbps %f", r.gbps);
	CHECK(iperf_parse_csv(t, 2, 2, &r, why, sizeof(why)) < 0 &&
	      strstr(why, "1 of 2 streams"), "want 2 streams: %s", why);
	free(t);
}

static void t_csv_multi(void)
{
	const char *names[] = { "p4.csv", "reverse-p4.csv" };

	for (int k = 0; k < 2; k++) {
		char *t = fixture(names[k]), why[256];
		struct iperf_result r;

		CHECK(iperf_parse_csv(t, 4, 2, &r, why, sizeof(why)) == 0, "%s: %s", names[k], why);
		CHECK(r.streams == 4 && fabs(r.gbps - sum_bps(t) / 1e9) < 1e-9,
		      "%s: streams %d gbps %f", names[k], r.streams, r.gbps);
		free(t);
	}
}

static void t_csv_reverse(void)
{
	char *t = fixture("reverse.csv"), why[256];
	struct iperf_result r;

	CHECK(strstr(t, ",5001,"), "reverse fixture: guest port should be local");
	CHECK(iperf_parse_csv(t, 1, 2, &r, why, sizeof(why)) == 0 && r.gbps > 0.1, "%s", why);
	free(t);
}

static void t_csv_failures(void)
{
	char *t = fixture("refused.csv"), *err = fixture("refused.err"), why[256];
	struct iperf_result r;

	CHECK(strstr(err, "Connection refused"), "refused fixture stderr");
	CHECK(iperf_parse_csv(t, 1, 2, &r, why, sizeof(why)) < 0 && strstr(why, "no iperf CSV"),
	      "refused: %s", why);
	free(t);
	free(err);
	/* Server killed after 1 s of a 3 s run with -P 2. */
	t = fixture("killed-mid.csv");
	CHECK(iperf_parse_csv(t, 2, 3, &r, why, sizeof(why)) < 0 &&
	      strstr(why, "ran only 1.0 s of 3 s") && r.streams == 2 && r.gbps > 0,
	      "killed mid-run: %s", why);
	free(t);
	/* Human-readable text (no -y C) is never taken for a result. */
	CHECK(iperf_parse_csv("[  1] 0.0000-2.0 sec  3.5 GBytes  15.0 Gbits/sec\n", 1, 2, &r,
			      why, sizeof(why)) < 0, "human text parsed");
	/* Older iperf 2 SUM line (id -1) is not double counted. */
	CHECK(iperf_parse_csv("x,a,1,b,2,1,0.0-2.0,1,1000000000\n"
			      "x,a,1,b,2,2,0.0-2.0,1,2000000000\n"
			      "x,a,1,b,2,-1,0.0-2.0,2,3000000000\n", 2, 2, &r, why,
			      sizeof(why)) == 0 && fabs(r.gbps - 3.0) < 1e-12, "sum line %f", r.gbps);
	/* A stream that moved nothing over the whole run fails it. */
	CHECK(iperf_parse_csv("x,a,1,b,2,1,0.0-2.0,1,1000000000\n"
			      "x,a,1,b,2,2,0.0-2.0,0,0\n", 2, 2, &r, why,
			      sizeof(why)) < 0 && strstr(why, "stream 2 moved no data"),
	      "zero stream: %s", why);
	/* Interval lines (-i) before the final ones. */
	CHECK(iperf_parse_csv("x,a,1,b,2,1,0.0-1.0,1,5000000000\n"
			      "x,a,1,b,2,1,1.0-2.0,1,7000000000\n"
			      "x,a,1,b,2,1,0.0-2.0,1,6000000000\n", 1, 2, &r, why,
			      sizeof(why)) == 0 && fabs(r.gbps - 6.0) < 1e-12, "intervals %f", r.gbps);
}

/* ---- Python literals ---- */

static void t_pylit_float(void)
{
	static const struct { double v; const char *want; } cases[] = {
		{ 0.1, "0.1" }, { 3, "3.0" }, { -0.0, "-0.0" }, { 1e300, "1e+300" },
		{ 15.822795626999998, "15.822795626999998" }, { 123456789.0, "123456789.0" },
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct buf b = { 0 };

		pyl_float(&b, cases[k].v);
		CHECK(!strcmp(b.p, cases[k].want), "%g -> %s, want %s", cases[k].v, b.p,
		      cases[k].want);
		buf_free(&b);
	}
	struct buf b = { 0 };

	pyl_float(&b, NAN);
	buf_adds(&b, " ");
	pyl_float(&b, INFINITY);
	CHECK(!strcmp(b.p, "None None"), "non-finite: %s", b.p);
	buf_free(&b);
}

static void t_pylit_roundtrip_c(void)
{
	static const char *const strs[] = {
		"", "plain", "it's", "\"dq\"", "back\\slash", "new\nline\r\t",
		"\x01\x1f\x7f", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\\x41 not an escape",
		"'''", "end\\",
	};
	struct buf b = { 0 };
	struct err e;

	buf_adds(&b, "[");
	for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++) {
		buf_adds(&b, k ? ", " : "");
		pyl_str(&b, strs[k]);
	}
	buf_adds(&b, ", 1, -2, 2.5, -1e-05, None, True, False, {'k': [1, {}], 'x': []}]");
	struct pyval *v = pyl_parse(b.p, b.len, &e);

	CHECK(v && v->t == PY_LIST, "parse: %s", v ? "not list" : e.msg);
	if (v) {
		size_t n = sizeof(strs) / sizeof(strs[0]);

		for (size_t k = 0; k < n; k++)
			CHECK(v->items[k]->t == PY_STR && v->items[k]->slen == strlen(strs[k]) &&
			      !memcmp(v->items[k]->s, strs[k], strlen(strs[k])),
			      "string %zu differs", k);
		CHECK(v->items[n]->i == 1 && v->items[n + 1]->i == -2 &&
		      v->items[n + 2]->f == 2.5 && v->items[n + 3]->f == -1e-05 &&
		      v->items[n + 4]->t == PY_NONE && v->items[n + 5]->b &&
		      !v->items[n + 6]->b && pyl_get(v->items[n + 7], "x")->t == PY_LIST,
		      "scalars");
	}
	pyval_free(v);
	buf_free(&b);
	/* Python's own spellings. */
	const char *py = "[\"a'b\", 'tab\\there', '\\u20ac\\U0001F600\\x41\\101', {1: 2}, ]";

	v = pyl_parse(py, strlen(py), &e);
	CHECK(v && v->n == 4 && !strcmp(v->items[0]->s, "a'b") &&
	      !strcmp(v->items[1]->s, "tab\there") &&
	      !strcmp(v->items[2]->s, "\xe2\x82\xac\xf0\x9f\x98\x80" "AA"),
	      "python spellings: %s", v ? "mismatch" : e.msg);
	pyval_free(v);
	/* Bad literals are refused with a position. */
	const char *bad[] = { "[1, 2", "['a]", "[1 2]", "{'a' 1}", "[nan]", "[1] x", "" };

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		v = pyl_parse(bad[k], strlen(bad[k]), &e);
		CHECK(!v && strstr(e.msg, "line 1"), "bad literal %zu accepted or no position: %s",
		      k, e.msg);
		pyval_free(v);
	}
}

/* ---- results file ---- */

static void t_results(void)
{
	char path[512], dir[600];
	struct results r;
	struct err e;
	struct buf before = { 0 }, after = { 0 };
	const char *rec1 = "{'record': 'run', 'kernel': 'k', 'direction': 'dom0-to-domU', "
			   "'vms': 1, 'streams': 2, 'repeat': 3, 'status': 'ok'}";
	const char *rec2 = "{'record': 'run', 'kernel': 'k', 'direction': 'domU-to-dom0', "
			   "'vms': 1, 'streams': 2, 'repeat': 3, 'status': 'failed'}";

	snprintf(path, sizeof(path), "%s/r.pylist", tmpdir);
	unlink(path);
	CHECK(results_open(&r, path, &e) == 0, "open new: %s", e.msg);
	CHECK(results_append(&r, rec1, &e) == 0, "append: %s", e.msg);
	CHECK(results_append(&r, "not a dict", &e) < 0, "garbage record accepted");
	CHECK(results_has_ok(&r, "k", "dom0-to-domU", 1, 2, 3), "ok identity");
	results_close(&r);
	/* Hand-formatted earlier record: kept byte for byte. */
	FILE *f = fopen(path, "w");

	fputs("[ {'record':'meta',  'odd' : \"spacing\"} ,\n\n", f);
	fprintf(f, "%s ]\n", rec1);
	fclose(f);
	read_file(path, &before);
	CHECK(results_open(&r, path, &e) == 0, "reopen: %s", e.msg);
	CHECK(r.nrecs == 2 && results_has_ok(&r, "k", "dom0-to-domU", 1, 2, 3), "loaded");
	CHECK(!results_has_ok(&r, "k", "domU-to-dom0", 1, 2, 3), "not yet");
	CHECK(results_append(&r, rec2, &e) == 0, "append 2: %s", e.msg);
	CHECK(!results_has_ok(&r, "k", "domU-to-dom0", 1, 2, 3), "failed is not ok");
	results_close(&r);
	read_file(path, &after);
	CHECK(strstr(after.p, "{'record':'meta',  'odd' : \"spacing\"}") && strstr(after.p, rec1) &&
	      strstr(after.p, rec2), "verbatim: %s", after.p);
	buf_free(&before);
	buf_free(&after);
	/* A file that is not ours is refused and left alone. */
	f = fopen(path, "w");
	fputs("[{'a': 1}, oops]\n", f);
	fclose(f);
	CHECK(results_open(&r, path, &e) < 0 && strstr(e.msg, "not a results file") &&
	      strstr(e.msg, "line 1, column 12"), "garbage file: %s", e.msg);
	results_close(&r);
	read_file(path, &after);
	CHECK(!strcmp(after.p, "[{'a': 1}, oops]\n"), "garbage file was changed");
	buf_free(&after);
	/* A second session on the same file is refused. */
	struct results r2;

	unlink(path);
	CHECK(results_open(&r, path, &e) == 0, "open: %s", e.msg);
	CHECK(results_open(&r2, path, &e) < 0 && strstr(e.msg, "in use"), "lock: %s", e.msg);
	results_close(&r2);
	results_close(&r);
	CHECK(results_open(&r, "/nonexistent-dir/r.pylist", &e) < 0 &&
	      strstr(e.msg, "does not exist"), "missing dir: %s", e.msg);
	results_close(&r);
	snprintf(dir, sizeof(dir), "%s/adir", tmpdir);
	mkdir(dir, 0755);
	CHECK(results_open(&r, dir, &e) < 0 && strstr(e.msg, "not a regular file"),
	      "dir as results: %s", e.msg);
	results_close(&r);
}

/* ---- run-command ---- */

/*
 * Is any process of group pg still running (zombies do not count: PID 1
 * here does not always reap orphans at once)?
 */
static bool group_alive(pid_t pg)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	bool alive = false;

	while (d && (de = readdir(d)) && !alive) {
		char path[300], buf[512], *rp, state;
		int pgrp = 0;
		FILE *f;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		if (fgets(buf, sizeof(buf), f) && (rp = strrchr(buf, ')')) &&
		    sscanf(rp + 1, " %c %*d %d", &state, &pgrp) == 2)
			alive = pgrp == pg && state != 'Z' && state != 'X';
		fclose(f);
	}
	if (d)
		closedir(d);
	return alive;
}

static void t_runcmd(void)
{
	struct buf out = { 0 };
	struct err e;
	double t0;

	const char *echo[] = { "printf", "a b\\n%s", "'; rm -rf /'", NULL };
	CHECK(run_argv(echo, 5, &out, &e) == 0, "printf: %s", e.msg);
	CHECK(out.p && !strcmp(out.p, "a b\n'; rm -rf /'"), "argv passed verbatim: %s", out.p);
	buf_free(&out);

	const char *fail[] = { "sh", "-c", "echo oops >&2; exit 3", NULL };
	CHECK(run_argv(fail, 5, NULL, &e) < 0 && strstr(e.msg, "exit 3") && strstr(e.msg, "oops"),
	      "exit status and stderr: %s", e.msg);

	const char *missing[] = { "vifbench-no-such-program", NULL };
	CHECK(run_argv(missing, 5, NULL, &e) < 0 && strstr(e.msg, "cannot run") &&
	      strstr(e.msg, "No such file"), "exec failure: %s", e.msg);

	/* A deadline kills the whole group, grandchildren included. */
	const char *tree[] = { "sh", "-c", "sleep 30 & sleep 30; wait", NULL };
	struct child c, *cp = &c;

	t0 = now_mono();
	CHECK(child_start(&c, tree, RC_CAPTURE_OUT, 0.3, &e) == 0, "start: %s", e.msg);
	pid_t pg = c.pid;
	CHECK(child_wait_all(&cp, 1, NULL, NULL) == 0, "wait");
	CHECK(c.timed_out && now_mono() - t0 < 2.0, "deadline not enforced (%.2f s)",
	      now_mono() - t0);
	for (int k = 0; k < 100 && group_alive(pg); k++)
		sleep_s(0.01);
	CHECK(!group_alive(pg), "process group %d still alive", (int)pg);
	char how[64];

	child_describe_status(&c, how, sizeof(how));
	CHECK(strstr(how, "timed out"), "status text: %s", how);
	child_free(&c);

	/* Several children at once, outputs kept apart. */
	const char *a[] = { "sh", "-c", "sleep 0.2; echo A", NULL };
	const char *b[] = { "sh", "-c", "echo B; echo b >&2", NULL };
	struct child cs[2], *cps[2] = { &cs[0], &cs[1] };

	CHECK(child_start(&cs[0], a, RC_CAPTURE_OUT | RC_CAPTURE_ERR, 5, &e) == 0, "a");
	CHECK(child_start(&cs[1], b, RC_CAPTURE_OUT | RC_CAPTURE_ERR, 5, &e) == 0, "b");
	CHECK(child_wait_all(cps, 2, NULL, NULL) == 0, "wait 2");
	CHECK(cs[0].out.p && !strcmp(cs[0].out.p, "A\n") && cs[1].out.p &&
	      !strcmp(cs[1].out.p, "B\n") && cs[1].err.p && !strcmp(cs[1].err.p, "b\n"),
	      "outputs mixed up");
	CHECK(WIFEXITED(cs[0].status) && WEXITSTATUS(cs[0].status) == 0, "status a");
	child_free(&cs[0]);
	child_free(&cs[1]);

	/* child_stop: SIGTERM, grace, then SIGKILL for one that ignores it. */
	const char *stubborn[] = { "sh", "-c", "trap '' TERM; sleep 30", NULL };

	CHECK(child_start(&c, stubborn, RC_NULL_OUT, 0, &e) == 0, "start stubborn");
	sleep_s(0.1);
	t0 = now_mono();
	pg = c.pid;
	child_stop(&c, 0.3);
	for (int k = 0; k < 100 && group_alive(pg); k++)
		sleep_s(0.01);
	CHECK(now_mono() - t0 < 2.5 && c.pid == 0 && !group_alive(pg), "stop did not kill");
	child_free(&c);
}

/* ---- helper modes for run_tests.py ---- */

static int pylit_encode(const char *in, const char *out)
{
	struct buf text = { 0 }, lit = { 0 };
	FILE *f;

	if (read_file(in, &text) < 0)
		return 1;
	buf_adds(&lit, "[");
	int k = 0;

	for (char *line = text.p, *next; line && *line; line = next, k++) {
		size_t n = 0;
		char *bytes;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		bytes = xmalloc(strlen(line) / 2 + 1);
		for (char *h = line; h[0] && h[1]; h += 2) {
			unsigned v;

			sscanf(h, "%2x", &v);
			bytes[n++] = (char)v;
		}
		buf_adds(&lit, k ? ", " : "");
		pyl_strn(&lit, bytes, n);
		free(bytes);
	}
	buf_adds(&lit, "]\n");
	f = fopen(out, "w");
	fwrite(lit.p, 1, lit.len, f);
	fclose(f);
	return 0;
}

static int pylit_decode(const char *in)
{
	struct buf text = { 0 };
	struct err e;
	struct pyval *v;

	if (read_file(in, &text) < 0)
		return 1;
	v = pyl_parse(text.p, text.len, &e);
	if (!v || v->t != PY_LIST) {
		fprintf(stderr, "parse: %s\n", v ? "not a list" : e.msg);
		return 1;
	}
	for (size_t k = 0; k < v->n; k++) {
		for (size_t i = 0; i < v->items[k]->slen; i++)
			printf("%02x", (unsigned char)v->items[k]->s[i]);
		printf("\n");
	}
	pyval_free(v);
	buf_free(&text);
	return 0;
}

/* Failed records whose kernel died are counted per identity (the runner gives up on a run
 * after MAX_KERNEL_DEATHS of them); other failures and ok records are not deaths. */
static void t_results_deaths(void)
{
	char path[512];
	struct results r;
	struct err e;
	FILE *f;

	snprintf(path, sizeof(path), "%s/r.pylist", tmpdir);
	f = fopen(path, "w");
	fputs("[{'record': 'run', 'kernel': 'plain', 'direction': 'dom0-to-domU', 'vms': 4, "
	      "'streams': 4, 'repeat': 1, 'status': 'failed', 'reason': '" RESULTS_KERNEL_DIED
	      " (oops/BUG, taint D): kernel BUG at netback.c:709!'},\n"
	      " {'record': 'run', 'kernel': 'plain', 'direction': 'dom0-to-domU', 'vms': 4, "
	      "'streams': 4, 'repeat': 1, 'status': 'failed', 'reason': 'Split-1: iperf server dead'},\n"
	      " {'record': 'run', 'kernel': 'plain', 'direction': 'dom0-to-domU', 'vms': 4, "
	      "'streams': 4, 'repeat': 1, 'status': 'failed', 'reason': '" RESULTS_KERNEL_DIED
	      " (oops/BUG, taint D): x'},\n"
	      " {'record': 'run', 'kernel': 'plain', 'direction': 'domU-to-dom0', 'vms': 4, "
	      "'streams': 4, 'repeat': 1, 'status': 'ok', 'reason': ''}]\n", f);
	fclose(f);
	CHECK(results_open(&r, path, &e) == 0, "open: %s", e.msg);
	CHECK(results_kernel_deaths(&r, "plain", "dom0-to-domU", 4, 4, 1) == 2, "two deaths");
	CHECK(results_kernel_deaths(&r, "plain", "domU-to-dom0", 4, 4, 1) == 0, "ok is no death");
	CHECK(results_kernel_deaths(&r, "patched", "dom0-to-domU", 4, 4, 1) == 0, "other kernel");
	CHECK(!results_has_ok(&r, "plain", "dom0-to-domU", 4, 4, 1), "not ok");
	results_close(&r);
	unlink(path);
}

/* A real capture: the plain 3.11 netback's BUG on the emulated host (v3 study,
 * 4 guests x 4 streams), the kernel's lines given klogctl's "<4>" prefix. */
static void t_kernel_health(void)
{
	struct buf log = { 0 };
	char line[512], path[512];
	unsigned long t;

	snprintf(path, sizeof(path), "%s/oops-netback-plain-3.11.log", datadir);
	CHECK(read_file(path, &log) == 0, "cannot read %s", path);
	kernel_death_line_in(log.p, log.len, line, sizeof(line));
	CHECK(!strcmp(line, "kernel BUG at /work/main/build/kernel/src-plain/drivers/net/"
		       "xen-netback/netback.c:709!"), "death line: '%s'", line);
	const char *clean = "<6>[ 1.0] all well\nvif1.0: up\n";
	const char *bug = "<1>[ 9.5] BUG: unable to handle kernel paging request";

	kernel_death_line_in(clean, strlen(clean), line, sizeof(line));
	CHECK(line[0] == '\0', "no death in a clean log: '%s'", line);
	kernel_death_line_in(bug, strlen(bug), line, sizeof(line));
	CHECK(!strcmp(line, "BUG: unable to handle kernel paging request"), "'%s'", line);
	CHECK(kernel_taint_parse("128\n", &t) && (t & TAINT_DIE_BIT), "taint 128 is D");
	CHECK(kernel_taint_parse("512\n", &t) && !(t & TAINT_DIE_BIT), "taint 512 (W) is not D");
	CHECK(!kernel_taint_parse("x\n", &t) && !kernel_taint_parse("", &t), "bad taint text");
	buf_free(&log);
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--pylit-encode"))
		return pylit_encode(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "--pylit-decode"))
		return pylit_decode(argv[2]);
	datadir = argc > 1 ? argv[1] : "harness/tests/data";
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vifbench-unit.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	run_test("plan: defaults", t_plan_defaults);
	run_test("plan: values, ranges, order, limits", t_plan_values);
	run_test("plan: command-line overrides", t_plan_cli_override);
	run_test("plan: bad files name file, line, problem", t_plan_bad);
	run_test("plan: netback_domain = dd32 and its keys", t_plan_dd);
	run_test("plan: client_addrs, run k uses address k mod n", t_plan_client_addrs);
	run_test("tcp probe: from a chosen source (the server sees it), refusals", t_tcp_probe);
	run_test("iperf csv: single stream", t_csv_single);
	run_test("iperf csv: -P 4, forward and reverse", t_csv_multi);
	run_test("iperf csv: reverse mode", t_csv_reverse);
	run_test("iperf csv: refused, killed mid-run, human text", t_csv_failures);
	run_test("pylit: floats", t_pylit_float);
	run_test("pylit: write/read round trip", t_pylit_roundtrip_c);
	run_test("results: append, verbatim, refuse, lock", t_results);
	run_test("runcmd: argv, status, exec failure, deadline kills group, stop", t_runcmd);
	run_test("kernel health: taint D, the oops line from a real capture", t_kernel_health);
	run_test("results: kernel deaths counted per identity", t_results_deaths);
	printf("unit: %d passed, %d failed\n", passed, failed);
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "%s", tmpdir);
	/* tmpdir holds only files we made; remove them without a shell. */
	const char *files[] = { "t.plan", "o.plan", "r.pylist", "r.pylist.lock", "adir", NULL };

	for (int k = 0; files[k]; k++) {
		char p[600];

		snprintf(p, sizeof(p), "%s/%s", tmpdir, files[k]);
		if (unlink(p) < 0)
			rmdir(p);
	}
	rmdir(cmd);
	return failed ? 1 : 0;
}
