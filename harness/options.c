#define _GNU_SOURCE
#include "options.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pylit.h"

const struct optdef optdefs[K_NKEYS] = {
	[K_KERNELS] = { "kernels", OT_NAMES, "default", NULL, 0, 0,
		"labels of the dom0 kernels to compare, in order" },
	[K_KERNEL] = { "kernel", OT_NAME, NULL, NULL, 0, 0,
		"label of the kernel running now, when the backend cannot tell "
		"(netns); default: the only one of kernels" },
	[K_BACKEND] = { "backend", OT_CHOICE, "netns", "netns xen", 0, 0,
		"host backend: netns (Linux namespaces) or xen" },
	[K_VMS] = { "vms", OT_INTS, "1-8", NULL, 1, 200,
		"numbers of guests N, ranges or lists" },
	[K_STREAMS] = { "streams", OT_INTS, "1-4", NULL, 1, 64,
		"TCP streams per guest (iperf -P)" },
	[K_MAX_VMS_FOR_STREAMS] = { "max_vms_for_streams", OT_LIMITS, "", NULL, 1, 200,
		"STREAMS:MAXN pairs; run that stream count only for N <= MAXN" },
	[K_REPEATS] = { "repeats", OT_INT, "3", NULL, 1, 1000,
		"repeats; guests are restarted for each" },
	[K_DURATION] = { "duration", OT_INT, "120", NULL, 1, 86400,
		"iperf time per run, seconds" },
	[K_DIRECTIONS] = { "directions", OT_CHOICES, "dom0-to-domU domU-to-dom0",
		"dom0-to-domU domU-to-dom0", 0, 0,
		"traffic directions, in order (domU-to-dom0 uses iperf -R)" },
	[K_TEMPLATE] = { "template", OT_NAME, "Split", NULL, 0, 0,
		"guest template (xen); netns has none" },
	[K_CLONE_PREFIX] = { "clone_prefix", OT_NAME, "Split-", NULL, 0, 0,
		"guest i is <clone_prefix><i> (xen); netns uses vb-<i>" },
	[K_RESULTS] = { "results", OT_STR, "results.pylist", NULL, 0, 0,
		"results file (Python list); the log goes beside it" },
	[K_PORT] = { "port", OT_INT, "5001", NULL, 1, 65535,
		"iperf server TCP port in the guests" },
	/* Debian's iperf 2.1.8 server keeps a per-client-address entry whose
	 * report it frees while the ending test's thread still holds it; a
	 * connection from that address in the gap wedges the server for good
	 * (results/2026-12-02-v3-emulated/REPORT.md).  Alternating sources
	 * keep the next run's connections off the ending test's entry. */
	[K_CLIENT_ADDRS] = { "client_addrs", OT_ADDRS, "", NULL, 0, 0,
		"source IPv4 addresses of the iperf clients and port probes, e.g. "
		"'198.18.0.1 198.18.0.2': run k of a session (retries count) uses "
		"address k mod n, so consecutive runs never share one (iperf 2.1.8's "
		"server wedges on a new connection from the address of a test it is "
		"still ending); empty: the kernel chooses" },
	[K_GUEST_START_TIMEOUT] = { "guest_start_timeout", OT_INT, "120", NULL, 1, 3600,
		"seconds for N guests to start and answer on the iperf port" },
	[K_IPERF_MARGIN] = { "iperf_margin", OT_INT, "20", NULL, 1, 3600,
		"seconds an iperf client may take beyond duration before it is killed" },
	[K_RETRIES] = { "retries", OT_INT, "1", NULL, 0, 10,
		"times a failed run is retried at once, same guests (the failed record stays)" },
	[K_HOST_NOTE] = { "host_note", OT_STR, NULL, NULL, 0, 0,
		"words added to the meta record's host, e.g. 'emulated: qemu tcg'" },
	[K_TEMPLATE_DIR] = { "template_dir", OT_STR, NULL, NULL, 0, 0,
		"xen: folder of <template>.cfg (+ template.env with KERNEL=, RAMDISK=); "
		"default $TESTHOST_TEMPLATE_DIR or /etc/vifbench/templates" },
	[K_GUEST_KERNEL] = { "guest_kernel", OT_STR, NULL, NULL, 0, 0,
		"xen: guest kernel (PV); default KERNEL= of the template folder's env file" },
	[K_GUEST_RAMDISK] = { "guest_ramdisk", OT_STR, NULL, NULL, 0, 0,
		"xen: guest initramfs; default RAMDISK= of the template folder's env file" },
	[K_GUEST_MEMORY] = { "guest_memory", OT_INT, "512", NULL, 32, 1048576,
		"xen: guest memory, MB (the study: 512)" },
	[K_GUEST_VCPUS] = { "guest_vcpus", OT_INT, "2", NULL, 1, 128,
		"xen: guest VCPUs (the study: 2)" },
	[K_GUEST_CPUS] = { "guest_cpus", OT_STR, NULL, NULL, 0, 0,
		"xen: xl cpus= for the guests, e.g. '1' or '2-7'; default $TESTHOST_GUEST_CPUS, "
		"else unpinned" },
	[K_REBOOT] = { "reboot", OT_CHOICE, "yes", "yes no", 0, 0,
		"xen, real host: after grub-reboot into the next kernel, reboot (no: only "
		"select it)" },
	/* The PV32 path (docs/pv32.md): netback in an i386 driver domain. */
	[K_NETBACK_DOMAIN] = { "netback_domain", OT_CHOICE, "dom0", "dom0 dd32", 0, 0,
		"xen: where the guests' netback runs: dom0, or dd32 (a driver domain the "
		"harness creates from dd_kernel; iperf clients and CPU figures are dd32's)" },
	[K_DD_KERNEL] = { "dd_kernel", OT_STR, NULL, NULL, 0, 0,
		"netback_domain = dd32: the driver domain's kernel (the kernel under test)" },
	[K_DD_RAMDISK] = { "dd_ramdisk", OT_STR, NULL, NULL, 0, 0,
		"netback_domain = dd32: its initramfs (build/testhost/pv32/dd-initrd.gz)" },
	[K_DD_MEMORY] = { "dd_memory", OT_INT, "384", NULL, 64, 1048576,
		"netback_domain = dd32: its memory, MB" },
	[K_DD_CPUS] = { "dd_cpus", OT_STR, NULL, NULL, 0, 0,
		"netback_domain = dd32: xl cpus= for it (1 VCPU), e.g. '0'; default unpinned" },
};

