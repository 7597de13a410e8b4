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
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "dsn.h"
#include "inbound.h"
#include "mode.h"
#include "msgfd.h"
#include "rewrite.h"
#include "util.h"

#define IB_MAX_DETAIL 512

struct ib_msg {
	struct ob_item it;
	struct msgfd_hold h;	/* its memfd; raw, the header's way in: fd mapped, else the heap */
	struct mime_result mr;
	struct ib_decision dec;
	char *msgid;		/* the original's Message-ID (or the derived one) */
	struct sbuf out;	/* the forward's bytes */
	struct journey j;
	int deleted;		/* a delivery report acted on and deleted from INBOX */
};

static void ib_msg_init(struct ib_msg *m, const struct ob_item *it)
{
	memset(m, 0, sizeof(*m));
	m->it = *it;
	msgfd_hold_init(&m->h);
	mime_result_init(&m->mr);
	sbuf_init(&m->out);
	m->j.code = -1;
}

static void ib_msg_free(struct ib_msg *m)
{
	msgfd_hold_free(&m->h);
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
	outbound_say_line(e->ob, prio, line);
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

/* Its backoff forgotten and its outcome said, once the original is (or will be) out of INBOX. */
static void ib_finished(struct ib_env *e, const struct ib_msg *m)
{
	int fwd = m->j.fate == JF_FORWARDED;
	char key[24];

	ib_backoff_key(m, key);
	backoff_clear(e->ob->backoff, key);
	ib_say(e, 6, "inbound %s uid=%u message-id=<%s> process=%s%s%s", fwd ? "forwarded" :
	    "review", m->it.uid, m->msgid, m->dec.process ? m->dec.process->id : "-",
	    fwd ? " to=" : " reason=", fwd ? (m->dec.org ? m->dec.org : "internal") :
	    m->j.code >= 0 ? vcode_info((enum vcode)m->j.code)->code : "-");
}

/* LOGGED -> DONE: the original deleted (forwarded) or moved to Review. */
static enum ob_outcome ib_finish(struct ib_env *e, struct ib_msg *m)
{
	struct ob_mail *mail = e->ob->mail;
	const char *inbox = e->ob->cfg->inbox_folder;
	int fwd = m->j.fate == JF_FORWARDED, rc;

	if (m->j.stage != JR_LOGGED) {
		ib_say(e, 3, "internal error: inbound message-id=<%s> finished at stage %s",
		    m->msgid, journey_stage_name(m->j.stage));
		return OB_LEFT;
	}
	if (fwd && e->ob->batch != NULL && mail->remove_set != NULL) {
		/* deleted with the batch, after one sync of the log (outbound_batch) */
		ib_finished(e, m);
		return outbound_batch(e->ob, m->it.uid, &m->j) != 0 ? OB_MAILBOX_FAILED : OB_SENT;
	}
	if (fwd) {
		char err[512];

		/* the forward rows were a grouped commit (journey.h): on the disk first */
		if (journey_sync_disk(e->ob->jr, err, sizeof(err)) < 0) {
			ib_say(e, 3, "send log not synced: %s; inbound message-id=<%s> stays", err,
			    m->msgid);
			return OB_LOG_FAILED;
		}
	}
	rc = fwd ? mail->remove(mail->ctx, inbox, m->it.uid) : ib_notice(e, m);
	if (rc == 0 && !fwd)
		rc = mail->move(mail->ctx, inbox, m->it.uid, e->ob->cfg->review_folder);
	if (rc < 0)
		return OB_MAILBOX_FAILED;
	ib_finished(e, m);
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
 * The original's bytes behind the forward's head, read from its memfd
 * once the decoded texts are gone (judged for the last time), so that the
 * two are never in memory at once: the one heap copy is the forward.
 */
static int ib_forward_original(struct ib_env *e, struct ib_msg *m, char *last)
{
	if (m->h.fd < 0) {
		sbuf_add(&m->out, m->h.raw, m->h.rawlen);
		*last = m->h.rawlen ? m->h.raw[m->h.rawlen - 1] : '\0';
		return 0;
	}
	mime_result_drop_texts(&m->mr);
	msgfd_hold_unmap(&m->h);
	sbuf_reserve(&m->out, m->h.len + 128);
	if (msgfd_read(m->h.fd, 0, m->out.data + m->out.len, m->h.len) < 0) {
		ib_say(e, 3, "internal error: inbound uid=%u message-id=<%s>: its bytes cannot be "
		    "read back (%s); it stays", m->it.uid, m->msgid, strerror(errno));
		return -1;
	}
	m->out.len += m->h.len;
	m->out.data[m->out.len] = '\0';
	*last = m->h.len ? m->out.data[m->out.len - 1] : '\0';
	return 0;
}

/*
 * A new message from the designated inbox to exactly the judged inboxes,
 * the original attached as message/rfc822 (its bytes unchanged). 0, or -1
 * when the original cannot be read back.
 */
static int ib_forward_build(struct ib_env *e, struct ib_msg *m)
{
	const struct policy *p = e->ob->pol;
	char date[64], *id = ib_forward_id(e, m), *subj, last;
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
	if (ib_forward_original(e, m, &last) < 0) {
		free(id);
		return -1;
	}
	sbuf_printf(&m->out, "%s--mailgate-%s--\r\n", last == '\n' ? "" : "\r\n", id);
	free(id);
	return 0;
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

/* The forward's data is with the server: the next message of INBOX is fetched and analysed meanwhile. */
static void ib_waiting(void *pctx)
{
	struct ib_progress *p = pctx;

	outbound_ahead_start(p->e->ob, p->e->ob->cfg->inbox_folder, "in:", &p->m->it);
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
	if (ib_forward_build(e, m) < 0)
		return OB_LEFT;
	s = e->ob->smtp->send(e->ob->smtp->ctx, e->ob->pol->designated_address,
	    (char *const *)m->dec.to, m->dec.nto, m->out.data, m->out.len, ib_progress_data,
	    ib_waiting, &pr, reply, sizeof(reply));
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

/* ---- delivery reports (RFC 3464) --------------------------------------- */

/* What a report says that the log can believe: its failed recipients that were sent to. */
struct ib_bounce {
	struct dsn d;
	const char *orig;		/* the Message-ID it is about (in m->mr) */
	struct sendlog_sent *sent;	/* per bounced recipient, as logged when it was sent */
	const struct dsn_rcpt **who;	/* the failed recipients sent to, sorted */
	size_t n;
	int *fresh;			/* 1: no bounced row for it yet */
	char why[256];			/* unmatched: why, for the Review notice */
};

static void ib_bounce_free(struct ib_bounce *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		sendlog_sent_free(&b->sent[i]);
	free(b->sent);
	free(b->who);
	free(b->fresh);
	dsn_free(&b->d);
	memset(b, 0, sizeof(*b));
}

static int ib_rcpt_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct dsn_rcpt *const *)a)->recipient,
	    (*(const struct dsn_rcpt *const *)b)->recipient);
}

