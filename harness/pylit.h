/*
 * Python literals: the results file is one Python list of dicts, read by
 * ast.literal_eval (docs/results-format.md).  The writer escapes every
 * awkward string so the literal means exactly the bytes given; the reader
 * understands the subset the writer produces (plus the usual Python
 * spellings of it), and keeps each value's byte span so a resumed session
 * can copy earlier records verbatim.
 */
#ifndef VIFBENCH_PYLIT_H
#define VIFBENCH_PYLIT_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* Writer. */
void pyl_str(struct buf *b, const char *s);
void pyl_strn(struct buf *b, const char *s, size_t n);
void pyl_int(struct buf *b, long long v);
/* Shortest text that reads back as the same double; None if not finite. */
void pyl_float(struct buf *b, double v);
void pyl_bool(struct buf *b, bool v);
void pyl_none(struct buf *b);

/* Reader. */
enum pyv_type { PY_NONE, PY_BOOL, PY_INT, PY_FLOAT, PY_STR, PY_LIST, PY_DICT };

struct pyval {
	enum pyv_type t;
	bool b;
	long long i;
	double f;
	char *s;             /* PY_STR: UTF-8, NUL-terminated */
	size_t slen;
	struct pyval **items; /* PY_LIST items; PY_DICT values */
	struct pyval **keys;  /* PY_DICT keys */
	size_t n;
	size_t start, end;    /* byte span of this value in the text */
};

/* Parse text holding exactly one literal (whitespace around allowed). */
struct pyval *pyl_parse(const char *text, size_t len, struct err *e);
void pyval_free(struct pyval *v);
/* Value of a str key in a dict, or NULL. */
const struct pyval *pyl_get(const struct pyval *dict, const char *key);

#endif
