/*
 * tabout - terminal tables; see include/tabout.h.
 */
#include <stdlib.h>
#include <string.h>

#include "safeout.h"
#include "tabout.h"
#include "util.h"

struct tabout {
	size_t ncols, nrows;
	char **heads;
	char **cells;		/* nrows x ncols, escaped */
	size_t *limit;
	int *right;
};

struct tabout *
tabout_new(const char *const *heads, size_t ncols)
{
	struct tabout *t = xcalloc(1, sizeof(*t));
	size_t c;

	t->ncols = ncols;
	t->heads = xcalloc(ncols, sizeof(char *));
	t->limit = xcalloc(ncols, sizeof(size_t));
	t->right = xcalloc(ncols, sizeof(int));
	for (c = 0; c < ncols; c++)
		t->heads[c] = xstrdup(heads[c]);
	return t;
}

void
tabout_limit(struct tabout *t, size_t col, size_t width)
{
	if (col >= t->ncols || (width > 0 && width < 2))
		abort();	/* a caller's bug */
	t->limit[col] = width;
}

void
tabout_right(struct tabout *t, size_t col)
{
	if (col >= t->ncols)
		abort();
	t->right[col] = 1;
}

void
tabout_add(struct tabout *t, const char *const *cells)
{
	size_t c;

	t->cells = xreallocarray(t->cells, (t->nrows + 1) * t->ncols, sizeof(char *));
	for (c = 0; c < t->ncols; c++)
		t->cells[t->nrows * t->ncols + c] = cells[c] ? safeout_term_dup(cells[c]) :
		    xstrdup("-");
	t->nrows++;
}

size_t
tabout_rows(const struct tabout *t)
{
	return t->nrows;
}

/* The bytes of s that make its first n characters. */
static size_t
tabout_prefix(const char *s, size_t n)
{
	size_t i = 0;

	while (s[i] && n > 0) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		n--;
	}
	return i;
}

static size_t
tabout_cell_width(const struct tabout *t, size_t c, const char *s, int wide)
{
	size_t w = safeout_width(s);

	return !wide && t->limit[c] && w > t->limit[c] ? t->limit[c] : w;
}

static void
tabout_cell(const struct tabout *t, size_t c, const char *s, size_t width, int wide, FILE *fp)
{
	size_t w = safeout_width(s), shown = w, pad;
	int last = c + 1 == t->ncols;

	if (!wide && t->limit[c] && w > t->limit[c]) {
		shown = t->limit[c];
		pad = width - shown;
		if (t->right[c])
			fprintf(fp, "%*s", (int)pad, "");
		fwrite(s, 1, tabout_prefix(s, shown - 1), fp);
		fputs("\xe2\x80\xa6", fp);	/* … */
	} else {
		pad = width - shown;
		if (t->right[c])
			fprintf(fp, "%*s", (int)pad, "");
		fputs(s, fp);
	}
	if (!t->right[c] && !last)
		fprintf(fp, "%*s", (int)pad, "");
	fputs(last ? "\n" : "  ", fp);
}

/* Widths of the columns, shortened to their limits when short is set. */
static void
tabout_widths(const struct tabout *t, int short_, size_t *w)
{
	size_t r, c;

	for (c = 0; c < t->ncols; c++)
		w[c] = tabout_cell_width(t, c, t->heads[c], 1);
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			size_t cw = tabout_cell_width(t, c, t->cells[r * t->ncols + c], !short_);

			if (cw > w[c])
				w[c] = cw;
		}
}

void
tabout_print(const struct tabout *t, FILE *fp, size_t max)
{
	size_t *w = xcalloc(t->ncols, sizeof(size_t)), r, c, total = 0;
	int wide = 1;

	tabout_widths(t, 0, w);
	for (c = 0; c < t->ncols; c++)
		total += w[c] + (c ? 2 : 0);
	if (max > 0 && total > max) {
		/* too wide for the terminal: the long cells give way */
		wide = 0;
		tabout_widths(t, 1, w);
	}
	for (c = 0; c < t->ncols; c++)
		tabout_cell(t, c, t->heads[c], w[c], 1, fp);
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++)
			tabout_cell(t, c, t->cells[r * t->ncols + c], w[c], wide, fp);
	free(w);
}

void
tabout_free(struct tabout *t)
{
	if (t == NULL)
		return;
	strv_free(t->heads, t->ncols);
	strv_free(t->cells, t->nrows * t->ncols);
	free(t->limit);
	free(t->right);
	free(t);
}