/*
 * Reads the report and asks the log about each failed recipient: 1 matched
 * (b->n > 0), 0 unmatched (b->why says why), -1 the log could not be read.
 */
static int ib_bounce_match(struct ib_env *e, struct ib_msg *m, struct ib_bounce *b)
{
	size_t i, failed = 0, delayed = 0;
	int rc;

	memset(b, 0, sizeof(*b));
	if (dsn_parse(m->mr.report.status, &b->d) < 0) {
		snprintf(b->why, sizeof(b->why), "the report names no recipient mailgate can read");
		return 0;
	}
	if ((b->orig = dsn_original_id(&m->mr.report)) == NULL) {
		snprintf(b->why, sizeof(b->why), "the report does not say which message it is about");
		return 0;
	}
	b->sent = xcalloc(b->d.n, sizeof(*b->sent));
	b->who = xcalloc(b->d.n, sizeof(*b->who));
	b->fresh = xcalloc(b->d.n, sizeof(*b->fresh));
	for (i = 0; i < b->d.n; i++) {
		const struct dsn_rcpt *r = &b->d.v[i];

		if (!dsn_is_bounce(r)) {
			delayed += r->action == DSN_DELAYED;
			continue;
		}
		failed++;
		rc = sendlog_sent_to(e->ob->log, b->orig, r->recipient, &b->sent[b->n]);
		if (rc == 0)
			continue;	/* never sent to: not the report's to say */
		if (rc > 0)
			rc = sendlog_has_outcome(e->ob->log, b->orig, r->recipient, "bounced");
		if (rc < 0) {
			sendlog_sent_free(&b->sent[b->n]);
			return -1;
		}
		b->fresh[b->n] = rc == 0;
		b->who[b->n++] = r;
	}
	if (b->n > 0) {
		/* the notice's key is the set, whatever order the report gave */
		struct sendlog_sent *s = xcalloc(b->n, sizeof(*s));
		const struct dsn_rcpt **w = xcalloc(b->n, sizeof(*w));
		int *f = xcalloc(b->n, sizeof(*f));
		size_t k, j;

		memcpy(w, b->who, b->n * sizeof(*w));
		qsort(w, b->n, sizeof(*w), ib_rcpt_cmp);
		for (k = 0; k < b->n; k++)
			for (j = 0; j < b->n; j++)
				if (b->who[j] == w[k]) {
					s[k] = b->sent[j];
					f[k] = b->fresh[j];
				}
		free(b->sent);
		free(b->who);
		free(b->fresh);
		b->sent = s;
		b->who = w;
		b->fresh = f;
		return 1;
	}
	if (failed == 0)
		snprintf(b->why, sizeof(b->why), "the report about <%.120s> names no recipient "
		    "that failed%s: nothing bounced", b->orig, delayed ? ", only delays" : "");
	else
		snprintf(b->why, sizeof(b->why), "the log has no send of <%.120s> to the "
		    "recipient%s the report says failed", b->orig, failed > 1 ? "s" : "");
	return 0;
}

