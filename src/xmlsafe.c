/*
 * xmlsafe - safe XML parsing and RelaxNG validation on libxml2; see
 * include/xmlsafe.h.
 *
 * A DOCTYPE is refused from the SAX internalSubset callback, which libxml2
 * calls as soon as it reads "<!DOCTYPE name": the parser is stopped before
 * any declaration, so billion-laughs and external-entity files never get to
 * define an entity. XML_PARSE_NOENT, DTDLOAD and DTDATTR are never set.
 */
#include "xmlsafe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/xmlerror.h>

#include "mgdate.h"
#include "util.h"

#define XMLSAFE_DTD_MSG "DTDs are not allowed"

static void
xmlsafe_no_dtd(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	xmlParserCtxtPtr ctxt = ctx;

	(void)name;
	(void)ext;
	(void)sys;
	/* Marks the document: the flag survives xmlStopParser. */
	ctxt->_private = (void *)XMLSAFE_DTD_MSG;
	xmlStopParser(ctxt);
}

/* libxml2 prints nothing of ours: errors are read back from the context. */
static void
xmlsafe_quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void
xmlsafe_squiet(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	(void)e;
}

static void
xmlsafe_msg(const char *m, char *err, size_t errlen)
{
	size_t n;

	snprintf(err, errlen, "%s", m ? m : "not well-formed XML");
	n = strlen(err);
	while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
		err[--n] = '\0';
}

xmlDocPtr
xmlsafe_read(const char *buf, size_t len, const char *name, char *err, size_t errlen,
    long *line)
{
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;
	xmlErrorPtr e;

	*line = 0;
	if (len > (size_t)0x7fffffff) {
		xmlsafe_msg("the file is too large", err, errlen);
		return NULL;
	}
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		xmlsafe_msg("out of memory", err, errlen);
		return NULL;
	}
	ctxt->sax->internalSubset = xmlsafe_no_dtd;
	ctxt->sax->error = xmlsafe_quiet;
	ctxt->sax->warning = xmlsafe_quiet;
	ctxt->sax->serror = xmlsafe_squiet;
	ctxt->vctxt.error = xmlsafe_quiet;
	ctxt->vctxt.warning = xmlsafe_quiet;
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, name, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING | XML_PARSE_NOXINCNODE);
	if (ctxt->_private != NULL) {
		xmlsafe_msg(XMLSAFE_DTD_MSG, err, errlen);
		*line = ctxt->input ? ctxt->input->line : 0;
		if (doc)
			xmlFreeDoc(doc);
		doc = NULL;
	} else if (doc == NULL || !ctxt->wellFormed) {
		e = xmlCtxtGetLastError(ctxt);
		xmlsafe_msg(e ? e->message : NULL, err, errlen);
		*line = e ? e->line : 0;
		if (doc)
			xmlFreeDoc(doc);
		doc = NULL;
	} else if (doc->intSubset != NULL || doc->extSubset != NULL) {
		xmlsafe_msg(XMLSAFE_DTD_MSG, err, errlen);
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
}

struct xmlsafe_vstate {
	struct diag *d;
	const char *file;
	size_t first;		/* the first item of this validation in d */
	int prev_attr;		/* the last error was about an attribute: drop libxml2's echo */
};

/*
 * What the attributes of the policy and template schemas hold, in the
 * policy's terms: libxml2 says "Invalid attribute until for element permit",
 * an admin wants "until must be a date YYYY-MM-DD".
 */
enum xs_kind { XS_DATE, XS_POSITIVE, XS_COUNT, XS_BOOL, XS_FIELD_TYPE };

static const struct xs_hint {
	const char *attr;
	enum xs_kind kind;
} xs_hints[] = {
	{ "from", XS_DATE }, { "until", XS_DATE },
	{ "max-records", XS_POSITIVE }, { "max-message-bytes", XS_POSITIVE },
	{ "clerical-after-hours", XS_POSITIVE }, { "min-words", XS_POSITIVE },
	{ "min-notice-days", XS_COUNT },
	{ "offshore", XS_BOOL }, { "required", XS_BOOL }, { "notice", XS_BOOL },
	{ "type", XS_FIELD_TYPE },
};

