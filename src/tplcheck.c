/*
 * tplcheck - does a message complete its standard form? Pure: it reads the
 * decoded texts mime extracted and reports one problem per field that is
 * missing, empty or invalid, plus the notice date. See include/template.h
 * and the interface's "Templates" section for the rules.
 *
 * A field line is: optional white space, bullets ("-", "*", "•", "·", "–",
 * or a number followed by "." or ")"), optional "*"/"_" emphasis, the field
 * name (any case, inner white space free), optional "*"/"_", optional white
 * space, ":". The longest field name wins ("Date" vs "Date of change").
 * Lines starting with ">" (quoted replies) are ignored.
 */
#include "template.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "nino.h"
#include "util.h"

#define TPL_MAX_LIST_PROBLEMS 20

struct tc_line {
	const char *s;
	size_t len;
};

struct tc_lines {
	struct tc_line *v;
	size_t n;
};

/* Splits at LF, CR or CRLF; memchr finds both kinds of end, as a byte loop costs 5x more. */
static void
tc_split(const char *text, size_t len, struct tc_lines *out)
{
	const char *p = text, *end = text + len, *e;
	const char *lf = memchr(text, '\n', len), *cr = memchr(text, '\r', len);
	size_t cap = 0;

	out->v = NULL;
	out->n = 0;
	for (;;) {
		if (lf && lf < p)
			lf = memchr(p, '\n', (size_t)(end - p));
		if (cr && cr < p)
			cr = memchr(p, '\r', (size_t)(end - p));
		e = lf && (!cr || lf < cr) ? lf : cr ? cr : end;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 64;
			out->v = xreallocarray(out->v, cap, sizeof(*out->v));
		}
		out->v[out->n].s = p;
		out->v[out->n].len = (size_t)(e - p);
		out->n++;
		if (e == end)
			break;
		if (*e == '\r' && e + 1 < end && e[1] == '\n')
			e++;
		p = e + 1;
	}
}

/* Length of a white-space character at p (space, tab, U+00A0), else 0. */
static size_t
tc_ws(const char *p, const char *end)
{
	if (p < end && (*p == ' ' || *p == '\t' || *p == '\f' || *p == '\v'))
		return 1;
	if (p + 1 < end && (unsigned char)p[0] == 0xC2 && (unsigned char)p[1] == 0xA0)
		return 2;
	return 0;
}

static const char *
tc_skip_ws(const char *p, const char *end)
{
	size_t n;

	while ((n = tc_ws(p, end)) != 0)
		p += n;
	return p;
}

/* Skips bullets, list numbers and emphasis before a name. */
static const char *
tc_skip_bullets(const char *p, const char *end)
{
	static const struct {
		const char *s;
		size_t n;
	} bullets[] = { { "\xE2\x80\xA2", 3 }, { "\xC2\xB7", 2 }, { "\xE2\x80\x93", 3 },
		{ "\xE2\x97\xA6", 3 }, { "-", 1 }, { "*", 1 }, { "_", 1 } };
	size_t i;
	int again = 1;

	while (again) {
		again = 0;
		p = tc_skip_ws(p, end);
		for (i = 0; i < sizeof(bullets) / sizeof(bullets[0]); i++) {
			if ((size_t)(end - p) >= bullets[i].n && memcmp(p, bullets[i].s, bullets[i].n) == 0) {
				p += bullets[i].n;
				again = 1;
				break;
			}
		}
		if (!again && p < end && *p >= '0' && *p <= '9') {
			const char *q = p;

			while (q < end && *q >= '0' && *q <= '9' && q - p < 3)
				q++;
			if (q < end && (*q == '.' || *q == ')') && q + 1 < end && tc_ws(q + 1, end)) {
				p = q + 1;
				again = 1;
			}
		}
	}
	return p;
}

/*
 * Matches name at p: case-insensitive, each space of the name matching any
 * run of white space. Returns the end of the match or NULL.
 */
static const char *
tc_match_name(const char *p, const char *end, const char *name)
{
	const char *n = name;

	while (*n) {
		if (*n == ' ') {
			size_t w = tc_ws(p, end);

			if (w == 0)
				return NULL;
			p = tc_skip_ws(p, end);
			n++;
			continue;
		}
		if (p >= end || ascii_tolower((unsigned char)*p) != ascii_tolower((unsigned char)*n))
			return NULL;
		p++;
		n++;
	}
	return p;
}

/*
 * If the line is a field line, returns the field index and sets *value to
 * where the value starts; else -1. Only fields with in_list == list count.
 */