/* "status 5.1.1: 550 5.1.1 user unknown" */
static char *ib_bounce_detail(const struct dsn_rcpt *r)
{
	return xasprintf("status %s%s%s", r->status[0] ? r->status : "unknown",
	    r->diagnostic ? ": " : "", r->diagnostic ? r->diagnostic : "");
}

/* NONE -> LOGGED: one bounced row per failed recipient not logged before, in one transaction. */
static int ib_bounce_log(struct ib_env *e, struct ib_msg *m, const struct ib_bounce *b)
{
	struct sendlog_row *r = xcalloc(b->n, sizeof(*r));
	char **detail = xcalloc(b->n, sizeof(*detail));
	size_t i, k = 0;
	char err[512];
	int rc;

	for (i = 0; i < b->n; i++) {
		if (!b->fresh[i])
			continue;	/* another report of the same bounce was logged */
		detail[k] = ib_bounce_detail(b->who[i]);
		r[k].time = e->ob->now();
		r[k].kind = "message";
		r[k].direction = "out";
		r[k].process = b->sent[i].process;
		r[k].recipient = b->who[i]->recipient;
		r[k].rclass = b->sent[i].rclass;
		r[k].org = b->sent[i].org;
		r[k].outcome = "bounced";
		r[k].records = b->sent[i].records;
		r[k].message_id = b->orig;
		r[k].submitted_by = m->mr.from;
		r[k].policy_version = e->ob->policy_version;
		r[k].detail = detail[k];
		k++;
	}
	m->j.code = -1;
	rc = journey_log(e->ob->jr, &m->j, JF_BOUNCED, r, k, err, sizeof(err));
	for (i = 0; i < k; i++)
		free(detail[i]);
	free(detail);
	free(r);
	if (rc < 0)
		ib_say(e, 3, "send log write failed: %s; delivery report message-id=<%s> stays in %s",
		    err, m->msgid, e->ob->cfg->inbox_folder);
	return rc;
}

/* The key of the notice: the message and the set of recipients, so one notice per bounce. */
static void ib_bounce_key(const struct ib_bounce *b, char hex[33])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char md[32];
	unsigned int mdlen = 0;
	size_t i;

	if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		util_panic("SHA-256 unavailable");
	EVP_DigestUpdate(c, b->orig, strlen(b->orig) + 1);
	for (i = 0; i < b->n; i++)
		EVP_DigestUpdate(c, b->who[i]->recipient, strlen(b->who[i]->recipient) + 1);
	EVP_DigestFinal_ex(c, md, &mdlen);
	EVP_MD_CTX_free(c);
	hex_encode(md, 16, hex);
}

/* The notice beside the sent message: who could not be reached, and what to do. */
static void ib_bounce_build(struct ib_env *e, const struct ib_bounce *b, const char *key,
    struct sbuf *out)
{
	const struct policy *p = e->ob->pol;
	const struct policy_process *pp = b->sent[0].process ?
	    policy_find_process(p, b->sent[0].process) : NULL;
	const char *s = pp && pp->nforms ? pp->forms[0].subject : "your message";
	const char *dom = strrchr(p->designated_address, '@');
	char date[64], *subj;
	size_t i;

