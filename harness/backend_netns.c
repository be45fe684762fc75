/*
 * netns backend: the whole runner on one Linux kernel, no hypervisor.
 * Guest i is network namespace vb-<i>, joined by a veth pair (vbh-<i> in
 * the root namespace, vbg-<i> inside) to bridge vbbr0, which holds dom0's
 * address.  Addresses come from 198.18.10.0/24, inside the benchmarking
 * range 198.18.0.0/15 (RFC 2544) that no real network uses: dom0 is .1,
 * guest i is .(10+i).  Each guest runs only `iperf -s`.  Traffic flows
 * only between the root namespace and namespaces made here.  The plan's
 * client_addrs must lie in .1-.10 (the bridge's /24, below the guests):
 * open gives them to vbbr0 beside .1, so the clients (in the root
 * namespace) and the probes can be bound to them.
 *
 * dom0 CPU is the machine's: /proc/stat, all CPUs.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "backend.h"
#include "tcp_probe.h"
#include "runcmd.h"

#define NS_PREFIX "vb-"
#define BRIDGE "vbbr0"
#define SUBNET "198.18.10"
#define LOCK_PATH "/run/vifbench-netns.lock"
#define MAX_GUESTS 200
#define IP_TIMEOUT 10.0
#define LOCK_WAIT_S 900

struct netns {
	int lock_fd;
	bool bridge_made;
	unsigned nstarted;               /* namespaces vb-1..n exist */
	struct child server[MAX_GUESTS]; /* iperf -s per guest */
	bool server_running[MAX_GUESTS];
	char *server_log;                /* servers' output, beside the results */
};

static double netns_estimate(unsigned n)
{
	return 0.5 + 0.05 * n;
}

static int netns_validate(struct backend *b, struct err *e)
{
	const struct optval *vms = &b->plan->v[K_VMS];

	if (geteuid() != 0)
		return err_set(e, "backend netns: needs root (it creates network namespaces)");
	for (size_t k = 0; k < vms->nints; k++)
		if (vms->ints[k] > MAX_GUESTS)
			return err_set(e, "%s: vms: netns addresses at most %d guests",
				       vms->where, MAX_GUESTS);
	if (!runcmd_in_path("ip"))
		return err_set(e, "backend netns: 'ip' (iproute2) not found in PATH");
	if (!runcmd_in_path("iperf"))
		return err_set(e, "backend netns: 'iperf' (iperf 2) not found in PATH");
	const struct optval *ca = &b->plan->v[K_CLIENT_ADDRS];

	for (size_t k = 0; k < ca->nwords; k++) {
		int h = addr_host_in(ca->words[k], SUBNET);

		if (h < 1 || h > 10)
			return err_set(e, "%s: client_addrs: '%s' is not in " SUBNET ".1-10 (backend "
				       "netns gives them to its bridge " BRIDGE "; guests are " SUBNET
				       ".11 and up)", ca->where, ca->words[k]);
	}
	return 0;
}

static int ip(struct err *e, const char *a1, const char *a2, const char *a3,
	      const char *a4, const char *a5, const char *a6, const char *a7,
	      const char *a8, const char *a9)
{
	const char *argv[] = { "ip", a1, a2, a3, a4, a5, a6, a7, a8, a9, NULL };

	return run_argv(argv, IP_TIMEOUT, NULL, e);
}

static void ns_name(unsigned i, char *out, size_t len)
{
	snprintf(out, len, NS_PREFIX "%u", i);
}

static bool is_our_ns(const char *name)
{
	size_t l = strlen(NS_PREFIX);

	if (strncmp(name, NS_PREFIX, l) || !name[l])
		return false;
	for (const char *c = name + l; *c; c++)
		if (*c < '0' || *c > '9')
			return false;
	return true;
}

