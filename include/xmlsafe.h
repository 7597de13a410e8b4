/*
 * xmlsafe - the one way mailgate parses XML (policy, templates, the XML
 * parts of Office documents): no network, no DTD (any DOCTYPE is refused
 * before its declarations are read, so no entity is ever defined, let alone
 * expanded), no XInclude, no huge-input mode, line numbers kept.
 *
 *	char err[256]; long line;
 *	xmlDocPtr doc = xmlsafe_read(buf, len, "policy.xml", err, sizeof err, &line);
 *	if (!doc) ... err holds one line, line the line it names (0 if none)
 *	xmlsafe_validate(doc, schema_path, file, &diag);   RelaxNG, errors with lines
 *	xmlFreeDoc(doc);
 */
#ifndef MG_XMLSAFE_H
#define MG_XMLSAFE_H

#include <stddef.h>

#include <libxml/tree.h>

#include "diag.h"

xmlDocPtr xmlsafe_read(const char *buf, size_t len, const char *name, char *err,
    size_t errlen, long *line);
/* 0 valid, -1 with one error per violation (file and line) added to d. */
int xmlsafe_validate(xmlDocPtr doc, const char *schema_path, const char *file, struct diag *d);

/* Attribute value (owned by the caller, free with xmlFree) or NULL. */
char *xmlsafe_attr(xmlNodePtr n, const char *name);
/* 1 when n is an element with this local name in namespace ns. */
int xmlsafe_is(xmlNodePtr n, const char *ns, const char *name);

#endif