static void normalise_key(const char *in, char *out, size_t len)
{
	size_t k;

	for (k = 0; in[k] && k + 1 < len; k++)
		out[k] = in[k] == '-' ? '_' : in[k];
	out[k] = '\0';
}

int opt_lookup(const char *key)
{
	char norm[64];

	normalise_key(key, norm, sizeof(norm));
	for (int k = 0; k < K_NKEYS; k++)
		if (!strcmp(optdefs[k].key, norm))
			return k;
	return -1;
}

void plan_init(struct plan *p)
{
	memset(p, 0, sizeof(*p));
}

static void optval_clear_norm(struct optval *v)
{
	free(v->str);
	for (size_t k = 0; k < v->nwords; k++)
		free(v->words[k]);
	free(v->words);
	free(v->ints);
	v->str = NULL;
	v->words = NULL;
	v->ints = NULL;
	v->nwords = v->nints = 0;
}

void plan_free(struct plan *p)
{
	for (int k = 0; k < K_NKEYS; k++) {
		optval_clear_norm(&p->v[k]);
		free(p->v[k].raw);
	}
	free(p->file);
	memset(p, 0, sizeof(*p));
}

static void set_raw(struct optval *v, const char *value, const char *where)
{
	free(v->raw);
	v->raw = xstrdup(value);
	v->set = true;
	snprintf(v->where, sizeof(v->where), "%s", where);
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static char *known_keys(void)
{
	static char list[1024];
	size_t off = 0;

	for (int k = 0; k < K_NKEYS; k++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
					k ? " " : "", optdefs[k].key);
	return list;
}

int plan_read_file(struct plan *p, const char *path, struct err *e)
{
	struct buf text = { 0 };
	bool seen[K_NKEYS] = { false };
	char where[256];
	int lineno = 0;

	free(p->file);
	p->file = xstrdup(path);
	if (read_file(path, &text) < 0)
		return err_set(e, "%s: cannot read plan: %s", path, strerror(errno));
	if (memchr(text.p, '\0', text.len)) {
		buf_free(&text);
		return err_set(e, "%s: not a text file (NUL byte)", path);
	}
	for (char *line = text.p, *next; line && *line; line = next) {
		char *hash, *eq, *key, *val;
		int k;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		/* '#' starts a comment at line start or after a blank. */
		for (hash = line; (hash = strchr(hash, '#')); hash++) {
			if (hash == line || isspace((unsigned char)hash[-1])) {
				*hash = '\0';
				break;
			}
		}
		line = trim(line);
		if (!*line)
			continue;
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		eq = strchr(line, '=');
		if (!eq) {
			buf_free(&text);
			return err_set(e, "%s: expected 'key = value', got '%s'", where, line);
		}
		*eq = '\0';
		key = trim(line);
		val = trim(eq + 1);
		k = opt_lookup(key);
		if (k < 0) {
			err_set(e, "%s: unknown key '%s' (known: %s)", where, key, known_keys());
			buf_free(&text);
			return -1;
		}
		if (seen[k]) {
			err_set(e, "%s: key '%s' given twice (first at %s)", where,
				optdefs[k].key, p->v[k].where);
			buf_free(&text);
			return -1;
		}
		seen[k] = true;
		set_raw(&p->v[k], val, where);
	}
	buf_free(&text);
	return 0;
}

int plan_set_cli(struct plan *p, const char *key, const char *value, struct err *e)
{
	char where[128];
	int k = opt_lookup(key);

	if (k < 0)
		return err_set(e, "command line: unknown option '--%s' (known: %s)", key,
			       known_keys());
	snprintf(where, sizeof(where), "command line (--%s)", optdefs[k].key);
	set_raw(&p->v[k], value, where);
	return 0;
}

static bool is_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._+-", *s))
			return false;
	return true;
}

