/*
 * diag - diagnostics collected while loading configuration, policy and
 * templates.
 *
 * Loaders never print: they append one item per problem to a struct diag,
 * naming the file and line, and the caller prints them all in the one form
 * the interface promises ("FILE:LINE: error: TEXT", "FILE:LINE: warning:
 * TEXT"; line 0 omits the line). Usage:
 *
 *	struct diag d; diag_init(&d);
 *	diag_add(&d, DIAG_ERROR, path, line, "unknown key '%s'", key);
 *	if (d.nerrors) { diag_print(&d, stderr); ... }
 *	diag_free(&d);
 *
 * Texts are single lines: diag_add replaces control characters, so bytes
 * taken from a hostile file cannot forge further lines of output.
 */
#ifndef MG_DIAG_H
#define MG_DIAG_H

#include <stddef.h>
#include <stdio.h>

enum diag_sev { DIAG_ERROR, DIAG_WARNING };

struct diag_item {
	enum diag_sev sev;
	char *file;		/* owned; may be NULL */
	long line;		/* 0 when unknown */
	char *text;		/* owned, one line */
};

struct diag {
	struct diag_item *items;
	size_t n, cap;
	size_t nerrors, nwarnings;
};

void diag_init(struct diag *d);
void diag_free(struct diag *d);
void diag_add(struct diag *d, enum diag_sev sev, const char *file, long line,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Prints every item, errors and warnings in the order they were added. */
void diag_print(const struct diag *d, FILE *fp);
/* Moves every item of src to the end of dst; src is left empty. */
void diag_merge(struct diag *dst, struct diag *src);

#endif
