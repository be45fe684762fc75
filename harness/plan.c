#include "plan.h"

#include <stdlib.h>

void plan_expand(const struct plan *p, struct runlist *out)
{
	const struct optval *kernels = &p->v[K_KERNELS], *vms = &p->v[K_VMS];
	const struct optval *streams = &p->v[K_STREAMS], *dirs = &p->v[K_DIRECTIONS];
	size_t cap = 0;

	out->r = NULL;
	out->n = out->ngroups = 0;
	for (size_t k = 0; k < kernels->nwords; k++) {
		for (size_t v = 0; v < vms->nints; v++) {
			for (long rep = 1; rep <= p->v[K_REPEATS].num; rep++) {
				size_t before = out->n;

				for (size_t s = 0; s < streams->nints; s++) {
					if (vms->ints[v] > plan_max_vms(p, streams->ints[s]))
						continue;
					for (size_t d = 0; d < dirs->nwords; d++) {
						if (out->n == cap) {
							cap = cap ? cap * 2 : 64;
							out->r = xrealloc(out->r, cap * sizeof(*out->r));
						}
						out->r[out->n++] = (struct run){
							.kernel = kernels->words[k],
							.direction = dirs->words[d],
							.vms = vms->ints[v],
							.streams = streams->ints[s],
							.repeat = rep,
							.group = out->ngroups,
						};
					}
				}
				if (out->n > before)
					out->ngroups++;
			}
		}
	}
}

void runlist_free(struct runlist *l)
{
	free(l->r);
	l->r = NULL;
	l->n = l->ngroups = 0;
}
