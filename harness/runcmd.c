#define _GNU_SOURCE
#include "runcmd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

volatile sig_atomic_t runcmd_interrupted;

static void on_signal(int signo)
{
	runcmd_interrupted = signo;
}

void runcmd_install_signal_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: poll() and waits must return EINTR so we notice. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Children started and not yet reaped, so an interrupt can kill them all. */
static struct child **live;
static size_t nlive, caplive;

static void live_add(struct child *c)
{
	if (nlive == caplive) {
		caplive = caplive ? caplive * 2 : 16;
		live = xrealloc(live, caplive * sizeof(*live));
	}
	live[nlive++] = c;
}

static void live_del(struct child *c)
{
	for (size_t i = 0; i < nlive; i++) {
		if (live[i] == c) {
			live[i] = live[--nlive];
			return;
		}
	}
}

/* In the child, before exec: only async-signal-safe calls. */
static void child_setup(const char *const argv[], unsigned flags, const char *log_path,
			int outw, int errw, int report, pid_t parent)
{
	struct sigaction dfl;
	sigset_t none;
	int fd, saved;

	setpgid(0, 0);
	/* Die with the harness, even when it is SIGKILLed: no orphan iperf. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGINT, &dfl, NULL);
	sigaction(SIGTERM, &dfl, NULL);
	sigaction(SIGHUP, &dfl, NULL);
	sigaction(SIGPIPE, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, 0) < 0)
		goto fail;
	if ((flags & RC_LOG) && log_path) {
		fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			goto fail;
	} else {
		if (flags & RC_CAPTURE_OUT) {
			if (dup2(outw, 1) < 0)
				goto fail;
		} else if (flags & RC_NULL_OUT) {
			fd = open("/dev/null", O_WRONLY);
			if (fd < 0 || dup2(fd, 1) < 0)
				goto fail;
		}
		if (flags & RC_CAPTURE_ERR) {
			if (dup2(errw, 2) < 0)
				goto fail;
		} else if (flags & RC_NULL_ERR) {
			fd = open("/dev/null", O_WRONLY);
			if (fd < 0 || dup2(fd, 2) < 0)
				goto fail;
		}
	}
	execvp(argv[0], (char *const *)argv);
fail:
	saved = errno;
	if (write(report, &saved, sizeof(saved)) < 0)
		_exit(127);
	_exit(127);
}

int child_start(struct child *c, const char *const argv[], unsigned flags,
		double timeout_s, struct err *e)
{
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, rep[2] = { -1, -1 };
	const char *log_path = c->log_path;
	pid_t parent = getpid(), pid;
	int child_errno = 0;
	ssize_t n;

	memset(c, 0, sizeof(*c));
	c->log_path = log_path;
	c->out_fd = c->err_fd = -1;
	snprintf(c->name, sizeof(c->name), "%s", argv[0]);
	if (((flags & RC_CAPTURE_OUT) && pipe2(outp, O_CLOEXEC) < 0) ||
	    ((flags & RC_CAPTURE_ERR) && pipe2(errp, O_CLOEXEC) < 0) ||
	    pipe2(rep, O_CLOEXEC) < 0) {
		err_set(e, "%s: pipe: %s", argv[0], strerror(errno));
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		err_set(e, "%s: fork: %s", argv[0], strerror(errno));
		goto fail;
	}
	if (pid == 0)
		child_setup(argv, flags, log_path, outp[1], errp[1], rep[1], parent);
	/* Also here, so the group exists before we might signal it. */
	setpgid(pid, pid);
	close(rep[1]);
	rep[1] = -1;
	while ((n = read(rep[0], &child_errno, sizeof(child_errno))) < 0 && errno == EINTR)
		;
	close(rep[0]);
	rep[0] = -1;
	if (n > 0) {
		/* exec failed: the child told us why and exits. */
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		err_set(e, "cannot run %s: %s", argv[0], strerror(child_errno));
		goto fail;
	}
	c->pid = pid;
	if (outp[1] >= 0)
		close(outp[1]);
	if (errp[1] >= 0)
		close(errp[1]);
	c->out_fd = outp[0];
	c->err_fd = errp[0];
	c->deadline = timeout_s > 0 ? now_mono() + timeout_s : 0;
	live_add(c);
	return 0;
fail:
	for (int k = 0; k < 2; k++) {
		if (outp[k] >= 0)
			close(outp[k]);
		if (errp[k] >= 0)
			close(errp[k]);
		if (rep[k] >= 0)
			close(rep[k]);
	}
	c->pid = 0;
	return -1;
}

bool child_exited(struct child *c)
{
	siginfo_t si;

	if (c->pid == 0)
		return true;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno == ECHILD;
	return si.si_pid == c->pid;
}

static void close_fds(struct child *c)
{
	if (c->out_fd >= 0)
		close(c->out_fd);
	if (c->err_fd >= 0)
		close(c->err_fd);
	c->out_fd = c->err_fd = -1;
}

/* Kill what is left of its group (the leader is a zombie or dead), reap. */
static void reap(struct child *c)
{
	if (c->pid == 0)
		return;
	kill(-c->pid, SIGKILL);
	while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
		;
	close_fds(c);
	live_del(c);
	c->pid = 0;
}

static void drain(struct child *c, int *fdp, struct buf *b)
{
	char chunk[8192];
	ssize_t n = read(*fdp, chunk, sizeof(chunk));

	if (n > 0) {
		buf_add(b, chunk, (size_t)n);
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		close(*fdp);
		*fdp = -1;
	}
	(void)c;
}