	rewrite_date(e->ob->now(), date, sizeof(date));
	sbuf_adds(out, "From: ");
	rewrite_add_mailbox(out, "mailgate", p->designated_address);
	sbuf_adds(out, "\r\n");
	subj = xasprintf("Not delivered: %s", s);
	rewrite_add_text_field(out, "Subject", subj, "\r\n");
	free(subj);
	sbuf_printf(out, "Date: %s\r\nMessage-ID: <bounced-%s%s>\r\nIn-Reply-To: <%s>\r\n"
	    "References: <%s>\r\nX-Mailgate-Notice: bounced\r\nX-Mailgate-Message-ID: <%s>\r\n"
	    "X-Mailgate-Bounce-Key: %s\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
	    date, key, dom ? dom : "@invalid", b->orig, b->orig, b->orig, key);
	sbuf_printf(out, "The message \"%s\" (Message-ID <%s>) was sent, but a mail server "
	    "reported that it could not be delivered to %s:\r\n\r\n", s, b->orig,
	    b->n == 1 ? "this recipient" : "these recipients");
	for (i = 0; i < b->n; i++) {
		char *d = ib_bounce_detail(b->who[i]);

		sbuf_printf(out, "  %s (%s)\r\n", b->who[i]->recipient, d);
		free(d);
	}
	sbuf_adds(out, "\r\nIt is logged as bounced. The recipient did not receive it: check the "
	    "address with the recipient's organisation and the policy, then put a new message "
	    "in the Outbox. Do not forward this notice; it names no participant.\r\n");
}

/* LOGGED -> DONE: the notice in Sent (unless there), then the report deleted from INBOX. */
static enum ob_outcome ib_bounce_finish(struct ib_env *e, struct ib_msg *m,
    const struct ib_bounce *b)
{
	struct ob_mail *mail = e->ob->mail;
	uint32_t *uids = NULL;
	size_t nu = 0;
	char key[33];
	int rc = 0;

	if (m->j.stage != JR_LOGGED || m->j.fate != JF_BOUNCED)
		util_panic("delivery report <%s> finished at stage %s, fate %s", m->msgid,
		    journey_stage_name(m->j.stage), journey_fate_name(m->j.fate));
	if (b->n > 0) {
		ib_bounce_key(b, key);
		rc = mail->search(mail->ctx, e->ob->cfg->sent_folder, "X-Mailgate-Bounce-Key", key,
		    &uids, &nu);
		free(uids);
		if (rc == 0 && nu == 0) {
			struct sbuf nb;

			sbuf_init(&nb);
			ib_bounce_build(e, b, key, &nb);
			rc = mail->append(mail->ctx, e->ob->cfg->sent_folder, nb.data, nb.len);
			sbuf_free(&nb);
		}
	}
	if (rc == 0)
		rc = mail->remove(mail->ctx, e->ob->cfg->inbox_folder, m->it.uid);
	if (rc < 0)
		return OB_MAILBOX_FAILED;
	ib_say(e, 5, "delivery report uid=%u message-id=<%s> about <%s>: %zu recipient(s) "
	    "bounced; report deleted", m->it.uid, m->msgid, b->orig ? b->orig : "-", b->n);
	if (ib_step(e, m, JR_DONE, JF_PENDING) < 0)
		return OB_LOG_FAILED;
	m->deleted = 1;
	return OB_SENT;
}

/* A delivery report, from the start or again at LOGGED (the rows are there). */
static enum ob_outcome ib_report(struct ib_env *e, struct ib_msg *m)
{
	struct ib_bounce b;
	enum ob_outcome res;
	int rc = ib_bounce_match(e, m, &b);

