/*
 * fill - the one {{name}} filler of the text templates admins edit in
 * template_dir (the department notices, notice-outage.txt and
 * notice-return.txt; the request to delete, notice-deletion-request.txt).
 * Pure: only the fields given can reach the text, so a template cannot pull
 * in anything else (no NINO: none is ever a field). An unknown or unclosed
 * placeholder is an error naming the file and line, and the known names.
 *
 *	static const struct fill_field f[] = { { "today", "2026-12-01" }, { NULL, NULL } };
 *	if (fill_text(text, path, f, &out, err, sizeof err) < 0) ... err: "PATH:LINE: error: ..."
 */
#ifndef MG_FILL_H
#define MG_FILL_H

#include <stddef.h>

#include "util.h"

struct fill_field {
	const char *name;	/* NULL ends the table */
	const char *value;
};

/* Appends text with every {{name}} replaced by its value; 0, or -1 with err. */
int fill_text(const char *text, const char *path, const struct fill_field *f, struct sbuf *out,
    char *err, size_t errlen);

#endif
