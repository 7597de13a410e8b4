/*
 * office - the text of docx, xlsx, pptx, odt, ods and odp files, for
 * finding records and form fields in attachments. See include/office.h.
 *
 * The zip is read from memory with libzip; every limit is checked against
 * the declared sizes first and enforced again while reading, since a zip's
 * directory can lie. XML parts go through xmlsafe. Paragraphs and table
 * rows end lines; the cells of a row are joined with ": " so that a form
 * laid out as a two-column table reads as "Field: value". Every entry is
 * accounted for: XML parts (text, and attribute values apart), text
 * entries, Office documents embedded in Office documents (read again, the
 * same limits, counted together); images, fonts, printer settings and
 * thumbnails are decoration; any other part (vbaProject.bin, oleObject*.bin)
 * makes the document uninspectable.
 */
#include "office.h"

#include <stdio.h>
#include <stdlib.h>
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
	struct sbuf *out;	/* text: where form fields may be read */
	struct sbuf *extra;	/* attribute values: searched, not read as fields */
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

/* Every attribute value is sent with the document: one line each in extra. */
static void
office_attrs(struct office_walk *w, xmlNodePtr n)
{
	xmlAttrPtr at;

	for (at = n->properties; at; at = at->next) {
		xmlChar *v = xmlNodeListGetString(n->doc, at->children, 1);

		if (v && *v) {
			sbuf_adds(w->extra, (const char *)v);
			sbuf_addc(w->extra, '\n');
		}
		xmlFree(v);
	}
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
	if (n->type == XML_ELEMENT_NODE)
		office_attrs(w, n);
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

/* What an entry of the package is, by name first, then by content. */
enum office_entry { OE_SKIP, OE_XML, OE_TEXT, OE_OFFICE, OE_BINARY };

static int
office_has(const char *d, size_t n, const char *magic, size_t ml)
{
	return n >= ml && memcmp(d, magic, ml) == 0;
}

/* Images, fonts, printer settings and thumbnails are decoration, as in the body. */
static int
office_decoration(const char *name, const char *d, size_t n)
{
	static const char *dirs[] = { "media/", "Pictures/", "Thumbnails/", "fonts/",
		"printerSettings/", "docProps/thumbnail" };
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (strstr(name, dirs[i]) != NULL)
			return 1;
	return office_has(d, n, "\x89PNG", 4) || office_has(d, n, "\xFF\xD8\xFF", 3) ||
	    office_has(d, n, "GIF8", 4) || office_has(d, n, "BM", 2) ||
	    office_has(d, n, "\x01\x00\x00\x00", 4) || office_has(d, n, "\xD7\xCD\xC6\x9A", 4);
}

static enum office_entry
office_classify(const char *name, const char *d, size_t n)
{
	size_t i = 0;

	if (n == 0 || name[strlen(name) - 1] == '/')
		return OE_SKIP;
	if (office_decoration(name, d, n))
		return OE_SKIP;
	if (office_has(d, n, "PK\x03\x04", 4))
		return office_sniff(d, n) == OFFICE_OTHER_ZIP ? OE_BINARY : OE_OFFICE;
	if (office_has(d, n, "\xEF\xBB\xBF", 3))
		i = 3;
	while (i < n && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n'))
		i++;
	if (i < n && d[i] == '<')
		return OE_XML;
	/* a text entry (the ODF mimetype, notes) is sent: searched */
	return memchr(d, '\0', n) == NULL && utf8_valid(d, n) ? OE_TEXT : OE_BINARY;
}

struct office_ctx {
	const struct mime_limits *lim;
	struct office_walk w;
	zip_uint64_t total;	/* bytes read so far, nested documents included */
	char *err;
	size_t errlen;
};

static int office_read_zip(struct office_ctx *c, const char *data, size_t len, unsigned depth);

/* Declared sizes first: refuse a bomb before inflating anything. */
static int
office_check_sizes(struct office_ctx *c, zip_t *z, zip_int64_t nent)
{
	zip_uint64_t total = 0;
	zip_int64_t i;

	for (i = 0; i < nent; i++) {
		zip_stat_t st;

		if (zip_stat_index(z, (zip_uint64_t)i, 0, &st) < 0) {
			snprintf(c->err, c->errlen, "the document is corrupt");
			return -1;
		}
		if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) {
			snprintf(c->err, c->errlen, "the document is encrypted");
			return -1;
		}
		total += st.size;
		if (total > c->lim->zip_max_total) {
			snprintf(c->err, c->errlen, "the document expands to more than %zu bytes",
			    c->lim->zip_max_total);
			return -1;
		}
		if (st.size > (zip_uint64_t)c->lim->zip_max_ratio * (st.comp_size ? st.comp_size : 1) &&
		    st.size > 4096) {
			snprintf(c->err, c->errlen, "a part of the document expands more than %u times",
			    c->lim->zip_max_ratio);
			return -1;
		}
	}
	return 0;
}

/* One entry read whole: NULL (with err) when it is corrupt or over the limits. */
static char *
office_read_entry(struct office_ctx *c, zip_t *z, zip_int64_t i, size_t *len)
{
	zip_stat_t st;
	zip_file_t *f;
	zip_int64_t got;
	char *buf;

	if (zip_stat_index(z, (zip_uint64_t)i, 0, &st) < 0 ||
	    (f = zip_fopen_index(z, (zip_uint64_t)i, 0)) == NULL) {
		snprintf(c->err, c->errlen, "a part of the document cannot be read");
		return NULL;
	}
	/* read one byte more than declared: a lying directory shows here */
	buf = xmalloc((size_t)st.size + 2);
	got = zip_fread(f, buf, st.size + 1);
	zip_fclose(f);
	if (got < 0 || (zip_uint64_t)got != st.size) {
		free(buf);
		snprintf(c->err, c->errlen, "a part of the document is corrupt");
		return NULL;
	}
	c->total += (zip_uint64_t)got;
	if (c->total > c->lim->zip_max_total) {
		free(buf);
		snprintf(c->err, c->errlen, "the document expands to more than %zu bytes",
		    c->lim->zip_max_total);
		return NULL;
	}
	buf[got] = '\0';
	*len = (size_t)got;
	return buf;
}

static int
office_xml(struct office_ctx *c, const char *name, const char *buf, size_t len)
{
	char xerr[200];
	xmlDocPtr doc;
	long line;

	doc = xmlsafe_read(buf, len, name, xerr, sizeof(xerr), &line);
	if (doc == NULL) {
		snprintf(c->err, c->errlen, "a part of the document cannot be read: %s", xerr);
		return -1;
	}
	office_node(&c->w, xmlDocGetRootElement(doc));
	office_newline(c->w.out);
	xmlFreeDoc(doc);
	return 0;
}

/* Every entry: XML and text read, Office documents inside read again, decoration skipped. */
static int
office_entry(struct office_ctx *c, zip_t *z, zip_int64_t i, unsigned depth)
{
	const char *name = zip_get_name(z, (zip_uint64_t)i, 0);
	size_t len;
	char *buf;
	int rc = 0;

	if (name == NULL || (buf = office_read_entry(c, z, i, &len)) == NULL)
		return name == NULL ? 0 : -1;
	switch (office_classify(name, buf, len)) {
	case OE_SKIP:
		break;
	case OE_XML:
		rc = office_xml(c, name, buf, len);
		break;
	case OE_TEXT:
		sbuf_add(c->w.extra, buf, len);
		sbuf_addc(c->w.extra, '\n');
		break;
	case OE_OFFICE:
		if (depth >= c->lim->max_depth) {
			snprintf(c->err, c->errlen, "documents are nested more than %u deep",
			    c->lim->max_depth);
			rc = -1;
		} else {
			/* searched, but not where the outer document's fields are read */
			struct sbuf *out = c->w.out;

			c->w.out = c->w.extra;
			rc = office_read_zip(c, buf, len, depth + 1);
			c->w.out = out;
		}
		break;
	case OE_BINARY:
		snprintf(c->err, c->errlen, "the document holds a part that cannot be read (%.80s)", name);
		rc = -1;
		break;
	}
	free(buf);
	return rc;
}

static int
office_read_zip(struct office_ctx *c, const char *data, size_t len, unsigned depth)
{
	zip_int64_t i, nent;
	zip_t *z;
	int rc = -1;

	z = office_open(data, len, c->err, c->errlen);
	if (z == NULL)
		return -1;
	nent = zip_get_num_entries(z, 0);
	if (nent < 0 || (zip_uint64_t)nent > c->lim->zip_max_entries) {
		snprintf(c->err, c->errlen, "the document has more than %u parts",
		    c->lim->zip_max_entries);
		goto out;
	}
	if (office_check_sizes(c, z, nent) < 0)
		goto out;
	for (i = 0; i < nent; i++)
		if (office_entry(c, z, i, depth) < 0)
			goto out;
	rc = 0;
out:
	zip_discard(z);
	return rc;
}

int
office_extract(const char *data, size_t len, const struct mime_limits *lim, struct sbuf *out,
    struct sbuf *extra, char *err, size_t errlen)
{
	struct office_ctx c;

	if (len < 4 || memcmp(data, "PK\x03\x04", 4) != 0 || lim == NULL) {
		snprintf(err, errlen, "the document is not a readable zip file");
		return -1;
	}
	memset(&c, 0, sizeof(c));
	c.lim = lim;
	c.w.out = out;
	c.w.extra = extra;
	c.err = err;
	c.errlen = errlen;
	if (office_read_zip(&c, data, len, 0) < 0)
		return -1;
	if (out->data == NULL)
		sbuf_adds(out, "");
	return 0;
}