	if (rc < 0) {
		ib_say(e, 3, "send log unreadable; delivery report uid=%u stays", m->it.uid);
		res = OB_LOG_FAILED;
	} else if (m->j.stage == JR_LOGGED) {
		res = ib_bounce_finish(e, m, &b);
	} else if (rc == 0) {
		res = ib_conclude(e, m, JF_REVIEW, VC_UNMATCHED_REPORT, b.why);
	} else {
		res = ib_bounce_log(e, m, &b) < 0 ? OB_LOG_FAILED : ib_bounce_finish(e, m, &b);
	}
	ib_bounce_free(&b);
	return res;
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
	/* recorded before the Review row: a repeat after a crash only records it again */
	if (m->dec.action == IB_REINTRODUCE) {
		struct mode_reintro r;

		memset(&r, 0, sizeof(r));
		snprintf(r.message_id, sizeof(r.message_id), "%s", m->msgid);
		snprintf(r.from, sizeof(r.from), "%s", m->mr.from ? m->mr.from : "-");
		r.when = e->ob->now();
		if (mode_reintro_set(e->ob->log, &r, err, sizeof(err)) < 0) {
			ib_say(e, 3, "cannot record the re-introduction notice: %s; message-id=<%s> "
			    "stays", err, m->msgid);
			return OB_LOG_FAILED;
		}
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
	if (m->dec.action == IB_REPORT)
		return m->j.stage == JR_NONE ? ib_report(e, m) : ib_conclude(e, m, JF_REVIEW,
		    VC_UNMATCHED_REPORT, "a delivery report found at a forward's stage");
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
		return m->j.fate == JF_BOUNCED ? ib_report(e, m) : ib_finish(e, m);
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

	m->msgid = rewrite_message_id(m->h.raw, m->h.rawlen);
	if (m->msgid == NULL)
		m->msgid = rewrite_derived_id(m->h.raw, m->h.rawlen, e->ob->pol->designated_address);
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
	char *kind = rewrite_header_value(m->h.raw, m->h.rawlen, "X-Mailgate-Notice");
	char *from = kind ? rewrite_header_value(m->h.raw, m->h.rawlen, "From") : NULL;
	int own = kind != NULL && from != NULL &&
	    strcasestr(from, e->ob->pol->designated_address) != NULL;

	free(kind);
	free(from);
	return own;
}

/* ---- journeys whose message left INBOX by hand --------------------------- */

/* INBOX still holds it (by UID, else by Message-ID): 1, 0, -1. */
static int ib_still_there(struct ib_env *e, const struct journey *j, const struct ob_item *items,
    size_t n)
{
	uint32_t *uids = NULL;
	size_t i, nu = 0;
	char *want;
	int rc;

	for (i = 0; i < n; i++)
		if (items[i].uid == j->uid)
			return 1;
	want = xasprintf("<%s>", j->message_id);
	rc = e->ob->mail->search(e->ob->mail->ctx, e->ob->cfg->inbox_folder, "Message-ID", want,
	    &uids, &nu);
	free(want);
	free(uids);
	return rc < 0 ? -1 : nu > 0;
}

/* One journey whose message is gone: closed by what is known, never sent again. */
static int ib_settle(struct ib_env *e, struct journey *j)
{
	struct ib_msg m;
	int rc = 0;

	ib_msg_init(&m, &(struct ob_item){ j->uid, 0 });
	m.j = *j;
	memset(j, 0, sizeof(*j));
	m.msgid = xstrdup(m.j.message_id);
	switch (m.j.stage) {
	case JR_INTENT:
		ib_say(e, 5, "inbound message-id=<%s> left %s before it was forwarded", m.msgid,
		    e->ob->cfg->inbox_folder);
		break;
	case JR_DATA:
		ib_say(e, 4, "inbound message-id=<%s> left %s while its forward was under way; "
		    "logged uncertain", m.msgid, e->ob->cfg->inbox_folder);
		m.j.code = VC_UNCERTAIN;
		free(m.j.reply);
		m.j.reply = xstrdup("the original left INBOX while the forward was under way; "
		    "whether it arrived is not known");
		if (ib_log(e, &m, JF_UNCERTAIN) < 0)
			rc = OB_LOG_FAILED;
		break;
	case JR_ACCEPTED:
		ib_say(e, 4, "inbound message-id=<%s> left %s after its forward was accepted; "
		    "logged forwarded, recipients unknown", m.msgid, e->ob->cfg->inbox_folder);
		free(m.j.reply);
		m.j.reply = xstrdup("forwarded (the server accepted it); the original left INBOX "
		    "before its rows were written, so its recipients are not known");
		if (ib_log(e, &m, JF_PENDING) < 0)
			rc = OB_LOG_FAILED;
		break;
	case JR_LOGGED:
		ib_say(e, 6, "inbound message-id=<%s>: its journey is closed (%s; the message has "
		    "left %s)", m.msgid, journey_fate_name(m.j.fate), e->ob->cfg->inbox_folder);
		break;
	case JR_NONE:
	case JR_DONE:
	case JR_NSTAGES:
		util_panic("open inbound journey <%s> at stage %s", m.msgid,
		    journey_stage_name(m.j.stage));
	}
	if (rc == 0 && ib_step(e, &m, JR_DONE, JF_PENDING) < 0)
		rc = OB_LOG_FAILED;
	ib_msg_free(&m);
	return rc;
}

int inbound_recover(struct ib_env *e, const struct ob_item *items, size_t n)
{
	struct journey *v = NULL;
	size_t nv = 0, i;
	int rc = 0, there;

	if (journey_list_open(e->ob->jr, JR_IN, JR_INTENT, &v, &nv) < 0) {
		ib_say(e, 3, "send log unreadable: cannot read the open inbound journeys");
		return IB_LOG_FAILED;
	}
	for (i = 0; i < nv && rc == 0; i++) {
		there = ib_still_there(e, &v[i], items, n);
		if (there < 0)
			rc = IB_MAILBOX_FAILED;
		else if (there == 0 && ib_settle(e, &v[i]) != 0)
			rc = IB_LOG_FAILED;
	}
	journey_list_free(v, nv);
	return rc;
}

/* The flow's steps speak outbound's outcomes; the pass is told which inbound one it was. */
static enum ib_outcome ib_outcome_of(const struct ib_msg *m, enum ob_outcome o)
{
	switch (o) {
	case OB_SENT:
		return m->deleted ? IB_DELETED : IB_FORWARDED;
	case OB_HELD:
		return IB_REVIEWED;
	case OB_LEFT:
	case OB_SKIPPED:
		return IB_WAITING;
	case OB_MAILBOX_FAILED:
		return IB_MAILBOX_FAILED;
	case OB_LOG_FAILED:
		return IB_LOG_FAILED;
	case OB_REJECTED:
		break;
	}
	util_panic("inbound message-id=<%s>: outcome %d", m->msgid ? m->msgid : "-", (int)o);
}

/*
 * The message in a sealed memfd handed to the worker (from the look-ahead,
 * or fetched now), mapped for its header, and its analysis collected: 0,
 * -1 the mailbox failed, -2 the worker failed, -3 no memfd or mapping (said).
 */
static int ib_obtain(struct ib_env *e, struct ib_msg *m)
{
	int rc = outbound_obtain(e->ob, e->ob->cfg->inbox_folder, &m->it, &m->h.fd, &m->h.len);

	if (rc < 0)
		return rc;
	rc = worker_pool_collect(e->ob->worker, &m->mr) < 0 ? -2 : 0;
	worker_pool_prepare(e->ob->worker, outbound_ready(e->ob));
	if (rc == 0 && msgfd_hold_map(&m->h) < 0) {
		ib_say(e, 3, "internal error: inbound uid=%u: its fetched bytes cannot be read (%s); "
		    "it stays", m->it.uid, strerror(errno));
		return -3;
	}
	return rc;
}

enum ib_outcome inbound_message(struct ib_env *e, const struct ob_item *it)
{
	struct ib_msg m;
	enum ob_outcome res;
	enum ib_outcome out;
	char key[24];
	int rc, big = e->ob->pol->max_message_bytes > 0 &&
	    it->size > (uint64_t)e->ob->pol->max_message_bytes;