static const char *const xs_words[] = {
	[XS_DATE] = "a date YYYY-MM-DD, like 2026-12-31",
	[XS_POSITIVE] = "a whole number above 0, like 5",
	[XS_COUNT] = "a whole number, 0 or more, like 5",
	[XS_BOOL] = "true or false",
	[XS_FIELD_TYPE] = "text, nino or date",
};

static const struct xs_hint *
xs_hint(const char *attr)
{
	size_t i;

	for (i = 0; i < sizeof(xs_hints) / sizeof(xs_hints[0]); i++)
		if (strcmp(xs_hints[i].attr, attr) == 0)
			return &xs_hints[i];
	return NULL;
}

/* 1 when v is what kind says (then the attribute is wrong where it stands, not its value). */
static int
xs_fits(enum xs_kind k, const char *v)
{
	char *end;
	long n;
	mgday day;

	switch (k) {
	case XS_DATE:
		return mgday_parse_iso(v, &day);
	case XS_POSITIVE:
	case XS_COUNT:
		n = strtol(v, &end, 10);
		return *v >= '0' && *v <= '9' && *end == '\0' && n >= (k == XS_POSITIVE);
	case XS_BOOL:
		return strcmp(v, "true") == 0 || strcmp(v, "false") == 0 || strcmp(v, "1") == 0 ||
		    strcmp(v, "0") == 0;
	case XS_FIELD_TYPE:
		return strcmp(v, "text") == 0 || strcmp(v, "nino") == 0 || strcmp(v, "date") == 0;
	}
	return 0;
}

/* "Invalid attribute A for element E" in the policy's terms, into out. */
static void
xs_attr_words(xmlNodePtr el, const char *attr, const char *elem, char *out, size_t len)
{
	const struct xs_hint *h = xs_hint(attr);
	xmlChar *v = el && el->type == XML_ELEMENT_NODE ?
	    xmlGetNoNsProp(el, (const xmlChar *)attr) : NULL;

	if (h != NULL && v != NULL && !xs_fits(h->kind, (const char *)v))
		snprintf(out, len, "<%s>: %s must be %s, not '%.80s'", elem, attr, xs_words[h->kind],
		    (const char *)v);
	else
		snprintf(out, len, "<%s> takes no attribute '%s' (see mailgate-policy(5))", elem, attr);
	xmlFree(v);
}

/* "Type T doesn't allow value 'V'": the attribute of el holding V, said as above. */
static int
xs_type_words(xmlNodePtr el, const char *value, char *out, size_t len)
{
	xmlAttrPtr a;

	if (el == NULL || el->type != XML_ELEMENT_NODE)
		return 0;
	for (a = el->properties; a != NULL; a = a->next) {
		xmlChar *v = xmlNodeGetContent((xmlNodePtr)a);
		int same = v != NULL && strcmp((const char *)v, value) == 0;

		xmlFree(v);
		if (same) {
			xs_attr_words(el, (const char *)a->name, (const char *)el->name, out, len);
			return 1;
		}
	}
	return 0;
}

/*
 * libxml2's RelaxNG words, rewritten where an admin would not know what to
 * do: which attribute, which type, an example. Returns 0 for an echo of an
 * error already said (skip it).
 */
