/*
 * The results file (docs/results-format.md): one Python list of dicts,
 * rewritten atomically after every record (temp in the same folder,
 * fsync, rename, fsync of the folder).  Records already in the file are
 * kept as their exact text and only ever appended to, so a resumed or
 * crashed session never changes what was recorded.
 */
#ifndef VIFBENCH_RESULTS_H
#define VIFBENCH_RESULTS_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct run_id {
	char *kernel, *direction;
	long vms, streams, repeat;
};

struct results {
	char *path, *tmp_path;
	int lock_fd;
	char **recs;          /* verbatim text of each record */
	size_t nrecs;
	struct run_id *ok;    /* identities recorded 'ok' */
	size_t nok;
	struct run_id *deaths;   /* one per failed record: the kernel died in that run */
	size_t ndeaths;
};

/* How a failed run's reason starts when dom0's kernel died during it. */
#define RESULTS_KERNEL_DIED "dom0 kernel died during the run"

/*
 * Open for a session: take the lock (<path>.lock), check the folder is
 * writable, read and check any existing file.  -1: e says why; nothing
 * has been written.
 */
int results_open(struct results *r, const char *path, struct err *e);
/* Read-only view (vifbench plan): existing file parsed, no lock, no checks. */
int results_peek(struct results *r, const char *path, struct err *e);
void results_close(struct results *r);

bool results_has_ok(const struct results *r, const char *kernel,
		    const char *direction, long vms, long streams, long repeat);

/* Failed records of this identity whose kernel died during the run. */
size_t results_kernel_deaths(const struct results *r, const char *kernel,
			     const char *direction, long vms, long streams, long repeat);

/* Append one record (a dict literal) and rewrite the file atomically. */
int results_append(struct results *r, const char *record, struct err *e);

/* "<dir>/<name>.log" beside the results file (caller frees). */
char *results_log_path(const char *path);

#endif