	ib_msg_init(&m, it);
	ib_backoff_key(&m, key);
	if (!backoff_due(e->ob->backoff, key, e->ob->now())) {
		ib_msg_free(&m);
		return IB_WAITING;
	}
	/* too large to read whole: its header alone is analysed, and says malformed */
	if (big) {
		rc = e->ob->mail->fetch_header(e->ob->mail->ctx, e->ob->cfg->inbox_folder, it->uid,
		    &m.h.raw, &m.h.rawlen) < 0 ? -1 : worker_pool_analyse(e->ob->worker, m.h.raw,
		    m.h.rawlen, &m.mr) < 0 ? -2 : 0;
		if (rc == 0)
			worker_pool_prepare(e->ob->worker, outbound_ready(e->ob));
	} else
		rc = ib_obtain(e, &m);
	if (rc == -1)
		res = OB_MAILBOX_FAILED;
	else if (rc == 0 && ib_own_notice(e, &m)) {
		ib_msg_free(&m);
		return IB_IGNORED;	/* mailgate's own word to staff (an outage): left for them */
	} else if (rc < 0) {
		if (rc == -2)
			ib_say(e, 3, "analysis worker could not start; inbound uid=%u stays", it->uid);
		res = OB_LEFT;
	} else {
		if (big) {
			m.mr.status = MIME_TOO_LARGE;
			free(m.mr.detail);
			m.mr.detail = xstrdup("the message is larger than the limit");
		}
		res = ib_identify(e, &m) < 0 ? OB_LOG_FAILED : ib_resume(e, &m);
	}
	out = ib_outcome_of(&m, res);
	ib_msg_free(&m);
	return out;
}
