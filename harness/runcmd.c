#define _GNU_SOURCE
#include "runcmd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

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

int child_start(struct child *c, const char *const argv[], unsigned flags,
		double timeout_s, struct err *e)
{
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, defaults;
	int rc;

	const char *log_path = c->log_path;

	memset(c, 0, sizeof(*c));
	c->log_path = log_path;
	c->out_fd = c->err_fd = -1;
	snprintf(c->name, sizeof(c->name), "%s", argv[0]);
	if ((flags & RC_CAPTURE_OUT) && pipe2(outp, O_CLOEXEC) < 0)
		return err_set(e, "%s: pipe: %s", argv[0], strerror(errno));
	if ((flags & RC_CAPTURE_ERR) && pipe2(errp, O_CLOEXEC) < 0) {
		int saved = errno;

		if (outp[0] >= 0) {
			close(outp[0]);
			close(outp[1]);
		}
		return err_set(e, "%s: pipe: %s", argv[0], strerror(saved));
	}

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if ((flags & RC_LOG) && log_path) {
		posix_spawn_file_actions_addopen(&fa, 1, log_path,
						 O_WRONLY | O_CREAT | O_APPEND, 0644);
		posix_spawn_file_actions_adddup2(&fa, 1, 2);
	} else if (flags & RC_CAPTURE_OUT)
		posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	else if (flags & RC_NULL_OUT)
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (flags & RC_LOG)
		;
	else if (flags & RC_CAPTURE_ERR)
		posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	else if (flags & RC_NULL_ERR)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);

	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGTERM);
	sigaddset(&defaults, SIGHUP);
	sigaddset(&defaults, SIGPIPE);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
				 POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

	rc = posix_spawnp(&c->pid, argv[0], &fa, &attr, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (outp[1] >= 0)
		close(outp[1]);
	if (errp[1] >= 0)
		close(errp[1]);
	if (rc != 0) {
		if (outp[0] >= 0)
			close(outp[0]);
		if (errp[0] >= 0)
			close(errp[0]);
		c->pid = 0;
		return err_set(e, "cannot run %s: %s", argv[0], strerror(rc));
	}
	c->out_fd = outp[0];
	c->err_fd = errp[0];
	c->deadline = timeout_s > 0 ? now_mono() + timeout_s : 0;
	live_add(c);
	return 0;
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
