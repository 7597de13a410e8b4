/*
 * outbound - one Outbox message from judging to its folder, and the
 * recovery of intents a crash left open (see outbound.h).
 *
 * The order of the steps is the guarantee. For a send: the intent is
 * durable before MAIL FROM; "data" is durable before DATA; "sent" is
 * durable as soon as the server says 250. So after a crash an intent
 * without "data" certainly sent nothing, one with "sent" certainly went,
 * and one with only "data" is uncertain unless its copy reached Sent. For
 * every outcome the log row is written before the message is moved, and a
 * notice is appended only when the folder has none for that Message-ID, so
 * repeating a step after a crash repeats no visible effect.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgdate.h"
#include "notice.h"
#include "outbound.h"
#include "rewrite.h"
#include "util.h"
#include "verdict.h"

#define OB_MAX_ADDR 254

/* Everything known of the message being treated. */
struct ob_msg {
	uint32_t uid;
	char *raw;
	size_t rawlen;
	struct mime_result mr;
	struct verdict v;
	char *msgid;		/* the Message-ID it is sent with (original or derived) */
	struct sbuf out;	/* the rewritten bytes */
};

static void ob_msg_free(struct ob_msg *m)
{
	free(m->raw);
	mime_result_free(&m->mr);
	verdict_free(&m->v);
	free(m->msgid);
	sbuf_free(&m->out);
}