/* Kill every process left in a namespace of ours, then delete it. */
static int remove_ns(const char *name, struct err *e)
{
	const char *pids_argv[] = { "ip", "netns", "pids", name, NULL };
	struct buf out = { 0 };

	if (run_argv(pids_argv, IP_TIMEOUT, &out, e) == 0 && out.p) {
		for (char *t = strtok(out.p, " \n"); t; t = strtok(NULL, " \n")) {
			long pid = strtol(t, NULL, 10);

			if (pid > 1)
				kill((pid_t)pid, SIGKILL);
		}
	}
	buf_free(&out);
	return ip(e, "netns", "del", name, NULL, NULL, NULL, NULL, NULL, NULL);
}

/*
 * Delete the root end of guest i's veth pair, if it exists.  Deleting one
 * end removes both at once; leaving it to the namespace's teardown would
 * be asynchronous, and the next start could find vbh-<i> still there.
 */
static int remove_veth(unsigned i, struct err *e)
{
	char host_if[32];
	const char *show[] = { "ip", "link", "show", host_if, NULL };
	struct err ignore;

	snprintf(host_if, sizeof(host_if), "vbh-%u", i);
	if (run_argv(show, IP_TIMEOUT, NULL, &ignore) < 0)
		return 0;   /* not there */
	if (ip(e, "link", "del", host_if, NULL, NULL, NULL, NULL, NULL, NULL) == 0)
		return 0;
	/* Gone meanwhile (its namespace's teardown took it): fine. */
	return run_argv(show, IP_TIMEOUT, NULL, &ignore) < 0 ? 0 : -1;
}

static int remove_leftovers(struct err *e)
{
	const char *list_argv[] = { "ip", "netns", "list", NULL };
	const char *show_argv[] = { "ip", "link", "show", BRIDGE, NULL };
	struct buf out = { 0 };
	struct err ignore;
	int n = 0;

	if (run_argv(list_argv, IP_TIMEOUT, &out, e) < 0)
		return -1;
	char **names = NULL;
	size_t nn = 0;

	for (char *line = out.p, *next; line && *line; line = next) {
		char name[64];

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (sscanf(line, "%63s", name) == 1 && is_our_ns(name)) {
			names = xrealloc(names, (nn + 1) * sizeof(*names));
			names[nn++] = xstrdup(name);
		}
	}
	buf_free(&out);
	for (size_t k = 0; k < nn; k++) {
		if (remove_ns(names[k], e) < 0) {
			for (; k < nn; k++)
				free(names[k]);
			free(names);
			return -1;
		}
		n++;
		free(names[k]);
	}
	free(names);
	const char *links_argv[] = { "ip", "-o", "link", "show", NULL };

	if (run_argv(links_argv, IP_TIMEOUT, &out, e) < 0)
		return -1;
	for (char *line = out.p, *next; line && *line; line = next) {
		unsigned idx, i;
		char c;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		/* "12: vbh-3@if11: <...>" */
		if (sscanf(line, "%u: vbh-%u%c", &idx, &i, &c) == 3 && (c == '@' || c == ':')) {
			if (remove_veth(i, e) < 0) {
				buf_free(&out);
				return -1;
			}
			n++;
		}
	}
	buf_free(&out);
	if (run_argv(show_argv, IP_TIMEOUT, NULL, &ignore) == 0) {
		if (ip(e, "link", "del", BRIDGE, NULL, NULL, NULL, NULL, NULL, NULL) < 0)
			return -1;
		n++;
	}
	if (n)
		logf_("netns: removed %d leftovers of an earlier session", n);
	return 0;
}

