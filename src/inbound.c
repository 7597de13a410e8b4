/*
 * inbound - what becomes of a message of the department: the rules of
 * interface "Inbound mail", one small function each, applied in order; the
 * first that decides wins. Pure (see include/inbound.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inbound.h"
#include "template.h"
#include "util.h"

/* A rule: 1 decided, 0 not this rule's case, -1 the caseload is unreadable. */
struct ib_ctx {
	const struct policy *p;
	const struct mime_result *mr;
	mgday day;
	int mode_normal;
	const struct ib_caseload *cl;
	struct verdict v;		/* the outbound verdict: process, records, analysis */
	struct ib_decision *dec;
};

static int ib_review(struct ib_ctx *c, enum vcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int ib_review(struct ib_ctx *c, enum vcode code, const char *fmt, ...)
{
	va_list ap;

	c->dec->action = IB_REVIEW;
	c->dec->code = code;
	c->dec->draft = code == VC_UNKNOWN_PARTICIPANT || code == VC_WRONG_DETAILS;
	va_start(ap, fmt);
	vsnprintf(c->dec->detail, sizeof(c->dec->detail), fmt, ap);
	va_end(ap);
	return 1;
}

static int ib_has_reason(const struct verdict *v, enum vcode code)
{
	size_t i;

	for (i = 0; i < v->nreasons; i++)
		if (v->reasons[i].code == code)
			return 1;
	return 0;
}

/* The analysis could not read the whole message (or it is over the size limit). */
static int ib_rule_malformed(struct ib_ctx *c)
{
	if (ib_has_reason(&c->v, VC_MALFORMED_MESSAGE) || ib_has_reason(&c->v, VC_MESSAGE_TOO_LARGE))
		return ib_review(c, VC_MALFORMED_MESSAGE, "the message could not be read completely");
	return 0;
}

/* A delivery report comes from any server: matched with the log, not judged as a form. */
static int ib_rule_report(struct ib_ctx *c)
{
	if (!c->mr->report.is_dsn)
		return 0;
	c->dec->action = IB_REPORT;
	return 1;
}

/* Only a department inbox, by exact address, is the department. */
static int ib_rule_sender(struct ib_ctx *c)
{
	struct rcpt_info ri;

	if (c->mr->from != NULL) {
		policy_classify(c->p, c->mr->from, NULL, c->day, &ri);
		if (ri.cls == RCPT_DEPARTMENT)
			return 0;
	}
	return ib_review(c, VC_NOT_FROM_DEPARTMENT, "the sender is not a department inbox");
}

/* ¶61-63: the department's suspension and re-introduction notices. */
static int ib_rule_notices(struct ib_ctx *c)
{
	size_t i;

	if (c->mr->subject == NULL)
		return 0;
	for (i = 0; i < c->p->ndepartments; i++) {
		const struct policy_department *d = &c->p->departments[i];

		if (d->suspension_subject && policy_subject_is(c->mr->subject, d->suspension_subject)) {
			c->dec->action = IB_SUSPEND;
			snprintf(c->dec->detail, sizeof(c->dec->detail), "suspension notice from %s",
			    c->mr->from);
			return 1;
		}
		if (d->reintroduction_subject &&
		    policy_subject_is(c->mr->subject, d->reintroduction_subject)) {
			c->dec->action = IB_REINTRODUCE;
			snprintf(c->dec->detail, sizeof(c->dec->detail), "re-introduction notice from %s",
			    c->mr->from);
			return 1;
		}
	}
	return 0;
}

static int ib_rule_process(struct ib_ctx *c)
{
	if (c->v.process == NULL)
		return ib_review(c, VC_UNKNOWN_PROCESS, "no approved form's subject matches");
	c->dec->process = c->v.process;
	c->dec->form = c->v.form;
	if (c->v.process->inbound == POLICY_INBOUND_REVIEW)
		return ib_review(c, VC_REVIEW_ROUTE, "%s is routed to Review", c->v.process->id);
	return 0;
}

static int ib_rule_uninspectable(struct ib_ctx *c)
{
	if (c->mr->nuninspectable > 0)
		return ib_review(c, VC_UNINSPECTABLE_ATTACHMENT, "%zu part(s) cannot be read for "
		    "records", c->mr->nuninspectable);
	return 0;
}

/* ¶53: one participant record at most; the caseload route needs exactly one. */
static int ib_rule_records(struct ib_ctx *c)
{
	if (c->mr->records.n > 1)
		return ib_review(c, VC_TOO_MANY_RECORDS, "%zu participant records; a forward may "
		    "carry one", c->mr->records.n);
	if (c->mr->records.n == 0 && c->v.process->inbound == POLICY_INBOUND_CASELOAD)
		return ib_review(c, VC_NO_RECORD, "no National Insurance number was found");
	return 0;
}

/* Nothing is forwarded outside normal mode (interface "Outages ..."). */
static int ib_rule_mode(struct ib_ctx *c)
{
	if (!c->mode_normal)
		return ib_review(c, VC_NOT_NORMAL_MODE, "mailgate is not in normal mode");
	return 0;
}

static int ib_add_to(struct ib_decision *d, const char *addr)
{
	if (d->nto >= IB_MAX_TO)
		return -1;
	d->to[d->nto++] = addr;
	return 0;
}

/* The internal inboxes that receive the process. */
static int ib_route_internal(struct ib_ctx *c)
{
	size_t i, k;

	c->dec->cls = RCPT_INTERNAL;
	c->dec->org = NULL;
	for (i = 0; i < c->p->ninternal; i++) {
		const struct policy_internal_inbox *ii = &c->p->internal_inboxes[i];
		int takes = ii->all;

		for (k = 0; k < ii->nprocesses && !takes; k++)
			takes = ii->processes[k] == c->dec->process;
		if (takes && ib_add_to(c->dec, c->p->internal[i]) < 0)
			return ib_review(c, VC_REVIEW_ROUTE, "more internal inboxes than mailgate "
			    "forwards to (%d)", IB_MAX_TO);
	}
	if (c->dec->nto == 0)
		return ib_review(c, VC_REVIEW_ROUTE, "no internal inbox receives %s",
		    c->dec->process->id);
	c->dec->action = IB_FORWARD;
	return 1;
}

static const struct policy_subcontractor *ib_sub(const struct policy *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->nsubcontractors; i++)
		if (strcmp(p->subcontractors[i].id, id) == 0)
			return &p->subcontractors[i];
	return NULL;
}

