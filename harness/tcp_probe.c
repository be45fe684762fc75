#define _GNU_SOURCE
#include "tcp_probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A TCP socket bound to src (port 0: the kernel picks one); -1 on failure. */
static int bound_socket(const char *src, int flags)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd;

	if (src && inet_pton(AF_INET, src, &sa.sin_addr) != 1) {
		errno = EINVAL;
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
	if (fd < 0 || !src)
		return fd;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

bool tcp_port_answers(const char *addr, int port, const char *src, double wait_s)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd, err = 0;
	socklen_t len = sizeof(err);
	struct pollfd p;
	bool ok = false;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return false;
	fd = bound_socket(src, SOCK_NONBLOCK);
	if (fd < 0)
		return false;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		ok = true;
	} else if (errno == EINPROGRESS) {
		p = (struct pollfd){ .fd = fd, .events = POLLOUT };
		if (poll(&p, 1, (int)(wait_s * 1000)) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
			ok = true;
	}
	close(fd);
	return ok;
}

int tcp_can_bind(const char *src, struct err *e)
{
	int fd = bound_socket(src, 0);

	if (fd < 0)
		return err_set(e, "%s", strerror(errno));
	close(fd);
	return 0;
}

int addr_host_in(const char *addr, const char *net)
{
	size_t l = strlen(net);
	char *end;
	long h;

	if (strncmp(addr, net, l) || addr[l] != '.' || addr[l + 1] < '0' || addr[l + 1] > '9')
		return -1;
	h = strtol(addr + l + 1, &end, 10);
	if (*end || h > 255 || (addr[l + 1] == '0' && addr[l + 2]))
		return -1;
	return (int)h;
}
