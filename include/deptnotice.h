/*
 * deptnotice - the provider's two notices to the department (seed ¶59, ¶60):
 * that email is down and the clerical route is in use (an outage of 48 hours
 * or more, or expected), and that email will be used again. Drafted from
 * template_dir/notice-outage.txt and notice-return.txt, which admins may
 * edit; printed by "mailgatectl mode clerical", "mode resume" and "clerical
 * list" for staff to send by the clerical route.
 *
 * A template is plain UTF-8 text with placeholders {{designated_inbox}},
 * {{reason}}, {{since}} (when the mode began, YYYY-MM-DD HH:MM UTC) and
 * {{today}} (YYYY-MM-DD); any other {{...}} is an error that "policy
 * check" reports with its file and line.
 *
 *	struct dn_fields f = { addr, reason, since, now };
 *	if (deptnotice_draft(cfg->template_dir, DN_OUTAGE, &f, &out, err, sizeof err) < 0) ...
 */
#ifndef MG_DEPTNOTICE_H
#define MG_DEPTNOTICE_H

#include <stddef.h>
#include <time.h>

#include "diag.h"
#include "util.h"

enum dn_kind { DN_OUTAGE, DN_RETURN };

struct dn_fields {
	const char *designated_inbox;
	const char *reason;
	time_t since;
	time_t today;
};

/* "notice-outage.txt" or "notice-return.txt". */
const char *deptnotice_file(enum dn_kind k);
/* Fills the template; 0, -1 with err (missing file, unknown placeholder: FILE:LINE). */
int deptnotice_draft(const char *template_dir, enum dn_kind k, const struct dn_fields *f,
    struct sbuf *out, char *err, size_t errlen);
/* The same on text already read (pure). */
int deptnotice_fill(const char *text, const char *name, const struct dn_fields *f,
    struct sbuf *out, char *err, size_t errlen);
/* policy check: every unknown placeholder of both templates an error, a missing one a warning. */
void deptnotice_check(const char *template_dir, struct diag *d);

#endif
