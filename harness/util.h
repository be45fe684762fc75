/* Small helpers shared by every module: error text, growable buffers, time. */
#ifndef VIFBENCH_UTIL_H
#define VIFBENCH_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define VIFBENCH_VERSION "0.1"

/* Exit codes (documented in --help). */
enum {
	EXIT_DONE = 0,       /* every run of the plan recorded ok */
	EXIT_RUNS_FAILED = 1, /* matrix finished, some runs recorded failed */
	EXIT_BAD_INPUT = 2,  /* plan, option, backend or results path wrong */
	EXIT_KERNELS_LEFT = 3, /* this kernel's runs done; other kernels remain */
};

/* One error message, filled by the function that failed, printed by main. */
struct err {
	char msg[1024];
};
int err_set(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Growable byte buffer, always NUL-terminated. */
struct buf {
	char *p;
	size_t len, cap;
};
void buf_add(struct buf *b, const void *data, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_free(struct buf *b);

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

double now_mono(void);                 /* CLOCK_MONOTONIC seconds */
void utc_stamp(char out[32]);          /* 'YYYY-MM-DDTHH:MM:SSZ' */
void fmt_hms(double secs, char out[32]);
void sleep_s(double secs);

/* Read a whole file; returns 0 or -1 with errno kept. */
int read_file(const char *path, struct buf *out);

/* Logging: log lines go to stderr (and to the log file once opened). */
void log_open_file(const char *path);
void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Progress line: rewritten in place on a terminal, silent otherwise. */
void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void progress_clear(void);

#endif