static void ob_say(struct ob_env *e, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void ob_say(struct ob_env *e, int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (e->logline != NULL)
		e->logline(prio, line);
	else
		fprintf(stderr, "<%d>%s\n", prio, line);
}

int outbound_addr_ok(const char *a)
{
	size_t n = a ? strlen(a) : 0;
	const char *at, *p;

	if (n == 0 || n > OB_MAX_ADDR)
		return 0;
	for (p = a; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '<' || *p == '>' ||
		    *p == '(' || *p == ')' || *p == ',' || *p == ';' || *p == '\\' || *p == '"')
			return 0;
	at = strrchr(a, '@');
	return at != NULL && at != a && at[1] != '\0' && strchr(a, '@') == at;
}

static const char *ob_process(const struct ob_msg *m)
{
	return m->v.process ? m->v.process->id : NULL;
}


/* One row per judged recipient (one without recipient when there is none). */
static int ob_log(struct ob_env *e, const struct ob_msg *m, const char *outcome,
    const char *reasons, const char *detail)
{
	struct sendlog_row r;
	char err[256];
	size_t i, n = m->v.nrcpts ? m->v.nrcpts : 1;

	for (i = 0; i < n; i++) {
		memset(&r, 0, sizeof(r));
		r.time = e->now();
		r.kind = "message";
		r.direction = "out";
		r.process = ob_process(m);
		if (m->v.nrcpts) {
			r.recipient = m->v.rcpts[i].address;
			r.rclass = rcpt_class_name(m->v.rcpts[i].cls);
			r.org = m->v.rcpts[i].org;
		}
		r.outcome = outcome;
		r.records = (int)m->mr.records.n;
		r.message_id = m->msgid;
		r.reasons = reasons && *reasons ? reasons : NULL;
		r.submitted_by = e->cfg->imap_user;
		r.policy_version = e->policy_version;
		r.detail = detail;
		r.persons = m->mr.records.v;
		r.npersons = m->mr.records.n;
		if (sendlog_add(e->log, &r, err, sizeof(err)) < 0) {
			ob_say(e, 3, "send log write failed: %s; message-id=<%s> stays in %s",
			    err, m->msgid, e->cfg->outbox_folder);
			return -1;
		}
	}
	return 0;
}

/* The notice reason for a code given by its name; every name is in verdict's table. */
static void ob_reason(struct notice_reason *r, const char *code, const char *detail)
{
	int c = vcode_from_name(code);

	notice_reason_set(r, c >= 0 ? (enum vcode)c : VC_UNCERTAIN, detail);
}

/* Appends the notice to folder unless one for this Message-ID is already there. */
static int ob_notice(struct ob_env *e, const struct ob_msg *m, enum notice_kind kind,
    const char *folder, const struct notice_reason *r, size_t nr)
{
	struct notice n;
	struct sbuf b;
	uint32_t *uids = NULL;
	size_t nu = 0;
	char *want;
	int rc;

	want = xasprintf("<%s>", m->msgid);
	rc = e->mail->search(e->mail->ctx, folder, "X-Mailgate-Message-ID", want, &uids, &nu);
	free(want);
	free(uids);
	if (rc < 0)
		return -1;
	if (nu > 0)
		return 0;
	memset(&n, 0, sizeof(n));
	n.kind = kind;
	n.address = e->pol->designated_address;
	n.subject = m->mr.subject;
	n.message_id = m->msgid;
	n.reasons = r;
	n.nreasons = nr;
	n.now = e->now();
	sbuf_init(&b);
	notice_build(&n, &b);
	rc = e->mail->append(e->mail->ctx, folder, b.data, b.len);
	sbuf_free(&b);
	return rc;
}

/* The verdict's reasons (or warnings) as notice reasons; caller frees the array. */
static struct notice_reason *ob_verdict_reasons(const struct verdict *v, int warnings, size_t *n)
{
	const struct vreason *src = warnings ? v->warnings : v->reasons;
	size_t i, cnt = warnings ? v->nwarnings : v->nreasons;
	struct notice_reason *r = xcalloc(cnt ? cnt : 1, sizeof(*r));

	for (i = 0; i < cnt; i++)
		notice_reason_set(&r[i], src[i].code, src[i].detail);
	*n = cnt;
	return r;
}

static void ob_codes(const struct verdict *v, struct sbuf *b)
{
	sbuf_init(b);
	verdict_codes(v, b);
	sbuf_adds(b, "");
}

/* Files m in Rejected (policy) with its notice; the log first. */
static enum ob_outcome ob_reject(struct ob_env *e, struct ob_msg *m)
{
	struct notice_reason *r;
	struct sbuf codes;
	size_t nr;
	int rc;

	ob_codes(&m->v, &codes);
	rc = ob_log(e, m, "rejected", codes.data, NULL);
	if (rc == 0) {
		r = ob_verdict_reasons(&m->v, 0, &nr);
		rc = ob_notice(e, m, NOTICE_REJECTED, e->cfg->rejected_folder, r, nr);
		free(r);
		if (rc == 0)
			rc = e->mail->move(e->mail->ctx, e->cfg->outbox_folder, m->uid,
			    e->cfg->rejected_folder);
		if (rc < 0) {
			sbuf_free(&codes);
			return OB_MAILBOX_FAILED;
		}
	}
	if (rc == 0)
		ob_say(e, 6, "rejected uid=%u message-id=<%s> process=%s reasons=%s", m->uid,
		    m->msgid, ob_process(m) ? ob_process(m) : "-", codes.data);
	sbuf_free(&codes);
	return rc == 0 ? OB_REJECTED : OB_LEFT;
}

/* Files m in folder under code (held or smtp-permanent) with its notice. */
static enum ob_outcome ob_file(struct ob_env *e, struct ob_msg *m, const char *outcome,
    enum notice_kind kind, const char *folder, const char *code, const char *detail)
{
	struct notice_reason r;
	int prio = strcmp(code, "uncertain") == 0 ? 3 : 6;

	if (ob_log(e, m, outcome, code, detail) < 0)
		return OB_LEFT;
	ob_reason(&r, code, detail);
	if (ob_notice(e, m, kind, folder, &r, 1) < 0 ||
	    e->mail->move(e->mail->ctx, e->cfg->outbox_folder, m->uid, folder) < 0)
		return OB_MAILBOX_FAILED;
	ob_say(e, prio, "%s uid=%u message-id=<%s> process=%s reasons=%s", outcome, m->uid,
	    m->msgid, ob_process(m) ? ob_process(m) : "-", code);
	return kind == NOTICE_HELD ? OB_HELD : OB_REJECTED;
}

/*
 * After 250: Sent gets the bytes sent, the Outbox copy goes, the rows are
 * written. recovering: Sent may already hold the copy (look first).
 */
static enum ob_outcome ob_sent(struct ob_env *e, struct ob_msg *m, long long intent, int recovering)
{
	struct sbuf codes;
	uint32_t *uids = NULL;
	size_t nu = 0;
	int rc = 0;

	if (recovering) {
		char *want = xasprintf("<%s>", m->msgid);

		rc = e->mail->search(e->mail->ctx, e->cfg->sent_folder, "Message-ID", want, &uids, &nu);
		free(want);
		free(uids);
	}
	if (rc == 0 && nu == 0)
		rc = e->mail->append(e->mail->ctx, e->cfg->sent_folder, m->out.data, m->out.len);
	if (rc < 0)
		return OB_MAILBOX_FAILED;
	ob_codes(&m->v, &codes);
	if (ob_log(e, m, "sent", codes.data, NULL) < 0) {
		sbuf_free(&codes);
		return OB_LEFT;
	}
	if (m->v.nwarnings > 0) {
		size_t nr;
		struct notice_reason *r = ob_verdict_reasons(&m->v, 1, &nr);

		rc = ob_notice(e, m, NOTICE_WARNING, e->cfg->sent_folder, r, nr);
		free(r);
		if (rc < 0) {
			sbuf_free(&codes);
			return OB_MAILBOX_FAILED;
		}
	}
	if (e->mail->remove(e->mail->ctx, e->cfg->outbox_folder, m->uid) < 0) {
		sbuf_free(&codes);
		return OB_MAILBOX_FAILED;
	}
	if (intent > 0)
		sendlog_intent_done(e->log, intent);
	{
		char key[16];

		snprintf(key, sizeof(key), "%u", m->uid);
		backoff_clear(e->backoff, key);
	}
	ob_say(e, 6, "sent uid=%u message-id=<%s> process=%s recipients=%zu%s%s", m->uid,
	    m->msgid, ob_process(m) ? ob_process(m) : "-", m->v.nrcpts,
	    codes.len ? " warnings=" : "", codes.data);
	sbuf_free(&codes);
	return OB_SENT;
}

struct ob_progress {
	struct ob_env *e;
	long long intent;
};

static int ob_progress_data(void *pctx)
{
	struct ob_progress *p = pctx;

	return sendlog_intent_progress(p->e->log, p->intent, "data");
}

/* Analyses, judges and rewrites uid; -1 mailbox failed, 0 ok, 1 fail closed (leave). */
static int ob_prepare(struct ob_env *e, uint32_t uid, struct ob_msg *m)
{
	mgday today = mgday_today_london(e->now());

	m->uid = uid;
	if (e->mail->fetch(e->mail->ctx, e->cfg->outbox_folder, uid, &m->raw, &m->rawlen) < 0)
		return -1;
	if (worker_pool_analyse(e->worker, m->raw, m->rawlen, &m->mr) < 0) {
		ob_say(e, 3, "analysis worker could not start; uid=%u stays", uid);
		return 1;
	}
	/* the next message's worker starts now, while this one is judged, sent and filed */
	worker_pool_prepare(e->worker);
	verdict_judge(e->pol, &m->mr, today, &m->v);
	if (rewrite_message(m->raw, m->rawlen, e->pol->designated_address, e->pol->designated_name,
	    e->now(), &m->out, &m->msgid) < 0) {
		/* no header section: it cannot be sent, and the verdict says malformed */
		m->msgid = rewrite_derived_id(m->raw, m->rawlen, e->pol->designated_address);
		if (m->msgid == NULL)
			m->msgid = xstrdup("unknown");
		if (m->v.accept) {
			m->v.accept = 0;
			verdict_add(&m->v, VC_MALFORMED_MESSAGE, "no header section");
		}
	}
	return 0;
}

/* A message fetched and judged, ready for either path; freed on failure. */
static int ob_load(struct ob_env *e, uint32_t uid, struct ob_msg *m)
{
	int rc;

	memset(m, 0, sizeof(*m));
	mime_result_init(&m->mr);
	verdict_init(&m->v);
	sbuf_init(&m->out);
	if ((rc = ob_prepare(e, uid, m)) != 0)
		ob_msg_free(m);
	return rc;
}

enum ob_outcome outbound_message(struct ob_env *e, uint32_t uid)
{
	struct ob_msg m;
	struct ob_progress pr;
	struct verdict again;
	char **rcpts = NULL, reply[512], err[256], key[16];
	enum ob_outcome res;
	enum ob_send s;
	size_t i;
	int rc, normal;

	snprintf(key, sizeof(key), "%u", uid);
	if (!backoff_due(e->backoff, key, e->now()))
		return OB_SKIPPED;
	rc = ob_load(e, uid, &m);
	if (rc != 0)
		return rc < 0 ? OB_MAILBOX_FAILED : OB_LEFT;
	if (!m.v.accept) {
		res = ob_reject(e, &m);
		goto out;
	}
	normal = e->mode_normal ? e->mode_normal(e->mode_ctx) : 1;
	if (normal < 0) {
		ob_say(e, 3, "mode unreadable; uid=%u message-id=<%s> stays", uid, m.msgid);
		res = OB_LEFT;
		goto out;
	}
	if (normal == 0) {
		res = ob_file(e, &m, "held", NOTICE_HELD, e->cfg->held_folder, "not-normal-mode", NULL);
		goto out;
	}
	rc = sendlog_was_sent(e->log, m.msgid);
	if (rc < 0) {
		ob_say(e, 3, "send log unreadable; message-id=<%s> stays", m.msgid);
		res = OB_LEFT;
		goto out;
	}
	if (rc == 1) {
		res = ob_file(e, &m, "held", NOTICE_HELD, e->cfg->held_folder, "already-sent", NULL);
		goto out;
	}
	/* Judged again just before MAIL FROM, on that moment's date. */
	verdict_init(&again);
	verdict_judge(e->pol, &m.mr, mgday_today_london(e->now()), &again);
	if (!again.accept) {
		verdict_free(&m.v);
		m.v = again;
		res = ob_reject(e, &m);
		goto out;
	}
	verdict_free(&again);
	rcpts = xcalloc(m.v.nrcpts + 1, sizeof(*rcpts));
	for (i = 0; i < m.v.nrcpts; i++) {
		if (!outbound_addr_ok(m.v.rcpts[i].address)) {
			m.v.accept = 0;
			verdict_add(&m.v, VC_MALFORMED_MESSAGE, "a recipient address is not usable");
			res = ob_reject(e, &m);
			goto out;
		}
		rcpts[i] = m.v.rcpts[i].address;
	}
	if (!outbound_addr_ok(e->pol->designated_address)) {
		ob_say(e, 3, "designated address unusable as envelope sender");
		res = OB_LEFT;
		goto out;
	}
	pr.e = e;
	pr.intent = sendlog_intent(e->log, m.msgid, err, sizeof(err));
	if (pr.intent <= 0) {
		ob_say(e, 3, "send log write failed: %s; message-id=<%s> stays", err, m.msgid);
		res = OB_LEFT;
		goto out;
	}
	reply[0] = '\0';
	s = e->smtp->send(e->smtp->ctx, e->pol->designated_address, rcpts, m.v.nrcpts, m.out.data,
	    m.out.len, ob_progress_data, &pr, reply, sizeof(reply));
	switch (s) {
	case OB_SEND_OK:
		if (sendlog_intent_progress(e->log, pr.intent, "sent") < 0)
			ob_say(e, 3, "send log write failed after 250; message-id=<%s>", m.msgid);
		res = ob_sent(e, &m, pr.intent, 0);
		break;
	case OB_SEND_PERM:
		res = ob_file(e, &m, "rejected", NOTICE_REJECTED, e->cfg->rejected_folder,
		    "smtp-permanent", reply);
		if (res != OB_LEFT && res != OB_MAILBOX_FAILED)
			sendlog_intent_done(e->log, pr.intent);
		break;
	case OB_SEND_UNCERTAIN:
		res = ob_file(e, &m, "uncertain", NOTICE_HELD, e->cfg->held_folder, "uncertain",
		    reply[0] ? reply : "connection lost after DATA began");
		if (res != OB_LEFT && res != OB_MAILBOX_FAILED)
			sendlog_intent_done(e->log, pr.intent);
		break;
	case OB_SEND_TEMP:
	default:
		sendlog_intent_done(e->log, pr.intent);
		{
			time_t next = backoff_fail(e->backoff, key, e->now(), reply);

			ob_say(e, 4, "deferred uid=%u message-id=<%s> retry-in=%lds reply=%s", uid,
			    m.msgid, (long)(next - e->now()), reply[0] ? reply : "-");
		}
		res = OB_LEFT;
		break;
	}
out:
	free(rcpts);
	ob_msg_free(&m);
	return res;
}

/* UID in Outbox of the message sent as msgid (derived ids found by reading each). */
static int ob_find_outbox(struct ob_env *e, const char *msgid, uint32_t *uid)
{
	uint32_t *uids = NULL;
	size_t n = 0, i;
	char *want = xasprintf("<%s>", msgid);
	int rc;

	rc = e->mail->search(e->mail->ctx, e->cfg->outbox_folder, "Message-ID", want, &uids, &n);
	free(want);
	if (rc == 0 && n > 0) {
		*uid = uids[0];
		free(uids);
		return 1;
	}
	free(uids);
	if (rc < 0)
		return -1;
	if (e->mail->list(e->mail->ctx, e->cfg->outbox_folder, e->now() + 86400, &uids, &n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		char *raw, *id;
		size_t len;

		if (e->mail->fetch(e->mail->ctx, e->cfg->outbox_folder, uids[i], &raw, &len) < 0) {
			free(uids);
			return -1;
		}
		id = rewrite_message_id(raw, len);
		if (id == NULL)
			id = rewrite_derived_id(raw, len, e->pol->designated_address);
		free(raw);
		if (id != NULL && strcmp(id, msgid) == 0) {
			*uid = uids[i];
			free(id);
			free(uids);
			return 1;
		}
		free(id);
	}
	free(uids);
	return 0;
}

/* One open intent; 0 done, -1 try again later. */
static int ob_recover_one(struct ob_env *e, const struct sendlog_intent *in)
{
	struct ob_msg m;
	uint32_t uid, *uids = NULL;
	size_t n = 0;
	char *want;
	int rc, insent;
	enum ob_outcome res;

	if (in->stage == NULL || (strcmp(in->stage, "data") != 0 && strcmp(in->stage, "sent") != 0)) {
		/* never reached DATA: nothing left the building; a normal pass sends it */
		ob_say(e, 5, "recovered message-id=<%s>: not sent before the crash, will be sent",
		    in->message_id);
		return sendlog_intent_done(e->log, in->id);
	}
	want = xasprintf("<%s>", in->message_id);
	rc = e->mail->search(e->mail->ctx, e->cfg->sent_folder, "Message-ID", want, &uids, &n);
	free(want);
	free(uids);
	if (rc < 0)
		return -1;
	insent = n > 0;
	rc = ob_find_outbox(e, in->message_id, &uid);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		/* nothing left in Outbox: the filing was done; only the log may miss it */
		if ((insent || strcmp(in->stage, "sent") == 0) && sendlog_was_sent(e->log,
		    in->message_id) == 0)
			ob_say(e, 4, "recovered message-id=<%s>: filed but its sent rows are missing",
			    in->message_id);
		return sendlog_intent_done(e->log, in->id);
	}
	if (ob_load(e, uid, &m) != 0)
		return -1;
	if (insent || strcmp(in->stage, "sent") == 0) {
		ob_say(e, 5, "recovered message-id=<%s>: sent before the crash, filing it",
		    in->message_id);
		free(m.msgid);
		m.msgid = xstrdup(in->message_id);
		res = ob_sent(e, &m, in->id, 1);
	} else {
		free(m.msgid);
		m.msgid = xstrdup(in->message_id);
		res = ob_file(e, &m, "uncertain", NOTICE_HELD, e->cfg->held_folder, "uncertain",
		    "the daemon stopped after DATA began");
		if (res == OB_HELD)
			sendlog_intent_done(e->log, in->id);
	}
	ob_msg_free(&m);
	return (res == OB_SENT || res == OB_HELD) ? 0 : -1;
}

int outbound_recover(struct ob_env *e)
{
	struct sendlog_intent *v = NULL;
	size_t n = 0, i;
	int rc = 0;

	if (sendlog_intents_open(e->log, &v, &n) < 0) {
		ob_say(e, 3, "send log unreadable: cannot recover open intents");
		return -1;
	}
	for (i = 0; i < n; i++)
		if (ob_recover_one(e, &v[i]) < 0)
			rc = -1;
	sendlog_intents_free(v, n);
	return rc;
}
