#define _GNU_SOURCE
#include "results.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pylit.h"

static char *dir_of(const char *path)
{
	char *copy = xstrdup(path), *d = xstrdup(dirname(copy));

	free(copy);
	return d;
}

char *results_log_path(const char *path)
{
	size_t l = strlen(path);
	struct buf b = { 0 };

	if (l > 7 && !strcmp(path + l - 7, ".pylist"))
		buf_add(&b, path, l - 7);
	else
		buf_adds(&b, path);
	buf_adds(&b, ".log");
	return b.p;
}

static const char *str_of(const struct pyval *v)
{
	return v && v->t == PY_STR ? v->s : NULL;
}

static bool int_of(const struct pyval *v, long *out)
{
	if (!v || v->t != PY_INT)
		return false;
	*out = (long)v->i;
	return true;
}

/* Remember a run record's identity: ok ones (resume skips them) and failed
 * ones whose kernel died (the runner gives up on a run after a few). */
static void note_record(struct results *r, const struct pyval *rec)
{
	const char *kind = str_of(pyl_get(rec, "record"));
	const char *status = str_of(pyl_get(rec, "status"));
	const char *kernel = str_of(pyl_get(rec, "kernel"));
	const char *dir = str_of(pyl_get(rec, "direction"));
	const char *reason = str_of(pyl_get(rec, "reason"));
	struct run_id id, **list;
	size_t *n;

	if (!kind || strcmp(kind, "run") || !status || !kernel || !dir ||
	    !int_of(pyl_get(rec, "vms"), &id.vms) ||
	    !int_of(pyl_get(rec, "streams"), &id.streams) ||
	    !int_of(pyl_get(rec, "repeat"), &id.repeat))
		return;
	if (!strcmp(status, "ok")) {
		list = &r->ok, n = &r->nok;
	} else if (reason && !strncmp(reason, RESULTS_KERNEL_DIED, strlen(RESULTS_KERNEL_DIED))) {
		list = &r->deaths, n = &r->ndeaths;
	} else {
		return;
	}
	id.kernel = xstrdup(kernel);
	id.direction = xstrdup(dir);
	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = id;
}

/* Parse an existing file; a missing or blank file is an empty list. */
static int load(struct results *r, const char *path, struct err *e)
{
	struct buf text = { 0 };
	struct err pe;
	struct pyval *list;
	size_t k;

	if (read_file(path, &text) < 0) {
		if (errno == ENOENT)
			return 0;
		return err_set(e, "%s: cannot read results file: %s", path, strerror(errno));
	}
	for (k = 0; k < text.len && strchr(" \t\r\n", text.p[k]); k++)
		;
	if (k == text.len) {
		buf_free(&text);
		return 0;
	}
	list = pyl_parse(text.p, text.len, &pe);
	if (!list) {
		err_set(e, "%s: not a results file (%s); not touching it", path, pe.msg);
		buf_free(&text);
		return -1;
	}
	if (list->t != PY_LIST) {
		pyval_free(list);
		buf_free(&text);
		return err_set(e, "%s: not a results file (not a Python list); not touching it",
			       path);
	}
	for (k = 0; k < list->n; k++) {
		const struct pyval *rec = list->items[k];
		size_t n = rec->end - rec->start;
		char *t = xmalloc(n + 1);

		memcpy(t, text.p + rec->start, n);
		t[n] = '\0';
		r->recs = xrealloc(r->recs, (r->nrecs + 1) * sizeof(*r->recs));
		r->recs[r->nrecs++] = t;
		note_record(r, rec);
	}
	pyval_free(list);
	buf_free(&text);
	return 0;
}

static void init(struct results *r, const char *path)
{
	memset(r, 0, sizeof(*r));
	r->lock_fd = -1;
	r->path = xstrdup(path);
}

int results_peek(struct results *r, const char *path, struct err *e)
{
	init(r, path);
	return load(r, path, e);
}

