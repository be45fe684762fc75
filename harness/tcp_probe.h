/* Is a guest's iperf server there?  One TCP connect, bounded in time. */
#ifndef VIFBENCH_TCP_PROBE_H
#define VIFBENCH_TCP_PROBE_H

#include <stdbool.h>

/* Does addr:port (IPv4, dotted) accept a TCP connection within wait_s? */
bool tcp_port_answers(const char *addr, int port, double wait_s);

#endif
