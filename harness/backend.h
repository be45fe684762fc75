/*
 * Host backends: what the runner needs from a host, as one ops table
 * (like fio's I/O engines).  The runner owns the plan order, iperf
 * clients, CPU arithmetic and the results file; a backend only makes
 * guests exist, tells how busy dom0 is, and says which kernel runs.
 *
 * Calling order in a session:
 *   validate -> open -> host_info, running_kernel -> prepare ->
 *   { start_guests -> (runs; cpu_busy_seconds around each) -> stop_guests }*
 *   -> [next_kernel] -> close
 * close is also called on an interrupt (SIGINT/SIGTERM) and must remove
 * everything the backend made.  After a SIGKILL nothing runs: open must
 * find and remove what an earlier session left behind.
 *
 * Every external command goes through runcmd.h (timeout, own process
 * group, killed by group).  Errors: return -1 and fill e->msg with one
 * line naming what failed.
 */
#ifndef VIFBENCH_BACKEND_H
#define VIFBENCH_BACKEND_H

#include <stdbool.h>

#include "options.h"
#include "util.h"

/* One started guest, as the runner sees it. */
struct guest {
	char name[64];    /* 'vb-1', 'Split-1': recorded in 'guests' */
	char addr[64];    /* IPv4 address its iperf server listens on */
	int split_evtchn; /* 1/0 negotiated or not, -1 unknown/not applicable */
};

struct host_info {
	char kernel_release[128];  /* uname -r of dom0 */
	char dom0_arch[64];        /* uname -m of dom0 */
	int dom0_vcpus;            /* cpu_pct is % of one of these */
	char host[256];            /* hostname + description */
	char xen_version[64];      /* "" without Xen (recorded as None) */
	/* Xen flavour ($TESTHOST_XEN_FLAVOUR on the emulated host: debian,
	 * pv32); "" unknown (recorded only with a netback domain). */
	char xen_flavour[32];
	/* netback in a driver domain (xen, netback_domain = dd32): its name,
	 * uname -m and -r, VCPUs.  netback_domain "" = dom0's netback: none of
	 * these is recorded and cpu_pct is dom0's; otherwise cpu_pct is the
	 * driver domain's, % of one of its netback_vcpus. */
	char netback_domain[64];
	char netback_arch[64];
	char netback_kernel_release[128];
	int netback_vcpus;
};

struct backend;

struct backend_ops {
	const char *name;            /* the plan's `backend` value */
	/* Rough seconds to start + stop N guests, for the ETA. */
	double (*start_estimate_s)(unsigned n);

	/* Check plan and environment (tools, privileges, template exists,
	 * vms within what the backend can address) before anything starts.
	 * Must not change the host.  Failure = bad input (exit 2). */
	int (*validate)(struct backend *b, struct err *e);
	/* Take the host: remove leftovers of earlier sessions, set up shared
	 * pieces (bridge).  Failure = bad input/environment (exit 2). */
	int (*open)(struct backend *b, struct err *e);
	int (*host_info)(struct backend *b, struct host_info *hi, struct err *e);
	/* Label of the kernel dom0 runs now, or NULL if the backend cannot
	 * tell (the runner then uses the plan's `kernel`).  Called before
	 * open as well (to refuse a wrong kernel before anything starts), so
	 * it must only read (e.g. /proc/cmdline: vifbench.kernel=LABEL). */
	const char *(*running_kernel)(struct backend *b);
	/* Make guests 1..max_vms startable (xen: clone the template into
	 * <clone_prefix>1..N; netns: nothing). */
	int (*prepare)(struct backend *b, unsigned max_vms, struct err *e);
	/* Start guests 1..n in parallel, each bounded by the plan's
	 * guest_start_timeout; return only when every guest's iperf server
	 * answers on the plan's port (g[0..n-1] filled).  On failure, stop
	 * whatever did start before returning -1. */
	int (*start_guests)(struct backend *b, unsigned n, struct guest *g, struct err *e);
	/* Before each run: is every guest still serving iperf?  A backend
	 * may restart a guest's crashed server here (and log it).  -1: e
	 * names the guest; the runner records the run failed, unrun.
	 * Optional (NULL: not checked). */
	int (*check_guests)(struct backend *b, unsigned n, struct guest *g, struct err *e);
	/* Stop guests 1..n (bounded; force if needed).  Must not fail
	 * silently: -1 leaves the host unusable for the next start. */
	int (*stop_guests)(struct backend *b, unsigned n, struct guest *g, struct err *e);
	/* Cumulative busy CPU-seconds of dom0 over all its VCPUs, from a
	 * counter that only grows (netns: /proc/stat; xen: Xen's accounting
	 * of dom0's VCPU time; of the driver domain's with netback_domain =
	 * dd32).  The runner takes deltas. */
	int (*cpu_busy_seconds)(struct backend *b, double *secs, struct err *e);
	/* Arrange for dom0 to run kernel `label` next (grub-reboot, kexec,
	 * or telling the outer driver); NULL when the backend cannot switch
	 * kernels.  The runner exits with EXIT_KERNELS_LEFT after it. */
	int (*next_kernel)(struct backend *b, const char *label, struct err *e);
	/* Where the traffic client runs: NULL (or NULL op) = here, as
	 * `iperf ...`; otherwise argv words the runner puts before its iperf
	 * argv, e.g. a relay that runs the client in a driver domain (xen,
	 * netback_domain = dd32: `vifbench dd-relay HOST PORT iperf ...`).
	 * The relay is the runner's child like iperf: same deadline, same
	 * kill by process group, same CSV on its stdout.  Optional. */
	const char *const *(*client_prefix)(struct backend *b);
	/* Remove everything this session created; safe to call twice. */
	void (*close)(struct backend *b);
};

struct backend {
	const struct backend_ops *ops;
	const struct plan *plan;
	void *priv;                  /* the backend's own state */
	/* Source address of the iperf-port probes (start_guests,
	 * check_guests), set by the runner before each call: the plan's
	 * client_addrs in rotation (the clients of the same run use it too,
	 * with iperf -B), NULL without client_addrs (kernel's choice).  A
	 * backend that accepts client_addrs makes them usable (validate/open)
	 * and probes from this address. */
	const char *client_addr;
};

extern const struct backend_ops netns_backend_ops;
extern const struct backend_ops xen_backend_ops;

/* The ops table named by the plan's backend, or NULL. */
const struct backend_ops *backend_find(const char *name);

#endif
