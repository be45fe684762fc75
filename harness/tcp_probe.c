#define _GNU_SOURCE
#include "tcp_probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

bool tcp_port_answers(const char *addr, int port, double wait_s)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd, err = 0;
	socklen_t len = sizeof(err);
	struct pollfd p;
	bool ok = false;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return false;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
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
