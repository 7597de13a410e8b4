/*
 * diag - collects "FILE:LINE: error|warning: TEXT" diagnostics; see
 * include/diag.h. Control characters in texts are replaced by '?' so that a
 * hostile file cannot forge further lines of output.
 */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void
diag_init(struct diag *d)
{
	memset(d, 0, sizeof(*d));
}

void
diag_free(struct diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->items[i].file);
		free(d->items[i].text);
	}
	free(d->items);
	diag_init(d);
}

static void
diag_sanitise(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

void
diag_add(struct diag *d, enum diag_sev sev, const char *file, long line, const char *fmt, ...)
{
	struct diag_item *it;
	va_list ap;
	char *text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = xstrdup("(diagnostic lost: out of memory)");
	va_end(ap);
	diag_sanitise(text);
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->items = xreallocarray(d->items, d->cap, sizeof(*d->items));
	}
	it = &d->items[d->n++];
	it->sev = sev;
	it->file = file ? xstrdup(file) : NULL;
	if (it->file)
		diag_sanitise(it->file);
	it->line = line;
	it->text = text;
	if (sev == DIAG_ERROR)
		d->nerrors++;
	else
		d->nwarnings++;
}

void
diag_print(const struct diag *d, FILE *fp)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct diag_item *it = &d->items[i];
		const char *sev = it->sev == DIAG_ERROR ? "error" : "warning";

		if (it->file && it->line > 0)
			fprintf(fp, "%s:%ld: %s: %s\n", it->file, it->line, sev, it->text);
		else if (it->file)
			fprintf(fp, "%s: %s: %s\n", it->file, sev, it->text);
		else
			fprintf(fp, "%s: %s\n", sev, it->text);
	}
}

void
diag_merge(struct diag *dst, struct diag *src)
{
	size_t i;

	for (i = 0; i < src->n; i++) {
		if (dst->n == dst->cap) {
			dst->cap = dst->cap ? dst->cap * 2 : 8;
			dst->items = xreallocarray(dst->items, dst->cap, sizeof(*dst->items));
		}
		dst->items[dst->n++] = src->items[i];
		if (src->items[i].sev == DIAG_ERROR)
			dst->nerrors++;
		else
			dst->nwarnings++;
	}
	free(src->items);
	diag_init(src);
}
