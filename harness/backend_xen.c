/*
 * xen backend: the study's own setting.  dom0 runs this harness and the
 * iperf clients; guest i is the PV domain <clone_prefix><i> made from the
 * template (<template_dir>/<template>.cfg, xl.cfg form with @FIELD@
 * placeholders, see configs/Split.cfg) and started with the xl toolstack.
 * Each guest runs only `iperf -s` (its init restarts it if it dies).
 *
 * Addresses: guest i is 198.18.0.(10+i) on bridge xenbr0, where dom0 holds
 * 198.18.0.1/24 (RFC 2544 benchmarking range), MAC 00:16:3e:76:62:XX (Xen's
 * OUI; XX = 10+i as in the address).  The plan's client_addrs lie in
 * 198.18.0.1-10: dom0's (on xenbr0; testhost/dom0-init adds .2), or with
 * netback_domain = dd32 given to dd32's bridge on its command line.
 *
 * What xl would only print, we read directly: the vif's connection state
 * and the event channels the frontend chose from xenstore (libxenstore),
 * dom0's VCPU time and the hypervisor version from libxl.  Starting and
 * stopping guests stays with the `xl` command (bounded child processes):
 * libxl's own create/shutdown calls cannot be given a deadline.
 *
 * netback_domain = dd32 (the PV32 path, docs/pv32.md): the netback under
 * test runs in a network driver domain `dd32` (dd_kernel, e.g. an i386
 * kernel on the PV32 hypervisor) that this backend creates in open() and
 * destroys in close().  The guests' vif gets backend=dd32; dd32's /init
 * bridges their vifs on its own xenbr0 (198.18.0.1/24, dom0's address in
 * the study) and plays dom0's part in the traffic: the iperf clients run
 * there, through its agent (testhost/pv32-dd-agent) on a control link
 * (dd32's own vif, backend dom0, on bridge vbdd0: 198.18.1.1 here, .2
 * there; dd_relay.h).  The vif hotplug step a driver domain would do
 * with `xl devd` (32-bit tools that do not exist here) is done from here
 * through libxenstore: hotplug-status=connected for each new backend, and
 * removing a stopped guest's backend directory.  CPU: dd32's VCPU time.
 * One kernel per session as in dom0 mode: the next label is another boot
 * (testhost/run-plan), so a session never mixes two kernels' dd32.
 *
 * Built only when Xen's headers are there (mk/harness.mk defines
 * VIFBENCH_XEN); otherwise `backend = xen` says so and stops.
 */
#define _GNU_SOURCE
#include "backend.h"
#include "tcp_probe.h"

#ifdef VIFBENCH_XEN

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

/* How many `xl create` run at once (memory: see xen_start_guests). */
#define XL_CREATE_AT_ONCE 4u

#include <libxl.h>
#include <libxl_utils.h>
#include <xenstore.h>

#include "dd_relay.h"
#include "runcmd.h"

#define SUBNET "198.18.0"
#define MAC_PREFIX "00:16:3e:76:62"      /* Xen's OUI + "vb" */
#define BRIDGE "xenbr0"
#define MAX_GUESTS 244                   /* 10 + i <= 254 */
#define DEFAULT_TEMPLATE_DIR "/etc/vifbench/templates"
#define LOCK_PATH "/run/vifbench-xen.lock"
#define XL_CMD_TIMEOUT 60.0              /* xl destroy, xl list */
#define XL_SHUTDOWN_TIMEOUT 120.0        /* xl shutdown -w of one guest */
#define GONE_TIMEOUT 60.0                /* domain gone after shutdown/destroy */
#define SERVER_BACK_S 15.0               /* guest init restarts a dead iperf -s */
/* netback_domain = dd32 */
#define DD_NAME "dd32"
#define DD_CTL_BRIDGE "vbdd0"            /* dom0's end of the control link */
#define DD_CTL_NET "198.18.1"            /* .1 dom0, .2 dd32 */
#define DD_CTL_ADDR DD_CTL_NET ".2"
#define DD_CTL_MAC MAC_PREFIX ":02"      /* guests use :0b.. (10 + i) */
#define DD_REQUEST_S 10.0                /* info, probe: a fork and a connect */
#define STR_(v) #v
#define STR(v) STR_(v)
#define DD_AGENT_PORT_S STR(DD_AGENT_PORT)

struct xen {
	libxl_ctx *ctx;
	xentoollog_logger_stdiostream *xtl;
	struct xs_handle *xs;
	int lock_fd;
	char *state_dir;     /* generated xl configs, beside the results */
	unsigned nstarted;   /* guests 1..n may exist */
	unsigned nprepared;  /* configs 1..n written */
	/* netback_domain = dd32 */
	bool dd;
	bool dd_made;        /* dd32 and the control bridge may exist */
	uint32_t dd_domid;   /* once dd32 runs */
	char self_exe[4096]; /* this binary: the relay the runner spawns */
	char dd_release[128], dd_arch[64];
	const char *prefix[5];
};

/* ---------- helpers ---------- */

/* n zeroed child slots (at least one, so n = 0 is fine). */
static struct child *xcalloc_children(unsigned n)
{
	size_t sz = sizeof(struct child) * (n ? n : 1);
	struct child *c = xmalloc(sz);

	memset(c, 0, sz);
	return c;
}

static const char *template_dir(const struct plan *p)
{
	const char *env = getenv("TESTHOST_TEMPLATE_DIR");

	if (p->v[K_TEMPLATE_DIR].set)
		return p->v[K_TEMPLATE_DIR].str;
	return env && *env ? env : DEFAULT_TEMPLATE_DIR;
}

static const char *guest_cpus(const struct plan *p)
{
	const char *env = getenv("TESTHOST_GUEST_CPUS");

	if (p->v[K_GUEST_CPUS].set)
		return p->v[K_GUEST_CPUS].str;
	return env && *env ? env : NULL;
}

/* KEY= from the template folder's env file (<template>.env, else template.env). */
static char *template_env(const struct plan *p, const char *key)
{
	char path[4096];
	struct buf text = { 0 };
	char *val = NULL;
	size_t kl = strlen(key);

	snprintf(path, sizeof(path), "%s/%s.env", template_dir(p), p->v[K_TEMPLATE].str);
	if (read_file(path, &text) < 0) {
		snprintf(path, sizeof(path), "%s/template.env", template_dir(p));
		if (read_file(path, &text) < 0)
			return NULL;
	}
	for (char *line = text.p, *next; line && *line && !val; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strncmp(line, key, kl) && line[kl] == '=')
			val = xstrdup(line + kl + 1);
	}
	buf_free(&text);
	return val;
}

/* Guest kernel or ramdisk: the plan's key, else the env file's. */
static char *guest_file(const struct plan *p, int key, const char *envkey)
{
	if (p->v[key].set)
		return xstrdup(p->v[key].str);
	return template_env(p, envkey);
}

static void guest_name(const struct plan *p, unsigned i, char *out, size_t len)
{
	snprintf(out, len, "%s%u", p->v[K_CLONE_PREFIX].str, i);
}

