/*
 * Every child process of the harness (ip, iperf, later xl and qemu) is
 * started, timed out, killed and reaped here, like git's run-command.c.
 *
 * A child gets its own process group (so a timeout or an interrupt kills
 * everything it started, and a Ctrl-C on the terminal reaches only us),
 * an argv (never a shell string), stdin from /dev/null, optionally its
 * stdout/stderr captured into memory, and PR_SET_PDEATHSIG=SIGKILL, so
 * even a SIGKILLed harness leaves no iperf running (namespaces or domains
 * it made are removed by the next session's backend open).  A deadline is enforced by
 * SIGKILL to the whole group.  The group is always killed before the
 * leader is reaped, so the group id cannot have been reused.
 */
#ifndef VIFBENCH_RUNCMD_H
#define VIFBENCH_RUNCMD_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "util.h"

enum {
	RC_CAPTURE_OUT = 1 << 0, /* stdout into child.out */
	RC_CAPTURE_ERR = 1 << 1, /* stderr into child.err */
	RC_NULL_OUT = 1 << 2,    /* stdout to /dev/null */
	RC_NULL_ERR = 1 << 3,    /* stderr to /dev/null */
	RC_LOG = 1 << 4,         /* stdout and stderr appended to child.log_path */
};

struct child {
	pid_t pid;          /* also its process group; 0 once reaped */
	int out_fd, err_fd; /* -1 when not captured or at EOF */
	struct buf out, err;
	double deadline;    /* now_mono() limit; 0 = none */
	bool timed_out;     /* killed because the deadline passed */
	bool killed;        /* killed by us (deadline, stop, interrupt) */
	int status;         /* waitpid() status once reaped */
	char name[64];      /* argv[0] for messages */
	const char *log_path; /* RC_LOG: set before child_start (kept) */
};

/* Set by the signal handlers main installs (SIGINT, SIGTERM, SIGHUP). */
extern volatile sig_atomic_t runcmd_interrupted;
void runcmd_install_signal_handlers(void);

/* Start argv[0] (searched in PATH).  timeout_s <= 0: no deadline. */
int child_start(struct child *c, const char *const argv[], unsigned flags,
		double timeout_s, struct err *e);

/*
 * Wait until every child in cs[] has exited and been reaped, reading their
 * captured output meanwhile and killing any past its deadline.  tick(arg)
 * is called about once a second (progress display).  On interrupt all of
 * them are killed and reaped and -1 is returned.
 */
int child_wait_all(struct child **cs, size_t n, void (*tick)(void *), void *arg);

/* Has it exited (without reaping it)? */
bool child_exited(struct child *c);

/* SIGTERM to the group, up to grace_s for it to exit, then SIGKILL; reap. */
void child_stop(struct child *c, double grace_s);

/* Kill and reap every child still registered (interrupt / exit path). */
void runcmd_kill_all(void);

void child_free(struct child *c);

/* "exit 3", "killed by signal 9", "timed out after the deadline" */
void child_describe_status(const struct child *c, char *out, size_t len);

/*
 * Run to completion with stdout and stderr captured.  0 when it exited 0;
 * otherwise -1 and e names the command, how it ended and its stderr's
 * first line.  out (optional) receives stdout.
 */
int run_argv(const char *const argv[], double timeout_s, struct buf *out,
	     struct err *e);

/* Is there an executable `prog` in PATH (what execvp would find)?  For
 * validate steps: say which tool is missing before anything starts. */
bool runcmd_in_path(const char *prog);

#endif
