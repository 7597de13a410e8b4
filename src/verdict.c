/*
 * verdict - judges one analysed message under the policy on a given day,
 * and holds the one table of reason codes (code, words for a caseworker,
 * what to do). See include/verdict.h.
 *
 * verdict_judge() is pure: each rule dimension is a small static function
 * that appends its reasons; they run in the interface's table order so that
 * reasons come out in that order. Nothing here fails open: a message with
 * no matching process is unknown-process, never accepted.
 */
#include "verdict.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct vcode_info vcode_table[VC_COUNT] = {
	[VC_MALFORMED_MESSAGE] = { "malformed-message",
	    "The message could not be read completely, so it cannot be checked.",
	    "Write a new message from the standard form, without forwarding or pasting "
	    "unusual content, and put it in the Outbox again.", 0 },
	[VC_MESSAGE_TOO_LARGE] = { "message-too-large",
	    "The message is larger than the policy allows.",
	    "Remove everything that is not part of the form and put it in the Outbox again.", 0 },
	[VC_UNKNOWN_PROCESS] = { "unknown-process",
	    "The subject does not name a process approved for email, or the process is "
	    "no longer approved.",
	    "Use the standard subject of the form exactly as the template gives it. "
	    "Email may be used only for the approved processes; use the clerical route "
	    "for anything else.", 0 },
	[VC_NO_RECIPIENT] = { "no-recipient",
	    "The message has no recipient.",
	    "Address it to the department's inbox for this process or to an approved "
	    "sub-contractor.", 0 },
	[VC_TOO_MANY_RECIPIENTS] = { "too-many-recipients",
	    "The message has more recipients than the policy allows.",
	    "Send the form only to the inbox that takes it; write one message per "
	    "recipient if several must have it.", 0 },
	[VC_RECIPIENT_NOT_APPROVED] = { "recipient-not-approved",
	    "A recipient is not approved to receive this form by email today.",
	    "Send the form only to the department's inbox for this process or to a "
	    "sub-contractor approved for this process. Ask your compliance team if you "
	    "believe the recipient should be approved.", 0 },
	[VC_OFFSHORE_RECIPIENT] = { "offshore-recipient",
	    "A recipient belongs to a sub-contractor with offshore links, which may never "
	    "receive participant data by email.",
	    "Remove that recipient and use the clerical route for this sub-contractor.", 0 },
	[VC_PERSONAL_DATA_IN_SUBJECT] = { "personal-data-in-subject",
	    "The subject contains a National Insurance number.",
	    "Use only the standard subject and put the number in the form.", 0 },
	[VC_TOO_MANY_RECORDS] = { "too-many-records",
	    "The message holds more participants' records than this process allows.",
	    "Send one message per participant.", 0 },
	[VC_NO_RECORD] = { "no-record",
	    "The form needs a National Insurance number and the message has none.",
	    "Fill in the participant's National Insurance number, with its final letter.", 0 },
	[VC_TEMPLATE_INCOMPLETE] = { "template-incomplete",
	    "The standard form is not complete.",
	    "Complete every required field of the standard form (ask for the blank form "
	    "if you need it) and put the message in the Outbox again.", 0 },
	[VC_UNINSPECTABLE_ATTACHMENT] = { "uninspectable-attachment",
	    "An attachment cannot be checked for participant data (for example a PDF, an "
	    "image, an archive or an encrypted file).",
	    "Put the form in the body of the message, or attach it as a Word, OpenDocument, "
	    "CSV or text file.", 0 },
	[VC_LATE_NOTICE] = { "late-notice",
	    "The form was sent with less notice than the process requires.",
	    "Send this form earlier next time; tell your manager if the department must "
	    "be told of the late notice.", 1 },
	[VC_NOT_NORMAL_MODE] = { "not-normal-mode",
	    "Email to the department is stopped for now (clerical or suspended mode).",
	    "Use the clerical route for this form. The message is held and will not be "
	    "sent unless an administrator releases it.", 0 },
	[VC_ALREADY_SENT] = { "already-sent",
	    "A message with the same Message-ID was already sent.",
	    "Look in the Sent folder. If this is a new form, write a new message instead "
	    "of sending a copy again.", 0 },
	[VC_SMTP_PERMANENT] = { "smtp-permanent",
	    "The mail server refused the message.",
	    "Read the server's reply below, correct the address or the content, and put "
	    "a new message in the Outbox.", 0 },
	[VC_UNCERTAIN] = { "uncertain",
	    "The connection to the mail server broke while the message was being sent, so it "
	    "is not known whether it arrived.",
	    "Ask the recipient whether it arrived before sending it again; an administrator "
	    "decides what happens to the held copy.", 0 },
	[VC_ALREADY_CLERICAL] = { "already-clerical",
	    "This form was already handled by the clerical route while email was stopped.",
	    "Do not send it by email as well. If it is a new form, write a new message; "
	    "an administrator can see the clerical copy with mailgatectl clerical list.", 0 },
	[VC_NOT_FROM_DEPARTMENT] = { "not-from-department",
	    "The message did not come from one of the department's inboxes (exact address).",
	    "Read it and decide by hand; it was not forwarded. Delete it from Review once "
	    "actioned.", 0 },
	[VC_UNKNOWN_PARTICIPANT] = { "unknown-participant",
	    "The participant is not in the provider's caseload: perhaps another provider's "
	    "participant (seed paragraph 56).",
	    "Check the case management system; if the participant is not ours, send the "
	    "draft to the Performance Manager.", 0 },
	[VC_WRONG_DETAILS] = { "wrong-details",
	    "The surname on the form differs from the caseload's for that National Insurance "
	    "number (seed paragraph 56).",
	    "Check the participant's details in the case management system; if they are "
	    "wrong on the form, send the draft to the Performance Manager.", 0 },
	[VC_NOT_ENTITLED] = { "not-entitled",
	    "The participant's holder may not receive this process today (no permit that "
	    "day, or offshore).",
	    "Do not forward it; decide with the Supplier Manager how the participant is "
	    "served.", 0 },
	[VC_REVIEW_ROUTE] = { "review-route",
	    "The policy routes this process to staff in Review.",
	    "Action the form by hand and delete it from Review once actioned.", 0 },
	[VC_UNMATCHED_REPORT] = { "unmatched-report",
	    "A delivery report that names no message mailgate sent, or no recipient of it "
	    "that could not be reached.",
	    "Read it: a delay needs nothing done; a report about another message, or "
	    "one mailgate cannot read, is for staff to judge. Delete it from Review once "
	    "actioned.", 0 },
};

