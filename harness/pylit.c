#define _GNU_SOURCE
#include "pylit.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writer ---- */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0], need, min, v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		need = 1, min = 0x80, v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2, min = 0x800, v = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3, min = 0x10000, v = c & 0x07;
	} else {
		return 0;
	}
	if (n < need + 1)
		return 0;
	for (unsigned k = 1; k <= need; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[k] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return need + 1;
}

void pyl_strn(struct buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	buf_add(b, "'", 1);
	for (size_t i = 0; i < n;) {
		unsigned c = u[i], cp;
		size_t l;

		if (c == '\'' || c == '\\') {
			buf_addf(b, "\\%c", c);
			i++;
		} else if (c == '\n') {
			buf_adds(b, "\\n"), i++;
		} else if (c == '\r') {
			buf_adds(b, "\\r"), i++;
		} else if (c == '\t') {
			buf_adds(b, "\\t"), i++;
		} else if (c < 0x20 || c == 0x7f) {
			buf_addf(b, "\\x%02x", c), i++;
		} else if (c < 0x80) {
			buf_add(b, s + i, 1), i++;
		} else if ((l = utf8_len(u + i, n - i, &cp)) == 0) {
			/* Not UTF-8: keep the byte as the code point of the same
			 * value (Latin-1 reading) rather than lose it. */
			buf_addf(b, "\\x%02x", c), i++;
		} else if (cp <= 0x9f) {
			buf_addf(b, "\\x%02x", cp), i += l;  /* C1 controls */
		} else if (cp == 0x2028 || cp == 0x2029 || cp == 0xfeff) {
			buf_addf(b, "\\u%04x", cp), i += l;
		} else {
			buf_add(b, s + i, l), i += l;
		}
	}
	buf_add(b, "'", 1);
}

void pyl_str(struct buf *b, const char *s)
{
	if (!s)
		pyl_none(b);
	else
		pyl_strn(b, s, strlen(s));
}

void pyl_int(struct buf *b, long long v)
{
	buf_addf(b, "%lld", v);
}

void pyl_float(struct buf *b, double v)
{
	char tmp[40];

	if (!isfinite(v)) {
		pyl_none(b);
		return;
	}
	for (int p = 1; p <= 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*g", p, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	buf_adds(b, tmp);
	if (!strpbrk(tmp, ".e"))
		buf_adds(b, ".0");
}

void pyl_bool(struct buf *b, bool v)
{
	buf_adds(b, v ? "True" : "False");
}

void pyl_none(struct buf *b)
{
	buf_adds(b, "None");
}

/* ---- reader ---- */

struct parser {
	const char *s;
	size_t n, i;
	struct err *e;
	int depth;
};

static void line_col(const struct parser *p, size_t at, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t k = 0; k < at && k < p->n; k++) {
		if (p->s[k] == '\n')
			(*line)++, *col = 1;
		else
			(*col)++;
	}
}

static struct pyval *fail(struct parser *p, const char *what)
{
	int line, col;

	line_col(p, p->i, &line, &col);
	err_set(p->e, "line %d, column %d: %s", line, col, what);
	return NULL;
}

static void skip_ws(struct parser *p)
{
	while (p->i < p->n && strchr(" \t\r\n", p->s[p->i]) && p->s[p->i])
		p->i++;
}

static struct pyval *newval(enum pyv_type t, size_t start)
{
	struct pyval *v = xmalloc(sizeof(*v));

	memset(v, 0, sizeof(*v));
	v->t = t;
	v->start = start;
	return v;
}