/* The holder's inboxes, each judged as an outbound recipient on the day. */
static int ib_route_sub(struct ib_ctx *c, const char *holder)
{
	const struct policy_subcontractor *s = ib_sub(c->p, holder);
	struct rcpt_info ri;
	size_t i;

	if (s == NULL)
		return ib_review(c, VC_NOT_ENTITLED, "the caseload's holder is not in the policy");
	c->dec->cls = RCPT_SUBCONTRACTOR;
	c->dec->org = s->id;
	for (i = 0; i < s->ninboxes; i++) {
		policy_classify(c->p, s->inboxes[i], c->dec->process, c->day, &ri);
		if (ri.offshore)
			return ib_review(c, VC_NOT_ENTITLED, "%s is offshore", s->id);
		if (ri.allowed && ib_add_to(c->dec, s->inboxes[i]) < 0)
			return ib_review(c, VC_NOT_ENTITLED, "%s has more inboxes than mailgate "
			    "forwards to (%d)", s->id, IB_MAX_TO);
	}
	if (c->dec->nto == 0)
		return ib_review(c, VC_NOT_ENTITLED, "%s holds no permit for %s on that day", s->id,
		    c->dec->process->id);
	c->dec->action = IB_FORWARD;
	return 1;
}

/*
 * The form's surname: the value of the template's first field whose name
 * says surname, read where and as template_check() reads the fields (the
 * body, else the one attached document that has them).
 */
static char *ib_form_surname(const struct ib_ctx *c)
{
	const struct template *t = c->dec->form ? c->dec->form->tpl : NULL;
	struct tpl_text body = { NULL, c->mr->body.text, c->mr->body.len }, *docs;
	char **vals, *surname = NULL;
	size_t i;

	if (t == NULL)
		return NULL;
	docs = xcalloc(c->mr->ndocs ? c->mr->ndocs : 1, sizeof(*docs));
	for (i = 0; i < c->mr->ndocs; i++)
		docs[i] = (struct tpl_text){ c->mr->docs[i].name, c->mr->docs[i].text,
		    c->mr->docs[i].len };
	vals = template_values(t, c->mr->body.text ? &body : NULL, docs, c->mr->ndocs);
	for (i = 0; i < t->nfields && surname == NULL; i++)
		if (strcasestr(t->fields[i].name, "surname") != NULL && vals[i] && *vals[i])
			surname = xstrdup(vals[i]);
	strv_free(vals, t->nfields);
	free(docs);
	return surname;
}

/* ¶56: the participant must be ours, with the details we hold. */
static int ib_route_caseload(struct ib_ctx *c)
{
	struct cl_hit hit;
	char *surname = ib_form_surname(c);
	int rc = c->cl->lookup(c->cl->ctx, c->mr->records.v[0].s, surname, &hit);

	free(surname);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return ib_review(c, VC_UNKNOWN_PARTICIPANT, "the participant is not in the caseload");
	if (hit.surname == CL_SURNAME_DIFFERS)
		return ib_review(c, VC_WRONG_DETAILS, "the form's surname is not the caseload's "
		    "for that number");
	if (strcmp(hit.holder, CASELOAD_INTERNAL) == 0)
		return ib_route_internal(c);
	return ib_route_sub(c, hit.holder);
}

int inbound_judge(const struct policy *p, const struct mime_result *mr, mgday day,
    int mode_normal, const struct ib_caseload *cl, struct ib_decision *dec)
{
	static int (*const rules[])(struct ib_ctx *) = {
		ib_rule_malformed, ib_rule_report, ib_rule_sender, ib_rule_notices, ib_rule_process,
		ib_rule_uninspectable, ib_rule_records, ib_rule_mode,
	};
	struct ib_ctx c = { p, mr, day, mode_normal, cl, { 0 }, dec };
	size_t i;
	int rc = 0;

	memset(dec, 0, sizeof(*dec));
	dec->code = VC_COUNT;
	dec->cls = RCPT_UNKNOWN;
	verdict_init(&c.v);
	verdict_judge(p, mr, day, &c.v);
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]) && rc == 0; i++)
		rc = rules[i](&c);
	if (rc == 0)
		rc = dec->process->inbound == POLICY_INBOUND_CASELOAD ? ib_route_caseload(&c) :
		    ib_route_internal(&c);
	verdict_free(&c.v);
	return rc < 0 ? -1 : 0;
}

int inbound_caseload_lookup(void *ctx, const char stem[NINO_STEM_LEN], const char *surname,
    struct cl_hit *hit)
{
	return caseload_lookup(ctx, stem, surname, hit);
}
