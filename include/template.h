/*
 * template - the department's standard forms: loading their XML
 * (urn:mailgate:template:1), printing the blank form, and checking that a
 * message completes one.
 *
 * Loading follows the same rules as the policy (schema in policies/, no DTD,
 * no entities, no network); problems go to a struct diag with file and line.
 *
 * Checking is pure: template_check() gets the decoded texts of the message
 * (from mime) and the judging day, and reports one problem per field that is
 * missing, empty or invalid, plus the notice date when the form has one.
 * Where fields are read (interface, "Templates"): the body text; if no line
 * of the body names a field, the one attached document that has them; never
 * both. List forms take their rows from exactly one CSV attachment.
 */
#ifndef MG_TEMPLATE_H
#define MG_TEMPLATE_H

#include <stddef.h>
#include <stdio.h>

#include "diag.h"
#include "mgdate.h"

enum tpl_ftype { TPL_TEXT, TPL_NINO, TPL_DATE };

struct tpl_field {
	char *name;
	enum tpl_ftype type;
	int required;
	int min_words;		/* text only; 0 = none */
	int notice;		/* the date min-notice-days is measured to */
	int in_list;		/* inside <list>: a CSV column */
	long line;
};

struct template {
	char *id;		/* file name without .xml */
	char *path;
	char *form;		/* form code, e.g. WHP07 */
	char *title;
	char *description;	/* optional guidance printed by template show */
	struct tpl_field *fields;
	size_t nfields;
	int has_list;
	int has_notice;
	unsigned char digest[32];	/* SHA-256 of the file, for the policy version */
};

/*
 * Loads template_dir/ID.xml. Returns 0 and *out, or -1 with errors in d.
 * The id must be [a-z0-9-]+ (it names a file).
 */
int template_load(const char *template_dir, const char *id, struct template **out,
    struct diag *d);
/* The same from bytes already read (name is used in diagnostics). */
int template_load_mem(const char *buf, size_t len, const char *name, const char *id,
    struct template **out, struct diag *d);
/* Where the RelaxNG schemas are: $MAILGATE_SCHEMA_DIR (the build tree, tests),
 * else the installed copy, PKGDATADIR/schema; never the build folder. */
const char *template_schema_dir(void);
void template_free(struct template *t);

/* Prints the blank form for staff to copy. */
void template_show(const struct template *t, FILE *fp);

/* One decoded text a field may be read from. */
struct tpl_text {
	const char *name;	/* file name, or NULL for the body */
	const char *text;	/* UTF-8 */
	size_t len;
};

struct tpl_problem {
	char *detail;		/* e.g. "Next steps: fewer than 50 words" */
};

struct tpl_result {
	struct tpl_problem *problems;	/* each becomes one template-incomplete */
	size_t nproblems;
	mgday notice;			/* MGDAY_NONE unless a valid notice date was read */
	const char *source;		/* where fields were read: NULL body, else file name */
};

/*
 * Checks the form against the message's texts: body (the plain part or the
 * rendered HTML; may be NULL), docs (attached documents and text files that
 * may hold the fields), csvs (attachments recognised as CSV).
 */
void template_check(const struct template *t, const struct tpl_text *body,
    const struct tpl_text *docs, size_t ndocs, const struct tpl_text *csvs,
    size_t ncsvs, struct tpl_result *out);
void tpl_result_free(struct tpl_result *r);

/*
 * The values of the form's fields outside the list, in template order, read
 * from the same place template_check() reads them (NULL each absent; the
 * array has nfields entries); for clerical copies. Free with strv_free.
 */
char **template_values(const struct template *t, const struct tpl_text *body,
    const struct tpl_text *docs, size_t ndocs);

#endif
