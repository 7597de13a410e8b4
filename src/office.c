/*
 * office - the text of docx, xlsx, pptx, odt, ods and odp files, for
 * finding records and form fields in attachments. See include/office.h.
 *
 * The zip is read from memory with libzip; every limit is checked against
 * the declared sizes first and enforced again while reading, since a zip's
 * directory can lie. XML parts go through xmlsafe. Paragraphs and table
 * rows end lines; the cells of a row are joined with ": " so that a form
 * laid out as a two-column table reads as "Field: value".
 */
#include "office.h"

#include <stdio.h>
#include <string.h>

#include <libxml/tree.h>
#include <zip.h>

#include "util.h"
#include "xmlsafe.h"

static zip_t *
office_open(const char *data, size_t len, char *err, size_t errlen)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *z;

	zip_error_init(&ze);
	src = zip_source_buffer_create(data, len, 0, &ze);
	if (src == NULL) {
		snprintf(err, errlen, "the document cannot be opened");
		zip_error_fini(&ze);
		return NULL;
	}
	z = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	if (z == NULL) {
		zip_source_free(src);
		snprintf(err, errlen, "the document is not a readable zip file");
	}
	zip_error_fini(&ze);
	return z;
}

/* Reads a small entry whole (for sniffing); NULL if absent or too large. */
static char *
office_small_entry(zip_t *z, const char *name, size_t max, size_t *len)
{
	zip_stat_t st;
	zip_file_t *f;
	char *buf;
	zip_int64_t n;

	if (zip_stat(z, name, 0, &st) < 0 || !(st.valid & ZIP_STAT_SIZE) || st.size > max)
		return NULL;
	f = zip_fopen(z, name, 0);
	if (f == NULL)
		return NULL;
	buf = xmalloc((size_t)st.size + 1);
	n = zip_fread(f, buf, st.size);
	zip_fclose(f);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/*
 * A package whose [Content_Types].xml names no main part by override (only
 * Default entries) is still what its main part says: the part's name.
 */
static enum office_kind
office_sniff_parts(zip_t *z)
{
	if (zip_name_locate(z, "word/document.xml", 0) >= 0)
		return OFFICE_DOCX;
	if (zip_name_locate(z, "xl/workbook.xml", 0) >= 0)
		return OFFICE_XLSX;
	if (zip_name_locate(z, "ppt/presentation.xml", 0) >= 0)
		return OFFICE_PPTX;
	return OFFICE_OTHER_ZIP;
}

enum office_kind
office_sniff(const char *data, size_t len)
{
	enum office_kind k = OFFICE_OTHER_ZIP;
	char err[64], *ct;
	size_t n;
	zip_t *z;

	if (len < 4 || memcmp(data, "PK\x03\x04", 4) != 0)
		return OFFICE_NONE;
	z = office_open(data, len, err, sizeof(err));
	if (z == NULL)
		return OFFICE_OTHER_ZIP;
	if ((ct = office_small_entry(z, "[Content_Types].xml", 1 << 20, &n)) != NULL) {
		if (strstr(ct, "wordprocessingml.document"))
			k = OFFICE_DOCX;
		else if (strstr(ct, "spreadsheetml.sheet"))
			k = OFFICE_XLSX;
		else if (strstr(ct, "presentationml.presentation"))
			k = OFFICE_PPTX;
		free(ct);
	} else if ((ct = office_small_entry(z, "mimetype", 256, &n)) != NULL) {
		if (strcmp(ct, "application/vnd.oasis.opendocument.text") == 0)
			k = OFFICE_ODT;
		else if (strcmp(ct, "application/vnd.oasis.opendocument.spreadsheet") == 0)
			k = OFFICE_ODS;
		else if (strcmp(ct, "application/vnd.oasis.opendocument.presentation") == 0)
			k = OFFICE_ODP;
		free(ct);
	}
	if (k == OFFICE_OTHER_ZIP)
		k = office_sniff_parts(z);
	zip_close(z);
	return k;
}

struct office_walk {
	struct sbuf *out;
	int cells;		/* cells seen in the current row */
};

static int
office_name(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static void
office_newline(struct sbuf *out)
{
	if (out->len && out->data[out->len - 1] != '\n')
		sbuf_addc(out, '\n');
}

/* Element names are the same in OOXML and ODF where it matters here. */
static void
office_node(struct office_walk *w, xmlNodePtr n)
{
	xmlNodePtr c;
	int row = office_name(n, "tr") || office_name(n, "table-row") || office_name(n, "row");
	int cell = office_name(n, "tc") || office_name(n, "table-cell") ||
	    (office_name(n, "c") && n->parent && office_name(n->parent, "row"));
	int para = office_name(n, "p") || office_name(n, "h");

	if (row)
		w->cells = 0;
	if (cell && w->cells++ > 0)
		sbuf_adds(w->out, ": ");
	/* every text of every part: metadata and deleted revisions are content too */
	if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) && n->content) {
		sbuf_adds(w->out, (const char *)n->content);
		return;
	}
	if (office_name(n, "tab") || office_name(n, "s"))
		sbuf_addc(w->out, ' ');
	if (office_name(n, "br") || office_name(n, "line-break"))
		sbuf_addc(w->out, '\n');
	for (c = n->children; c; c = c->next)
		office_node(w, c);
	/* a paragraph inside a table cell does not end the row's line */
	if (para && !(n->parent && (office_name(n->parent, "tc") || office_name(n->parent, "table-cell"))))
		office_newline(w->out);
	if (row)
		office_newline(w->out);
}