static void kill_group(struct child *c)
{
	if (c->pid > 0) {
		kill(-c->pid, SIGKILL);
		c->killed = true;
	}
}

int child_wait_all(struct child **cs, size_t n, void (*tick)(void *), void *arg)
{
	struct pollfd *pfd = xmalloc(sizeof(*pfd) * 2 * (n ? n : 1));
	struct child **who = xmalloc(sizeof(*who) * 2 * (n ? n : 1));
	double next_tick = now_mono() + 1.0;

	for (;;) {
		size_t np = 0, running = 0;
		double now = now_mono(), wait_s = next_tick - now;
		bool fdless = false;

		if (runcmd_interrupted) {
			for (size_t i = 0; i < n; i++) {
				kill_group(cs[i]);
				reap(cs[i]);
			}
			free(pfd);
			free(who);
			return -1;
		}
		for (size_t i = 0; i < n; i++) {
			struct child *c = cs[i];

			if (c->pid == 0)
				continue;
			if (c->deadline > 0 && now >= c->deadline) {
				c->timed_out = true;
				kill_group(c);
			}
			if (c->out_fd < 0 && c->err_fd < 0) {
				if (child_exited(c)) {
					reap(c);
					continue;
				}
				fdless = true;
			}
			running++;
			if (c->deadline > 0 && c->deadline - now < wait_s)
				wait_s = c->deadline - now;
			if (c->out_fd >= 0) {
				pfd[np] = (struct pollfd){ .fd = c->out_fd, .events = POLLIN };
				who[np++] = c;
			}
			if (c->err_fd >= 0) {
				pfd[np] = (struct pollfd){ .fd = c->err_fd, .events = POLLIN };
				who[np++] = c;
			}
		}
		if (running == 0)
			break;
		/* Pipes closed but not yet exited: look again soon. */
		if (fdless && wait_s > 0.02)
			wait_s = 0.02;
		if (wait_s < 0)
			wait_s = 0;
		int rc = poll(pfd, np, (int)(wait_s * 1000) + 1);

		if (rc > 0) {
			for (size_t k = 0; k < np; k++) {
				struct child *c = who[k];

				if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
					continue;
				if (pfd[k].fd == c->out_fd)
					drain(c, &c->out_fd, &c->out);
				else if (pfd[k].fd == c->err_fd)
					drain(c, &c->err_fd, &c->err);
			}
		}
		if (now_mono() >= next_tick) {
			next_tick += 1.0;
			if (tick)
				tick(arg);
		}
	}
	free(pfd);
	free(who);
	return 0;
}

void child_stop(struct child *c, double grace_s)
{
	double until = now_mono() + grace_s;

	if (c->pid == 0)
		return;
	if (!child_exited(c)) {
		kill(-c->pid, SIGTERM);
		c->killed = true;
		while (!child_exited(c) && now_mono() < until)
			sleep_s(0.01);
	}
	reap(c);
}

void runcmd_kill_all(void)
{
	while (nlive > 0) {
		struct child *c = live[nlive - 1];

		kill_group(c);
		reap(c);
	}
}

void child_free(struct child *c)
{
	if (c->pid)
		child_stop(c, 0);
	close_fds(c);
	buf_free(&c->out);
	buf_free(&c->err);
}

void child_describe_status(const struct child *c, char *out, size_t len)
{
	if (c->timed_out)
		snprintf(out, len, "timed out, killed");
	else if (WIFEXITED(c->status))
		snprintf(out, len, "exit %d", WEXITSTATUS(c->status));
	else if (WIFSIGNALED(c->status))
		snprintf(out, len, "killed by signal %d", WTERMSIG(c->status));
	else
		snprintf(out, len, "status %#x", (unsigned)c->status);
}

int run_argv(const char *const argv[], double timeout_s, struct buf *out,
	     struct err *e)
{
	struct child c, *one = &c;
	char how[64];
	int rc = 0;

	if (child_start(&c, argv, RC_CAPTURE_OUT | RC_CAPTURE_ERR, timeout_s, e) < 0)
		return -1;
	if (child_wait_all(&one, 1, NULL, NULL) < 0) {
		rc = err_set(e, "%s: interrupted", argv[0]);
	} else if (c.timed_out || !WIFEXITED(c.status) || WEXITSTATUS(c.status) != 0) {
		struct buf cmd = { 0 };
		size_t eol = c.err.p ? strcspn(c.err.p, "\n") : 0;

		for (size_t i = 0; argv[i] && i < 6; i++)
			buf_addf(&cmd, "%s%s", i ? " " : "", argv[i]);
		child_describe_status(&c, how, sizeof(how));
		rc = err_set(e, "'%s': %s%s%.*s", cmd.p, how, eol ? ": " : "",
			     (int)eol, c.err.p ? c.err.p : "");
		buf_free(&cmd);
	}
	if (rc == 0 && out)
		buf_add(out, c.out.p ? c.out.p : "", c.out.len);
	child_free(&c);
	return rc;
}

bool runcmd_in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char full[4096];

	if (!path)
		path = "/usr/bin:/bin:/usr/sbin:/sbin";
	for (const char *d = path; *d;) {
		size_t l = strcspn(d, ":");

		snprintf(full, sizeof(full), "%.*s/%s", (int)l, d, prog);
		if (access(full, X_OK) == 0)
			return true;
		d += l;
		if (*d == ':')
			d++;
	}
	return false;
}
