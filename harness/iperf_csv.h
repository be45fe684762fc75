/*
 * iperf 2 client output in CSV (-y C).  iperf 2.1.8 exits 0 even when it
 * could not connect, so a run is judged only by these lines.  A TCP line:
 *   time,local_ip,local_port,remote_ip,remote_port,id,start-end,bytes,bits_per_s
 * With -P N, 2.1.8 prints one line per stream and no SUM line (older
 * versions add one with id -1); we sum the streams ourselves.  In reverse
 * mode (-R) the same lines come with the guest's address as "local".
 */
#ifndef VIFBENCH_IPERF_CSV_H
#define VIFBENCH_IPERF_CSV_H

#include <stddef.h>

struct iperf_result {
	double gbps;        /* sum over streams, 10^9 bit/s */
	int streams;        /* streams reported over the whole run */
	double shortest;    /* shortest stream interval end, seconds */
};

/*
 * Parse the CSV of one client run asked for want_streams streams of
 * duration seconds.  0 when every stream reported for (about) the whole
 * duration; otherwise -1 and reason says what is missing (r holds what
 * was measured).
 */
int iperf_parse_csv(const char *text, int want_streams, int duration,
		    struct iperf_result *r, char *reason, size_t len);

#endif
