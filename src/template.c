/*
 * template - loads the standard forms (XML, urn:mailgate:template:1) and
 * prints them blank; see include/template.h. Checking a message against a
 * form is src/tplcheck.c.
 *
 * A template is read with xmlsafe (no DTD, no entity, no network),
 * validated against template.rng, then checked for what a schema cannot
 * say: field names unique (case-insensitive, white space collapsed), at
 * most one notice field and of type date, min-words only on text fields.
 */
#include "template.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "util.h"
#include "xmlsafe.h"

#define TPL_NS "urn:mailgate:template:1"

#ifndef PKGDATADIR
#define PKGDATADIR "/usr/share/mailgate"
#endif
/* The installed schemas; the build tree and the tests name theirs in MAILGATE_SCHEMA_DIR. */
const char *
template_schema_dir(void)
{
	const char *env = getenv("MAILGATE_SCHEMA_DIR");

	if (env && *env)
		return env;
	return PKGDATADIR "/schema";
}

static int
tpl_id_ok(const char *id)
{
	size_t n = 0;

	for (; id[n]; n++)
		if (!((id[n] >= 'a' && id[n] <= 'z') || (id[n] >= '0' && id[n] <= '9') ||
		    (id[n] == '-' && n > 0)))
			return 0;
	return n > 0 && n <= 64;
}

static int
tpl_bool(xmlNodePtr n, const char *name)
{
	char *v = xmlsafe_attr(n, name);
	int r = v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);

	xmlFree(v);
	return r;
}

static char *
tpl_text(xmlNodePtr n)
{
	xmlChar *c = xmlNodeGetContent(n);
	char *s = xstrdup(c ? (const char *)c : "");

	xmlFree(c);
	return str_collapse_ws(s);
}

static void
tpl_add_field(struct template *t, xmlNodePtr n, int in_list, const char *file, struct diag *d)
{
	struct tpl_field *f;
	char *v;
	size_t i;

	t->fields = xreallocarray(t->fields, t->nfields + 1, sizeof(*t->fields));
	f = &t->fields[t->nfields++];
	memset(f, 0, sizeof(*f));
	v = xmlsafe_attr(n, "name");
	f->name = str_collapse_ws(xstrdup(v ? v : ""));
	xmlFree(v);
	f->line = xmlGetLineNo(n);
	f->in_list = in_list;
	v = xmlsafe_attr(n, "type");
	f->type = v == NULL || strcmp(v, "text") == 0 ? TPL_TEXT :
	    strcmp(v, "nino") == 0 ? TPL_NINO : TPL_DATE;
	xmlFree(v);
	f->required = tpl_bool(n, "required");
	f->notice = tpl_bool(n, "notice");
	v = xmlsafe_attr(n, "min-words");
	f->min_words = v ? atoi(v) : 0;
	xmlFree(v);
	for (i = 0; i + 1 < t->nfields; i++)
		if (ascii_strcasecmp(t->fields[i].name, f->name) == 0)
			diag_add(d, DIAG_ERROR, file, f->line, "field '%s' is given twice", f->name);
	if (f->min_words && f->type != TPL_TEXT)
		diag_add(d, DIAG_ERROR, file, f->line, "field '%s': min-words applies only to text fields",
		    f->name);
	if (f->notice) {
		if (f->type != TPL_DATE)
			diag_add(d, DIAG_ERROR, file, f->line, "field '%s': the notice field must be a date",
			    f->name);
		if (in_list)
			diag_add(d, DIAG_ERROR, file, f->line, "field '%s': a list field cannot be the notice date",
			    f->name);
		if (t->has_notice)
			diag_add(d, DIAG_ERROR, file, f->line, "only one field may be the notice date");
		t->has_notice = 1;
	}
	if (in_list)
		t->has_list = 1;
}

static void
tpl_walk(struct template *t, xmlNodePtr root, const char *file, struct diag *d)
{
	xmlNodePtr n, m;
	char *v;

	v = xmlsafe_attr(root, "form");
	t->form = xstrdup(v ? v : "");
	xmlFree(v);
	for (n = root->children; n; n = n->next) {
		if (xmlsafe_is(n, TPL_NS, "title"))
			t->title = tpl_text(n);
		else if (xmlsafe_is(n, TPL_NS, "description"))
			t->description = tpl_text(n);
		else if (xmlsafe_is(n, TPL_NS, "field"))
			tpl_add_field(t, n, 0, file, d);
		else if (xmlsafe_is(n, TPL_NS, "list"))
			for (m = n->children; m; m = m->next)
				if (xmlsafe_is(m, TPL_NS, "field"))
					tpl_add_field(t, m, 1, file, d);
	}
	if (t->nfields == 0)
		diag_add(d, DIAG_ERROR, file, 0, "the template has no field");
}

