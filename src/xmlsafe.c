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
#include <string.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/xmlerror.h>

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
};

static void
xmlsafe_verror(void *data, xmlErrorPtr e)
{
	struct xmlsafe_vstate *vs = data;
	char msg[512];

	xmlsafe_msg(e->message, msg, sizeof(msg));
	diag_add(vs->d, DIAG_ERROR, vs->file, e->line, "%s", msg);
}

int
xmlsafe_validate(xmlDocPtr doc, const char *schema_path, const char *file, struct diag *d)
{
	struct xmlsafe_vstate vs = { d, file };
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