static int
tc_field_line(const struct template *t, const struct tc_line *l, const char **value)
{
	const char *end = l->s + l->len, *p, *q, *best_v = NULL;
	size_t i, best_len = 0;
	int best = -1;

	p = tc_skip_ws(l->s, end);
	if (p < end && *p == '>')
		return -1;
	p = tc_skip_bullets(p, end);
	if (p >= end)
		return -1;
	for (i = 0; i < t->nfields; i++) {
		size_t nl;

		/* the first letter rules out most fields before anything else */
		if (t->fields[i].in_list ||
		    ascii_tolower((unsigned char)t->fields[i].name[0]) != ascii_tolower((unsigned char)*p))
			continue;
		nl = strlen(t->fields[i].name);
		if (nl <= best_len)
			continue;
		q = tc_match_name(p, end, t->fields[i].name);
		if (q == NULL)
			continue;
		while (q < end && (*q == '*' || *q == '_'))
			q++;
		q = tc_skip_ws(q, end);
		if (q >= end || *q != ':')
			continue;
		best = (int)i;
		best_len = nl;
		best_v = q + 1;
	}
	if (best >= 0)
		*value = best_v;
	return best;
}

static int
tc_is_quote(const struct tc_line *l)
{
	const char *end = l->s + l->len, *p = tc_skip_ws(l->s, end);

	return p < end && *p == '>';
}

static int
tc_is_blank(const struct tc_line *l)
{
	return tc_skip_ws(l->s, l->s + l->len) == l->s + l->len;
}

struct tc_values {
	char **v;		/* per field: the value (collapsed), NULL if absent */
	int *conflict;		/* per field: given twice with different values */
};

/* Reads every field line of a text's lines into vals. */
static void
tc_read(const struct template *t, const struct tc_lines *L, struct tc_values *vals)
{
	struct sbuf b;
	size_t i, j;
	const char *v;
	int f;

	sbuf_init(&b);
	for (i = 0; i < L->n; i++) {
		if ((f = tc_field_line(t, &L->v[i], &v)) < 0)
			continue;
		sbuf_reset(&b);
		sbuf_add(&b, v, (size_t)(L->v[i].s + L->v[i].len - v));
		if (t->fields[f].type == TPL_TEXT) {
			for (j = i + 1; j < L->n; j++) {
				const char *dummy;

				if (tc_is_quote(&L->v[j]))
					continue;
				if (tc_is_blank(&L->v[j]) || tc_field_line(t, &L->v[j], &dummy) >= 0)
					break;
				sbuf_addc(&b, ' ');
				sbuf_add(&b, L->v[j].s, L->v[j].len);
			}
		}
		str_collapse_ws(b.data);
		if (vals->v[f] == NULL)
			vals->v[f] = xstrdup(b.data);
		else if (strcmp(vals->v[f], b.data) != 0)
			vals->conflict[f] = 1;
	}
	sbuf_free(&b);
}

/* Splits text into *L and says whether any of its lines is a field line. */
static int
tc_has_field_lines(const struct template *t, const char *text, size_t len, struct tc_lines *L)
{
	const char *v;
	size_t i;

	tc_split(text, len, L);
	for (i = 0; i < L->n; i++)
		if (tc_field_line(t, &L->v[i], &v) >= 0)
			return 1;
	return 0;
}

/*
 * The text the form's fields are read from: the body if it has a field
 * line, else the one document that has (*nwith counts them). *L gets its
 * lines, each text split once; the caller frees L->v.
 */
static const struct tpl_text *
tc_find_source(const struct template *t, const struct tpl_text *body,
    const struct tpl_text *docs, size_t ndocs, struct tc_lines *L, size_t *nwith)
{
	const struct tpl_text *src = NULL;
	struct tc_lines D;
	size_t i;

	*nwith = 0;
	L->v = NULL;
	L->n = 0;
	if (body && body->text && tc_has_field_lines(t, body->text, body->len, L))
		return body;
	free(L->v);
	L->v = NULL;
	L->n = 0;
	for (i = 0; i < ndocs; i++) {
		if (tc_has_field_lines(t, docs[i].text, docs[i].len, &D) && (*nwith)++ == 0) {
			src = &docs[i];
			*L = D;
			continue;
		}
		free(D.v);
	}
	return src;
}

