/* The plan expanded into runs, in the study's order. */
#ifndef VIFBENCH_PLAN_H
#define VIFBENCH_PLAN_H

#include <stddef.h>

#include "options.h"

struct run {
	const char *kernel;     /* points into the plan */
	const char *direction;
	long vms, streams, repeat;
	size_t group;           /* runs sharing one start of N guests */
};

struct runlist {
	struct run *r;
	size_t n, ngroups;
};

/*
 * For each kernel, for each N, for each repeat (one guest start), for each
 * stream count (allowed for N by max_vms_for_streams), for each direction.
 */
void plan_expand(const struct plan *p, struct runlist *out);
void runlist_free(struct runlist *l);

#endif