const struct vcode_info *
vcode_info(enum vcode c)
{
	if ((unsigned)c >= VC_COUNT)
		return NULL;
	return &vcode_table[c];
}

int
vcode_from_name(const char *name)
{
	int i;

	for (i = 0; i < VC_COUNT; i++)
		if (strcmp(vcode_table[i].code, name) == 0)
			return i;
	return -1;
}

void
verdict_init(struct verdict *v)
{
	memset(v, 0, sizeof(*v));
}

static void
verdict_free_reasons(struct vreason *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(r[i].detail);
	free(r);
}

void
verdict_free(struct verdict *v)
{
	size_t i;

	for (i = 0; i < v->nrcpts; i++)
		free(v->rcpts[i].address);
	free(v->rcpts);
	verdict_free_reasons(v->reasons, v->nreasons);
	verdict_free_reasons(v->warnings, v->nwarnings);
	verdict_init(v);
}

void
verdict_add(struct verdict *v, enum vcode code, const char *detail)
{
	struct vreason **list;
	size_t *n;

	if (vcode_table[code].warning) {
		list = &v->warnings;
		n = &v->nwarnings;
	} else {
		list = &v->reasons;
		n = &v->nreasons;
	}
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	(*list)[*n].code = code;
	(*list)[*n].detail = xstrdup(detail ? detail : "");
	(*list)[*n].rcpt = -1;
	(*n)++;
	v->accept = v->nreasons == 0;
}

