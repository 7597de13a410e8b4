/*
 * inbound_flow - one INBOX message from judging to forwarded-and-deleted or
 * Review, over its journey (direction JR_IN; see include/inbound.h and
 * include/journey.h).
 *
 * The order of the steps is the guarantee: the intent is durable before
 * MAIL FROM and DATA before the DATA command, so a journey found at DATA
 * after a failure may have been forwarded and is never forwarded again (it
 * goes to Review as uncertain); the forward rows are written with LOGGED
 * in one transaction before the original is deleted from INBOX; a Review
 * notice is appended only when Review has none for that Message-ID.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "inbound.h"
#include "mode.h"
#include "rewrite.h"
#include "util.h"

#define IB_MAX_DETAIL 512

struct ib_msg {
	struct ob_item it;
	char *raw;
	size_t rawlen;
	struct mime_result mr;
	struct ib_decision dec;
	char *msgid;		/* the original's Message-ID (or the derived one) */
	struct sbuf out;	/* the forward's bytes */
	struct journey j;
};

static void ib_msg_init(struct ib_msg *m, const struct ob_item *it)
{
	memset(m, 0, sizeof(*m));
	m->it = *it;
	mime_result_init(&m->mr);
	sbuf_init(&m->out);
	m->j.code = -1;
}

static void ib_msg_free(struct ib_msg *m)
{
	free(m->raw);
	mime_result_free(&m->mr);
	free(m->msgid);
	sbuf_free(&m->out);
	journey_clear(&m->j);
}