int
template_load_mem(const char *buf, size_t len, const char *name, const char *id,
    struct template **out, struct diag *d)
{
	struct template *t;
	xmlDocPtr doc;
	char err[256], *schema;
	size_t before = d->nerrors;
	long line;

	*out = NULL;
	doc = xmlsafe_read(buf, len, name, err, sizeof(err), &line);
	if (doc == NULL) {
		diag_add(d, DIAG_ERROR, name, line, "%s", err);
		return -1;
	}
	schema = xasprintf("%s/template.rng", template_schema_dir());
	if (xmlsafe_validate(doc, schema, name, d) < 0) {
		free(schema);
		xmlFreeDoc(doc);
		return -1;
	}
	free(schema);
	t = xcalloc(1, sizeof(*t));
	t->id = xstrdup(id);
	t->path = xstrdup(name);
	EVP_Digest(buf, len, t->digest, NULL, EVP_sha256(), NULL);
	tpl_walk(t, xmlDocGetRootElement(doc), name, d);
	xmlFreeDoc(doc);
	if (d->nerrors > before) {
		template_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

int
template_load(const char *template_dir, const char *id, struct template **out, struct diag *d)
{
	char *path, *buf;
	size_t len;
	int rc;

	*out = NULL;
	if (!tpl_id_ok(id)) {
		diag_add(d, DIAG_ERROR, NULL, 0, "'%s' is not a template id ([a-z0-9-])", id);
		return -1;
	}
	path = xasprintf("%s/%s.xml", template_dir, id);
	buf = file_read(path, 1 << 20, &len);
	if (buf == NULL) {
		diag_add(d, DIAG_ERROR, path, 0, "cannot read the template: %s", strerror(errno));
		free(path);
		return -1;
	}
	rc = template_load_mem(buf, len, path, id, out, d);
	free(buf);
	free(path);
	return rc;
}

void
template_free(struct template *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nfields; i++)
		free(t->fields[i].name);
	free(t->fields);
	free(t->id);
	free(t->path);
	free(t->form);
	free(t->title);
	free(t->description);
	free(t);
}

static const char *
tpl_hint(const struct tpl_field *f)
{
	switch (f->type) {
	case TPL_NINO:
		return "National Insurance number with its final letter, e.g. QQ 12 34 56 C";
	case TPL_DATE:
		return "a date, YYYY-MM-DD or D/M/YYYY";
	case TPL_TEXT:
		break;
	}
	return "text";
}

void
template_show(const struct template *t, FILE *fp)
{
	size_t i;
	int first;

	fprintf(fp, "%s (form %s)\n", t->title, t->form);
	if (t->description)
		fprintf(fp, "%s\n", t->description);
	fputs("\nCopy these lines into the body of the message and complete them:\n\n", fp);
	for (i = 0; i < t->nfields; i++)
		if (!t->fields[i].in_list)
			fprintf(fp, "%s: \n", t->fields[i].name);
	if (t->has_list) {
		fputs("Attach the records as one CSV file (UTF-8) whose first row is:\n\n", fp);
		for (i = 0, first = 1; i < t->nfields; i++) {
			if (!t->fields[i].in_list)
				continue;
			fprintf(fp, "%s%s", first ? "" : ",", t->fields[i].name);
			first = 0;
		}
		fputs("\n", fp);
	}
	fputs("\nFields:\n", fp);
	for (i = 0; i < t->nfields; i++) {
		const struct tpl_field *f = &t->fields[i];

		fprintf(fp, "  %s: %s, %s", f->name, f->required ? "required" : "optional",
		    tpl_hint(f));
		if (f->min_words)
			fprintf(fp, ", at least %d words", f->min_words);
		if (f->notice)
			fputs(", the date the notice period is counted to", fp);
		if (f->in_list)
			fputs(" (a CSV column)", fp);
		fputc('\n', fp);
	}
}