static int
office_is_xml_entry(const char *name)
{
	size_t n = strlen(name);

	if (strncmp(name, "word/media/", 11) == 0 || strncmp(name, "ppt/media/", 10) == 0 ||
	    strncmp(name, "xl/media/", 9) == 0 || strncmp(name, "Pictures/", 9) == 0)
		return 0;
	return (n > 4 && strcmp(name + n - 4, ".xml") == 0);
}

int
office_extract(const char *data, size_t len, const struct mime_limits *lim, struct sbuf *out,
    char *err, size_t errlen)
{
	zip_int64_t i, nent;
	zip_uint64_t total = 0;
	struct office_walk w;
	zip_t *z;
	int rc = -1;

	z = office_open(data, len, err, errlen);
	if (z == NULL)
		return -1;
	nent = zip_get_num_entries(z, 0);
	if (nent < 0 || (zip_uint64_t)nent > lim->zip_max_entries) {
		snprintf(err, errlen, "the document has more than %u parts", lim->zip_max_entries);
		goto out;
	}
	/* declared sizes first: refuse a bomb before inflating anything */
	for (i = 0; i < nent; i++) {
		zip_stat_t st;

		if (zip_stat_index(z, (zip_uint64_t)i, 0, &st) < 0) {
			snprintf(err, errlen, "the document is corrupt");
			goto out;
		}
		if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) {
			snprintf(err, errlen, "the document is encrypted");
			goto out;
		}
		total += st.size;
		if (total > lim->zip_max_total) {
			snprintf(err, errlen, "the document expands to more than %zu bytes", lim->zip_max_total);
			goto out;
		}
		if (st.size > (zip_uint64_t)lim->zip_max_ratio * (st.comp_size ? st.comp_size : 1) &&
		    st.size > 4096) {
			snprintf(err, errlen, "a part of the document expands more than %u times",
			    lim->zip_max_ratio);
			goto out;
		}
	}
	w.out = out;
	w.cells = 0;
	total = 0;
	for (i = 0; i < nent; i++) {
		const char *name = zip_get_name(z, (zip_uint64_t)i, 0);
		zip_stat_t st;
		zip_file_t *f;
		char *buf, xerr[200];
		zip_int64_t got;
		xmlDocPtr doc;
		long line;

		if (name == NULL || !office_is_xml_entry(name) || zip_stat_index(z, (zip_uint64_t)i, 0, &st) < 0)
			continue;
		f = zip_fopen_index(z, (zip_uint64_t)i, 0);
		if (f == NULL) {
			snprintf(err, errlen, "a part of the document cannot be read");
			goto out;
		}
		/* read one byte more than declared: a lying directory shows here */
		buf = xmalloc((size_t)st.size + 2);
		got = zip_fread(f, buf, st.size + 1);
		zip_fclose(f);
		if (got < 0 || (zip_uint64_t)got != st.size) {
			free(buf);
			snprintf(err, errlen, "a part of the document is corrupt");
			goto out;
		}
		total += (zip_uint64_t)got;
		if (total > lim->zip_max_total) {
			free(buf);
			snprintf(err, errlen, "the document expands to more than %zu bytes", lim->zip_max_total);
			goto out;
		}
		doc = xmlsafe_read(buf, (size_t)got, name, xerr, sizeof(xerr), &line);
		free(buf);
		if (doc == NULL) {
			snprintf(err, errlen, "a part of the document cannot be read: %s", xerr);
			goto out;
		}
		office_node(&w, xmlDocGetRootElement(doc));
		office_newline(out);
		xmlFreeDoc(doc);
	}
	if (out->data == NULL)
		sbuf_adds(out, "");
	rc = 0;
out:
	zip_discard(z);
	return rc;
}