static int
xs_words_for(struct xmlsafe_vstate *vs, xmlErrorPtr e, long line, char *out, size_t len)
{
	xmlNodePtr el = e->node;
	char a[128], b[128];
	size_t i;
	int was_attr = vs->prev_attr;

	if (el != NULL && el->type == XML_ATTRIBUTE_NODE)
		el = el->parent;
	vs->prev_attr = 0;
	if (sscanf(e->message, "Invalid attribute %127s for element %127s", a, b) == 2) {
		xs_attr_words(el, a, b, out, len);
	} else if (sscanf(e->message, "Type %127s doesn't allow value '%127[^']'", a, b) == 2) {
		if (!xs_type_words(el, b, out, len))
			snprintf(out, len, "'%s' is not a valid %s", b, a);
	} else if (sscanf(e->message, "Element %127s failed to validate attributes", a) == 1) {
		vs->prev_attr = was_attr;
		if (was_attr)
			return 0;
		snprintf(out, len, "<%s> lacks a required attribute or has one it may not "
		    "(see mailgate-policy(5))", a);
		return 1;
	} else if (sscanf(e->message, "Did not expect element %127s there", a) == 1) {
		snprintf(out, len, "<%s> is not allowed here", a);
		return 1;
	} else if (sscanf(e->message, "Expecting element %127[^,], got %127s", a, b) == 2) {
		snprintf(out, len, "<%s> is not allowed here; <%s> was expected", b, a);
		return 1;
	} else {
		xmlsafe_msg(e->message, out, len);
		return 1;
	}
	vs->prev_attr = 1;
	for (i = vs->first; i < vs->d->n; i++)
		if (vs->d->items[i].line == line && strcmp(vs->d->items[i].text, out) == 0)
			return 0;
	return 1;
}

static void
xmlsafe_verror(void *data, xmlErrorPtr e)
{
	struct xmlsafe_vstate *vs = data;
	long line = e->line;
	char msg[512];

	if (line <= 0 && e->node != NULL)
		line = xmlGetLineNo((xmlNodePtr)e->node);
	if (line < 0)
		line = 0;
	if (xs_words_for(vs, e, line, msg, sizeof(msg)))
		diag_add(vs->d, DIAG_ERROR, vs->file, line, "%s", msg);
}

int
xmlsafe_validate(xmlDocPtr doc, const char *schema_path, const char *file, struct diag *d)
{
	struct xmlsafe_vstate vs = { d, file, d->n, 0 };
	xmlRelaxNGParserCtxtPtr pctxt;
	xmlRelaxNGValidCtxtPtr vctxt;
	xmlRelaxNGPtr schema;
	size_t before = d->nerrors;
	int rc;

	pctxt = xmlRelaxNGNewParserCtxt(schema_path);
	if (pctxt == NULL) {
		diag_add(d, DIAG_ERROR, schema_path, 0, "cannot read the schema");
		return -1;
	}
	xmlRelaxNGSetParserStructuredErrors(pctxt, xmlsafe_squiet, NULL);
	schema = xmlRelaxNGParse(pctxt);
	xmlRelaxNGFreeParserCtxt(pctxt);
	if (schema == NULL) {
		diag_add(d, DIAG_ERROR, schema_path, 0, "the schema does not load");
		return -1;
	}
	vctxt = xmlRelaxNGNewValidCtxt(schema);
	xmlRelaxNGSetValidStructuredErrors(vctxt, xmlsafe_verror, &vs);
	rc = xmlRelaxNGValidateDoc(vctxt, doc);
	xmlRelaxNGFreeValidCtxt(vctxt);
	xmlRelaxNGFree(schema);
	if (rc != 0 && d->nerrors == before)
		diag_add(d, DIAG_ERROR, file, 0, "the document does not follow the schema");
	return rc == 0 ? 0 : -1;
}

char *
xmlsafe_attr(xmlNodePtr n, const char *name)
{
	return (char *)xmlGetNoNsProp(n, (const xmlChar *)name);
}

int
xmlsafe_is(xmlNodePtr n, const char *ns, const char *name)
{
	if (n == NULL || n->type != XML_ELEMENT_NODE)
		return 0;
	if (strcmp((const char *)n->name, name) != 0)
		return 0;
	if (ns == NULL)
		return 1;
	return n->ns != NULL && strcmp((const char *)n->ns->href, ns) == 0;
}
