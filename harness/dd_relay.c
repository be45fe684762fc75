/* Control link to the driver domain's agent: see dd_relay.h. */
#define _GNU_SOURCE
#include "dd_relay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_REQUEST 512     /* the agent reads one short line */
#define CONNECT_S 10.0      /* the control link is one bridge away */

/* ms left until deadline (0 = none: -1 for poll), at least 0. */
static int ms_left(double deadline)
{
	double left;

	if (deadline <= 0)
		return -1;
	left = deadline - now_mono();
	return left <= 0 ? 0 : (int)(left * 1000) + 1;
}

static int connect_to(const char *host, int port, double deadline, struct err *e)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	double cdl = now_mono() + CONNECT_S;
	int fd, soerr = 0;
	socklen_t len = sizeof(soerr);
	struct pollfd p;

	if (deadline > 0 && deadline < cdl)
		cdl = deadline;
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return err_set(e, "dd-relay: '%s' is not an IPv4 address", host);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(e, "dd-relay: socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EINPROGRESS) {
			err_set(e, "dd-relay: connect %s:%d: %s", host, port, strerror(errno));
			close(fd);
			return -1;
		}
		p = (struct pollfd){ .fd = fd, .events = POLLOUT };
		if (poll(&p, 1, ms_left(cdl)) != 1 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr) {
			err_set(e, "dd-relay: connect %s:%d: %s", host, port,
				soerr ? strerror(soerr) : "timed out");
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* Sort one answer line into out/errout/status; 1 when it was X. */
static int take_line(const char *l, size_t n, struct buf *out, struct buf *errout, int *status,
		     struct err *e)
{
	if (n >= 2 && l[0] == 'X' && l[1] == ' ') {
		char num[16];
		char *end;
		long v;

		snprintf(num, sizeof(num), "%.*s", (int)(n - 2 < 15 ? n - 2 : 15), l + 2);
		v = strtol(num, &end, 10);
		if (end == num || *end || v < 0 || v > 255)
			return err_set(e, "dd-relay: bad status line from the agent: '%.*s'",
				       (int)(n < 60 ? n : 60), l);
		*status = (int)v;
		return 1;
	}
	if (n >= 2 && (l[0] == 'O' || l[0] == 'E') && l[1] == ' ') {
		struct buf *b = l[0] == 'O' ? out : errout;

		if (b) {
			buf_add(b, l + 2, n - 2);
			buf_add(b, "\n", 1);
		}
		return 0;
	}
	if (n == 1 && (l[0] == 'O' || l[0] == 'E')) {   /* an empty line */
		if (l[0] == 'O' ? out : errout)
			buf_add(l[0] == 'O' ? out : errout, "\n", 1);
		return 0;
	}
	return err_set(e, "dd-relay: unexpected line from the agent: '%.*s'",
		       (int)(n < 60 ? n : 60), l);
}

int dd_request(const char *host, int port, const char *line, double timeout_s,
	       struct buf *out, struct buf *errout, int *status, struct err *e)
{
	double deadline = timeout_s > 0 ? now_mono() + timeout_s : 0;
	struct buf req = { 0 }, in = { 0 };
	size_t sent = 0, used = 0;
	int fd, rc = -1;

	if (strlen(line) >= MAX_REQUEST || strchr(line, '\n'))
		return err_set(e, "dd-relay: request too long or has a newline");
	fd = connect_to(host, port, deadline, e);
	if (fd < 0)
		return -1;
	buf_adds(&req, line);
	buf_adds(&req, "\n");
	/* Send the line, then read the answer.  The write side stays open:
	 * the agent takes EOF as "the relay is gone, stop the client". */
	for (;;) {
		struct pollfd p = { .fd = fd, .events = sent < req.len ? POLLOUT : POLLIN };
		int pr = poll(&p, 1, ms_left(deadline));
		char chunk[4096];
		ssize_t r;

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			err_set(e, "dd-relay: poll: %s", strerror(errno));
			break;
		}
		if (pr == 0) {
			err_set(e, "dd-relay: no answer from %s:%d within %.0f s", host, port,
				timeout_s);
			break;
		}
		if (sent < req.len) {
			r = send(fd, req.p + sent, req.len - sent, MSG_NOSIGNAL);
			if (r < 0 && errno != EAGAIN && errno != EINTR) {
				err_set(e, "dd-relay: send: %s", strerror(errno));
				break;
			}
			if (r > 0)
				sent += (size_t)r;
			continue;
		}
		r = recv(fd, chunk, sizeof(chunk), 0);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r < 0) {
			err_set(e, "dd-relay: recv: %s", strerror(errno));
			break;
		}
		if (r == 0) {
			err_set(e, "dd-relay: the agent at %s:%d closed the link without a status",
				host, port);
			break;
		}
		buf_add(&in, chunk, (size_t)r);
		/* complete lines */
		int done = 0;
		char *nl;

		while (!done && (nl = memchr(in.p + used, '\n', in.len - used))) {
			size_t n = (size_t)(nl - (in.p + used));

			done = take_line(in.p + used, n, out, errout, status, e);
			used += n + 1;
		}
		if (done < 0)
			break;
		if (done) {
			rc = 0;
			break;
		}
	}
	close(fd);
	buf_free(&req);
	buf_free(&in);
	return rc;
}

int dd_relay_main(int argc, char **argv)
{
	struct buf line = { 0 }, out = { 0 }, errout = { 0 };
	struct err e;
	char *end;
	long port;
	int status = DD_RELAY_FAILED;

	if (argc < 5) {
		fprintf(stderr, "usage: vifbench dd-relay HOST PORT iperf ARGS...\n");
		return DD_RELAY_FAILED;
	}
	port = strtol(argv[3], &end, 10);
	if (*end || port < 1 || port > 65535) {
		fprintf(stderr, "dd-relay: port '%s'\n", argv[3]);
		return DD_RELAY_FAILED;
	}
	/* The words go as one space-separated line: none may hold a blank. */
	for (int i = 4; i < argc; i++) {
		if (!*argv[i] || strpbrk(argv[i], " \t\r\n")) {
			fprintf(stderr, "dd-relay: argument '%s' is empty or has a blank\n",
				argv[i]);
			return DD_RELAY_FAILED;
		}
		buf_addf(&line, "%s%s", i > 4 ? " " : "", argv[i]);
	}
	if (dd_request(argv[2], (int)port, line.p, 0, &out, &errout, &status, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		status = DD_RELAY_FAILED;
	}
	if (out.len)
		fwrite(out.p, 1, out.len, stdout);
	if (errout.len)
		fwrite(errout.p, 1, errout.len, stderr);
	buf_free(&line);
	buf_free(&out);
	buf_free(&errout);
	return status;
}