static void
tc_problem(struct tpl_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
tc_problem(struct tpl_result *r, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = xstrdup("a field is not valid");
	va_end(ap);
	r->problems = xreallocarray(r->problems, r->nproblems + 1, sizeof(*r->problems));
	r->problems[r->nproblems++].detail = s;
}

static uint32_t
tc_utf8_next(const unsigned char **pp, const unsigned char *end)
{
	const unsigned char *p = *pp;
	uint32_t cp = *p++;

	if (cp >= 0xC0 && cp < 0xE0 && p < end) {
		cp = ((cp & 0x1F) << 6) | (*p++ & 0x3F);
	} else if (cp >= 0xE0 && cp < 0xF0 && p + 1 < end) {
		cp = ((cp & 0x0F) << 12) | ((uint32_t)(p[0] & 0x3F) << 6) | (p[1] & 0x3F);
		p += 2;
	} else if (cp >= 0xF0 && p + 2 < end) {
		cp = ((cp & 0x07) << 18) | ((uint32_t)(p[0] & 0x3F) << 12) |
		    ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
		p += 3;
	}
	*pp = p;
	return cp;
}

/* Words are runs between spaces that hold at least one letter or digit. */
static int
tc_words(const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
	int words = 0, has = 0;

	while (p < end) {
		uint32_t cp;

		if (*p == ' ') {
			words += has;
			has = 0;
			p++;
			continue;
		}
		cp = tc_utf8_next(&p, end);
		if (nino_uc_alnum(cp))
			has = 1;
	}
	return words + has;
}

/* A short, single-line rendering of a value for a problem's detail. */
static char *
tc_quote_value(const char *v)
{
	size_t cut = 37;

	if (strlen(v) <= 40)
		return xstrdup(v);
	while (cut > 0 && ((unsigned char)v[cut] & 0xC0) == 0x80)
		cut--;
	return xasprintf("%.*s...", (int)cut, v);
}

/* Checks one value of a field; NULL when valid, else the problem. */
static char *
tc_check_value(const struct tpl_field *f, const char *v, mgday *date)
{
	char stem[NINO_STEM_LEN + 1], *q, *r;
	int w;

	switch (f->type) {
	case TPL_NINO:
		if (nino_parse(v, 1, stem))
			return NULL;
		return xasprintf("'%s' must hold exactly one National Insurance number with its "
		    "final letter, like QQ 12 34 56 C", f->name);
	case TPL_DATE:
		if (mgday_parse_form(v, date))
			return NULL;
		q = tc_quote_value(v);
		r = xasprintf("'%s' is not a date (write YYYY-MM-DD or D/M/YYYY): %s", f->name, q);
		free(q);
		return r;
	case TPL_TEXT:
		if (f->min_words && (w = tc_words(v)) < f->min_words)
			return xasprintf("'%s' has %d word%s; at least %d are needed", f->name, w,
			    w == 1 ? "" : "s", f->min_words);
		return NULL;
	}
	return NULL;
}

static void
tc_check_fields(const struct template *t, const struct tc_values *vals, struct tpl_result *r)
{
	size_t i;

	for (i = 0; i < t->nfields; i++) {
		const struct tpl_field *f = &t->fields[i];
		const char *v = vals->v[i];
		mgday day = MGDAY_NONE;
		char *why;

		if (f->in_list)
			continue;
		if (v == NULL || *v == '\0') {
			if (f->required || f->notice)
				tc_problem(r, v == NULL ? "'%s' is missing" : "'%s' is empty", f->name);
			continue;
		}
		if (vals->conflict[i]) {
			tc_problem(r, "'%s' is given twice with different values", f->name);
			continue;
		}
		if ((why = tc_check_value(f, v, &day)) != NULL) {
			r->problems = xreallocarray(r->problems, r->nproblems + 1, sizeof(*r->problems));
			r->problems[r->nproblems++].detail = why;
			continue;
		}
		if (f->notice)
			r->notice = day;
	}
}

static void
tc_check_list(const struct template *t, const struct tpl_text *csvs, size_t ncsvs,
    struct tpl_result *r)
{
	struct csv_table tab;
	const char *name;
	char err[160], *text;
	size_t len, i, row, col, nlist = 0, bad = 0;
	size_t *idx;

	if (ncsvs != 1) {
		tc_problem(r, "the list must be attached as exactly one CSV file (%zu found)", ncsvs);
		return;
	}
	name = csvs[0].name ? csvs[0].name : "the CSV attachment";
	if (utf8_valid(csvs[0].text, csvs[0].len)) {
		text = xstrndup(csvs[0].text, csvs[0].len);
		len = csvs[0].len;
	} else {
		struct sbuf b;

		sbuf_init(&b);
		sbuf_add_cp1252(&b, csvs[0].text, csvs[0].len);
		text = sbuf_steal(&b, &len);
	}
	if (csv_parse(text, len, &tab, err, sizeof(err)) < 0) {
		tc_problem(r, "%s cannot be read as CSV: %s", name, err);
		free(text);
		return;
	}
	free(text);
	idx = xcalloc(t->nfields, sizeof(*idx));
	for (i = 0; i < t->nfields; i++)
		if (t->fields[i].in_list)
			idx[nlist++] = i;
	if (tab.nrows == 0 || tab.rows[0].ncells != nlist) {
		tc_problem(r, "%s: the first row must name the %zu columns of the list", name, nlist);
		goto out;
	}
	for (col = 0; col < nlist; col++) {
		char *h = str_collapse_ws(xstrdup(tab.rows[0].cells[col]));
		int same = ascii_strcasecmp(h, t->fields[idx[col]].name) == 0;

		free(h);
		if (!same) {
			tc_problem(r, "%s: column %zu of the first row must be '%s'", name, col + 1,
			    t->fields[idx[col]].name);
			goto out;
		}
	}
	if (tab.nrows < 2)
		tc_problem(r, "%s holds no records", name);
	for (row = 1; row < tab.nrows; row++) {
		if (tab.rows[row].ncells != nlist) {
			if (bad++ < TPL_MAX_LIST_PROBLEMS)
				tc_problem(r, "%s row %zu: %zu columns instead of %zu", name, row + 1,
				    tab.rows[row].ncells, nlist);
			continue;
		}
		for (col = 0; col < nlist; col++) {
			const struct tpl_field *f = &t->fields[idx[col]];
			char *v = str_collapse_ws(xstrdup(tab.rows[row].cells[col])), *why = NULL;
			mgday d;

			if (*v == '\0')
				why = f->required ? xstrdup("empty") : NULL;
			else if ((why = tc_check_value(f, v, &d)) != NULL) {
				char *w2 = xstrdup(f->type == TPL_NINO ? "not a National Insurance number with its final letter" :
				    f->type == TPL_DATE ? "not a date (YYYY-MM-DD or D/M/YYYY)" : why);

				free(why);
				why = w2;
			}
			if (why && bad++ < TPL_MAX_LIST_PROBLEMS)
				tc_problem(r, "%s row %zu, column '%s': %s", name, row + 1, f->name, why);
			free(why);
			free(v);
		}
	}
	if (bad > TPL_MAX_LIST_PROBLEMS)
		tc_problem(r, "%s: %zu more problems not listed", name, bad - TPL_MAX_LIST_PROBLEMS);
out:
	free(idx);
	csv_free(&tab);
}

static int
tc_has_plain_fields(const struct template *t)
{
	size_t i;

	for (i = 0; i < t->nfields; i++)
		if (!t->fields[i].in_list)
			return 1;
	return 0;
}

void
template_check(const struct template *t, const struct tpl_text *body,
    const struct tpl_text *docs, size_t ndocs, const struct tpl_text *csvs, size_t ncsvs,
    struct tpl_result *out)
{
	struct tc_values vals;
	struct tc_lines L;
	const struct tpl_text *src;
	size_t i, nwith;

	memset(out, 0, sizeof(*out));
	out->notice = MGDAY_NONE;
	if (tc_has_plain_fields(t)) {
		vals.v = xcalloc(t->nfields, sizeof(*vals.v));
		vals.conflict = xcalloc(t->nfields, sizeof(*vals.conflict));
		src = tc_find_source(t, body, docs, ndocs, &L, &nwith);
		if (nwith > 1) {
			tc_problem(out, "the form's fields are in %zu attachments; send one completed form",
			    nwith);
		} else {
			if (src)
				tc_read(t, &L, &vals);
			out->source = src && src != body ? src->name : NULL;
			tc_check_fields(t, &vals, out);
		}
		free(L.v);
		for (i = 0; i < t->nfields; i++)
			free(vals.v[i]);
		free(vals.v);
		free(vals.conflict);
	}
	if (t->has_list)
		tc_check_list(t, csvs, ncsvs, out);
}

void
tpl_result_free(struct tpl_result *r)
{
	size_t i;

	for (i = 0; i < r->nproblems; i++)
		free(r->problems[i].detail);
	free(r->problems);
	memset(r, 0, sizeof(*r));
	r->notice = MGDAY_NONE;
}

char **
template_values(const struct template *t, const struct tpl_text *body,
    const struct tpl_text *docs, size_t ndocs)
{
	struct tc_values vals;
	struct tc_lines L;
	const struct tpl_text *src;
	size_t nwith;

	vals.v = xcalloc(t->nfields ? t->nfields : 1, sizeof(*vals.v));
	vals.conflict = xcalloc(t->nfields ? t->nfields : 1, sizeof(*vals.conflict));
	src = tc_find_source(t, body, docs, ndocs, &L, &nwith);
	if (src && nwith <= 1)
		tc_read(t, &L, &vals);
	free(L.v);
	free(vals.conflict);
	return vals.v;
}
