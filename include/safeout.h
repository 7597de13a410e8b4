/*
 * safeout - text from the log made safe for where it is shown: a terminal
 * (mailgatectl's tables, the daemon's journal lines) or a spreadsheet (CSV).
 *
 * A Message-ID, a reason or a note may be chosen by a caseworker or by a
 * stranger's mail: on a terminal an ESC sequence could retitle the window or
 * hide a row, in a spreadsheet a cell starting with "=" is a formula
 * (=HYPERLINK(...)). The escaping is reversible by eye and never drops a
 * byte; JSON keeps the original (its own escaping is exact).
 *
 *	struct sbuf b; sbuf_init(&b);
 *	safeout_term(&b, msgid);         "\x1b]0;x" for ESC ] 0 ; x
 *	safeout_csv(&b, cell);           "'=HYPERLINK(...)", quoted as RFC 4180 needs
 */
#ifndef MG_SAFEOUT_H
#define MG_SAFEOUT_H

#include <stddef.h>

#include "util.h"

/*
 * Appends s for a terminal: C0 controls, DEL, the C1 controls (U+0080 to
 * U+009F) and bytes that are not UTF-8 as \xNN, a backslash as \\; other
 * UTF-8 unchanged. NULL appends nothing.
 */
void safeout_term(struct sbuf *b, const char *s);
/* The same into a new string (caller frees); NULL for NULL. */
char *safeout_term_dup(const char *s);
/*
 * Appends one CSV cell (RFC 4180): a cell starting with = + - @ or a tab
 * or CR gets a leading ' so that no spreadsheet reads it as a formula;
 * controls other than CR and LF (an export may be shown on a terminal) and
 * bytes that are not UTF-8 become \xNN; quoted when it holds a comma, a
 * quote or a line break. NULL is empty.
 */
void safeout_csv(struct sbuf *b, const char *s);
/* 1 when safeout_csv() would neutralise s (it starts like a formula). */
int safeout_csv_is_formula(const char *s);
/*
 * Terminal columns of UTF-8 text (one per character; the text is already
 * escaped, so there are no controls).
 */
size_t safeout_width(const char *s);

#endif
