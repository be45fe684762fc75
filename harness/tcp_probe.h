/* Is a guest's iperf server there?  One TCP connect, bounded in time. */
#ifndef VIFBENCH_TCP_PROBE_H
#define VIFBENCH_TCP_PROBE_H

#include <stdbool.h>

#include "util.h"

/* Does addr:port (IPv4, dotted) accept a TCP connection within wait_s?
 * src: the connection's source address (bound before connect), or NULL
 * for the kernel's choice.  A src this host cannot bind answers false. */
bool tcp_port_answers(const char *addr, int port, const char *src, double wait_s);

/* Is src (IPv4, dotted) one of this host's addresses, i.e. can a socket
 * be bound to it?  -1: e says why not. */
int tcp_can_bind(const char *src, struct err *e);

/* "198.18.0.7" in net "198.18.0": 7; not in that /24 (or not a plain
 * dotted address): -1. */
int addr_host_in(const char *addr, const char *net);

#endif