static void
verdict_addf(struct verdict *v, enum vcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
verdict_addf(struct verdict *v, enum vcode code, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	verdict_add(v, code, s ? s : "");
	free(s);
}

static const char *
verdict_day(mgday d, char buf[11])
{
	mgday_format(d, buf);
	return buf;
}

/* The process and form, or unknown-process. Returns 1 when known and current. */
static int
verdict_process(const struct policy *p, const struct mime_result *msg, mgday day,
    struct verdict *v)
{
	const struct policy_process *proc = NULL;
	const struct policy_form *form;
	char buf[11];

	form = msg->subject ? policy_match_subject(p, msg->subject, &proc) : NULL;
	if (form == NULL) {
		verdict_add(v, VC_UNKNOWN_PROCESS, msg->subject == NULL ? "the message has no subject"
		    : "the subject does not start with the standard subject of an approved form");
		return 0;
	}
	if (proc->until != MGDAY_NONE && day > proc->until) {
		verdict_addf(v, VC_UNKNOWN_PROCESS, "process withdrawn on %s",
		    verdict_day(proc->until, buf));
		return 0;
	}
	v->process = proc;
	v->form = form;
	return 1;
}

static void
verdict_classify(const struct policy *p, const struct mime_result *msg, mgday day,
    struct verdict *v, struct rcpt_info *infos)
{
	size_t i;

	v->rcpts = xcalloc(msg->nrcpts, sizeof(*v->rcpts));
	v->nrcpts = msg->nrcpts;
	for (i = 0; i < msg->nrcpts; i++) {
		policy_classify(p, msg->rcpts[i], v->process, day, &infos[i]);
		v->rcpts[i].address = ascii_lower(xstrdup(msg->rcpts[i]));
		v->rcpts[i].cls = infos[i].cls;
		v->rcpts[i].org = infos[i].org;
		v->rcpts[i].allowed = v->process != NULL && infos[i].allowed;
	}
}

/* Why a sub-contractor's inbox is not allowed for the process today. */
static void
verdict_permit_detail(const struct policy_subcontractor *sub,
    const struct policy_process *proc, mgday day, struct sbuf *out)
{
	const struct policy_permit *best = NULL;
	char a[11], b[11];
	size_t i;

	for (i = 0; i < sub->npermits; i++)
		if (sub->permits[i].process == proc)
			best = &sub->permits[i];
	if (best == NULL)
		sbuf_printf(out, "%s holds no permit for %s", sub->name ? sub->name : sub->id,
		    proc->id);
	else if (day < best->from)
		sbuf_printf(out, "the permit of %s for %s starts on %s",
		    sub->name ? sub->name : sub->id, proc->id, verdict_day(best->from, a));
	else
		sbuf_printf(out, "the permit of %s for %s ended on %s",
		    sub->name ? sub->name : sub->id, proc->id,
		    verdict_day(best->until, b));
}

static void
verdict_recipients(const struct policy *p, const struct mime_result *msg, mgday day,
    struct verdict *v, const struct rcpt_info *infos)
{
	struct sbuf d;
	size_t i;

	(void)p;
	if (msg->nrcpts == 0) {
		verdict_add(v, VC_NO_RECIPIENT, "the message has no To, Cc or Bcc address");
		return;
	}
	sbuf_init(&d);
	for (i = 0; i < v->nrcpts; i++) {
		if (v->rcpts[i].allowed || infos[i].offshore)
			continue;
		sbuf_reset(&d);
		sbuf_printf(&d, "%s: ", v->rcpts[i].address);
		switch (infos[i].cls) {
		case RCPT_DEPARTMENT:
			sbuf_printf(&d, "this %s inbox does not take %s", infos[i].org,
			    v->process->id);
			break;
		case RCPT_SUBCONTRACTOR:
			verdict_permit_detail(infos[i].sub, v->process, day, &d);
			break;
		case RCPT_INTERNAL:
			sbuf_adds(&d, "internal inboxes do not receive outbound forms");
			break;
		case RCPT_DESIGNATED:
			sbuf_adds(&d, "the designated inbox cannot send to itself");
			break;
		case RCPT_UNKNOWN:
			sbuf_adds(&d, "not a department inbox or an approved sub-contractor");
			break;
		}
		verdict_add(v, VC_RECIPIENT_NOT_APPROVED, d.data);
		v->reasons[v->nreasons - 1].rcpt = (long)i;
	}
	for (i = 0; i < v->nrcpts; i++) {
		if (!infos[i].offshore)
			continue;
		sbuf_reset(&d);
		sbuf_printf(&d, "%s: %s is marked offshore", v->rcpts[i].address,
		    infos[i].sub && infos[i].sub->name ? infos[i].sub->name : infos[i].org);
		verdict_add(v, VC_OFFSHORE_RECIPIENT, d.data);
		v->reasons[v->nreasons - 1].rcpt = (long)i;
	}
	sbuf_free(&d);
}

static void
verdict_subject(const struct mime_result *msg, struct verdict *v)
{
	if (msg->subject_records > 0)
		verdict_add(v, VC_PERSONAL_DATA_IN_SUBJECT,
		    "the subject holds a National Insurance number");
}

static int
verdict_template_needs_nino(const struct template *t)
{
	size_t i;

	for (i = 0; t && i < t->nfields; i++)
		if (t->fields[i].type == TPL_NINO && t->fields[i].required)
			return 1;
	return 0;
}

/* Where the records were found, each place once, in the order found (never the numbers). */
static void
verdict_where(const struct mime_result *msg, struct sbuf *d)
{
	size_t i, j, shown = 0;

	for (i = 0; msg->record_where && i < msg->records.n; i++) {
		if (msg->record_where[i] == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (msg->record_where[j] && strcmp(msg->record_where[j], msg->record_where[i]) == 0)
				break;
		if (j < i)
			continue;
		sbuf_adds(d, shown++ ? ", " : " (found in ");
		sbuf_adds(d, msg->record_where[i]);
	}
	if (shown)
		sbuf_addc(d, ')');
}

static void
verdict_records(const struct mime_result *msg, struct verdict *v)
{
	const struct policy_process *proc = v->process;

	if (v->records > (size_t)proc->max_records) {
		struct sbuf d;

		sbuf_init(&d);
		sbuf_printf(&d, "%zu participant record%s; %s allows at most %d", v->records,
		    v->records == 1 ? "" : "s", proc->id, proc->max_records);
		verdict_where(msg, &d);
		verdict_add(v, VC_TOO_MANY_RECORDS, d.data);
		sbuf_free(&d);
	}
	if (v->records == 0 && verdict_template_needs_nino(v->form->tpl))
		verdict_add(v, VC_NO_RECORD, "no National Insurance number was found");
}

static void
verdict_template(const struct mime_result *msg, mgday day, struct verdict *v)
{
	struct tpl_text body, *docs, *csvs;
	struct tpl_result res;
	size_t i;
	char buf[11];

	if (v->form->tpl == NULL)
		return;
	body.name = NULL;
	body.text = msg->body.text;
	body.len = msg->body.len;
	docs = xcalloc(msg->ndocs, sizeof(*docs));
	for (i = 0; i < msg->ndocs; i++) {
		docs[i].name = msg->docs[i].name;
		docs[i].text = msg->docs[i].text;
		docs[i].len = msg->docs[i].len;
	}
	csvs = xcalloc(msg->ncsvs, sizeof(*csvs));
	for (i = 0; i < msg->ncsvs; i++) {
		csvs[i].name = msg->csvs[i].name;
		csvs[i].text = msg->csvs[i].text;
		csvs[i].len = msg->csvs[i].len;
	}
	memset(&res, 0, sizeof(res));
	res.notice = MGDAY_NONE;
	template_check(v->form->tpl, msg->body.text ? &body : NULL, docs, msg->ndocs,
	    csvs, msg->ncsvs, &res);
	for (i = 0; i < res.nproblems; i++)
		verdict_add(v, VC_TEMPLATE_INCOMPLETE, res.problems[i].detail);
	if (v->process->min_notice_days >= 0 && res.notice != MGDAY_NONE &&
	    res.notice - day < v->process->min_notice_days)
		verdict_addf(v, VC_LATE_NOTICE, "%s is %ld day(s) from today; %d are required",
		    verdict_day(res.notice, buf), (long)(res.notice - day),
		    v->process->min_notice_days);
	tpl_result_free(&res);
	free(docs);
	free(csvs);
}

static void
verdict_attachments(const struct mime_result *msg, struct verdict *v)
{
	size_t i;

	for (i = 0; i < msg->nuninspectable; i++)
		verdict_add(v, VC_UNINSPECTABLE_ATTACHMENT, msg->uninspectable[i]);
}

int
verdict_size_exceeds(const struct policy *p, size_t crlf_size)
{
	return p->max_message_bytes >= 0 && crlf_size > (size_t)p->max_message_bytes;
}

void
verdict_too_large_result(size_t crlf_size, struct mime_result *out)
{
	mime_result_free(out);
	out->status = MIME_TOO_LARGE;
	out->size = crlf_size;
}

/*
 * Reasons must come out in table order, but the template check also yields
 * the late-notice warning; warnings are kept apart, so running the checks in
 * table order is enough.
 */
void
verdict_judge(const struct policy *p, const struct mime_result *msg, mgday day,
    struct verdict *v)
{
	struct rcpt_info *infos;
	int known;

	v->accept = 0;
	/* too large first: such a message may not have been parsed at all */
	if (msg->status == MIME_TOO_LARGE || verdict_size_exceeds(p, msg->size)) {
		verdict_addf(v, VC_MESSAGE_TOO_LARGE,
		    "the message is %zu bytes with CRLF line endings; the policy allows %ld",
		    msg->size, p->max_message_bytes);
		return;
	}
	if (msg->status == MIME_MALFORMED) {
		verdict_add(v, VC_MALFORMED_MESSAGE, msg->detail);
		return;
	}
	if (msg->status != MIME_OK)
		util_panic("a message analysis with status %d", (int)msg->status);
	v->records = msg->records.n;
	known = verdict_process(p, msg, day, v);
	infos = xcalloc(msg->nrcpts, sizeof(*infos));
	verdict_classify(p, msg, day, v, infos);
	if (known && msg->nrcpts > (size_t)p->max_recipients)
		verdict_addf(v, VC_TOO_MANY_RECIPIENTS, "%zu distinct recipients; the policy allows %ld",
		    msg->nrcpts, p->max_recipients);
	else if (known)
		verdict_recipients(p, msg, day, v, infos);
	verdict_subject(msg, v);
	if (known) {
		verdict_records(msg, v);
		verdict_template(msg, day, v);
	}
	verdict_attachments(msg, v);
	free(infos);
	v->accept = v->nreasons == 0;
}


/* Details may hold bytes from the message: keep the human form one line each. */
static void
verdict_print_line(FILE *fp, const char *code, const char *detail)
{
	const unsigned char *s;

	fprintf(fp, "%s: ", code);
	for (s = (const unsigned char *)detail; *s; s++)
		fputc(*s < 0x20 || *s == 0x7f ? ' ' : *s, fp);
	fputc('\n', fp);
}

void
verdict_print_human(const struct verdict *v, FILE *fp)
{
	size_t i;

	fprintf(fp, "%s %s\n", v->accept ? "accept" : "reject",
	    v->process ? v->process->id : "-");
	for (i = 0; i < v->nreasons; i++)
		verdict_print_line(fp, vcode_table[v->reasons[i].code].code, v->reasons[i].detail);
	for (i = 0; i < v->nwarnings; i++)
		verdict_print_line(fp, vcode_table[v->warnings[i].code].code, v->warnings[i].detail);
}

static void
verdict_json_reasons(struct sbuf *b, const struct vreason *r, size_t n)
{
	size_t i;

	sbuf_addc(b, '[');
	for (i = 0; i < n; i++) {
		sbuf_adds(b, i ? ", {\"code\": " : "{\"code\": ");
		json_add_string(b, vcode_table[r[i].code].code);
		sbuf_adds(b, ", \"detail\": ");
		json_add_string(b, r[i].detail);
		sbuf_addc(b, '}');
	}
	sbuf_addc(b, ']');
}

void
verdict_print_json(const struct verdict *v, FILE *fp)
{
	struct sbuf b;
	size_t i;

	sbuf_init(&b);
	sbuf_printf(&b, "{\"verdict\": \"%s\", \"process\": ", v->accept ? "accept" : "reject");
	json_add_string(&b, v->process ? v->process->id : NULL);
	sbuf_printf(&b, ", \"records\": %zu, \"recipients\": [", v->records);
	for (i = 0; i < v->nrcpts; i++) {
		sbuf_adds(&b, i ? ", {\"address\": " : "{\"address\": ");
		json_add_string(&b, v->rcpts[i].address);
		sbuf_adds(&b, ", \"class\": ");
		json_add_string(&b, rcpt_class_name(v->rcpts[i].cls));
		sbuf_adds(&b, ", \"org\": ");
		json_add_string(&b, v->rcpts[i].org);
		sbuf_printf(&b, ", \"allowed\": %s}", v->rcpts[i].allowed ? "true" : "false");
	}
	sbuf_adds(&b, "], \"reasons\": ");
	verdict_json_reasons(&b, v->reasons, v->nreasons);
	sbuf_adds(&b, ", \"warnings\": ");
	verdict_json_reasons(&b, v->warnings, v->nwarnings);
	sbuf_adds(&b, "}\n");
	fwrite(b.data, 1, b.len, fp);
	sbuf_free(&b);
}

void
verdict_codes(const struct verdict *v, struct sbuf *out)
{
	size_t i;

	for (i = 0; i < v->nreasons; i++) {
		if (out->len)
			sbuf_addc(out, ' ');
		sbuf_adds(out, vcode_table[v->reasons[i].code].code);
	}
	for (i = 0; i < v->nwarnings; i++) {
		if (out->len)
			sbuf_addc(out, ' ');
		sbuf_adds(out, vcode_table[v->warnings[i].code].code);
	}
}