int results_open(struct results *r, const char *path, struct err *e)
{
	char *dir = dir_of(path), *base_copy = xstrdup(path);
	struct buf b = { 0 };
	struct stat st;
	int fd;

	init(r, path);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		err_set(e, "%s: results folder '%s' does not exist", path, dir);
		goto fail;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		err_set(e, "%s: results path exists and is not a regular file", path);
		goto fail;
	}
	buf_addf(&b, "%s.lock", path);
	r->lock_fd = open(b.p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (r->lock_fd < 0) {
		err_set(e, "%s: results folder not writable: %s", b.p, strerror(errno));
		goto fail;
	}
	if (flock(r->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		err_set(e, "%s: in use by another vifbench session (%s is locked)", path, b.p);
		goto fail;
	}
	buf_free(&b);
	buf_addf(&b, "%s/.%s.tmp", dir, basename(base_copy));
	r->tmp_path = xstrdup(b.p);
	/* Prove now that the temp file can be written, before any guest starts. */
	fd = open(r->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err_set(e, "%s: cannot write in the results folder: %s", r->tmp_path,
			strerror(errno));
		goto fail;
	}
	close(fd);
	unlink(r->tmp_path);
	if (load(r, path, e) < 0)
		goto fail;
	buf_free(&b);
	free(dir);
	free(base_copy);
	return 0;
fail:
	buf_free(&b);
	free(dir);
	free(base_copy);
	return -1;
}

void results_close(struct results *r)
{
	for (size_t k = 0; k < r->nrecs; k++)
		free(r->recs[k]);
	for (size_t k = 0; k < r->nok; k++) {
		free(r->ok[k].kernel);
		free(r->ok[k].direction);
	}
	for (size_t k = 0; k < r->ndeaths; k++) {
		free(r->deaths[k].kernel);
		free(r->deaths[k].direction);
	}
	free(r->recs);
	free(r->ok);
	free(r->deaths);
	free(r->path);
	free(r->tmp_path);
	if (r->lock_fd >= 0)
		close(r->lock_fd);   /* releases the flock */
	memset(r, 0, sizeof(*r));
	r->lock_fd = -1;
}

static size_t count_id(const struct run_id *list, size_t n, const char *kernel,
		       const char *direction, long vms, long streams, long repeat)
{
	size_t c = 0;

	for (size_t k = 0; k < n; k++) {
		const struct run_id *id = &list[k];

		c += id->vms == vms && id->streams == streams && id->repeat == repeat &&
		     !strcmp(id->kernel, kernel) && !strcmp(id->direction, direction);
	}
	return c;
}

bool results_has_ok(const struct results *r, const char *kernel,
		    const char *direction, long vms, long streams, long repeat)
{
	return count_id(r->ok, r->nok, kernel, direction, vms, streams, repeat) > 0;
}

size_t results_kernel_deaths(const struct results *r, const char *kernel,
			     const char *direction, long vms, long streams, long repeat)
{
	return count_id(r->deaths, r->ndeaths, kernel, direction, vms, streams, repeat);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int rewrite(struct results *r, struct err *e)
{
	struct buf text = { 0 };
	char *dir;
	int fd, dfd;

	buf_adds(&text, "[");
	for (size_t k = 0; k < r->nrecs; k++) {
		if (k)
			buf_adds(&text, ",\n ");
		buf_adds(&text, r->recs[k]);
	}
	buf_adds(&text, "]\n");

	fd = open(r->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		buf_free(&text);
		return err_set(e, "%s: %s", r->tmp_path, strerror(errno));
	}
	if (write_all(fd, text.p, text.len) < 0 || fsync(fd) < 0) {
		err_set(e, "%s: write: %s", r->tmp_path, strerror(errno));
		close(fd);
		unlink(r->tmp_path);
		buf_free(&text);
		return -1;
	}
	buf_free(&text);
	if (close(fd) < 0 || rename(r->tmp_path, r->path) < 0) {
		err_set(e, "%s: %s", r->path, strerror(errno));
		unlink(r->tmp_path);
		return -1;
	}
	dir = dir_of(r->path);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (dfd < 0 || fsync(dfd) < 0) {
		if (dfd >= 0)
			close(dfd);
		return err_set(e, "%s: fsync of its folder: %s", r->path, strerror(errno));
	}
	close(dfd);
	return 0;
}

int results_append(struct results *r, const char *record, struct err *e)
{
	struct err pe;
	struct pyval *v = pyl_parse(record, strlen(record), &pe);

	/* Never write what we could not read back. */
	if (!v || v->t != PY_DICT) {
		pyval_free(v);
		return err_set(e, "internal error: record is not a dict literal (%s): %s",
			       v ? "not a dict" : pe.msg, record);
	}
	r->recs = xrealloc(r->recs, (r->nrecs + 1) * sizeof(*r->recs));
	r->recs[r->nrecs++] = xstrdup(record);
	if (rewrite(r, e) < 0) {
		free(r->recs[--r->nrecs]);
		pyval_free(v);
		return -1;
	}
	note_record(r, v);
	pyval_free(v);
	return 0;
}
