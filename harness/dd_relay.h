/*
 * The control link to the network driver domain's agent (netback_domain =
 * dd32, docs/pv32.md).  dd32 plays dom0's part in the traffic, so the
 * iperf clients run there; its /init serves one request per TCP
 * connection on DD_AGENT_PORT of its control address
 * (testhost/pv32-dd-agent):
 *
 *   request:  one line: `info`, `probe ADDR PORT [SRC]`, or exactly the
 *             runner's iperf client argv
 *             (`iperf -c ADDR -p PORT -t SECS -P STREAMS -y C [-R] [-B SRC]`,
 *             SRC: the run's client_addrs entry, an address of dd32);
 *             anything else is refused (no remote shell)
 *   answer:   `O text` (a line of the client's stdout), `E text` (stderr),
 *             then `X STATUS` (its exit status; 2 = refused)
 *
 * The connection stays open until `X`: when it closes early (the relay
 * was killed by the runner's deadline or an interrupt) the agent kills
 * the client at once.
 */
#ifndef VIFBENCH_DD_RELAY_H
#define VIFBENCH_DD_RELAY_H

#include "util.h"

#define DD_AGENT_PORT 7001
#define DD_RELAY_FAILED 125     /* relay's own failure (connect, protocol) */

/*
 * One request: line (no newline) to host:port; the answer's O lines go to
 * out, E lines to errout (either may be NULL), the X status to *status.
 * timeout_s > 0 bounds the whole exchange.  -1: e says what failed.
 */
int dd_request(const char *host, int port, const char *line, double timeout_s,
	       struct buf *out, struct buf *errout, int *status, struct err *e);

/*
 * vifbench dd-relay HOST PORT iperf ARGS...: the runner's child in place
 * of `iperf ARGS...`: the client's stdout and stderr come out here, the
 * exit status is its exit status (DD_RELAY_FAILED when the relay itself
 * failed).  No deadline of its own: the runner kills it by group.
 */
int dd_relay_main(int argc, char **argv);

#endif