static void ib_say(struct ib_env *e, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void ib_say(struct ib_env *e, int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (e->ob->logline != NULL)
		e->ob->logline(e->ob->log_ctx, prio, line);
	else
		fprintf(stderr, "<%d>%s\n", prio, line);
}

static int ib_step(struct ib_env *e, struct ib_msg *m, enum jr_stage to, enum jr_fate fate)
{
	char err[512];

	if (journey_advance(e->ob->jr, &m->j, to, fate, err, sizeof(err)) == 0)
		return 0;
	ib_say(e, 3, "%s; inbound message-id=<%s>", err, m->msgid);
	return -1;
}

static void ib_backoff_key(const struct ib_msg *m, char key[24])
{
	/* INBOX and Outbox UIDs are counted apart: the keys must not meet */
	snprintf(key, 24, "in:%u", m->it.uid);
}

/* The standard subject of the message (never the sender's own text). */
static const char *ib_subject(const struct ib_msg *m)
{
	return m->dec.form ? m->dec.form->subject : "a message from the department";
}

/* ---- the log ------------------------------------------------------------ */

/* Forwarded: one row per inbox, direction forward; else one row, direction in. */
static int ib_log(struct ib_env *e, struct ib_msg *m, enum jr_fate step)
{
	enum jr_fate fate = step == JF_PENDING ? m->j.fate : step;
	size_t i, n = fate == JF_FORWARDED && m->dec.nto ? m->dec.nto : 1;
	struct sendlog_row *r = xcalloc(n ? n : 1, sizeof(*r));
	const char *reason = m->j.code >= 0 ? vcode_info((enum vcode)m->j.code)->code : NULL;
	char err[512];
	int rc;

	for (i = 0; i < n; i++) {
		r[i].time = e->ob->now();
		r[i].kind = "message";
		r[i].direction = fate == JF_FORWARDED ? "forward" : "in";
		r[i].process = m->dec.process ? m->dec.process->id : NULL;
		if (fate == JF_FORWARDED && m->dec.nto) {
			r[i].recipient = m->dec.to[i];
			r[i].rclass = rcpt_class_name(m->dec.cls);
			r[i].org = m->dec.org;
		}
		r[i].outcome = fate == JF_FORWARDED ? "sent" : fate == JF_UNCERTAIN ? "uncertain" :
		    "review";
		r[i].records = (int)m->mr.records.n;
		r[i].message_id = m->msgid;
		r[i].reasons = fate == JF_FORWARDED ? NULL : reason;
		r[i].submitted_by = m->mr.from;
		r[i].policy_version = e->ob->policy_version;
		r[i].detail = m->j.reply;
		r[i].persons = m->mr.records.v;
		r[i].npersons = m->mr.records.n;
	}
	rc = journey_log(e->ob->jr, &m->j, step, r, n, err, sizeof(err));
	free(r);
	if (rc < 0)
		ib_say(e, 3, "send log write failed: %s; inbound message-id=<%s> stays in %s", err,
		    m->msgid, e->ob->cfg->inbox_folder);
	return rc;
}

/* ---- the Review notice -------------------------------------------------- */

/* The notice beside a message in Review; a draft to the PM for ¶56's cases. */
static void ib_notice_build(struct ib_env *e, const struct ib_msg *m, struct sbuf *b)
{
	enum vcode code = m->j.code >= 0 ? (enum vcode)m->j.code : VC_REVIEW_ROUTE;
	const struct vcode_info *vi = vcode_info(code);
	const struct policy *p = e->ob->pol;
	int draft = (code == VC_UNKNOWN_PARTICIPANT || code == VC_WRONG_DETAILS) && p->pm_address;
	char date[64], *subj;

	rewrite_date(e->ob->now(), date, sizeof(date));
	sbuf_adds(b, "From: ");
	rewrite_add_mailbox(b, "mailgate", p->designated_address);
	sbuf_adds(b, "\r\n");
	if (draft) {
		sbuf_adds(b, "To: ");
		rewrite_add_mailbox(b, p->pm_name ? p->pm_name : "", p->pm_address);
		sbuf_adds(b, "\r\n");
	}
	subj = xasprintf("%s: %s", draft ? "Participant query" : "Review", ib_subject(m));
	rewrite_add_text_field(b, "Subject", subj, "\r\n");
	free(subj);
	sbuf_printf(b, "Date: %s\r\nMessage-ID: <review-%s>\r\nIn-Reply-To: <%s>\r\n"
	    "References: <%s>\r\nX-Mailgate-Notice: %s\r\nX-Mailgate-Reasons: %s\r\n"
	    "X-Mailgate-Message-ID: <%s>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
	    date, m->msgid, m->msgid, m->msgid, draft ? "draft" : "review", vi->code, m->msgid);
	sbuf_printf(b, "%s\r\n\r\n%s%s%s\r\n", vi->words, m->j.reply ? "Detail: " : "",
	    m->j.reply ? m->j.reply : "", m->j.reply ? "\r\n\r\n" : "");
	if (draft)
		sbuf_printf(b, "Dear Performance Manager,\r\n\r\nWe received the department's "
		    "\"%s\" (Message-ID <%s>). %s Under the rule for mail sent in error or with "
		    "wrong details (seed paragraph 56) we report it to you rather than act on "
		    "it.\r\n\r\nStaff: before sending this draft, check the participant's "
		    "National Insurance number and surname in the case management system and "
		    "whether the participant is another provider's; add no National Insurance "
		    "number to the subject.\r\n", ib_subject(m), m->msgid, code == VC_WRONG_DETAILS ?
		    "The participant's details on it do not match our records." :
		    "The participant is not on our caseload.");
	else
		sbuf_printf(b, "%s\r\n", vi->todo);
}

/* Appends the notice to Review unless one for this Message-ID is there. */
static int ib_notice(struct ib_env *e, const struct ib_msg *m)
{
	struct ob_mail *mail = e->ob->mail;
	uint32_t *uids = NULL;
	size_t nu = 0;
	struct sbuf b;
	char *want = xasprintf("<%s>", m->msgid);
	int rc = mail->search(mail->ctx, e->ob->cfg->review_folder, "X-Mailgate-Message-ID", want,
	    &uids, &nu);

	free(want);
	free(uids);
	if (rc < 0 || nu > 0)
		return rc;
	sbuf_init(&b);
	ib_notice_build(e, m, &b);
	rc = mail->append(mail->ctx, e->ob->cfg->review_folder, b.data, b.len);
	sbuf_free(&b);
	return rc;
}

/* LOGGED -> DONE: the original deleted (forwarded) or moved to Review. */
static enum ob_outcome ib_finish(struct ib_env *e, struct ib_msg *m)
{
	struct ob_mail *mail = e->ob->mail;
	const char *inbox = e->ob->cfg->inbox_folder;
	int fwd = m->j.fate == JF_FORWARDED, rc;
	char key[24];

	if (m->j.stage != JR_LOGGED) {
		ib_say(e, 3, "internal error: inbound message-id=<%s> finished at stage %s",
		    m->msgid, journey_stage_name(m->j.stage));
		return OB_LEFT;
	}
	rc = fwd ? mail->remove(mail->ctx, inbox, m->it.uid) : ib_notice(e, m);
	if (rc == 0 && !fwd)
		rc = mail->move(mail->ctx, inbox, m->it.uid, e->ob->cfg->review_folder);
	if (rc < 0)
		return OB_MAILBOX_FAILED;
	ib_backoff_key(m, key);
	backoff_clear(e->ob->backoff, key);
	ib_say(e, 6, "inbound %s uid=%u message-id=<%s> process=%s%s%s", fwd ? "forwarded" :
	    "review", m->it.uid, m->msgid, m->dec.process ? m->dec.process->id : "-",
	    fwd ? " to=" : " reason=", fwd ? (m->dec.org ? m->dec.org : "internal") :
	    m->j.code >= 0 ? vcode_info((enum vcode)m->j.code)->code : "-");
	if (ib_step(e, m, JR_DONE, JF_PENDING) < 0)
		return OB_LOG_FAILED;
	return fwd ? OB_SENT : OB_HELD;
}

/* Logs a Review fate (code and detail for the notice) and moves the message. */
static enum ob_outcome ib_conclude(struct ib_env *e, struct ib_msg *m, enum jr_fate fate,
    enum vcode code, const char *detail)
{
	m->j.code = (int)code;
	free(m->j.reply);
	m->j.reply = detail && *detail ? xstrndup(detail, strnlen(detail, IB_MAX_DETAIL)) : NULL;
	if (ib_log(e, m, fate) < 0)
		return OB_LOG_FAILED;
	return ib_finish(e, m);
}

/* ---- the forward -------------------------------------------------------- */

/* <fwd-HEX@domain>: derived from the original's, so every attempt sends the same. */
static char *ib_forward_id(const struct ib_env *e, const struct ib_msg *m)
{
	const char *dom = strrchr(e->ob->pol->designated_address, '@');
	unsigned char md[32];
	unsigned int mdlen = 0;
	char hex[65];

	EVP_Digest(m->msgid, strlen(m->msgid), md, &mdlen, EVP_sha256(), NULL);
	hex_encode(md, 16, hex);
	return xasprintf("fwd-%s%s", hex, dom ? dom : "@invalid");
}

/*
 * A new message from the designated inbox to exactly the judged inboxes,
 * the original attached as message/rfc822 (its bytes unchanged).
 */
static void ib_forward_build(struct ib_env *e, struct ib_msg *m)
{
	const struct policy *p = e->ob->pol;
	char date[64], *id = ib_forward_id(e, m), *subj;
	size_t i;

	rewrite_date(m->j.date, date, sizeof(date));
	sbuf_adds(&m->out, "From: ");
	rewrite_add_mailbox(&m->out, p->designated_name, p->designated_address);
	sbuf_adds(&m->out, "\r\nTo: ");
	for (i = 0; i < m->dec.nto; i++)
		sbuf_printf(&m->out, "%s%s", i ? ", " : "", m->dec.to[i]);
	subj = xasprintf("Fwd: %s", ib_subject(m));
	sbuf_adds(&m->out, "\r\n");
	rewrite_add_text_field(&m->out, "Subject", subj, "\r\n");
	free(subj);
	sbuf_printf(&m->out, "Date: %s\r\nMessage-ID: <%s>\r\nReferences: <%s>\r\n"
	    "X-Mailgate-Forwarded: <%s>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"mailgate-%s\"\r\n\r\n"
	    "--mailgate-%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
	    "The department's message \"%s\" of process %s, forwarded by %s to the "
	    "participant's holder. It carries one participant record.\r\n\r\n"
	    "--mailgate-%s\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n"
	    "\r\n", date, id, m->msgid, m->msgid, id, id, ib_subject(m), m->dec.process->id,
	    p->designated_address, id);
	sbuf_add(&m->out, m->raw, m->rawlen);
	sbuf_printf(&m->out, "%s--mailgate-%s--\r\n", m->rawlen && m->raw[m->rawlen - 1] == '\n' ?
	    "" : "\r\n", id);
	free(id);
}

struct ib_progress {
	struct ib_env *e;
	struct ib_msg *m;
};

static int ib_progress_data(void *pctx)
{
	struct ib_progress *p = pctx;

	return ib_step(p->e, p->m, JR_DATA, JF_PENDING);
}

static enum ob_outcome ib_deferred(struct ib_env *e, struct ib_msg *m, const char *reply)
{
	char key[24];
	time_t next;

	if (m->j.stage == JR_DATA && ib_step(e, m, JR_INTENT, JF_PENDING) < 0)
		return OB_LOG_FAILED;
	ib_backoff_key(m, key);
	next = backoff_fail(e->ob->backoff, key, e->ob->now(), reply);
	ib_say(e, 4, "forward deferred uid=%u message-id=<%s> retry-in=%lds reply=\"%s\"",
	    m->it.uid, m->msgid, (long)(next - e->ob->now()), reply[0] ? reply : "-");
	return OB_LEFT;
}

/* ACCEPTED -> LOGGED (the forward rows) -> DONE (the original deleted). */
static enum ob_outcome ib_forwarded(struct ib_env *e, struct ib_msg *m)
{
	if (m->j.stage == JR_ACCEPTED && ib_log(e, m, JF_PENDING) < 0)
		return OB_LOG_FAILED;
	return ib_finish(e, m);
}

static enum ob_outcome ib_transmit(struct ib_env *e, struct ib_msg *m)
{
	struct ib_progress pr = { e, m };
	char reply[512];
	enum ob_send s;

	reply[0] = '\0';
	ib_forward_build(e, m);
	s = e->ob->smtp->send(e->ob->smtp->ctx, e->ob->pol->designated_address,
	    (char *const *)m->dec.to, m->dec.nto, m->out.data, m->out.len, ib_progress_data, &pr,
	    reply, sizeof(reply));
	if (s == OB_SEND_OK && m->j.stage == JR_DATA) {
		ib_step(e, m, JR_ACCEPTED, JF_FORWARDED);	/* a refusal is remembered */
		return m->j.stage == JR_ACCEPTED ? ib_forwarded(e, m) : OB_LOG_FAILED;
	}
	if (s == OB_SEND_PERM && m->j.stage == JR_DATA)
		return ib_conclude(e, m, JF_SMTP_PERMANENT, VC_SMTP_PERMANENT, reply);
	if (s == OB_SEND_PERM)
		/* refused at MAIL or RCPT: nothing went; judged as not forwardable */
		return ib_conclude(e, m, JF_SMTP_PERMANENT, VC_SMTP_PERMANENT, reply);
	if (s == OB_SEND_UNCERTAIN && m->j.stage == JR_DATA)
		return ib_conclude(e, m, JF_UNCERTAIN, VC_UNCERTAIN,
		    reply[0] ? reply : "connection lost after DATA began");
	if (s == OB_SEND_TEMP)
		return ib_deferred(e, m, reply);
	ib_say(e, 3, "internal error: inbound message-id=<%s>: send result %d at stage %s",
	    m->msgid, (int)s, journey_stage_name(m->j.stage));
	return OB_LEFT;
}

/* ---- judging and resuming ---------------------------------------------- */

/* 1 forwarding allowed (normal, or an outage: trying is how it ends), 0 not, -1 unreadable. */
static int ib_mode_normal(struct ib_env *e)
{
	int m = e->ob->mode ? e->ob->mode(e->ob->mode_ctx) : MODE_NORMAL;

	return m < 0 ? -1 : m == MODE_NORMAL || m == MODE_OUTAGE;
}

/* ¶61-63: suspended at once (the safe direction); a re-introduction only logged. */
static enum ob_outcome ib_department_notice(struct ib_env *e, struct ib_msg *m)
{
	char err[512];

	if (m->dec.action == IB_SUSPEND && mode_set(e->ob->log, MODE_SUSPENDED, m->dec.detail,
	    m->mr.from, e->ob->now(), err, sizeof(err)) < 0) {
		ib_say(e, 3, "cannot enter suspended mode: %s; message-id=<%s> stays", err,
		    m->msgid);
		return OB_LOG_FAILED;
	}
	ib_say(e, m->dec.action == IB_SUSPEND ? 3 : 5, "%s; %s", m->dec.detail,
	    m->dec.action == IB_SUSPEND ? "mailgate is now suspended" :
	    "mailgate stays as it is until mailgatectl mode resume");
	return ib_conclude(e, m, JF_REVIEW, VC_REVIEW_ROUTE, m->dec.detail);
}

/* From the start (stage NONE), or again after an attempt that sent nothing (INTENT). */
static enum ob_outcome ib_attempt(struct ib_env *e, struct ib_msg *m)
{
	int normal = ib_mode_normal(e);

	if (normal < 0) {
		ib_say(e, 3, "mode unreadable; inbound uid=%u stays", m->it.uid);
		return OB_LOG_FAILED;
	}
	if (inbound_judge(e->ob->pol, &m->mr, mgday_today_london(e->ob->now()), normal,
	    e->caseload, &m->dec) < 0) {
		ib_say(e, 3, "caseload unreadable; inbound uid=%u stays", m->it.uid);
		return OB_LOG_FAILED;
	}
	if (m->dec.action == IB_SUSPEND || m->dec.action == IB_REINTRODUCE)
		return ib_department_notice(e, m);
	if (m->dec.action == IB_REVIEW)
		return ib_conclude(e, m, JF_REVIEW, m->dec.code, m->dec.detail);
	if (m->j.stage == JR_NONE && ib_step(e, m, JR_INTENT, JF_PENDING) < 0)
		return OB_LOG_FAILED;
	return ib_transmit(e, m);
}

static enum ob_outcome ib_resume(struct ib_env *e, struct ib_msg *m)
{
	switch (m->j.stage) {
	case JR_NONE:
	case JR_INTENT:
		return ib_attempt(e, m);
	case JR_DATA:
		/* it may have gone: never again; staff see it in Review */
		return ib_conclude(e, m, JF_UNCERTAIN, VC_UNCERTAIN, "the forward was interrupted "
		    "after DATA began; whether it arrived is not known");
	case JR_ACCEPTED:
		/* the same recipients as the 250 went to: judged on the journey's day */
		if (inbound_judge(e->ob->pol, &m->mr, (mgday)m->j.day, 1, e->caseload, &m->dec) < 0 ||
		    m->dec.action != IB_FORWARD)
			return ib_conclude(e, m, JF_PENDING, VC_UNCERTAIN, "forwarded, but its "
			    "recipients can no longer be judged the same");
		return ib_forwarded(e, m);
	case JR_LOGGED:
		return ib_finish(e, m);
	case JR_DONE:
	case JR_NSTAGES:
		break;
	}
	ib_say(e, 3, "internal error: inbound message-id=<%s> at stage %s", m->msgid,
	    journey_stage_name(m->j.stage));
	return m->j.stage == JR_DONE ? OB_LOG_FAILED : OB_LEFT;
}

static int ib_identify(struct ib_env *e, struct ib_msg *m)
{
	int rc;

	m->msgid = rewrite_message_id(m->raw, m->rawlen);
	if (m->msgid == NULL)
		m->msgid = rewrite_derived_id(m->raw, m->rawlen, e->ob->pol->designated_address);
	if (m->msgid == NULL)
		m->msgid = xstrdup("unknown");
	rc = journey_find(e->ob->jr, JR_IN, m->msgid, &m->j);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		journey_new(&m->j, JR_IN, m->msgid);
		m->j.date = e->ob->now();
		m->j.day = mgday_today_london(e->ob->now());
	}
	m->j.uid = m->it.uid;
	return 0;
}

