/*
 * csv - a strict RFC 4180 reader for the list forms' CSV attachments and for
 * finding the columns whose header names NINOs.
 *
 * Input is UTF-8 (a BOM is skipped; callers convert Windows-1252 first);
 * ',' separates, '"' quotes with "" as an escaped quote, CRLF or LF ends a
 * row, blank lines are ignored. A quote inside an unquoted field or an
 * unterminated quoted field is an error with its row number.
 *
 *	struct csv_table t;
 *	if (csv_parse(text, len, &t, err, sizeof err) < 0) ...
 *	t.rows[0] is the header row; t.rows[i].cells[j] are NUL-terminated.
 *	csv_free(&t);
 */
#ifndef MG_CSV_H
#define MG_CSV_H

#include <stddef.h>

struct csv_row {
	char **cells;
	size_t ncells;
	size_t line;		/* line number of the row's first line (1-based) */
};

struct csv_table {
	struct csv_row *rows;
	size_t nrows;
};

/* 0 ok, -1 with a one-line error (naming the line) in err. */
int csv_parse(const char *text, size_t len, struct csv_table *t, char *err, size_t errlen);
void csv_free(struct csv_table *t);
/* 1 when bytes look like CSV: at least two lines with the same number (>1) of fields. */
int csv_sniff(const char *text, size_t len);

#endif
