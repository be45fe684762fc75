#define _GNU_SOURCE
#include "iperf_csv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IDS 256

struct stream {
	long id;
	double end, bps;
};

/* Split a line on commas in place; returns the field count. */
static int fields(char *line, char **f, int max)
{
	int n = 0;

	f[n++] = line;
	for (char *c = line; *c && n < max; c++) {
		if (*c == ',') {
			*c = '\0';
			f[n++] = c + 1;
		}
	}
	return n;
}

static int to_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return (end == s || *end || errno) ? -1 : 0;
}

int iperf_parse_csv(const char *text, int want_streams, int duration,
		    struct iperf_result *r, char *reason, size_t len)
{
	struct stream s[MAX_IDS];
	int ns = 0, lines = 0;
	char *copy = strdup(text ? text : ""), *save = NULL;
	double sum_bps = -1;

	memset(r, 0, sizeof(*r));
	if (!copy) {
		snprintf(reason, len, "out of memory");
		return -1;
	}
	for (char *line = strtok_r(copy, "\r\n", &save); line;
	     line = strtok_r(NULL, "\r\n", &save)) {
		char *f[16], *dash, *end;
		double a, b, bps;
		long id;

		if (fields(line, f, 16) != 9)
			continue;       /* not a TCP result line */
		errno = 0;
		id = strtol(f[5], &end, 10);
		if (end == f[5] || *end || errno)
			continue;
		dash = strchr(f[6], '-');
		if (!dash)
			continue;
		*dash = '\0';
		if (to_double(f[6], &a) < 0 || to_double(dash + 1, &b) < 0 ||
		    to_double(f[8], &bps) < 0 || bps < 0)
			continue;
		lines++;
		if (a > 0.05)
			continue;       /* an interval report, not the whole run */
		if (id < 0) {
			sum_bps = bps;
			continue;
		}
		int k;

		for (k = 0; k < ns && s[k].id != id; k++)
			;
		if (k == ns) {
			if (ns == MAX_IDS)
				continue;
			ns++;
		} else if (s[k].end > b) {
			continue;
		}
		s[k] = (struct stream){ .id = id, .end = b, .bps = bps };
	}
	free(copy);

	double total = 0, shortest = 0;

	for (int k = 0; k < ns; k++) {
		total += s[k].bps;
		if (k == 0 || s[k].end < shortest)
			shortest = s[k].end;
	}
	/* A SUM line (older iperf 2) is the same figure; trust our own sum. */
	(void)sum_bps;
	r->gbps = total / 1e9;
	r->streams = ns;
	r->shortest = shortest;
	if (lines == 0) {
		snprintf(reason, len, "no iperf CSV result");
		return -1;
	}
	if (ns < want_streams) {
		snprintf(reason, len, "%d of %d streams reported", ns, want_streams);
		return -1;
	}
	/* iperf prints interval ends to 0.1 s; a stream that died early
	 * reports what it moved until then, which is not a full run. */
	double tol = duration * 0.05 > 0.5 ? duration * 0.05 : 0.5;

	if (shortest < duration - tol) {
		snprintf(reason, len, "a stream ran only %.1f s of %d s", shortest, duration);
		return -1;
	}
	/* A connection that moved nothing is no measurement (seen in netns,
	 * -R -P 2: one stream reported 0 bits/s over the whole run). */
	for (int k = 0; k < ns; k++) {
		if (s[k].bps <= 0) {
			snprintf(reason, len, "stream %ld moved no data in %.1f s", s[k].id,
				 s[k].end);
			return -1;
		}
	}
	return 0;
}