/* A notice mailgate itself put in INBOX: X-Mailgate-Notice, from the designated inbox. */
static int ib_own_notice(struct ib_env *e, const struct ib_msg *m)
{
	char *kind = rewrite_header_value(m->raw, m->rawlen, "X-Mailgate-Notice");
	char *from = kind ? rewrite_header_value(m->raw, m->rawlen, "From") : NULL;
	int own = kind != NULL && from != NULL &&
	    strcasestr(from, e->ob->pol->designated_address) != NULL;

	free(kind);
	free(from);
	return own;
}

enum ob_outcome inbound_message(struct ib_env *e, const struct ob_item *it)
{
	struct ib_msg m;
	enum ob_outcome res;
	char key[24];
	int big = e->ob->pol->max_message_bytes > 0 &&
	    it->size > (uint64_t)e->ob->pol->max_message_bytes;

	ib_msg_init(&m, it);
	ib_backoff_key(&m, key);
	if (!backoff_due(e->ob->backoff, key, e->ob->now())) {
		ib_msg_free(&m);
		return OB_SKIPPED;
	}
	/* too large to read whole: its header alone is analysed, and says malformed */
	if ((big ? e->ob->mail->fetch_header(e->ob->mail->ctx, e->ob->cfg->inbox_folder, it->uid,
	    &m.raw, &m.rawlen) : e->ob->mail->fetch(e->ob->mail->ctx, e->ob->cfg->inbox_folder,
	    it->uid, it->size, &m.raw, &m.rawlen)) < 0)
		res = OB_MAILBOX_FAILED;
	else if (ib_own_notice(e, &m))
		res = OB_SKIPPED;	/* mailgate's own word to staff (an outage): left for them */
	else if (worker_pool_analyse(e->ob->worker, m.raw, m.rawlen, &m.mr) < 0) {
		ib_say(e, 3, "analysis worker could not start; inbound uid=%u stays", it->uid);
		res = OB_LEFT;
	} else {
		worker_pool_prepare(e->ob->worker);
		if (big) {
			m.mr.status = MIME_TOO_LARGE;
			free(m.mr.detail);
			m.mr.detail = xstrdup("the message is larger than the limit");
		}
		res = ib_identify(e, &m) < 0 ? OB_LOG_FAILED : ib_resume(e, &m);
	}
	ib_msg_free(&m);
	return res;
}
