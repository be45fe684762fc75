/*
 * Xen backend: not built yet (issue 3).  The table exists so plans naming
 * `backend = xen` can be listed (`vifbench plan`) and give one clear error
 * when run.  The real one drives xl, libxenstore and Xen's CPU accounting.
 */
#include "backend.h"

static double xen_estimate(unsigned n)
{
	/* xl create of PV guests in parallel, then shutdown -w (seen: 15-40 s
	 * under emulation). */
	return 40.0 + 2.0 * n;
}

static int xen_validate(struct backend *b, struct err *e)
{
	return err_set(e, "%s: backend: 'xen' is not built yet (issue 3); use 'netns'",
		       b->plan->v[K_BACKEND].where);
}

const struct backend_ops xen_backend_ops = {
	.name = "xen",
	.start_estimate_s = xen_estimate,
	.validate = xen_validate,
};
