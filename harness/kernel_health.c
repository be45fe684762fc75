/* See kernel_health.h. */
#define _GNU_SOURCE
#include "kernel_health.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>

#define SYSLOG_ACTION_READ_ALL 3
#define SYSLOG_ACTION_SIZE_BUFFER 10

bool kernel_taint_parse(const char *text, unsigned long *taint)
{
	char *end;

	errno = 0;
	*taint = strtoul(text, &end, 10);
	if (errno || end == text)
		return false;
	while (*end == '\n' || *end == ' ')
		end++;
	return *end == '\0';
}

unsigned long kernel_taint(void)
{
	char text[64] = "";
	unsigned long t = 0;
	FILE *f = fopen("/proc/sys/kernel/tainted", "re");

	if (!f)
		return 0;
	if (!fgets(text, sizeof(text), f) || !kernel_taint_parse(text, &t))
		t = 0;
	fclose(f);
	return t;
}

static const char *const death_marks[] = {
	"kernel BUG at", "BUG:", "Oops", "general protection fault", "Kernel panic",
};

void kernel_death_line_in(const char *log, size_t len, char *out, size_t n)
{
	const char *p = log, *end = log + len;

	if (n)
		out[0] = '\0';
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *s = p, *e = p + l;

		while (e > s && (e[-1] == '\r' || e[-1] == ' '))   /* serial-console captures */
			e--;

		/* klogctl lines start with "<level>" and, with printk times, "[ secs] " */
		if (s < e && *s == '<') {
			const char *gt = memchr(s, '>', (size_t)(e - s));

			if (gt)
				s = gt + 1;
		}
		if (s < e && *s == '[') {
			const char *rb = memchr(s, ']', (size_t)(e - s));

			if (rb) {
				s = rb + 1;
				while (s < e && *s == ' ')
					s++;
			}
		}
		for (size_t m = 0; m < sizeof(death_marks) / sizeof(death_marks[0]); m++) {
			if (memmem(s, (size_t)(e - s), death_marks[m], strlen(death_marks[m]))) {
				snprintf(out, n, "%.*s", (int)(e - s), s);
				break;
			}
		}
		p = nl ? nl + 1 : end;
	}
}

void kernel_death_line(char *out, size_t n)
{
	int size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	char *buf;
	int got;

	if (n)
		out[0] = '\0';
	if (size <= 0)
		return;
	buf = malloc((size_t)size);
	if (!buf)
		return;
	got = klogctl(SYSLOG_ACTION_READ_ALL, buf, size);
	if (got > 0)
		kernel_death_line_in(buf, (size_t)got, out, n);
	free(buf);
}
