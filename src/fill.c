/*
 * fill - {{name}} placeholders filled from a table of fields; see
 * include/fill.h.
 */
#include "fill.h"

#include <stdio.h>
#include <string.h>

/* "{{a}}, {{b}}": the names a template may use, for the error. */
static void fill_known(const struct fill_field *f, char *buf, size_t n)
{
	size_t i, k = 0;

	buf[0] = '\0';
	for (i = 0; f[i].name != NULL && k < n; i++)
		k += (size_t)snprintf(buf + k, n - k, "%s{{%s}}", i ? ", " : "", f[i].name);
}

int fill_text(const char *text, const char *path, const struct fill_field *f, struct sbuf *out,
    char *err, size_t errlen)
{
	const char *p = text, *end;
	char known[256];
	long line = 1;
	size_t i, n;

	while (*p) {
		if (p[0] != '{' || p[1] != '{') {
			line += *p == '\n';
			sbuf_addc(out, *p++);
			continue;
		}
		end = strstr(p + 2, "}}");
		n = end ? (size_t)(end - (p + 2)) : 0;
		for (i = 0; end && f[i].name != NULL; i++)
			if (strlen(f[i].name) == n && strncmp(p + 2, f[i].name, n) == 0)
				break;
		if (end == NULL || f[i].name == NULL) {
			size_t shown = end ? n + 4 : strcspn(p, "\n");

			fill_known(f, known, sizeof(known));
			snprintf(err, errlen, "%s:%ld: error: %s placeholder '%.*s' (known: %s)", path,
			    line, end ? "unknown" : "unclosed", (int)(shown > 60 ? 60 : shown), p,
			    known);
			return -1;
		}
		sbuf_adds(out, f[i].value ? f[i].value : "");
		p = end + 2;
	}
	return 0;
}