static bool in_choices(const char *word, const char *choices)
{
	size_t l = strlen(word);

	for (const char *c = choices; *c;) {
		size_t cl = strcspn(c, " ");

		if (cl == l && !strncmp(c, word, l))
			return true;
		c += cl;
		while (*c == ' ')
			c++;
	}
	return false;
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	if (!isdigit((unsigned char)*s))
		return -1;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Split on blanks and commas into a fresh word array. */
static char **split_words(const char *raw, size_t *n)
{
	char *copy = xstrdup(raw), *save = NULL, **w = NULL;

	*n = 0;
	for (char *t = strtok_r(copy, " \t,", &save); t; t = strtok_r(NULL, " \t,", &save)) {
		w = xrealloc(w, (*n + 1) * sizeof(*w));
		w[(*n)++] = xstrdup(t);
	}
	free(copy);
	return w;
}

static void free_words(char **w, size_t n)
{
	for (size_t k = 0; k < n; k++)
		free(w[k]);
	free(w);
}

/* At most this many client_addrs: a rotation, not an address pool. */
#define MAX_ADDRS 16

/* OT_ADDRS: dotted IPv4 unicast addresses in canonical form (the form
 * `ip addr` prints and dd32's agent compares), none twice; none at all,
 * or at least two (one address would be shared by consecutive runs). */
static int normalise_addrs(struct optval *v, const struct optdef *d, struct err *e)
{
	const char *where = v->where, *key = d->key;
	size_t n = 0;
	char **w = split_words(v->raw, &n);

	for (size_t k = 0; k < n; k++) {
		struct in_addr a;
		char canon[INET_ADDRSTRLEN];
		unsigned long first;

		if (inet_pton(AF_INET, w[k], &a) != 1 ||
		    !inet_ntop(AF_INET, &a, canon, sizeof(canon)) || strcmp(canon, w[k])) {
			err_set(e, "%s: %s: '%s' is not an IPv4 address (dotted, e.g. 198.18.0.2)",
				where, key, w[k]);
			goto bad;
		}
		first = ntohl(a.s_addr) >> 24;
		if (first == 0 || first >= 224) {
			err_set(e, "%s: %s: '%s' is not a unicast address", where, key, w[k]);
			goto bad;
		}
		for (size_t j = 0; j < k; j++) {
			if (!strcmp(w[j], w[k])) {
				err_set(e, "%s: %s: '%s' listed twice", where, key, w[k]);
				goto bad;
			}
		}
	}
	if (n == 1) {
		err_set(e, "%s: %s: one address ('%s') would be the source of every run; give two "
			"or more, so that consecutive runs never share one (or none: unbound)",
			where, key, w[0]);
		goto bad;
	}
	if (n > MAX_ADDRS) {
		err_set(e, "%s: %s: %zu addresses, at most %d (two are enough)", where, key, n,
			MAX_ADDRS);
		goto bad;
	}
	v->words = w;
	v->nwords = n;
	return 0;
bad:
	free_words(w, n);
	return -1;
}

static int normalise(struct optval *v, const struct optdef *d, struct err *e)
{
	const char *where = v->where, *key = d->key;
	size_t n = 0;
	char **w;

	optval_clear_norm(v);
	switch (d->type) {
	case OT_STR:
		if (!*v->raw)
			return err_set(e, "%s: %s: empty value", where, key);
		v->str = xstrdup(v->raw);
		return 0;
	case OT_NAME:
		if (!is_name(v->raw))
			return err_set(e, "%s: %s: '%s' is not a name (letters, digits, . _ + -)",
				       where, key, v->raw);
		v->str = xstrdup(v->raw);
		return 0;
	case OT_CHOICE:
		if (!in_choices(v->raw, d->choices))
			return err_set(e, "%s: %s: '%s' is not one of: %s", where, key,
				       v->raw, d->choices);
		v->str = xstrdup(v->raw);
		return 0;
	case OT_INT:
		if (parse_long(v->raw, d->min, d->max, &v->num) < 0)
			return err_set(e, "%s: %s: '%s' is not a whole number in %ld..%ld",
				       where, key, v->raw, d->min, d->max);
		return 0;
	case OT_NAMES:
	case OT_CHOICES:
		w = split_words(v->raw, &n);
		if (n == 0) {
			free_words(w, n);
			return err_set(e, "%s: %s: empty list", where, key);
		}
		for (size_t k = 0; k < n; k++) {
			if (d->type == OT_NAMES && !is_name(w[k])) {
				err_set(e, "%s: %s: '%s' is not a name (letters, digits, . _ + -)",
					where, key, w[k]);
				free_words(w, n);
				return -1;
			}
			if (d->type == OT_CHOICES && !in_choices(w[k], d->choices)) {
				err_set(e, "%s: %s: '%s' is not one of: %s", where, key, w[k],
					d->choices);
				free_words(w, n);
				return -1;
			}
			for (size_t j = 0; j < k; j++) {
				if (!strcmp(w[j], w[k])) {
					err_set(e, "%s: %s: '%s' listed twice", where, key, w[k]);
					free_words(w, n);
					return -1;
				}
			}
		}
		v->words = w;
		v->nwords = n;
		return 0;
	case OT_INTS:
		w = split_words(v->raw, &n);
		if (n == 0) {
			free_words(w, n);
			return err_set(e, "%s: %s: empty list", where, key);
		}
		for (size_t k = 0; k < n; k++) {
			char *dash = strchr(w[k], '-');
			long lo, hi;

			if (dash)
				*dash = '\0';
			if (parse_long(w[k], d->min, d->max, &lo) < 0 ||
			    (dash && parse_long(dash + 1, d->min, d->max, &hi) < 0)) {
				if (dash)
					*dash = '-';
				err_set(e, "%s: %s: bad range '%s' (want numbers in %ld..%ld, "
					"e.g. '1-8' or '1 2 4')", where, key, w[k], d->min, d->max);
				free_words(w, n);
				return -1;
			}
			if (!dash)
				hi = lo;
			if (hi < lo) {
				err_set(e, "%s: %s: bad range '%ld-%ld' (start > end)", where, key,
					lo, hi);
				free_words(w, n);
				return -1;
			}
			for (long x = lo; x <= hi; x++) {
				for (size_t j = 0; j < v->nints; j++) {
					if (v->ints[j] == x) {
						err_set(e, "%s: %s: %ld listed twice", where, key, x);
						free_words(w, n);
						return -1;
					}
				}
				v->ints = xrealloc(v->ints, (v->nints + 1) * sizeof(long));
				v->ints[v->nints++] = x;
			}
		}
		free_words(w, n);
		return 0;
	case OT_ADDRS:
		return normalise_addrs(v, d, e);
	case OT_LIMITS:
		w = split_words(v->raw, &n);
		for (size_t k = 0; k < n; k++) {
			char *colon = strchr(w[k], ':');
			long a, b;

			if (colon)
				*colon = '\0';
			if (!colon || parse_long(w[k], 1, LONG_MAX, &a) < 0 ||
			    parse_long(colon + 1, d->min, d->max, &b) < 0) {
				if (colon)
					*colon = ':';
				err_set(e, "%s: %s: bad pair '%s' (want STREAMS:MAXVMS, e.g. '3:4')",
					where, key, w[k]);
				free_words(w, n);
				return -1;
			}
			for (size_t j = 0; j < v->nints; j += 2) {
				if (v->ints[j] == a) {
					err_set(e, "%s: %s: stream count %ld given twice", where, key, a);
					free_words(w, n);
					return -1;
				}
			}
			v->ints = xrealloc(v->ints, (v->nints + 2) * sizeof(long));
			v->ints[v->nints++] = a;
			v->ints[v->nints++] = b;
		}
		free_words(w, n);
		return 0;
	}
	return err_set(e, "%s: %s: internal error: unknown type", where, key);
}

int plan_finish(struct plan *p, struct err *e)
{
	for (int k = 0; k < K_NKEYS; k++) {
		struct optval *v = &p->v[k];

		if (!v->set && optdefs[k].def)
			set_raw(v, optdefs[k].def, "default");
		if (v->set && normalise(v, &optdefs[k], e) < 0)
			return -1;
	}
	/* Cross-checks. */
	struct optval *lim = &p->v[K_MAX_VMS_FOR_STREAMS], *st = &p->v[K_STREAMS];

	for (size_t j = 0; j < lim->nints; j += 2) {
		bool found = false;

		for (size_t s = 0; s < st->nints; s++)
			found |= st->ints[s] == lim->ints[j];
		if (!found)
			return err_set(e, "%s: max_vms_for_streams: stream count %ld is not in "
				       "streams (%s)", lim->where, lim->ints[j], st->raw);
	}
	/* The driver-domain keys belong together, and only to the xen backend. */
	const struct optval *nd = &p->v[K_NETBACK_DOMAIN];

	if (!strcmp(nd->str, "dd32")) {
		if (strcmp(p->v[K_BACKEND].str, "xen"))
			return err_set(e, "%s: netback_domain: dd32 needs backend = xen (%s has "
				       "backend %s)", nd->where, p->v[K_BACKEND].where,
				       p->v[K_BACKEND].str);
		for (int k = K_DD_KERNEL; k <= K_DD_RAMDISK; k++)
			if (!p->v[k].set)
				return err_set(e, "%s: netback_domain: dd32 needs %s (the driver "
					       "domain's %s; testhost/run-plan --arch i386 sets it)",
					       nd->where, optdefs[k].key,
					       k == K_DD_KERNEL ? "kernel" : "initramfs");
	} else {
		for (int k = K_DD_KERNEL; k <= K_DD_CPUS; k++)
			if (p->v[k].set && strcmp(p->v[k].where, "default"))
				return err_set(e, "%s: %s: only for netback_domain = dd32 (it is "
					       "%s)", p->v[k].where, optdefs[k].key, nd->str);
	}
	struct optval *kern = &p->v[K_KERNEL], *kernels = &p->v[K_KERNELS];

	if (kern->set) {
		bool found = false;

		for (size_t j = 0; j < kernels->nwords; j++)
			found |= !strcmp(kernels->words[j], kern->str);
		if (!found)
			return err_set(e, "%s: kernel: '%s' is not one of kernels (%s)",
				       kern->where, kern->str, kernels->raw);
	}
	return 0;
}

long plan_max_vms(const struct plan *p, long streams)
{
	const struct optval *lim = &p->v[K_MAX_VMS_FOR_STREAMS];

	for (size_t j = 0; j < lim->nints; j += 2)
		if (lim->ints[j] == streams)
			return lim->ints[j + 1];
	return LONG_MAX;
}

const char *plan_client_addr(const struct plan *p, unsigned long k)
{
	const struct optval *v = &p->v[K_CLIENT_ADDRS];

	return v->nwords ? v->words[k % v->nwords] : NULL;
}

/* The driver-domain keys of a plan that does not use one: left out of the
 * meta record, which then reads exactly as before they existed (a results
 * file whose sessions straddle that change still has one plan). */
static bool dd_key_unused(const struct plan *p, int k)
{
	return k >= K_NETBACK_DOMAIN && k <= K_DD_CPUS && p->v[K_NETBACK_DOMAIN].str &&
	       !strcmp(p->v[K_NETBACK_DOMAIN].str, "dom0");
}

void plan_to_pylit(const struct plan *p, struct buf *b)
{
	buf_adds(b, "{");
	for (int k = 0; k < K_NKEYS; k++) {
		const struct optval *v = &p->v[k];

		if (dd_key_unused(p, k))
			continue;
		/* no client_addrs: the plan dict reads as before the key existed */
		if (k == K_CLIENT_ADDRS && !v->nwords)
			continue;
		if (k)
			buf_adds(b, ", ");
		pyl_str(b, optdefs[k].key);
		buf_adds(b, ": ");
		if (!v->set) {
			pyl_none(b);
			continue;
		}
		switch (optdefs[k].type) {
		case OT_STR:
		case OT_NAME:
		case OT_CHOICE:
			pyl_str(b, v->str);
			break;
		case OT_INT:
			pyl_int(b, v->num);
			break;
		case OT_NAMES:
		case OT_CHOICES:
		case OT_ADDRS:
			buf_adds(b, "[");
			for (size_t j = 0; j < v->nwords; j++) {
				buf_adds(b, j ? ", " : "");
				pyl_str(b, v->words[j]);
			}
			buf_adds(b, "]");
			break;
		case OT_INTS:
			buf_adds(b, "[");
			for (size_t j = 0; j < v->nints; j++)
				buf_addf(b, "%s%ld", j ? ", " : "", v->ints[j]);
			buf_adds(b, "]");
			break;
		case OT_LIMITS:
			buf_adds(b, "{");
			for (size_t j = 0; j < v->nints; j += 2)
				buf_addf(b, "%s%ld: %ld", j ? ", " : "", v->ints[j], v->ints[j + 1]);
			buf_adds(b, "}");
			break;
		}
	}
	buf_adds(b, "}");
}

void opt_print_help(void)
{
	for (int k = 0; k < K_NKEYS; k++) {
		const struct optdef *d = &optdefs[k];

		printf("  --%-20s %s", d->key, d->help);
		if (d->def && *d->def)
			printf(" [%s]", d->def);
		printf("\n");
	}
}
