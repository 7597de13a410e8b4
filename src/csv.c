/*
 * csv - a strict RFC 4180 reader (see include/csv.h) for the list forms'
 * attachments and for finding the columns whose header names NINOs.
 *
 * One pass, linear in the input: a quote inside an unquoted field or an
 * unterminated quoted field is an error naming the line, since a form that
 * a spreadsheet would read differently must not be judged as we read it.
 */
#include "csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct csv_state {
	struct csv_table *t;
	int keep;		/* the cells' text is kept; else only their shape (csv_sniff) */
	struct sbuf cell;
	size_t cell_len;	/* bytes of the cell being read, kept or not */
	char **cells;
	size_t ncells, cap;
	size_t line, row_line;
};

static void
csv_addc(struct csv_state *s, char c)
{
	if (s->keep)
		sbuf_addc(&s->cell, c);
	s->cell_len++;
}

static void
csv_push_cell(struct csv_state *s)
{
	if (s->ncells == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->cells = xreallocarray(s->cells, s->cap, sizeof(*s->cells));
	}
	s->cells[s->ncells++] = s->keep ? sbuf_steal(&s->cell, NULL) : NULL;
	s->cell_len = 0;
}

/* Ends a row; a row of one empty unquoted cell is a blank line and is dropped. */
static void
csv_push_row(struct csv_state *s, int blank)
{
	struct csv_table *t = s->t;
	size_t i;

	if (blank) {
		for (i = 0; i < s->ncells; i++)
			free(s->cells[i]);
		s->ncells = 0;
		return;
	}
	t->rows = xreallocarray(t->rows, t->nrows + 1, sizeof(*t->rows));
	t->rows[t->nrows].cells = xreallocarray(s->cells, s->ncells ? s->ncells : 1,
	    sizeof(char *));
	t->rows[t->nrows].ncells = s->ncells;
	t->rows[t->nrows].line = s->row_line;
	t->nrows++;
	s->cells = NULL;
	s->ncells = s->cap = 0;
}

/*
 * A quoted cell from the opening quote at *i: "" is a quote, line breaks are
 * kept; after the closing quote only a separator or the end of the row may
 * follow. -1 with the line in err.
 */
static int
csv_quoted(const char *text, size_t len, size_t *ip, struct csv_state *s, char *err,
    size_t errlen)
{
	size_t i = *ip, start = s->line;

	for (i++;; i++) {
		if (i >= len) {
			snprintf(err, errlen, "line %zu: a quoted field is not closed", start);
			return -1;
		}
		if (text[i] == '"') {
			if (i + 1 < len && text[i + 1] == '"') {
				csv_addc(s, '"');
				i++;
				continue;
			}
			i++;
			break;
		}
		if (text[i] == '\n')
			s->line++;
		csv_addc(s, text[i]);
	}
	*ip = i;
	if (i < len && text[i] != ',' && text[i] != '\n' &&
	    !(text[i] == '\r' && i + 1 < len && text[i + 1] == '\n') &&
	    !(text[i] == '\r' && i + 1 == len)) {
		snprintf(err, errlen, "line %zu: text after a closing quote", s->line);
		return -1;
	}
	return 0;
}

/* The parse; with keep 0 the rows hold NULL cells, their number only: what sniffing needs. */
static int
csv_run(const char *text, size_t len, struct csv_table *t, int keep, char *err, size_t errlen)
{
	struct csv_state s;
	size_t i = 0;
	int quoted_cell = 0, any = 0;

	memset(t, 0, sizeof(*t));
	memset(&s, 0, sizeof(s));
	s.t = t;
	s.keep = keep;
	s.line = s.row_line = 1;
	sbuf_init(&s.cell);
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len) {
		char c = text[i];

		if (c == '"' && s.cell_len == 0 && !quoted_cell) {
			quoted_cell = any = 1;
			if (csv_quoted(text, len, &i, &s, err, errlen) < 0)
				goto fail;
			continue;
		}
		if (c == '"') {
			snprintf(err, errlen, "line %zu: a quote inside an unquoted field", s.line);
			goto fail;
		}
		if (c == ',') {
			csv_push_cell(&s);
			quoted_cell = 0;
			any = 1;
			i++;
			continue;
		}
		if (c == '\n' || c == '\r') {
			int blank = !any && s.cell_len == 0 && s.ncells == 0;

			csv_push_cell(&s);
			csv_push_row(&s, blank);
			quoted_cell = any = 0;
			i += (c == '\r' && i + 1 < len && text[i + 1] == '\n') ? 2 : 1;
			s.line++;
			s.row_line = s.line;
			continue;
		}
		csv_addc(&s, c);
		any = 1;
		i++;
	}
	if (any || s.cell_len || s.ncells) {
		csv_push_cell(&s);
		csv_push_row(&s, 0);
	}
	/* after a blank last line the row array is still ours, empty */
	free(s.cells);
	sbuf_free(&s.cell);
	return 0;
fail:
	for (i = 0; i < s.ncells; i++)
		free(s.cells[i]);
	free(s.cells);
	sbuf_free(&s.cell);
	csv_free(t);
	return -1;
}

int
csv_parse(const char *text, size_t len, struct csv_table *t, char *err, size_t errlen)
{
	return csv_run(text, len, t, 1, err, errlen);
}

void
csv_free(struct csv_table *t)
{
	size_t r, c;

	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->rows[r].ncells; c++)
			free(t->rows[r].cells[c]);
		free(t->rows[r].cells);
	}
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

int
csv_sniff(const char *text, size_t len)
{
	struct csv_table t;
	char err[128];
	size_t r, lines = 0;
	int ok = 1;

	/* Only the first few kilobytes decide, so sniffing stays cheap. */
	if (len > 8192) {
		const char *cut = memchr(text + 8192, '\n', len - 8192);

		len = cut ? (size_t)(cut - text) : len;
	}
	/* a first line of megabytes is read for its shape, not copied into a cell */
	if (memchr(text, '\0', len) != NULL || csv_run(text, len, &t, 0, err, sizeof(err)) < 0)
		return 0;
	if (t.nrows < 2 || t.rows[0].ncells < 2)
		ok = 0;
	for (r = 0; ok && r < t.nrows; r++, lines++)
		if (t.rows[r].ncells != t.rows[0].ncells)
			ok = 0;
	csv_free(&t);
	return ok && lines >= 2;
}
