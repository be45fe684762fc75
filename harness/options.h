/*
 * The one option table (as fio does it): every setting is defined once
 * here and drives both the plan file's `key = value` and the command
 * line's `--key value`.  Values are first kept as text with where they
 * came from (file:line, command line, default), then normalised, so any
 * error names its source.
 */
#ifndef VIFBENCH_OPTIONS_H
#define VIFBENCH_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum opt_key {
	K_KERNELS,
	K_KERNEL,
	K_BACKEND,
	K_VMS,
	K_STREAMS,
	K_MAX_VMS_FOR_STREAMS,
	K_REPEATS,
	K_DURATION,
	K_DIRECTIONS,
	K_TEMPLATE,
	K_CLONE_PREFIX,
	K_RESULTS,
	K_PORT,
	K_CLIENT_ADDRS,
	K_GUEST_START_TIMEOUT,
	K_IPERF_MARGIN,
	K_RETRIES,
	K_HOST_NOTE,
	K_TEMPLATE_DIR,
	K_GUEST_KERNEL,
	K_GUEST_RAMDISK,
	K_GUEST_MEMORY,
	K_GUEST_VCPUS,
	K_GUEST_CPUS,
	K_REBOOT,
	K_NETBACK_DOMAIN,
	K_DD_KERNEL,
	K_DD_RAMDISK,
	K_DD_MEMORY,
	K_DD_CPUS,
	K_NKEYS
};

enum opt_type {
	OT_STR,      /* one word or path */
	OT_NAME,     /* one name: letters, digits, . _ + - */
	OT_NAMES,    /* names, space separated */
	OT_INT,      /* one integer in [min, max] */
	OT_INTS,     /* integers and ranges: "1-8", "1 2 4", "1-4 8" */
	OT_CHOICE,   /* one of choices */
	OT_CHOICES,  /* some of choices, space separated */
	OT_LIMITS,   /* pairs "a:b" of ints, space separated */
	OT_ADDRS,    /* IPv4 addresses, space separated; empty: none */
};

struct optdef {
	const char *key;
	enum opt_type type;
	const char *def;     /* default, parsed like input; NULL: unset */
	const char *choices; /* OT_CHOICE(S): space separated */
	long min, max;       /* OT_INT(S), OT_LIMITS */
	const char *help;
};

extern const struct optdef optdefs[K_NKEYS];

struct optval {
	bool set;            /* has a value (given or default) */
	char *raw;
	char where[256];     /* "configs/v3.plan:4", "command line (--vms)", "default" */
	/* normalised */
	char *str;                     /* OT_STR, OT_NAME, OT_CHOICE */
	long num;                      /* OT_INT */
	char **words; size_t nwords;   /* OT_NAMES, OT_CHOICES, OT_ADDRS */
	long *ints; size_t nints;      /* OT_INTS; OT_LIMITS as pairs a,b,a,b */
};

struct plan {
	char *file;          /* plan path as given */
	struct optval v[K_NKEYS];
};

/* Find a key; '-' and '_' are the same. */
int opt_lookup(const char *key);

void plan_init(struct plan *p);
void plan_free(struct plan *p);
/* Read a plan file into p (raw values).  -1: e says file:line: problem. */
int plan_read_file(struct plan *p, const char *path, struct err *e);
/* Set one key from the command line (raw).  -1 on unknown key. */
int plan_set_cli(struct plan *p, const char *key, const char *value, struct err *e);
/* Apply defaults, normalise and cross-check every value. */
int plan_finish(struct plan *p, struct err *e);

/* Limit on N for a stream count (max_vms_for_streams), or LONG_MAX. */
long plan_max_vms(const struct plan *p, long streams);

/* Source address of run number k of a session (every run the runner
 * starts, retries included, counts): client_addrs[k % n], or NULL when
 * the plan has none (the kernel chooses, as before the key existed). */
const char *plan_client_addr(const struct plan *p, unsigned long k);

/* Append the plan as a Python dict (normalised values). */
void plan_to_pylit(const struct plan *p, struct buf *b);

/* Text for --help: every key, its default and help. */
void opt_print_help(void);

#endif