static void put_utf8(struct buf *b, unsigned cp)
{
	char u[4];

	if (cp < 0x80) {
		u[0] = (char)cp;
		buf_add(b, u, 1);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 4);
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static struct pyval *parse_str(struct parser *p)
{
	char q = p->s[p->i];
	size_t start = p->i++;
	struct buf b = { 0 };

	buf_add(&b, "", 0);
	for (;;) {
		if (p->i >= p->n || p->s[p->i] == '\n') {
			buf_free(&b);
			return fail(p, "unterminated string");
		}
		char c = p->s[p->i++];

		if (c == q)
			break;
		if (c != '\\') {
			buf_add(&b, &c, 1);
			continue;
		}
		if (p->i >= p->n) {
			buf_free(&b);
			return fail(p, "unterminated string");
		}
		c = p->s[p->i++];
		int digits = 0;
		unsigned cp = 0;

		switch (c) {
		case '\n': break;
		case '\\': buf_add(&b, "\\", 1); break;
		case '\'': buf_add(&b, "'", 1); break;
		case '"': buf_add(&b, "\"", 1); break;
		case 'n': buf_add(&b, "\n", 1); break;
		case 'r': buf_add(&b, "\r", 1); break;
		case 't': buf_add(&b, "\t", 1); break;
		case 'a': buf_add(&b, "\a", 1); break;
		case 'b': buf_add(&b, "\b", 1); break;
		case 'f': buf_add(&b, "\f", 1); break;
		case 'v': buf_add(&b, "\v", 1); break;
		case 'x': digits = 2; break;
		case 'u': digits = 4; break;
		case 'U': digits = 8; break;
		default:
			if (c >= '0' && c <= '7') {
				cp = (unsigned)(c - '0');
				for (int k = 0; k < 2 && p->i < p->n &&
				     p->s[p->i] >= '0' && p->s[p->i] <= '7'; k++)
					cp = cp * 8 + (unsigned)(p->s[p->i++] - '0');
				put_utf8(&b, cp);
			} else {
				/* Python keeps unknown escapes as they are. */
				buf_add(&b, "\\", 1);
				buf_add(&b, &c, 1);
			}
		}
		if (digits) {
			for (int k = 0; k < digits; k++) {
				int h = p->i < p->n ? hexval(p->s[p->i]) : -1;

				if (h < 0) {
					buf_free(&b);
					return fail(p, "bad escape in string");
				}
				cp = cp * 16 + (unsigned)h;
				p->i++;
			}
			if (cp > 0x10ffff) {
				buf_free(&b);
				return fail(p, "bad code point in string");
			}
			put_utf8(&b, cp);
		}
	}
	struct pyval *v = newval(PY_STR, start);

	v->s = b.p;
	v->slen = b.len;
	v->end = p->i;
	return v;
}

static struct pyval *parse_value(struct parser *p);

static void push(struct pyval *v, struct pyval *key, struct pyval *item)
{
	v->items = xrealloc(v->items, (v->n + 1) * sizeof(*v->items));
	if (v->t == PY_DICT)
		v->keys = xrealloc(v->keys, (v->n + 1) * sizeof(*v->keys));
	if (key)
		v->keys[v->n] = key;
	v->items[v->n++] = item;
}

static struct pyval *parse_container(struct parser *p, enum pyv_type t)
{
	char close = t == PY_LIST ? ']' : '}';
	struct pyval *v = newval(t, p->i++);

	if (++p->depth > 64) {
		pyval_free(v);
		return fail(p, "nested too deeply");
	}
	for (;;) {
		struct pyval *key = NULL, *item;

		skip_ws(p);
		if (p->i < p->n && p->s[p->i] == close)
			break;
		if (t == PY_DICT) {
			if (!(key = parse_value(p)))
				goto bad;
			skip_ws(p);
			if (p->i >= p->n || p->s[p->i] != ':') {
				pyval_free(key);
				fail(p, "expected ':'");
				goto bad;
			}
			p->i++;
		}
		if (!(item = parse_value(p))) {
			pyval_free(key);
			goto bad;
		}
		push(v, key, item);
		skip_ws(p);
		if (p->i < p->n && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->n && p->s[p->i] == close)
			break;
		fail(p, t == PY_LIST ? "expected ',' or ']'" : "expected ',' or '}'");
		goto bad;
	}
	p->i++;
	p->depth--;
	v->end = p->i;
	return v;
bad:
	pyval_free(v);
	return NULL;
}

static struct pyval *parse_number(struct parser *p)
{
	size_t start = p->i, k = p->i;
	bool is_float = false;
	char tmp[64];

	if (k < p->n && (p->s[k] == '-' || p->s[k] == '+'))
		k++;
	while (k < p->n && strchr("0123456789.eE+-_", p->s[k]) && p->s[k]) {
		if (strchr(".eE", p->s[k]))
			is_float = true;
		if ((p->s[k] == '+' || p->s[k] == '-') && !strchr("eE", p->s[k - 1]))
			break;
		k++;
	}
	if (k - start >= sizeof(tmp) || k == start)
		return fail(p, "bad number");
	memcpy(tmp, p->s + start, k - start);
	tmp[k - start] = '\0';
	char *end;
	struct pyval *v = newval(is_float ? PY_FLOAT : PY_INT, start);

	errno = 0;
	if (is_float)
		v->f = strtod(tmp, &end);
	else
		v->i = strtoll(tmp, &end, 10);
	if (*end || errno) {
		pyval_free(v);
		return fail(p, "bad number");
	}
	p->i = k;
	v->end = k;
	return v;
}

static struct pyval *parse_word(struct parser *p)
{
	static const struct { const char *w; enum pyv_type t; bool b; } words[] = {
		{ "None", PY_NONE, false }, { "True", PY_BOOL, true },
		{ "False", PY_BOOL, false },
	};

	for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
		size_t l = strlen(words[k].w);

		if (p->n - p->i >= l && !memcmp(p->s + p->i, words[k].w, l)) {
			struct pyval *v = newval(words[k].t, p->i);

			v->b = words[k].b;
			p->i += l;
			v->end = p->i;
			return v;
		}
	}
	return fail(p, "unexpected text (not a literal)");
}

static struct pyval *parse_value(struct parser *p)
{
	skip_ws(p);
	if (p->i >= p->n)
		return fail(p, "unexpected end of text");
	char c = p->s[p->i];

	if (c == '[')
		return parse_container(p, PY_LIST);
	if (c == '{')
		return parse_container(p, PY_DICT);
	if (c == '\'' || c == '"')
		return parse_str(p);
	if (c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'))
		return parse_number(p);
	return parse_word(p);
}

struct pyval *pyl_parse(const char *text, size_t len, struct err *e)
{
	struct parser p = { .s = text, .n = len, .i = 0, .e = e };
	struct pyval *v = parse_value(&p);

	if (!v)
		return NULL;
	skip_ws(&p);
	if (p.i != p.n) {
		pyval_free(v);
		return fail(&p, "text after the literal");
	}
	return v;
}

void pyval_free(struct pyval *v)
{
	if (!v)
		return;
	for (size_t k = 0; k < v->n; k++) {
		pyval_free(v->items[k]);
		if (v->keys)
			pyval_free(v->keys[k]);
	}
	free(v->items);
	free(v->keys);
	free(v->s);
	free(v);
}

const struct pyval *pyl_get(const struct pyval *d, const char *key)
{
	if (!d || d->t != PY_DICT)
		return NULL;
	for (size_t k = 0; k < d->n; k++)
		if (d->keys[k]->t == PY_STR && !strcmp(d->keys[k]->s, key))
			return d->items[k];
	return NULL;
}