/* Is name <clone_prefix><digits>? */
static bool is_our_guest(const struct plan *p, const char *name)
{
	const char *pre = p->v[K_CLONE_PREFIX].str;
	size_t l = strlen(pre);

	if (!name || strncmp(name, pre, l) || !name[l])
		return false;
	for (const char *c = name + l; *c; c++)
		if (!isdigit((unsigned char)*c))
			return false;
	return true;
}

static int xl(struct err *e, double timeout, const char *a1, const char *a2, const char *a3)
{
	const char *argv[] = { "xl", a1, a2, a3, NULL };

	return run_argv(argv, timeout, NULL, e);
}

/* xenstore value as a fresh string, or NULL. */
static char *xs_get(struct xen *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static char *xs_get(struct xen *x, const char *fmt, ...)
{
	char path[256];
	unsigned int len;
	va_list ap;
	char *v;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	v = xs_read(x->xs, XBT_NULL, path, &len);
	return v;
}

/* The domain that serves the guests' vifs: dom0, or dd32. */
static unsigned backend_domid(const struct xen *x)
{
	return x->dd ? x->dd_domid : 0;
}

/* XenbusStateConnected (4) in the vif's backend and frontend state keys? */
static bool vif_connected(struct xen *x, unsigned domid)
{
	char *be = xs_get(x, "/local/domain/%u/backend/vif/%u/0/state", backend_domid(x), domid);
	char *fe = xs_get(x, "/local/domain/%u/device/vif/0/state", domid);
	bool ok = be && fe && !strcmp(be, "4") && !strcmp(fe, "4");

	free(be);
	free(fe);
	return ok;
}

/* ---------- the driver domain (netback_domain = dd32) ---------- */

/* One request to dd32's agent (dd_relay.h); its stdout in out. */
static int dd_ask(struct xen *x, const char *line, struct buf *out, int *status, struct err *e)
{
	(void)x;     /* one dd32 per host: its address is fixed */
	return dd_request(DD_CTL_ADDR, DD_AGENT_PORT, line, DD_REQUEST_S, out, NULL, status, e);
}

/* Does a guest's iperf port answer?  From here in dom0 mode; in dd32 mode
 * the guests are on dd32's bridge, out of dom0's reach: the agent tries. */
static bool guest_answers(struct xen *x, const char *addr, int port, const char *src,
			  double wait_s)
{
	char line[128];
	struct err e;
	int status = -1;

	if (!x->dd)
		return tcp_port_answers(addr, port, src, wait_s);
	snprintf(line, sizeof(line), "probe %s %d%s%s", addr, port, src ? " " : "", src ? src : "");
	return dd_ask(x, line, NULL, &status, &e) == 0 && status == 0;
}

/*
 * What `xl devd` would do in dd32 for its vif backends (it needs Xen tools
 * dd32 does not have), from here: dom0 may write anywhere in xenstore.
 *  - add: Linux 3.11's netback waits for hotplug-status=connected (libxl
 *    writes "" and leaves the hotplug to the backend domain); dd32's /init
 *    bridges the interface, we write the key once netback is in InitWait.
 *  - remove: once libxl has set online=0 and netback reached Closed (6),
 *    the backend directory goes (libxl in dom0 waits up to 10 s for that,
 *    then logs an error and leaves the directory behind).
 */
static void dd_hotplug(struct xen *x)
{
	char base[96];
	unsigned int nfe = 0;
	char **fe;

	snprintf(base, sizeof(base), "/local/domain/%u/backend/vif", x->dd_domid);
	fe = xs_directory(x->xs, XBT_NULL, base, &nfe);
	for (unsigned int i = 0; fe && i < nfe; i++) {
		char dir[160];
		unsigned int ndev = 0;
		char **dev;

		snprintf(dir, sizeof(dir), "%s/%s", base, fe[i]);
		dev = xs_directory(x->xs, XBT_NULL, dir, &ndev);
		for (unsigned int j = 0; dev && j < ndev; j++) {
			char *st = xs_get(x, "%s/%s/state", dir, dev[j]);
			char *hs = xs_get(x, "%s/%s/hotplug-status", dir, dev[j]);
			char key[256];

			char *on = xs_get(x, "%s/%s/online", dir, dev[j]);

			if (st && !strcmp(st, "6") && on && !strcmp(on, "0")) {
				snprintf(key, sizeof(key), "%s/%s", dir, dev[j]);
				if (xs_rm(x->xs, XBT_NULL, key))
					logf_("xen: " DD_NAME ": removed the closed vif backend of "
					      "domain %s", fe[i]);
			/* InitWait (2) .. Connected (4): the backend device exists */
			} else if (st && atoi(st) >= 2 && atoi(st) <= 4 &&
				   (!hs || strcmp(hs, "connected"))) {
				snprintf(key, sizeof(key), "%s/%s/hotplug-status", dir, dev[j]);
				if (xs_write(x->xs, XBT_NULL, key, "connected", 9))
					logf_("xen: " DD_NAME ": hotplug-status connected for the vif "
					      "of domain %s", fe[i]);
				else
					logf_("xen: " DD_NAME ": cannot write %s: %s", key,
					      strerror(errno));
			}
			free(st);
			free(hs);
			free(on);
		}
		/* the frontend domain's directory, once its devices are gone */
		if (dev && ndev == 0)
			xs_rm(x->xs, XBT_NULL, dir);
		free(dev);
	}
	free(fe);
}

static void dd_tick(void *arg)
{
	dd_hotplug(arg);
}

/* After guests stopped: remove dd32's backend directories whose frontend
 * domain is gone and that dd_hotplug did not remove (a backend that never
 * reached Closed, a forced destroy), so that netback frees the vif instead
 * of keeping one per guest ever started. */
static void dd_forget_stopped(struct xen *x)
{
	char base[96];
	unsigned int nfe = 0, n = 0;
	char **fe;

	snprintf(base, sizeof(base), "/local/domain/%u/backend/vif", x->dd_domid);
	fe = xs_directory(x->xs, XBT_NULL, base, &nfe);
	for (unsigned int i = 0; fe && i < nfe; i++) {
		char *name = xs_get(x, "/local/domain/%s/name", fe[i]);
		char dir[160];

		if (!name) {
			snprintf(dir, sizeof(dir), "%s/%s", base, fe[i]);
			n += xs_rm(x->xs, XBT_NULL, dir) ? 1 : 0;
		}
		free(name);
	}
	free(fe);
	if (n)
		logf_("xen: " DD_NAME ": removed the backend directories of %u stopped guests", n);
}

static int write_file(const char *path, const char *text, struct err *e);

/* dd32's console (xenconsoled's log: its /init and kernel messages) beside
 * the generated configs, so that it comes back with the results. */
static void dd_keep_console(struct xen *x)
{
	static const char log[] = "/var/log/xen/console/guest-" DD_NAME ".log";
	struct buf text = { 0 };
	char path[4200];
	struct err e;

	if (read_file(log, &text) < 0)
		return;
	snprintf(path, sizeof(path), "%s/" DD_NAME "-console.log", x->state_dir);
	if (text.p && write_file(path, text.p, &e) < 0)
		logf_("xen: %s", e.msg);
	buf_free(&text);
}

static bool dd_exists(struct xen *x)
{
	uint32_t domid;

	return libxl_name_to_domid(x->ctx, DD_NAME, &domid) == 0;
}

/* Remove dd32 and the control bridge (ours, or an earlier session's). */
static void dd_destroy(struct xen *x)
{
	struct err e;

	if (!x->dd_made)
		return;
	if (x->ctx && dd_exists(x) && xl(&e, XL_CMD_TIMEOUT, "destroy", DD_NAME, NULL) < 0)
		logf_("xen: cleanup: %s", e.msg);
	if (access("/sys/class/net/" DD_CTL_BRIDGE, F_OK) == 0) {
		const char *del[] = { "ip", "link", "del", DD_CTL_BRIDGE, NULL };

		if (run_argv(del, XL_CMD_TIMEOUT, NULL, &e) < 0)
			logf_("xen: cleanup: %s", e.msg);
	}
	x->dd_made = false;
	x->dd_domid = 0;
}

/*
 * dd32: the control bridge, the domain (dd_kernel, dd_ramdisk, 1 VCPU,
 * driver_domain), then its agent's `info` (bounded by guest_start_timeout).
 */
static int dd_create(struct backend *b, struct err *e)
{
	struct xen *x = b->priv;
	const struct plan *p = b->plan;
	double timeout = (double)p->v[K_GUEST_START_TIMEOUT].num, t0 = now_mono();
	char path[4200], rel[128] = "", arch[64] = "";
	struct buf cfg = { 0 }, out = { 0 };
	struct err last = { "no answer yet" };
	int status = -1, rc = -1;
	const char *add[] = { "ip", "link", "add", "name", DD_CTL_BRIDGE, "type", "bridge", NULL };
	const char *addr[] = { "ip", "addr", "add", DD_CTL_NET ".1/24", "dev", DD_CTL_BRIDGE, NULL };
	const char *up[] = { "ip", "link", "set", DD_CTL_BRIDGE, "up", NULL };

	x->dd_made = true;
	if (run_argv(add, XL_CMD_TIMEOUT, NULL, e) < 0)
		return -1;
	/* as dom0-init does for xenbr0: no STP, no forwarding delay on new ports */
	for (int k = 0; k < 2; k++) {
		const char *f = k ? "forward_delay" : "stp_state";
		FILE *sf;

		snprintf(path, sizeof(path), "/sys/class/net/" DD_CTL_BRIDGE "/bridge/%s", f);
		sf = fopen(path, "we");
		if (!sf || fputs("0\n", sf) == EOF || fclose(sf) == EOF)
			logf_("xen: %s: cannot write 0 (%s); the control link may take longer",
			      path, strerror(errno));
	}
	if (run_argv(addr, XL_CMD_TIMEOUT, NULL, e) < 0 || run_argv(up, XL_CMD_TIMEOUT, NULL, e) < 0)
		return -1;
	if (mkdir(x->state_dir, 0755) < 0 && errno != EEXIST)
		return err_set(e, "%s: %s", x->state_dir, strerror(errno));
	/* client_addrs beside .1 on dd32's bridge: its clients bind them (iperf -B) */
	struct buf extra = { 0 };
	const struct optval *ca = &p->v[K_CLIENT_ADDRS];

	for (size_t k = 0; k < ca->nwords; k++)
		if (strcmp(ca->words[k], SUBNET ".1"))
			buf_addf(&extra, " vifbench.extra_addr=%s/24", ca->words[k]);
	buf_addf(&cfg, "# Generated by vifbench (netback_domain = dd32): the network driver domain\n"
		 "name = \"" DD_NAME "\"\ntype = \"pv\"\nkernel = \"%s\"\nramdisk = \"%s\"\n"
		 "extra = \"console=hvc0 loglevel=4 vifbench.addr=" SUBNET ".1/24%s vifbench.ctl="
		 DD_CTL_ADDR "/24\"\nmemory = %ld\nvcpus = 1\n", p->v[K_DD_KERNEL].str,
		 p->v[K_DD_RAMDISK].str, extra.p ? extra.p : "", p->v[K_DD_MEMORY].num);
	buf_free(&extra);
	if (p->v[K_DD_CPUS].set)
		buf_addf(&cfg, "cpus = \"%s\"\n", p->v[K_DD_CPUS].str);
	buf_adds(&cfg, "driver_domain = 1\n"
		 "vif = [ 'mac=" DD_CTL_MAC ",bridge=" DD_CTL_BRIDGE "' ]\n"
		 "on_poweroff = \"destroy\"\non_reboot = \"destroy\"\non_crash = \"preserve\"\n");
	snprintf(path, sizeof(path), "%s/" DD_NAME ".cfg", x->state_dir);
	if (write_file(path, cfg.p, e) < 0)
		goto out;
	const char *create[] = { "xl", "create", "-q", path, NULL };

	if (run_argv(create, timeout, NULL, e) < 0)
		goto out;
	if (libxl_name_to_domid(x->ctx, DD_NAME, &x->dd_domid) != 0) {
		err_set(e, "xen: no domain " DD_NAME " after xl create");
		goto out;
	}
	/* its /init starts the agent once the control link is up */
	while (dd_ask(x, "info", &out, &status, &last) < 0 || status != 0) {
		if (runcmd_interrupted || now_mono() - t0 > timeout) {
			err_set(e, "xen: " DD_NAME "'s agent did not answer on " DD_CTL_ADDR ":%d within "
				"%.0f s (%s; console: /var/log/xen/console/guest-" DD_NAME ".log)",
				DD_AGENT_PORT, timeout, status > 0 ? "refused" : last.msg);
			goto out;
		}
		buf_free(&out);
		sleep_s(1.0);
	}
	if (!out.p || sscanf(out.p, "%127s %63s", rel, arch) != 2) {
		err_set(e, "xen: " DD_NAME "'s agent: bad info answer '%.60s'", out.p ? out.p : "");
		goto out;
	}
	snprintf(x->dd_release, sizeof(x->dd_release), "%s", rel);
	snprintf(x->dd_arch, sizeof(x->dd_arch), "%s", arch);
	logf_("xen: " DD_NAME " (domain %u, %ld MB) runs %s %s; its agent answered after %.1f s",
	      x->dd_domid, p->v[K_DD_MEMORY].num, rel, arch, now_mono() - t0);
	rc = 0;
out:
	buf_free(&cfg);
	buf_free(&out);
	return rc;
}

/* ---------- validate ---------- */

static int check_template(const struct plan *p, struct err *e)
{
	char path[4096];
	struct buf text = { 0 };
	static const char *const known[] = { "@NAME@", "@KERNEL@", "@RAMDISK@", "@MEMORY@",
					     "@VCPUS@", "@MAC@", "@IP@" };
	int lineno = 0, rc = 0;
	bool vif = false;

	snprintf(path, sizeof(path), "%s/%s.cfg", template_dir(p), p->v[K_TEMPLATE].str);
	if (read_file(path, &text) < 0)
		return err_set(e, "%s: template: '%s' not found: %s: %s (set template_dir)",
			       p->v[K_TEMPLATE].where, p->v[K_TEMPLATE].str, path,
			       strerror(errno));
	for (char *line = text.p, *next; line && *line && !rc; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		while (isspace((unsigned char)*line))
			line++;
		if (*line == '#')
			continue;
		vif |= !strncmp(line, "vif", 3) && (isspace((unsigned char)line[3]) || line[3] == '=');
		/* Disks would need reflink/CoW copies per clone; Split has none. */
		if (!strncmp(line, "disk", 4) && (isspace((unsigned char)line[4]) || line[4] == '='))
			rc = err_set(e, "%s:%d: template has a disk; per-clone disk copies are "
				     "not implemented (Split is diskless: kernel + ramdisk)",
				     path, lineno);
		for (char *at = strchr(line, '@'); at && !rc; at = strchr(at + 1, '@')) {
			char *end = strchr(at + 1, '@');
			bool ok = false;

			if (!end)
				break;
			for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
				ok |= !strncmp(at, known[k], strlen(known[k])) &&
				      (size_t)(end - at + 1) == strlen(known[k]);
			if (!ok && end - at < 20)
				rc = err_set(e, "%s:%d: unknown placeholder '%.*s'", path, lineno,
					     (int)(end - at + 1), at);
			at = end;
		}
	}
	buf_free(&text);
	if (!rc && !vif && !strcmp(p->v[K_NETBACK_DOMAIN].str, "dd32"))
		rc = err_set(e, "%s: template has no vif line (netback_domain = dd32 gives its "
			     "vif backend=" DD_NAME ")", path);
	return rc;
}

/* netback_domain = dd32: its files, its pinning, the tools it needs. */
static int validate_dd(const struct plan *p, struct err *e)
{
	const char *cpus = p->v[K_DD_CPUS].set ? p->v[K_DD_CPUS].str : NULL;

	for (int k = K_DD_KERNEL; k <= K_DD_RAMDISK; k++) {
		const struct optval *v = &p->v[k];

		/* they go into an xl config between double quotes */
		if (strpbrk(v->str, "\"\\\n"))
			return err_set(e, "%s: %s '%s': no quotes or backslashes, please", v->where,
				       optdefs[k].key, v->str);
		if (access(v->str, R_OK) < 0)
			return err_set(e, "%s: %s '%s': %s", v->where, optdefs[k].key, v->str,
				       strerror(errno));
	}
	if (cpus && strspn(cpus, "0123456789,-") != strlen(cpus))
		return err_set(e, "%s: dd_cpus: '%s' is not a CPU list like '0' or '2-3'",
			       p->v[K_DD_CPUS].where, cpus);
	if (!runcmd_in_path("ip"))
		return err_set(e, "backend xen: 'ip' (iproute2) not found in PATH: needed for "
			       "the control bridge " DD_CTL_BRIDGE " of netback_domain = dd32");
	return 0;
}

static int xen_validate(struct backend *b, struct err *e)
{
	const struct plan *p = b->plan;
	const struct optval *vms = &p->v[K_VMS];
	const char *cpus = guest_cpus(p);
	bool dd = !strcmp(p->v[K_NETBACK_DOMAIN].str, "dd32");
	char *f;

	if (geteuid() != 0)
		return err_set(e, "backend xen: needs root (xl, xenstore)");
	for (size_t k = 0; k < vms->nints; k++)
		if (vms->ints[k] > MAX_GUESTS)
			return err_set(e, "%s: vms: the xen backend addresses at most %d guests "
				       "(" SUBNET ".11-254)", vms->where, MAX_GUESTS);
	if (!runcmd_in_path("xl"))
		return err_set(e, "backend xen: 'xl' not found in PATH (install xen-utils)");
	if (!dd && !runcmd_in_path("iperf"))
		return err_set(e, "backend xen: 'iperf' (iperf 2) not found in PATH");
	if (access("/proc/xen/capabilities", R_OK) < 0)
		return err_set(e, "backend xen: /proc/xen/capabilities missing: not running "
			       "on Xen as dom0 (or xenfs not mounted)");
	if (check_template(p, e) < 0)
		return -1;
	for (int pass = 0; pass < 2; pass++) {
		int key = pass ? K_GUEST_RAMDISK : K_GUEST_KERNEL;
		const char *env = pass ? "RAMDISK" : "KERNEL";

		f = guest_file(p, key, env);
		if (!f)
			return err_set(e, "%s: %s: not set, and no %s= in %s/%s.env or "
				       "template.env", p->v[key].where, optdefs[key].key, env,
				       template_dir(p), p->v[K_TEMPLATE].str);
		if (access(f, R_OK) < 0) {
			err_set(e, "%s: %s '%s': %s", p->v[key].set ? p->v[key].where :
				"template env", optdefs[key].key, f, strerror(errno));
			free(f);
			return -1;
		}
		free(f);
	}
	if (cpus && strspn(cpus, "0123456789,-") != strlen(cpus))
		return err_set(e, "%s: guest_cpus: '%s' is not a CPU list like '1' or '2-7'",
			       p->v[K_GUEST_CPUS].set ? p->v[K_GUEST_CPUS].where :
			       "$TESTHOST_GUEST_CPUS", cpus);
	/* client_addrs: on the guests' /24 below them; dom0's own (dd32 gets
	 * them from us, on its command line) */
	const struct optval *ca = &p->v[K_CLIENT_ADDRS];

	for (size_t k = 0; k < ca->nwords; k++) {
		int h = addr_host_in(ca->words[k], SUBNET);
		struct err be;

		if (h < 1 || h > 10)
			return err_set(e, "%s: client_addrs: '%s' is not in " SUBNET ".1-10 (the "
				       "guests' network " SUBNET ".0/24, below the guests' .11 and up)",
				       ca->where, ca->words[k]);
		if (!dd && tcp_can_bind(ca->words[k], &be) < 0)
			return err_set(e, "%s: client_addrs: '%s' is not an address of dom0 (bind: "
				       "%s); add it to " BRIDGE " (ip addr add %s/24 dev " BRIDGE
				       "), as testhost/dom0-init does", ca->where, ca->words[k], be.msg,
				       ca->words[k]);
	}
	if (dd)
		return validate_dd(p, e);
	if (access("/sys/class/net/" BRIDGE "/bridge", F_OK) < 0)
		return err_set(e, "backend xen: bridge " BRIDGE " missing (dom0 needs it with "
			       SUBNET ".1/24; see docs/real-host.md)");
	return 0;
}

/* ---------- open / close ---------- */

static void xen_close(struct backend *b);

/* Destroy every <clone_prefix><i> domain (an earlier session's leftovers). */
static int destroy_ours(struct backend *b, bool say, struct err *e)
{
	struct xen *x = b->priv;
	int nb = 0, n = 0, rc = 0;
	libxl_dominfo *info = libxl_list_domain(x->ctx, &nb);

	if (!info)
		return err_set(e, "libxl_list_domain failed");
	for (int k = 0; k < nb; k++) {
		char *name;

		if (info[k].domid == 0)
			continue;
		name = libxl_domid_to_name(x->ctx, info[k].domid);
		if (is_our_guest(b->plan, name)) {
			if (xl(e, XL_CMD_TIMEOUT, "destroy", name, NULL) < 0)
				rc = -1;
			else
				n++;
		}
		free(name);
	}
	libxl_dominfo_list_free(info, nb);
	if (n && say)
		logf_("xen: destroyed %d leftover guests of an earlier session", n);
	return rc;
}

/* results.pylist -> results.xl/ (generated guest configs). */
static char *state_dir_of(const char *results)
{
	struct buf d = { 0 };
	size_t l = strlen(results);

	buf_adds(&d, results);
	if (l > 7 && !strcmp(d.p + l - 7, ".pylist"))
		d.p[d.len = l - 7] = '\0';
	buf_adds(&d, ".xl");
	return d.p;
}

static int xen_open(struct backend *b, struct err *e)
{
	struct xen *x = xmalloc(sizeof(*x));

	memset(x, 0, sizeof(*x));
	x->lock_fd = -1;
	x->dd = !strcmp(b->plan->v[K_NETBACK_DOMAIN].str, "dd32");
	b->priv = x;
	x->state_dir = state_dir_of(b->plan->v[K_RESULTS].str);
	/* One session per host: guest names and addresses are fixed. */
	x->lock_fd = open(LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (x->lock_fd < 0)
		return err_set(e, "backend xen: %s: %s", LOCK_PATH, strerror(errno));
	if (flock(x->lock_fd, LOCK_EX | LOCK_NB) < 0)
		return err_set(e, "backend xen: another vifbench xen session runs (%s is locked)",
			       LOCK_PATH);
	x->xtl = xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
	if (!x->xtl)
		return err_set(e, "backend xen: cannot create a libxl logger");
	if (libxl_ctx_alloc(&x->ctx, LIBXL_VERSION, 0, (xentoollog_logger *)x->xtl) != 0)
		return err_set(e, "backend xen: libxl_ctx_alloc failed (not dom0, or xenstored "
			       "not running?)");
	x->xs = xs_open(0);
	if (!x->xs)
		return err_set(e, "backend xen: xs_open: %s (xenstored not running?)",
			       strerror(errno));
	if (destroy_ours(b, true, e) < 0)
		return -1;
	if (!x->dd)
		return 0;
	/* the relay the runner spawns in place of iperf is this binary */
	ssize_t l = readlink("/proc/self/exe", x->self_exe, sizeof(x->self_exe) - 1);

	if (l <= 0 || (size_t)l >= sizeof(x->self_exe) - 1)
		return err_set(e, "backend xen: readlink /proc/self/exe: %s", strerror(errno));
	x->self_exe[l] = '\0';
	x->prefix[0] = x->self_exe;
	x->prefix[1] = "dd-relay";
	x->prefix[2] = DD_CTL_ADDR;
	x->prefix[3] = DD_AGENT_PORT_S;
	x->prefix[4] = NULL;
	/* an earlier session's dd32 or bridge (SIGKILL) */
	x->dd_made = true;
	if (dd_exists(x))
		logf_("xen: destroying the leftover " DD_NAME " of an earlier session");
	dd_destroy(x);
	return dd_create(b, e);
}

static void xen_close(struct backend *b)
{
	struct xen *x = b->priv;
	struct err e;

	if (!x)
		return;
	if (x->ctx && destroy_ours(b, x->nstarted > 0, &e) < 0)
		logf_("xen: cleanup: %s", e.msg);
	if (x->dd && x->dd_domid)
		dd_keep_console(x);
	dd_destroy(x);     /* after the guests it served */
	if (x->xs)
		xs_close(x->xs);
	if (x->ctx)
		libxl_ctx_free(x->ctx);
	if (x->xtl)
		xtl_logger_destroy((xentoollog_logger *)x->xtl);
	if (x->lock_fd >= 0)
		close(x->lock_fd);
	free(x->state_dir);
	free(x);
	b->priv = NULL;
}

/* ---------- host ---------- */

/* VCPU time of a domain (Xen's accounting), all its VCPUs. */
static int domain_vcpus(struct xen *x, uint32_t domid, double *busy_s, int *online,
			struct err *e)
{
	int nb = 0, ncpus = 0;
	libxl_vcpuinfo *v = libxl_list_vcpu(x->ctx, domid, &nb, &ncpus);
	uint64_t ns = 0;

	if (!v)
		return err_set(e, "libxl_list_vcpu(domain %u) failed", domid);
	*online = 0;
	for (int k = 0; k < nb; k++) {
		ns += v[k].vcpu_time;
		*online += v[k].online;
	}
	libxl_vcpuinfo_list_free(v, nb);
	*busy_s = (double)ns / 1e9;
	return 0;
}

static int dom0_vcpus(struct xen *x, double *busy_s, int *online, struct err *e)
{
	return domain_vcpus(x, 0, busy_s, online, e);
}

/* dd32 plays dom0's part: its CPU is the figure (netback and clients). */
static int dd_vcpus(struct xen *x, double *busy_s, int *online, struct err *e)
{
	return domain_vcpus(x, x->dd_domid, busy_s, online, e);
}

static int xen_host_info(struct backend *b, struct host_info *hi, struct err *e)
{
	struct xen *x = b->priv;
	const libxl_version_info *vi = libxl_get_version_info(x->ctx);
	const char *th = getenv("TESTHOST_HOST");
	struct utsname u;
	char host[128];
	double busy;

	if (uname(&u) < 0)
		return err_set(e, "uname: %s", strerror(errno));
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	if (!vi)
		return err_set(e, "libxl_get_version_info failed");
	if (dom0_vcpus(x, &busy, &hi->dom0_vcpus, e) < 0)
		return -1;
	snprintf(hi->kernel_release, sizeof(hi->kernel_release), "%.127s", u.release);
	snprintf(hi->dom0_arch, sizeof(hi->dom0_arch), "%.63s", u.machine);
	snprintf(hi->xen_version, sizeof(hi->xen_version), "%d.%d%.40s", vi->xen_version_major,
		 vi->xen_version_minor, vi->xen_version_extra ? vi->xen_version_extra : "");
	snprintf(hi->host, sizeof(hi->host), "%.60s (%.180s)", host,
		 th && *th ? th : "xen backend: xl + libxl");
	if (x->dd) {
		const char *fl = getenv("TESTHOST_XEN_FLAVOUR");
		int online = 0;

		if (dd_vcpus(x, &busy, &online, e) < 0)
			return -1;
		snprintf(hi->netback_domain, sizeof(hi->netback_domain), DD_NAME);
		snprintf(hi->netback_arch, sizeof(hi->netback_arch), "%s", x->dd_arch);
		snprintf(hi->netback_kernel_release, sizeof(hi->netback_kernel_release), "%s",
			 x->dd_release);
		hi->netback_vcpus = online;
		snprintf(hi->xen_flavour, sizeof(hi->xen_flavour), "%.31s", fl ? fl : "");
	}
	return 0;
}

/* vifbench.kernel=LABEL on dom0's command line, else the emulated host's label. */
static const char *xen_running_kernel(struct backend *b)
{
	static char label[128];
	struct buf cmd = { 0 };
	const char *env = getenv("TESTHOST_DOM0_KERNEL_LABEL");

	/* dd32: the kernel under test is dd_kernel, not dom0's; on the emulated
	 * host run-plan boots with that label; elsewhere the plan says it. */
	if (!strcmp(b->plan->v[K_NETBACK_DOMAIN].str, "dd32")) {
		if (!env || !*env)
			return NULL;
		snprintf(label, sizeof(label), "%s", env);
		return label;
	}
	if (read_file("/proc/cmdline", &cmd) == 0 && cmd.p) {
		for (char *t = strtok(cmd.p, " \n"); t; t = strtok(NULL, " \n")) {
			if (!strncmp(t, "vifbench.kernel=", 16) && t[16]) {
				snprintf(label, sizeof(label), "%s", t + 16);
				buf_free(&cmd);
				return label;
			}
		}
	}
	buf_free(&cmd);
	if (env && *env) {
		snprintf(label, sizeof(label), "%s", env);
		return label;
	}
	return NULL;
}

static int xen_cpu_busy(struct backend *b, double *secs, struct err *e)
{
	struct xen *x = b->priv;
	int online;

	return x->dd ? dd_vcpus(x, secs, &online, e) : dom0_vcpus(x, secs, &online, e);
}

static const char *const *xen_client_prefix(struct backend *b)
{
	struct xen *x = b->priv;

	return x && x->dd ? x->prefix : NULL;
}

/* ---------- clone ---------- */

static int write_file(const char *path, const char *text, struct err *e)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return err_set(e, "%s: %s", path, strerror(errno));
	if (fputs(text, f) == EOF || fflush(f) == EOF || fsync(fileno(f)) < 0) {
		err_set(e, "%s: write: %s", path, strerror(errno));
		fclose(f);
		return -1;
	}
	if (fclose(f) == EOF)
		return err_set(e, "%s: %s", path, strerror(errno));
	return 0;
}

/* Text with every @FIELD@ replaced; the template's comments (which name
 * the placeholders) are left out. */
static void fill(struct buf *out, const char *tmpl, const char *const kv[][2], size_t nkv)
{
	for (const char *s = tmpl; *s;) {
		bool done = false;

		if ((s == tmpl || s[-1] == '\n') && s[strspn(s, " \t")] == '#') {
			s += strcspn(s, "\n");
			s += *s == '\n';
			continue;
		}
		if (*s == '@') {
			for (size_t k = 0; k < nkv && !done; k++) {
				size_t l = strlen(kv[k][0]);

				if (!strncmp(s, kv[k][0], l)) {
					buf_adds(out, kv[k][1]);
					s += l;
					done = true;
				}
			}
		}
		if (!done)
			buf_add(out, s++, 1);
	}
}

/*
 * netback_domain = dd32: every element of the config's `vif = [ ... ]`
 * line gets ",backend=dd32" before its closing quote, so each guest's
 * netfront connects to dd32's netback.  -1 if there is no vif line.
 */
static int add_vif_backend(struct buf *cfg, const char *dom)
{
	struct buf out = { 0 };
	bool found = false;

	for (const char *line = cfg->p; line && *line;) {
		size_t len = strcspn(line, "\n");
		const char *t = line + strspn(line, " \t");
		bool vif = !strncmp(t, "vif", 3) && (t[3] == ' ' || t[3] == '\t' || t[3] == '=');
		char quote = 0;

		for (size_t k = 0; k < len; k++) {
			char c = line[k];

			if (vif && quote && c == quote) {
				buf_addf(&out, ",backend=%s", dom);
				quote = 0;
			} else if (vif && !quote && (c == '\'' || c == '"')) {
				quote = c;
			}
			buf_add(&out, &c, 1);
		}
		found |= vif;
		line += len;
		if (*line == '\n') {
			buf_add(&out, "\n", 1);
			line++;
		}
	}
	if (found) {
		buf_free(cfg);
		*cfg = out;
		return 0;
	}
	buf_free(&out);
	return -1;
}

static void guest_cfg_path(struct xen *x, const struct plan *p, unsigned i, char *out,
			   size_t len)
{
	char name[64];

	guest_name(p, i, name, sizeof(name));
	snprintf(out, len, "%s/%s.cfg", x->state_dir, name);
}

/* vifbench clone: <clone_prefix>1..N configs from the template. */
static int xen_prepare(struct backend *b, unsigned max_vms, struct err *e)
{
	struct xen *x = b->priv;
	const struct plan *p = b->plan;
	char path[4096], name[64], ip[32], mac[32], mem[16], vcpus[16];
	struct buf tmpl = { 0 };
	char *kernel = guest_file(p, K_GUEST_KERNEL, "KERNEL");
	char *ramdisk = guest_file(p, K_GUEST_RAMDISK, "RAMDISK");
	const char *cpus = guest_cpus(p);
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s.cfg", template_dir(p), p->v[K_TEMPLATE].str);
	if (!kernel || !ramdisk || read_file(path, &tmpl) < 0) {
		rc = err_set(e, "template %s: cannot read it or its kernel/ramdisk", path);
		goto out;
	}
	if (mkdir(x->state_dir, 0755) < 0 && errno != EEXIST) {
		rc = err_set(e, "%s: %s", x->state_dir, strerror(errno));
		goto out;
	}
	snprintf(mem, sizeof(mem), "%ld", p->v[K_GUEST_MEMORY].num);
	snprintf(vcpus, sizeof(vcpus), "%ld", p->v[K_GUEST_VCPUS].num);
	for (unsigned i = 1; i <= max_vms && rc == 0; i++) {
		struct buf cfg = { 0 };

		guest_name(p, i, name, sizeof(name));
		snprintf(ip, sizeof(ip), SUBNET ".%u", 10 + i);
		snprintf(mac, sizeof(mac), MAC_PREFIX ":%02x", 10 + i);
		const char *const kv[][2] = {
			{ "@NAME@", name }, { "@KERNEL@", kernel }, { "@RAMDISK@", ramdisk },
			{ "@MEMORY@", mem }, { "@VCPUS@", vcpus }, { "@MAC@", mac },
			{ "@IP@", ip },
		};

		buf_addf(&cfg, "# Generated by vifbench clone from %s: guest %u of %u\n", path, i,
			 max_vms);
		fill(&cfg, tmpl.p, kv, sizeof(kv) / sizeof(kv[0]));
		if (x->dd && add_vif_backend(&cfg, DD_NAME) < 0) {
			buf_free(&cfg);
			rc = err_set(e, "template %s: no vif line to give backend=" DD_NAME, path);
			break;
		}
		if (cpus)
			buf_addf(&cfg, "cpus = \"%s\"\n", cpus);
		guest_cfg_path(x, p, i, path, sizeof(path));
		rc = write_file(path, cfg.p, e);
		buf_free(&cfg);
		snprintf(path, sizeof(path), "%s/%s.cfg", template_dir(p), p->v[K_TEMPLATE].str);
	}
	if (rc == 0) {
		x->nprepared = max_vms;
		logf_("xen: %s1..%u cloned from %s into %s (%ld MB, %ld VCPUs%s%s%s; diskless "
		      "template: nothing to copy)", p->v[K_CLONE_PREFIX].str, max_vms, path,
		      x->state_dir, p->v[K_GUEST_MEMORY].num, p->v[K_GUEST_VCPUS].num,
		      cpus ? ", cpus " : "", cpus ? cpus : "",
		      x->dd ? ", vif backend=" DD_NAME : "");
	}
out:
	buf_free(&tmpl);
	free(kernel);
	free(ramdisk);
	return rc;
}

/* ---------- start / check / stop ---------- */

/*
 * Split event channels as the frontend wrote them: event-channel-tx and
 * -rx (split) or event-channel (one); with more than one queue the keys
 * are under queue-<k>/ and every queue must be split.  -1: not written yet.
 */
static int split_evtchn(struct xen *x, unsigned domid)
{
	char *nq = xs_get(x, "/local/domain/%u/device/vif/0/multi-queue-num-queues", domid);
	/* netfront writes the count whenever the backend offers queues, but
	 * puts one queue's keys flat, as without multi-queue. */
	int queues = nq ? atoi(nq) : 0, split = 1;

	free(nq);
	for (int q = 0; q < (queues > 1 ? queues : 1); q++) {
		char sub[32] = "";
		char *tx, *one;

		if (queues > 1)
			snprintf(sub, sizeof(sub), "queue-%d/", q);
		tx = xs_get(x, "/local/domain/%u/device/vif/0/%sevent-channel-tx", domid, sub);
		one = xs_get(x, "/local/domain/%u/device/vif/0/%sevent-channel", domid, sub);
		if (!tx && !one)
			split = -1;
		else if (!tx && split == 1)
			split = 0;
		free(tx);
		free(one);
	}
	return split;
}

static int xen_stop_guests(struct backend *b, unsigned n, struct guest *g, struct err *e);

static int xen_start_guests(struct backend *b, unsigned n, struct guest *g, struct err *e)
{
	struct xen *x = b->priv;
	const struct plan *p = b->plan;
	double timeout = (double)p->v[K_GUEST_START_TIMEOUT].num;
	double deadline = now_mono() + timeout;
	int port = (int)p->v[K_PORT].num;
	struct child *c = xcalloc_children(n);
	struct child **cp = xmalloc(sizeof(*cp) * (n ? n : 1));
	uint32_t *domid = xmalloc(sizeof(*domid) * (n ? n : 1));
	bool *ready = xmalloc(sizeof(bool) * (n ? n : 1));
	char cfg[4096];
	unsigned started = 0, nready = 0;
	struct err se;

	if (n > x->nprepared) {
		err_set(e, "xen: %u guests asked, %u cloned", n, x->nprepared);
		goto fail;
	}
	for (unsigned i = 0; i < n; i++) {
		memset(&g[i], 0, sizeof(g[i]));
		guest_name(p, i + 1, g[i].name, sizeof(g[i].name));
		snprintf(g[i].addr, sizeof(g[i].addr), SUBNET ".%u", 11 + i);
		g[i].split_evtchn = -1;
		ready[i] = false;
	}
	/* xl create, XL_CREATE_AT_ONCE at a time, all bounded by the whole
	 * start's deadline.  While it builds a domain, xl holds the guest's
	 * decompressed kernel and ramdisk (~100 MB of anonymous memory with
	 * Debian's kernel): eight at once drove the emulated host's 1 GiB
	 * dom0 into the OOM killer, which killed an xl create. */
	x->nstarted = n;
	for (unsigned first = 0; first < n; first += XL_CREATE_AT_ONCE) {
		unsigned last = first + XL_CREATE_AT_ONCE < n ? first + XL_CREATE_AT_ONCE : n;
		double left = deadline - now_mono();

		for (unsigned i = first; i < last; i++) {
			guest_cfg_path(x, p, i + 1, cfg, sizeof(cfg));
			const char *argv[] = { "xl", "create", "-q", cfg, NULL };

			cp[i] = &c[i];
			if (child_start(&c[i], argv, RC_CAPTURE_OUT | RC_CAPTURE_ERR,
					left > 1 ? left : 1, e) < 0)
				break;
			started++;
		}
		/* dd32: the hotplug step while xl create waits for the vif */
		if (child_wait_all(cp + first, started - first, x->dd ? dd_tick : NULL, x) < 0) {
			err_set(e, "interrupted while starting guests");
			goto fail;
		}
		if (started < last)
			goto fail;
	}
	for (unsigned i = 0; i < n; i++) {
		if (c[i].timed_out || !WIFEXITED(c[i].status) || WEXITSTATUS(c[i].status)) {
			char how[64];
			const char *msg = c[i].err.p ? c[i].err.p : "";
			size_t l = strlen(msg);

			while (l && msg[l - 1] == '\n')
				l--;
			/* xl's last line says why */
			const char *last = msg + l;

			while (last > msg && last[-1] != '\n')
				last--;
			child_describe_status(&c[i], how, sizeof(how));
			err_set(e, "%s: xl create %s: %.*s", g[i].name, how,
				(int)(msg + l - last), last);
			goto fail;
		}
		if (libxl_name_to_domid(x->ctx, g[i].name, &domid[i]) != 0) {
			err_set(e, "%s: no domain after xl create", g[i].name);
			goto fail;
		}
	}
	/* vif connected on both ends (XenbusStateConnected), then iperf answers. */
	while (nready < n) {
		if (runcmd_interrupted) {
			err_set(e, "interrupted while starting guests");
			goto fail;
		}
		if (x->dd)
			dd_hotplug(x);
		for (unsigned i = 0; i < n; i++) {
			if (ready[i])
				continue;
			if (!vif_connected(x, domid[i]))
				continue;
			if (g[i].split_evtchn < 0)
				g[i].split_evtchn = split_evtchn(x, domid[i]);
			if (guest_answers(x, g[i].addr, port, b->client_addr, 0.2)) {
				ready[i] = true;
				nready++;
			}
		}
		if (nready < n && now_mono() > deadline) {
			for (unsigned i = 0; i < n; i++) {
				if (ready[i])
					continue;
				char *be = xs_get(x, "/local/domain/%u/backend/vif/%u/0/state",
						  backend_domid(x), domid[i]);
				char *fe = xs_get(x, "/local/domain/%u/device/vif/0/state", domid[i]);

				err_set(e, "%s: not ready after %.0f s (vif backend state %s, frontend "
					"%s; iperf port %d %s)", g[i].name, timeout, be ? be : "none",
					fe ? fe : "none", port,
					be && fe && !strcmp(be, "4") && !strcmp(fe, "4") ?
					"not answering" : "not tried");
				free(be);
				free(fe);
				break;
			}
			goto fail;
		}
		if (nready < n)
			sleep_s(0.25);
	}
	for (unsigned i = 0; i < started; i++)
		child_free(&c[i]);
	free(c), free(cp), free(domid), free(ready);
	return 0;
fail:
	for (unsigned i = 0; i < started; i++)
		child_free(&c[i]);
	free(c), free(cp), free(domid), free(ready);
	{
		int saved = runcmd_interrupted;

		runcmd_interrupted = 0;   /* let the cleanup's xl commands run */
		xen_stop_guests(b, n, g, &se);
		runcmd_interrupted = saved;
	}
	return -1;
}

/*
 * Before each run: every guest's iperf server must answer.  Debian's
 * iperf 2.1.8 server dies of SIGSEGV now and then; the guest's init
 * restarts it, so a dead server is given a few seconds to come back.
 */
static int xen_check_guests(struct backend *b, unsigned n, struct guest *g, struct err *e)
{
	struct xen *x = b->priv;
	int port = (int)b->plan->v[K_PORT].num;

	for (unsigned i = 0; i < n; i++) {
		uint32_t domid;
		double until;

		if (guest_answers(x, g[i].addr, port, b->client_addr, 2.0))
			continue;
		if (libxl_name_to_domid(x->ctx, g[i].name, &domid) != 0)
			return err_set(e, "%s: the domain is gone (crashed?)", g[i].name);
		logf_("xen: %s: iperf port %d not answering%s%s; waiting for the guest to restart "
		      "its server", g[i].name, port, b->client_addr ? " from " : "",
		      b->client_addr ? b->client_addr : "");
		until = now_mono() + SERVER_BACK_S;
		while (!guest_answers(x, g[i].addr, port, b->client_addr, 0.5)) {
			if (now_mono() > until || runcmd_interrupted)
				return err_set(e, "%s: iperf server dead (port %d not answering for "
					       "%.0f s)", g[i].name, port, SERVER_BACK_S);
			sleep_s(0.5);
		}
		logf_("xen: %s: iperf server back", g[i].name);
	}
	return 0;
}

/* Wait until none of guests 1..n exists; true if so within wait_s. */
static bool all_gone(struct backend *b, unsigned n, double wait_s)
{
	struct xen *x = b->priv;
	double until = now_mono() + wait_s;
	char name[64];

	for (;;) {
		bool any = false;
		uint32_t domid;

		for (unsigned i = 1; i <= n && !any; i++) {
			guest_name(b->plan, i, name, sizeof(name));
			any = libxl_name_to_domid(x->ctx, name, &domid) == 0;
		}
		if (!any)
			return true;
		if (now_mono() > until)
			return false;
		sleep_s(0.25);
	}
}

static int xen_stop_guests(struct backend *b, unsigned n, struct guest *g, struct err *e)
{
	struct xen *x = b->priv;
	struct child *c = xcalloc_children(n);
	struct child **cp = xmalloc(sizeof(*cp) * (n ? n : 1));
	char name[64];
	unsigned started = 0;
	int rc = 0;

	(void)g;
	/* xl shutdown -w for every guest that exists, all at once, bounded. */
	for (unsigned i = 1; i <= n; i++) {
		uint32_t domid;

		guest_name(b->plan, i, name, sizeof(name));
		if (libxl_name_to_domid(x->ctx, name, &domid) != 0)
			continue;
		const char *argv[] = { "xl", "shutdown", "-w", name, NULL };

		cp[started] = &c[started];
		if (child_start(&c[started], argv, RC_CAPTURE_OUT | RC_CAPTURE_ERR,
				XL_SHUTDOWN_TIMEOUT, e) == 0)
			started++;
	}
	/* dd32: the backend removal libxl waits for during the shutdown */
	child_wait_all(cp, started, x->dd ? dd_tick : NULL, x);
	for (unsigned k = 0; k < started; k++) {
		if (c[k].timed_out || !WIFEXITED(c[k].status) || WEXITSTATUS(c[k].status))
			logf_("xen: xl shutdown -w failed or timed out for a guest; destroying it");
		child_free(&c[k]);
	}
	free(c), free(cp);
	/* -w returns when the guest is down; xl then destroys it (on_poweroff). */
	if (!all_gone(b, n, GONE_TIMEOUT / 4)) {
		struct err ignore;

		for (unsigned i = 1; i <= n; i++) {
			uint32_t domid;

			guest_name(b->plan, i, name, sizeof(name));
			if (libxl_name_to_domid(x->ctx, name, &domid) == 0 &&
			    xl(&ignore, XL_CMD_TIMEOUT, "destroy", name, NULL) < 0)
				logf_("xen: %s", ignore.msg);
		}
		if (!all_gone(b, n, GONE_TIMEOUT))
			rc = err_set(e, "xen: guests still exist after xl shutdown and xl destroy");
	}
	if (rc == 0)
		x->nstarted = 0;
	if (x->dd)
		dd_forget_stopped(x);
	return rc;
}

/* ---------- kernels ---------- */

/*
 * Emulated host: tell the outer driver (testhost/run-plan) through the
 * results disk; it boots QEMU again with that kernel.  Real host: the
 * GRUB entry with id vifbench-<label> for the next boot only, then reboot;
 * the boot hook (configs/vifbench-resume.service) runs the plan again.
 */
static int xen_next_kernel(struct backend *b, const char *label, struct err *e)
{
	const char *th = getenv("TESTHOST_RESULTS");
	char entry[256];

	if (th && *th) {
		char path[4096], tmp[4200], text[300];

		snprintf(path, sizeof(path), "%s/next-kernel", th);
		snprintf(tmp, sizeof(tmp), "%s.tmp", path);
		snprintf(text, sizeof(text), "%s\n", label);
		if (write_file(tmp, text, e) < 0)
			return -1;
		if (rename(tmp, path) < 0)
			return err_set(e, "%s: %s", path, strerror(errno));
		logf_("xen: emulated host: asked the outer driver for kernel %s (%s)", label, path);
		return 0;
	}
	/* dd32 on a real host: dom0's GRUB entry is not the kernel under test */
	if (!strcmp(b->plan->v[K_NETBACK_DOMAIN].str, "dd32"))
		return err_set(e, "netback_domain = dd32: run again with --kernel %s and that "
			       "kernel as --dd-kernel", label);
	snprintf(entry, sizeof(entry), "vifbench-%s", label);
	const char *grub[] = { "grub-reboot", entry, NULL };

	if (run_argv(grub, 60, NULL, e) < 0)
		return -1;
	if (!strcmp(b->plan->v[K_REBOOT].str, "no")) {
		logf_("xen: next boot: GRUB entry %s (reboot = no: reboot when you like)", entry);
		return 0;
	}
	logf_("xen: next boot: GRUB entry %s; rebooting", entry);
	const char *reboot[] = { "systemctl", "reboot", NULL };

	return run_argv(reboot, 60, NULL, e);
}

static double xen_estimate(unsigned n)
{
	/* xl create in parallel, vif + iperf up, xl shutdown -w (emulated: 40-60 s). */
	return 40.0 + 5.0 * n;
}

const struct backend_ops xen_backend_ops = {
	.name = "xen",
	.start_estimate_s = xen_estimate,
	.validate = xen_validate,
	.open = xen_open,
	.host_info = xen_host_info,
	.running_kernel = xen_running_kernel,
	.prepare = xen_prepare,
	.start_guests = xen_start_guests,
	.check_guests = xen_check_guests,
	.stop_guests = xen_stop_guests,
	.cpu_busy_seconds = xen_cpu_busy,
	.next_kernel = xen_next_kernel,
	.client_prefix = xen_client_prefix,
	.close = xen_close,
};

#else /* !VIFBENCH_XEN */

static double xen_estimate(unsigned n)
{
	return 40.0 + 5.0 * n;
}

static int xen_validate(struct backend *b, struct err *e)
{
	return err_set(e, "%s: backend: this vifbench was built without Xen's libraries "
		       "(libxen-dev: libxl.h, xenstore.h); install libxen-dev and rebuild",
		       b->plan->v[K_BACKEND].where);
}

const struct backend_ops xen_backend_ops = {
	.name = "xen",
	.start_estimate_s = xen_estimate,
	.validate = xen_validate,
};

#endif
