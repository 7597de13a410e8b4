/*
 * tabout - text tables for a terminal: columns padded to their widest
 * cell, cells escaped (safeout_term), long cells shortened with "…" to a
 * column's limit when the table would be too wide, numbers
 * aligned right, "-" for an absent value, no trailing blanks.
 *
 *	static const char *const h[] = { "process", "messages" };
 *	struct tabout *t = tabout_new(h, 2);
 *	tabout_limit(t, 0, 30); tabout_right(t, 1);
 *	tabout_add(t, (const char *[]){ "exit-report", "3" });
 *	tabout_print(t, stdout, TABOUT_TERMINAL); tabout_free(t);
 */
#ifndef MG_TABOUT_H
#define MG_TABOUT_H

#include <stddef.h>
#include <stdio.h>

struct tabout;

struct tabout *tabout_new(const char *const *heads, size_t ncols);
/* A column's widest cell in characters when not printing wide (0: no limit). */
void tabout_limit(struct tabout *t, size_t col, size_t width);
void tabout_right(struct tabout *t, size_t col);
/* Adds a row of ncols cells (copied; NULL shown as "-"). */
void tabout_add(struct tabout *t, const char *const *cells);
size_t tabout_rows(const struct tabout *t);
/*
 * Prints the table; when it would be wider than max columns, cells longer
 * than their column's limit are shortened. max 0: never shortened.
 */
void tabout_print(const struct tabout *t, FILE *fp, size_t max);
#define TABOUT_TERMINAL 120	/* the width a table keeps to by default */
void tabout_free(struct tabout *t);

#endif