static int netns_open(struct backend *b, struct err *e)
{
	struct netns *ns = xmalloc(sizeof(*ns));

	size_t rl = strlen(b->plan->v[K_RESULTS].str);
	struct buf lp = { 0 };

	memset(ns, 0, sizeof(*ns));
	ns->lock_fd = -1;
	b->priv = ns;
	/* results.pylist -> results.guests.log */
	buf_adds(&lp, b->plan->v[K_RESULTS].str);
	if (rl > 7 && !strcmp(lp.p + rl - 7, ".pylist"))
		lp.p[lp.len = rl - 7] = '\0';
	buf_adds(&lp, ".guests.log");
	ns->server_log = lp.p;
	/* One netns session per machine: the names are fixed. */
	ns->lock_fd = open(LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (ns->lock_fd < 0)
		return err_set(e, "backend netns: %s: %s", LOCK_PATH, strerror(errno));
	/* Sessions queue rather than fail (make check beside a bench), bounded. */
	double until = now_mono() + LOCK_WAIT_S;
	bool said = false;

	while (flock(ns->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (!said) {
			logf_("netns: waiting for another vifbench netns session to end (%s)",
			      LOCK_PATH);
			said = true;
		}
		if (runcmd_interrupted)
			return err_set(e, "backend netns: interrupted while waiting for %s",
				       LOCK_PATH);
		if (now_mono() > until)
			return err_set(e, "backend netns: another vifbench netns session still "
				       "runs after %d s (%s is locked)", LOCK_WAIT_S, LOCK_PATH);
		sleep_s(0.2);
	}
	if (remove_leftovers(e) < 0)
		return -1;
	if (ip(e, "link", "add", BRIDGE, "type", "bridge", NULL, NULL, NULL, NULL) < 0)
		return -1;
	ns->bridge_made = true;
	if (ip(e, "addr", "add", SUBNET ".1/24", "dev", BRIDGE, NULL, NULL, NULL, NULL) < 0)
		return -1;
	/* the clients' other source addresses (client_addrs), beside .1 */
	const struct optval *ca = &b->plan->v[K_CLIENT_ADDRS];

	for (size_t k = 0; k < ca->nwords; k++) {
		char cidr[40];

		if (!strcmp(ca->words[k], SUBNET ".1"))
			continue;
		snprintf(cidr, sizeof(cidr), "%s/24", ca->words[k]);
		if (ip(e, "addr", "add", cidr, "dev", BRIDGE, NULL, NULL, NULL, NULL) < 0)
			return -1;
	}
	if (ip(e, "link", "set", BRIDGE, "up", NULL, NULL, NULL, NULL, NULL) < 0)
		return -1;
	return 0;
}

static int netns_host_info(struct backend *b, struct host_info *hi, struct err *e)
{
	struct utsname u;
	char host[128];
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	(void)b;
	if (uname(&u) < 0)
		return err_set(e, "uname: %s", strerror(errno));
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(hi->kernel_release, sizeof(hi->kernel_release), "%.127s", u.release);
	snprintf(hi->dom0_arch, sizeof(hi->dom0_arch), "%.63s", u.machine);
	hi->dom0_vcpus = n > 0 ? (int)n : 1;
	snprintf(hi->host, sizeof(hi->host),
		 "%s (netns backend: namespaces + veth + bridge, no hypervisor)", host);
	hi->xen_version[0] = '\0';
	return 0;
}

static const char *netns_running_kernel(struct backend *b)
{
	(void)b;
	return NULL;  /* cannot tell: the plan's `kernel` says */
}

static int netns_prepare(struct backend *b, unsigned max_vms, struct err *e)
{
	(void)b, (void)max_vms, (void)e;
	return 0;
}

static int netns_stop_guests(struct backend *b, unsigned n, struct guest *g, struct err *e);

/* Start guest i's `iperf -s` inside its namespace, output to the log. */
static int start_server(struct netns *ns, unsigned i, const struct plan *p, struct err *e)
{
	char name[32], port[16];
	const char *srv[] = { "ip", "netns", "exec", name, "iperf", "-s", "-p", port, NULL };

	ns_name(i, name, sizeof(name));
	snprintf(port, sizeof(port), "%ld", p->v[K_PORT].num);
	ns->server[i - 1].log_path = ns->server_log;
	if (child_start(&ns->server[i - 1], srv, RC_LOG, 0, e) < 0)
		return -1;
	ns->server_running[i - 1] = true;
	return 0;
}

/*
 * Before each run: every guest's server must still be there.  Debian's
 * iperf 2.1.8 server was seen to die of SIGSEGV now and then in the middle
 * of a repeat (rarely: about once in 50 runs here); the run it broke is
 * recorded failed, and we restart the server so the next runs are not
 * lost as well.  A Xen guest's init does the same with a respawn loop.
 */
static int netns_check_guests(struct backend *b, unsigned n, struct guest *g, struct err *e)
{
	struct netns *ns = b->priv;
	const struct plan *p = b->plan;

	for (unsigned i = 0; i < n && i < MAX_GUESTS; i++) {
		char how[64];
		double deadline;

		if (!ns->server_running[i] || !child_exited(&ns->server[i]))
			continue;
		child_stop(&ns->server[i], 0);
		child_describe_status(&ns->server[i], how, sizeof(how));
		child_free(&ns->server[i]);
		ns->server_running[i] = false;
		logf_("netns: iperf -s in %s had ended (%s); restarting it", g[i].name, how);
		if (start_server(ns, i + 1, p, e) < 0)
			return -1;
		deadline = now_mono() + (double)p->v[K_GUEST_START_TIMEOUT].num;
		while (!tcp_port_answers(g[i].addr, (int)p->v[K_PORT].num, b->client_addr, 0.05)) {
			if (now_mono() > deadline || runcmd_interrupted ||
			    child_exited(&ns->server[i]))
				return err_set(e, "%s: iperf -s had ended (%s) and did not come back",
					       g[i].name, how);
			sleep_s(0.02);
		}
	}
	return 0;
}

static int netns_start_guests(struct backend *b, unsigned n, struct guest *g, struct err *e)
{
	struct netns *ns = b->priv;
	const struct plan *p = b->plan;
	double deadline = now_mono() + (double)p->v[K_GUEST_START_TIMEOUT].num;
	char port[16], name[32], host_if[32], guest_if[32], addr[40];
	bool ready[MAX_GUESTS] = { false };
	unsigned nready = 0;
	struct err se;

	if (n > MAX_GUESTS)
		return err_set(e, "netns: %u guests asked, at most %d", n, MAX_GUESTS);
	snprintf(port, sizeof(port), "%ld", p->v[K_PORT].num);
	for (unsigned i = 1; i <= n; i++) {
		struct guest *gi = &g[i - 1];

		ns_name(i, name, sizeof(name));
		snprintf(host_if, sizeof(host_if), "vbh-%u", i);
		snprintf(guest_if, sizeof(guest_if), "vbg-%u", i);
		snprintf(addr, sizeof(addr), SUBNET ".%u/24", 10 + i);
		memset(gi, 0, sizeof(*gi));
		snprintf(gi->name, sizeof(gi->name), "%s", name);
		snprintf(gi->addr, sizeof(gi->addr), SUBNET ".%u", 10 + i);
		gi->split_evtchn = -1;

		if (ip(e, "netns", "add", name, NULL, NULL, NULL, NULL, NULL, NULL) < 0)
			goto fail;
		ns->nstarted = i;
		if (ip(e, "link", "add", host_if, "type", "veth", "peer", "name", guest_if,
		       NULL) < 0 ||
		    ip(e, "link", "set", guest_if, "netns", name, NULL, NULL, NULL, NULL) < 0 ||
		    ip(e, "link", "set", host_if, "master", BRIDGE, "up", NULL, NULL, NULL) < 0 ||
		    ip(e, "-n", name, "addr", "add", addr, "dev", guest_if, NULL, NULL) < 0 ||
		    ip(e, "-n", name, "link", "set", guest_if, "up", NULL, NULL, NULL) < 0 ||
		    ip(e, "-n", name, "link", "set", "lo", "up", NULL, NULL, NULL) < 0)
			goto fail;
		if (start_server(ns, i, p, e) < 0)
			goto fail;
	}
	/* All servers are starting; wait until each answers, bounded. */
	while (nready < n) {
		if (runcmd_interrupted) {
			err_set(e, "interrupted while starting guests");
			goto fail;
		}
		for (unsigned i = 0; i < n; i++) {
			if (ready[i])
				continue;
			if (child_exited(&ns->server[i])) {
				char how[64];

				child_stop(&ns->server[i], 0);
				ns->server_running[i] = false;
				child_describe_status(&ns->server[i], how, sizeof(how));
				err_set(e, "%s: iperf -s ended at once (%s)", g[i].name, how);
				goto fail;
			}
			if (tcp_port_answers(g[i].addr, (int)p->v[K_PORT].num, b->client_addr, 0.05)) {
				ready[i] = true;
				nready++;
			}
		}
		if (nready < n && now_mono() > deadline) {
			for (unsigned i = 0; i < n; i++)
				if (!ready[i]) {
					err_set(e, "%s: iperf port %s not answering after %ld s",
						g[i].name, port, p->v[K_GUEST_START_TIMEOUT].num);
					break;
				}
			goto fail;
		}
		if (nready < n)
			sleep_s(0.02);
	}
	return 0;
fail:
	netns_stop_guests(b, ns->nstarted, g, &se);
	return -1;
}

static int netns_stop_guests(struct backend *b, unsigned n, struct guest *g, struct err *e)
{
	struct netns *ns = b->priv;
	char name[32];
	int rc = 0;

	(void)g;
	for (unsigned i = 0; i < n && i < MAX_GUESTS; i++) {
		if (ns->server_running[i]) {
			/* A server that died during the repeat: say how. */
			if (child_exited(&ns->server[i])) {
				char how[64];

				child_stop(&ns->server[i], 0);
				child_describe_status(&ns->server[i], how, sizeof(how));
				logf_("netns: iperf -s in " NS_PREFIX "%u had ended (%s)", i + 1, how);
			}
			/* iperf -s keeps nothing worth a grace period (on SIGTERM it
			 * waits for its threads): a short one, then SIGKILL. */
			child_stop(&ns->server[i], 0.1);
			child_free(&ns->server[i]);
			ns->server_running[i] = false;
		}
	}
	for (unsigned i = 1; i <= n; i++) {
		ns_name(i, name, sizeof(name));
		if (remove_veth(i, e) < 0 || remove_ns(name, e) < 0)
			rc = -1;
	}
	/* On failure keep nstarted, so close() tries again. */
	if (rc == 0 && n >= ns->nstarted)
		ns->nstarted = 0;
	return rc;
}

static int netns_cpu_busy(struct backend *b, double *secs, struct err *e)
{
	unsigned long long v[10] = { 0 }, total = 0;
	char line[512];
	FILE *f = fopen("/proc/stat", "re");
	int n;

	(void)b;
	if (!f)
		return err_set(e, "/proc/stat: %s", strerror(errno));
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return err_set(e, "/proc/stat: empty");
	}
	fclose(f);
	/* cpu user nice system idle iowait irq softirq steal guest guest_nice;
	 * guest time is already inside user/nice, so stop at steal. */
	n = sscanf(line, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	if (n < 4)
		return err_set(e, "/proc/stat: unexpected first line");
	for (int k = 0; k < 8; k++)
		total += v[k];
	*secs = (double)(total - v[3] - v[4]) / (double)sysconf(_SC_CLK_TCK);
	return 0;
}

static void netns_close(struct backend *b)
{
	struct netns *ns = b->priv;
	struct err e;

	if (!ns)
		return;
	if (ns->nstarted && netns_stop_guests(b, ns->nstarted, NULL, &e) < 0)
		logf_("netns: cleanup: %s", e.msg);
	if (ns->bridge_made &&
	    ip(&e, "link", "del", BRIDGE, NULL, NULL, NULL, NULL, NULL, NULL) < 0)
		logf_("netns: cleanup: %s", e.msg);
	if (ns->lock_fd >= 0)
		close(ns->lock_fd);
	free(ns->server_log);
	free(ns);
	b->priv = NULL;
}

const struct backend_ops netns_backend_ops = {
	.name = "netns",
	.start_estimate_s = netns_estimate,
	.validate = netns_validate,
	.open = netns_open,
	.host_info = netns_host_info,
	.running_kernel = netns_running_kernel,
	.prepare = netns_prepare,
	.start_guests = netns_start_guests,
	.check_guests = netns_check_guests,
	.stop_guests = netns_stop_guests,
	.cpu_busy_seconds = netns_cpu_busy,
	.next_kernel = NULL,
	.close = netns_close,
};
