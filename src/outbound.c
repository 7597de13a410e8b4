/*
 * outbound - one Outbox message from judging to its folder, over its
 * journey (see outbound.h and journey.h).
 *
 * The order of the steps is the guarantee. The intent is durable before
 * MAIL FROM; DATA is durable before the DATA command; ACCEPTED is taken as
 * soon as the server says 250 (kept in memory when the log refuses it);
 * the copy goes to Sent before the sent rows are written, so that after a
 * crash a journey at DATA whose copy is in Sent certainly went. For every
 * outcome the rows and the LOGGED step are one transaction written before
 * the message is moved, and a notice is appended only when the folder has
 * none for that Message-ID, so repeating a step repeats no visible effect.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clerical.h"
#include "mgdate.h"
#include "mode.h"
#include "msgfd.h"
#include "notice.h"
#include "outbound.h"
#include "rewrite.h"
#include "safeout.h"
#include "util.h"
#include "verdict.h"

#define OB_MAX_ADDR 254
#define OB_MAX_DETAIL 512	/* bytes of a row's detail (the server's words) */
/*
 * Above this size a message is neither fetched ahead nor parked while its
 * copy goes to Sent: the overlap would hold two or three such messages at
 * once, and memory is bounded by one (issue 12, item 4).
 */
#define OB_OVERLAP_MAX (4u << 20)

/*
 * Everything known of the message being treated. Its bytes are held once
 * (issue 12, item 4): in a sealed memfd (fd) from the fetch until they are
 * sent, read through a mapping (raw) only while its header is read, then
 * in out, its new header first and the body read in behind it only when it
 * is sent or filed, after its decoded texts are dropped. raw is a heap copy
 * only for the header of a message too large to fetch.
 */
struct ob_msg {
	struct ob_item it;
	struct msgfd_hold h;	/* its memfd, and raw: fd mapped, or the heap (too large a message) */
	size_t crlf;		/* its size with CRLF line endings, from the sealed bytes */
	size_t body;		/* where its body starts in fd (out holds the new header) */
	int nohead;		/* it has no header section: it cannot be sent */
	struct mime_result mr;
	struct verdict v;
	char *msgid;		/* the Message-ID it is sent with (original or derived) */
	struct sbuf out;	/* the rewritten bytes */
	struct journey j;	/* where its journey stands */
	char relay[160];	/* "relay=host[ip]:port tls=V" of the send, for the log line */
};

/* The log's outcome word and the folder of each fate that files a message. */
static const struct {
	const char *outcome;
	enum notice_kind kind;
	int folder;		/* 1 Sent, 2 Rejected, 3 Held; 0 none (not an outbound fate) */
} ob_fates[JF_NFATES] = {
	[JF_SENT] = { "sent", NOTICE_WARNING, 1 },
	[JF_REJECTED] = { "rejected", NOTICE_REJECTED, 2 },
	[JF_SMTP_PERMANENT] = { "rejected", NOTICE_REJECTED, 2 },
	[JF_HELD] = { "held", NOTICE_HELD, 3 },
	[JF_UNCERTAIN] = { "uncertain", NOTICE_HELD, 3 },
	[JF_CLERICAL] = { "clerical", NOTICE_HELD, 3 },
};

static void ob_msg_init(struct ob_msg *m, const struct ob_item *it)
{
	memset(m, 0, sizeof(*m));
	m->it = *it;
	mime_result_init(&m->mr);
	verdict_init(&m->v);
	sbuf_init(&m->out);
	m->j.code = -1;
	msgfd_hold_init(&m->h);
}

static void ob_msg_free(struct ob_msg *m)
{
	msgfd_hold_free(&m->h);
	mime_result_free(&m->mr);
	verdict_free(&m->v);
	free(m->msgid);
	sbuf_free(&m->out);
	journey_clear(&m->j);
}

static void ob_say(struct ob_env *e, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A line already safe for a terminal, to the journal. */
static void ob_emit(struct ob_env *e, int prio, const char *line)
{
	if (e->logline != NULL)
		e->logline(e->log_ctx, prio, line);
	else
		fprintf(stderr, "<%d>%s\n", prio, line);
}

void outbound_say_line(struct ob_env *e, int prio, const char *line)
{
	/* a Message-ID or a server's words may hold controls: never raw to the journal */
	char *safe = safeout_term_dup(line);

	ob_emit(e, prio, safe);
	free(safe);
}

static void ob_say(struct ob_env *e, int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	outbound_say_line(e, prio, line);
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
	return m->v.process ? m->v.process->id : "-";
}

/* The folder of an outbound fate; NULL for any other (an internal error). */
static const char *ob_folder(const struct ob_env *e, enum jr_fate f)
{
	switch ((unsigned)f < JF_NFATES ? ob_fates[f].folder : 0) {
	case 1:
		return e->cfg->sent_folder;
	case 2:
		return e->cfg->rejected_folder;
	case 3:
		return e->cfg->held_folder;
	}
	return NULL;
}

static void ob_backoff_key(const struct ob_msg *m, char key[16])
{
	snprintf(key, 16, "%u", m->it.uid);
}

/* ---- the log rows -------------------------------------------------------- */

/* A message's rows, one per recipient, each with its own reasons. */
struct ob_rows {
	struct sendlog_row *r;
	char **reasons;
	size_t n;
	char *detail;
};

static void ob_rows_free(struct ob_rows *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		free(rs->reasons[i]);
	free(rs->reasons);
	free(rs->r);
	free(rs->detail);
}

/* Codes that concern recipient i (-1: none), each once: bounded by the code table. */
static char *ob_row_reasons(const struct verdict *v, long i, int extra)
{
	unsigned char seen[VC_COUNT];
	struct sbuf b;
	size_t k;

	memset(seen, 0, sizeof(seen));
	sbuf_init(&b);
	for (k = 0; k < v->nreasons; k++)
		if ((v->reasons[k].rcpt < 0 || v->reasons[k].rcpt == i) && !seen[v->reasons[k].code]) {
			seen[v->reasons[k].code] = 1;
			sbuf_printf(&b, "%s%s", b.len ? " " : "", vcode_info(v->reasons[k].code)->code);
		}
	for (k = 0; k < v->nwarnings; k++)
		if (!seen[v->warnings[k].code]) {
			seen[v->warnings[k].code] = 1;
			sbuf_printf(&b, "%s%s", b.len ? " " : "", vcode_info(v->warnings[k].code)->code);
		}
	if (extra >= 0 && extra < VC_COUNT && !seen[extra])
		sbuf_printf(&b, "%s%s", b.len ? " " : "", vcode_info((enum vcode)extra)->code);
	if (b.len == 0) {
		sbuf_free(&b);
		return NULL;
	}
	return b.data;
}

static void ob_rows_make(struct ob_env *e, const struct ob_msg *m, enum jr_fate fate,
    struct ob_rows *rs)
{
	size_t i, n = m->v.nrcpts ? m->v.nrcpts : 1;
	time_t now = e->now();

	memset(rs, 0, sizeof(*rs));
	rs->r = xcalloc(n, sizeof(*rs->r));
	rs->reasons = xcalloc(n, sizeof(*rs->reasons));
	rs->n = n;
	if (m->j.reply != NULL)
		rs->detail = xstrndup(m->j.reply, strnlen(m->j.reply, OB_MAX_DETAIL));
	for (i = 0; i < n; i++) {
		struct sendlog_row *r = &rs->r[i];

		r->time = now;
		r->kind = "message";
		r->direction = "out";
		r->process = m->v.process ? m->v.process->id : NULL;
		if (m->v.nrcpts) {
			r->recipient = m->v.rcpts[i].address;
			r->rclass = rcpt_class_name(m->v.rcpts[i].cls);
			r->org = m->v.rcpts[i].org;
		}
		r->outcome = ob_fates[fate].outcome;
		r->records = (int)m->mr.records.n;
		r->message_id = m->msgid;
		rs->reasons[i] = ob_row_reasons(&m->v, m->v.nrcpts ? (long)i : -1, m->j.code);
		r->reasons = rs->reasons[i];
		r->submitted_by = e->cfg->imap_user;
		r->policy_version = e->policy_version;
		r->detail = rs->detail;
		r->persons = m->mr.records.v;
		r->npersons = m->mr.records.n;
	}
}

/* Rows and the LOGGED step in one transaction; OB_LEFT-like -1 on failure. */
static int ob_log(struct ob_env *e, struct ob_msg *m, enum jr_fate fate)
{
	struct ob_rows rs;
	char err[512];
	int rc;

	ob_rows_make(e, m, fate == JF_PENDING ? m->j.fate : fate, &rs);
	if (rs.r[0].outcome == NULL) {
		ob_say(e, 3, "internal error: message-id=<%s>: no log outcome for fate %s", m->msgid,
		    journey_fate_name(fate == JF_PENDING ? m->j.fate : fate));
		ob_rows_free(&rs);
		return -1;
	}
	rc = journey_log(e->jr, &m->j, fate, rs.r, rs.n, err, sizeof(err));
	ob_rows_free(&rs);
	if (rc < 0)
		ob_say(e, 3, "send log write failed: %s; message-id=<%s> stays in %s", err, m->msgid,
		    e->cfg->outbox_folder);
	return rc;
}

/* A step of the journey; a refusal is logged (an internal error fails closed). */
static int ob_step(struct ob_env *e, struct ob_msg *m, enum jr_stage to, enum jr_fate fate)
{
	char err[512];

	if (journey_advance(e->jr, &m->j, to, fate, err, sizeof(err)) == 0)
		return 0;
	ob_say(e, 3, "%s; message-id=<%s>", err, m->msgid);
	return -1;
}

/* ---- notices and filing ------------------------------------------------ */

/*
 * Keeps of uids (the folder's notices for this Message-ID) those that give
 * code: a message held again for another reason (already-clerical after
 * clerical) gets its own notice. 0, -1 mailbox failed.
 */
static int ob_notice_same(struct ob_env *e, const char *folder, const char *code,
    uint32_t **uids, size_t *nu)
{
	uint32_t *with = NULL;
	size_t nw = 0, i, j, k = 0;

	if (e->mail->search(e->mail->ctx, folder, "X-Mailgate-Reasons", code, &with, &nw) < 0)
		return -1;
	for (i = 0; i < *nu; i++)
		for (j = 0; j < nw; j++)
			if ((*uids)[i] == with[j]) {
				(*uids)[k++] = (*uids)[i];
				break;
			}
	*nu = k;
	free(with);
	return 0;
}

/* Appends the notice to folder unless one for this Message-ID and reason is already there. */
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
	if (rc == 0 && nu > 0 && nr > 0)
		rc = ob_notice_same(e, folder, r[0].code, &uids, &nu);
	free(uids);
	if (rc < 0)
		return -1;
	if (nu > 0)
		return 0;
	memset(&n, 0, sizeof(n));
	n.kind = kind;
	n.address = e->pol->designated_address;
	n.verdict = &m->v;
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

/* The notice's reasons for the fate the journey records; caller frees. */
static struct notice_reason *ob_notice_reasons(const struct ob_msg *m, size_t *n)
{
	const struct vreason *src = m->j.fate == JF_SENT ? m->v.warnings : m->v.reasons;
	size_t i, cnt = m->j.fate == JF_SENT ? m->v.nwarnings : m->v.nreasons;
	struct notice_reason *r;

	if (m->j.fate != JF_SENT && m->j.fate != JF_REJECTED) {
		r = xcalloc(1, sizeof(*r));
		notice_reason_set(r, m->j.code >= 0 ? (enum vcode)m->j.code : VC_UNCERTAIN,
		    m->j.reply);
		*n = 1;
		return r;
	}
	r = xcalloc(cnt ? cnt : 1, sizeof(*r));
	for (i = 0; i < cnt; i++)
		notice_reason_set(&r[i], src[i].code, src[i].detail);
	*n = cnt;
	return r;
}

/* " key=value", the value quoted (and escaped for a terminal) when it is not a plain word. */
static void ob_kv(struct sbuf *b, const char *key, const char *v)
{
	const char *p;
	int plain = v != NULL && *v != '\0';

	for (p = v; plain && *p; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("._@+:/-[]<>", *p) != NULL;
	sbuf_printf(b, " %s=", key);
	if (plain) {
		sbuf_adds(b, v);
		return;
	}
	/* quotes as \x22; safeout escapes backslashes and controls the same way */
	sbuf_addc(b, '"');
	for (p = v ? v : ""; *p; ) {
		size_t k = strcspn(p, "\"");
		char *seg = xstrndup(p, k);

		safeout_term(b, seg);
		free(seg);
		p += k;
		if (*p == '"') {
			sbuf_adds(b, "\\x22");
			p++;
		}
	}
	sbuf_addc(b, '"');
}

/* The enhanced status code of an SMTP reply ("250 2.0.0 ..."), else a default. */
static void ob_dsn(const char *reply, const char *dflt, char out[16])
{
	int a, b2, c;

	if (reply != NULL && sscanf(reply, "%*d %d.%d.%d", &a, &b2, &c) == 3 && a >= 2 && a <= 5)
		snprintf(out, 16, "%d.%d.%d", a, b2, c);
	else
		snprintf(out, 16, "%s", dflt);
}

/*
 * One Postfix-style line per recipient:
 * msgid=<ID> process=P to=<ADDR> relay=host[ip]:port tls=V dsn=D status=S reasons="..." (words)
 */
static void ob_say_filed(struct ob_env *e, const struct ob_msg *m)
{
	size_t i, n = m->v.nrcpts ? m->v.nrcpts : 1;
	int smtp = m->j.fate == JF_SENT || m->j.fate == JF_SMTP_PERMANENT;
	int prio = m->j.fate == JF_UNCERTAIN ? 3 : 6;
	char dsn[16], *id = safeout_term_dup(m->msgid), *words;
	struct sbuf b;

	ob_dsn(m->j.reply, m->j.fate == JF_SENT ? "2.0.0" : "5.0.0", dsn);
	sbuf_init(&b);
	for (i = 0; i < n; i++) {
		sbuf_reset(&b);
		sbuf_printf(&b, "msgid=<%s>", id);
		ob_kv(&b, "process", ob_process(m));
		sbuf_printf(&b, " to=<%s>", m->v.nrcpts ? m->v.rcpts[i].address : "");
		if (smtp)
			sbuf_printf(&b, " %s dsn=%s", m->relay[0] ? m->relay : "relay=none", dsn);
		sbuf_printf(&b, " status=%s", ob_fates[m->j.fate].outcome);
		words = ob_row_reasons(&m->v, m->v.nrcpts ? (long)i : -1, m->j.code);
		if (words != NULL)
			ob_kv(&b, "reasons", words);
		free(words);
		if (m->j.reply != NULL) {
			char *r = safeout_term_dup(m->j.reply);

			sbuf_printf(&b, " (%s)", r);
			free(r);
		}
		ob_emit(e, prio, b.data);	/* every part escaped above */
	}
	sbuf_free(&b);
	free(id);
}

/* ---- sent copies removed together -------------------------------------- */

static void ob_batch_add(struct ob_env *e, uint32_t uid, const struct journey *src)
{
	struct ob_batch *b = e->batch;
	struct journey *j = &b->j[b->n];

	*j = *src;
	j->message_id = xstrdup(src->message_id);
	j->reply = src->reply ? xstrdup(src->reply) : NULL;
	b->uids[b->n++] = uid;
}

static void ob_batch_clear(struct ob_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		journey_clear(&b->j[i]);
	b->n = 0;
}

static enum ob_outcome ob_filing_finish(struct ob_env *e);
static void ob_ahead_drop(struct ob_env *e);

static const char *ob_batch_folder(const struct ob_env *e)
{
	return e->batch->folder != NULL ? e->batch->folder : e->cfg->outbox_folder;
}

int outbound_batch(struct ob_env *e, uint32_t uid, const struct journey *j)
{
	if (e->batch == NULL || e->mail->remove_set == NULL || e->batch->n >= OB_BATCH)
		util_panic("outbound_batch: message-id=<%s> without room in a batch", j->message_id);
	ob_batch_add(e, uid, j);
	return e->batch->n == OB_BATCH ? outbound_flush(e) : 0;
}

int outbound_flush(struct ob_env *e)
{
	enum ob_outcome last;
	char err[512];
	size_t i;
	int rc = 0;

	ob_ahead_drop(e);
	last = ob_filing_finish(e);
	if (last == OB_MAILBOX_FAILED || last == OB_LOG_FAILED)
		rc = (int)last;
	if (e->batch == NULL || e->batch->n == 0)
		return rc;
	/* the batch's sent rows were grouped commits: on the disk before their messages go */
	if (journey_sync_disk(e->jr, err, sizeof(err)) < 0) {
		ob_say(e, 3, "send log not synced: %s; %zu sent message(s) stay in %s", err,
		    e->batch->n, ob_batch_folder(e));
		ob_batch_clear(e->batch);
		return OB_LOG_FAILED;
	}
	if (e->mail->remove_set(e->mail->ctx, ob_batch_folder(e), e->batch->uids,
	    e->batch->n) < 0)
		rc = OB_MAILBOX_FAILED;
	for (i = 0; rc != OB_MAILBOX_FAILED && i < e->batch->n; i++)
		if (journey_done_lazy(e->jr, &e->batch->j[i], err, sizeof(err)) < 0) {
			ob_say(e, 3, "%s; message-id=<%s>", err, e->batch->j[i].message_id);
			rc = OB_LOG_FAILED;
		}
	ob_batch_clear(e->batch);
	return rc;
}

/* LOGGED -> DONE: the notice beside it, the message out of the Outbox. */
static enum ob_outcome ob_finish(struct ob_env *e, struct ob_msg *m)
{
	const char *folder = ob_folder(e, m->j.fate);
	struct notice_reason *r;
	size_t nr;
	char key[16];
	int rc = 0;

	if (m->j.stage != JR_LOGGED || folder == NULL) {
		ob_say(e, 3, "internal error: message-id=<%s> finished at stage %s, fate %s",
		    m->msgid, journey_stage_name(m->j.stage), journey_fate_name(m->j.fate));
		return OB_LEFT;
	}
	r = ob_notice_reasons(m, &nr);
	if (m->j.fate != JF_SENT || nr > 0)
		rc = ob_notice(e, m, ob_fates[m->j.fate].kind, folder, r, nr);
	free(r);
	if (rc == 0 && m->j.fate == JF_SENT && e->batch != NULL && e->mail->remove_set != NULL) {
		ob_backoff_key(m, key);
		backoff_clear(e->backoff, key);
		ob_say_filed(e, m);
		return outbound_batch(e, m->it.uid, &m->j) != 0 ? OB_MAILBOX_FAILED : OB_SENT;
	}
	if (rc == 0 && m->j.fate == JF_SENT) {
		char err[512];

		/* the sent rows were a grouped commit (journey.h): on the disk first */
		if (journey_sync_disk(e->jr, err, sizeof(err)) < 0) {
			ob_say(e, 3, "send log not synced: %s; message-id=<%s> stays", err, m->msgid);
			return OB_LOG_FAILED;
		}
		rc = e->mail->remove(e->mail->ctx, e->cfg->outbox_folder, m->it.uid);
	} else if (rc == 0) {
		rc = e->mail->move(e->mail->ctx, e->cfg->outbox_folder, m->it.uid, folder);
	}
	if (rc < 0)
		return OB_MAILBOX_FAILED;
	ob_backoff_key(m, key);
	backoff_clear(e->backoff, key);
	ob_say_filed(e, m);
	{
		char err[512];

		/* no fsync of its own: a journey found at LOGGED whose message is gone is closed */
		if (journey_done_lazy(e->jr, &m->j, err, sizeof(err)) < 0) {
			ob_say(e, 3, "%s; message-id=<%s>", err, m->msgid);
			return OB_LOG_FAILED;
		}
	}
	return m->j.fate == JF_SENT ? OB_SENT : m->j.fate == JF_HELD ||
	    m->j.fate == JF_UNCERTAIN || m->j.fate == JF_CLERICAL ? OB_HELD : OB_REJECTED;
}

/* Logs fate (with code and detail for the notice) and files the message. */
static enum ob_outcome ob_conclude(struct ob_env *e, struct ob_msg *m, enum jr_fate fate,
    enum vcode code, const char *detail)
{
	m->j.code = fate == JF_REJECTED ? -1 : (int)code;
	free(m->j.reply);
	m->j.reply = detail ? xstrndup(detail, strnlen(detail, OB_MAX_DETAIL)) : NULL;
	if (ob_log(e, m, fate) < 0)
		return OB_LOG_FAILED;
	return ob_finish(e, m);
}

/* ---- after the 250 ------------------------------------------------------ */

/* 1 when folder holds a message with this Message-ID, 0 not, -1 mailbox failed. */
static int ob_in_folder(struct ob_env *e, const char *folder, const char *msgid)
{
	uint32_t *uids = NULL;
	size_t n = 0;
	char *want = xasprintf("<%s>", msgid);
	int rc = e->mail->search(e->mail->ctx, folder, "Message-ID", want, &uids, &n);

	free(want);
	free(uids);
	return rc < 0 ? -1 : n > 0;
}

static enum ob_outcome ob_accepted(struct ob_env *e, struct ob_msg *m, int resuming);
static int ob_bytes(struct ob_env *e, struct ob_msg *m);

/* ---- the copy in Sent, appended while the next message goes ------------ */

static int ob_can_overlap(const struct ob_env *e)
{
	return e->filing != NULL && e->mail->append_start != NULL && e->mail->append_wait != NULL;
}

/* Moves m into the heap for e->filing; m is left empty. The raw bytes are not needed again. */
static struct ob_msg *ob_park(struct ob_msg *m)
{
	struct ob_msg *p = xmalloc(sizeof(*p));

	*p = *m;
	msgfd_hold_free(&p->h);	/* out holds the whole message by now */
	ob_msg_init(m, &p->it);
	return p;
}

/* Waits for the copy of the message in e->filing, then logs and files it: OB_SENT, or what stopped it. */
static enum ob_outcome ob_filing_finish(struct ob_env *e)
{
	struct ob_msg *m;
	enum ob_outcome res;

	if (e->filing == NULL || (m = e->filing->m) == NULL)
		return OB_SENT;
	e->filing->m = NULL;
	if (e->mail->append_wait(e->mail->actx) < 0)
		/* failed, or not known: looked for in Sent, appended on this session if missing */
		res = ob_accepted(e, m, 1);
	else if (ob_log(e, m, JF_PENDING) < 0)
		res = OB_LOG_FAILED;
	else
		res = ob_finish(e, m);
	ob_msg_free(m);
	free(m);
	return res;
}

/*
 * ACCEPTED -> (the copy to Sent) -> LOGGED -> DONE. resuming: Sent may hold
 * the copy already (an earlier attempt appended it, then failed). With the
 * overlap the copy is started and the message parked in e->filing.
 */
static enum ob_outcome ob_accepted(struct ob_env *e, struct ob_msg *m, int resuming)
{
	enum ob_outcome before;
	int found = 0;

	if (resuming && (found = ob_in_folder(e, e->cfg->sent_folder, m->msgid)) < 0)
		return OB_MAILBOX_FAILED;
	if (!found && ob_bytes(e, m) < 0)
		return OB_LEFT;
	if (!found && !resuming && ob_can_overlap(e) && m->out.len <= OB_OVERLAP_MAX) {
		/* one copy at a time: the message before is finished first */
		if ((before = ob_filing_finish(e)) != OB_SENT)
			return before;
		if (e->mail->append_start(e->mail->actx, e->cfg->sent_folder, m->out.data,
		    m->out.len) == 0) {
			e->filing->m = ob_park(m);
			return OB_SENT;
		}
	}
	if (!found && e->mail->append(e->mail->ctx, e->cfg->sent_folder, m->out.data,
	    m->out.len) < 0)
		return OB_MAILBOX_FAILED;
	if (ob_log(e, m, JF_PENDING) < 0)
		return OB_LOG_FAILED;
	return ob_finish(e, m);
}

/* ---- the SMTP transaction ---------------------------------------------- */

struct ob_progress {
	struct ob_env *e;
	struct ob_msg *m;
};

/* Called just before DATA: the DATA stage must be durable first. */
static int ob_progress_data(void *pctx)
{
	struct ob_progress *p = pctx;

	return ob_step(p->e, p->m, JR_DATA, JF_PENDING);
}

/* The data is with the server: the next message is fetched and handed to the worker meanwhile. */
static void ob_waiting(void *pctx)
{
	struct ob_progress *p = pctx;

	outbound_ahead_start(p->e, p->e->cfg->outbox_folder, "", &p->m->it);
}

static enum ob_outcome ob_deferred(struct ob_env *e, struct ob_msg *m, const char *reply)
{
	char key[16];
	time_t next;

	if (m->j.stage == JR_DATA && ob_step(e, m, JR_INTENT, JF_PENDING) < 0)
		return OB_LOG_FAILED;
	ob_backoff_key(m, key);
	next = backoff_fail(e->backoff, key, e->now(), reply);
	{
		char *label = xasprintf("<%s> %s", m->msgid, m->v.form && m->v.form->subject ?
		    m->v.form->subject : ob_process(m));

		backoff_label(e->backoff, key, label);
		free(label);
	}
	ob_say(e, 4, "deferred uid=%u message-id=<%s> retry-in=%lds reply=\"%s\"", m->it.uid,
	    m->msgid, (long)(next - e->now()), reply[0] ? reply : "-");
	return OB_LEFT;
}

static enum ob_outcome ob_transmit(struct ob_env *e, struct ob_msg *m, char **rcpts)
{
	struct ob_progress pr = { e, m };
	char reply[512];
	enum ob_send s;

	reply[0] = '\0';
	s = e->smtp->send(e->smtp->ctx, e->pol->designated_address, rcpts, m->v.nrcpts,
	    m->out.data, m->out.len, ob_progress_data, ob_waiting, &pr, reply, sizeof(reply));
	switch (s) {
	case OB_SEND_OK:
		if (m->j.stage != JR_DATA)
			break;
		if (e->smtp->relay != NULL)
			e->smtp->relay(e->smtp->ctx, m->relay, sizeof(m->relay));
		/* the server's words (its queue id) go with the journey into the rows */
		free(m->j.reply);
		m->j.reply = xstrndup(reply, strnlen(reply, OB_MAX_DETAIL));
		/* a refusal is remembered by the journeys' memory: go on filing */
		ob_step(e, m, JR_ACCEPTED, JF_SENT);
		if (m->j.stage != JR_ACCEPTED)
			return OB_LOG_FAILED;
		return ob_accepted(e, m, 0);
	case OB_SEND_PERM:
		if (e->smtp->relay != NULL)
			e->smtp->relay(e->smtp->ctx, m->relay, sizeof(m->relay));
		return ob_conclude(e, m, JF_SMTP_PERMANENT, VC_SMTP_PERMANENT, reply);
	case OB_SEND_UNCERTAIN:
		if (m->j.stage != JR_DATA)
			break;
		return ob_conclude(e, m, JF_UNCERTAIN, VC_UNCERTAIN,
		    reply[0] ? reply : "connection lost after DATA began");
	case OB_SEND_TEMP:
		return m->j.stage == JR_INTENT || m->j.stage == JR_DATA ? ob_deferred(e, m, reply) :
		    OB_LEFT;
	}
	ob_say(e, 3, "internal error: message-id=<%s>: send result %d at stage %s", m->msgid,
	    (int)s, journey_stage_name(m->j.stage));
	return OB_LEFT;
}

/* ---- judging ------------------------------------------------------------ */

/* Each judged recipient must stand in the raw header (the worker is not trusted). */
static int ob_rcpts_in_header(const struct ob_msg *m)
{
	const char *p = m->h.raw, *end = m->h.raw + m->h.rawlen;
	char *hdr;
	size_t i;
	int ok = 1;

	/* up to the blank line, a line at a time: only the header's pages are read */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (n == 1 || (n == 2 && p[0] == '\r'))
			break;
		p += n;
	}
	hdr = xstrndup(m->h.raw, (size_t)(p - m->h.raw));
	for (i = 0; i < m->v.nrcpts && ok; i++) {
		const char *at = strrchr(m->v.rcpts[i].address, '@');

		/* the domain as written (the local part may have been unquoted) */
		ok = at != NULL && strcasestr(hdr, at) != NULL;
	}
	free(hdr);
	return ok;
}

/* What the parent can check of the worker's answer from the raw bytes. */
static void ob_recheck(struct ob_env *e, struct ob_msg *m)
{
	size_t size = m->crlf;

	if (verdict_size_exceeds(e->pol, size)) {
		/* the one size rule, whatever the worker said */
		verdict_too_large_result(size, &m->mr);
		verdict_free(&m->v);
		verdict_init(&m->v);
		verdict_judge(e->pol, &m->mr, (mgday)m->j.day, &m->v);
		return;
	}
	if (m->mr.status != MIME_TOO_LARGE && m->mr.size != size) {
		verdict_free(&m->v);
		verdict_init(&m->v);
		verdict_add(&m->v, VC_MALFORMED_MESSAGE,
		    "the analysis does not agree with the message's size");
		return;
	}
	if (!ob_rcpts_in_header(m)) {
		verdict_free(&m->v);
		verdict_init(&m->v);
		verdict_add(&m->v, VC_MALFORMED_MESSAGE,
		    "the analysis does not agree with the message's header (recipients)");
	}
}

/* The Message-ID it is sent with, and where its journey stands; -1 log unreadable. */
static int ob_identify(struct ob_env *e, struct ob_msg *m)
{
	int rc;

	m->msgid = rewrite_message_id(m->h.raw, m->h.rawlen);
	if (m->msgid == NULL)
		m->msgid = rewrite_derived_id(m->h.raw, m->h.rawlen, e->pol->designated_address);
	if (m->msgid == NULL)
		m->msgid = xstrdup("unknown");
	rc = journey_find(e->jr, JR_OUT, m->msgid, &m->j);
	if (rc < 0) {
		ob_say(e, 3, "send log unreadable (journey of <%s>); uid=%u stays", m->msgid,
		    m->it.uid);
		return -1;
	}
	if (rc == 0) {
		journey_new(&m->j, JR_OUT, m->msgid);
		m->j.date = e->now();
		m->j.day = mgday_today_london(e->now());
	}
	m->j.uid = m->it.uid;
	return 0;
}

/*
 * The new header of the bytes to send, the same on every attempt: the Date
 * comes from the journey. The body stays in the memfd until ob_bytes().
 * 0 or -1.
 */
static int ob_head(struct ob_env *e, struct ob_msg *m)
{
	char *id = NULL;

	if (rewrite_message_head(m->h.raw, m->h.rawlen, e->pol->designated_address,
	    e->pol->designated_name, m->j.date, &m->out, &id, &m->body) < 0) {
		/* no header section: it cannot be sent, and the verdict will say malformed */
		sbuf_reset(&m->out);
		m->nohead = 1;
		return 0;
	}
	if (strcmp(id, m->msgid) != 0) {
		ob_say(e, 3, "internal error: uid=%u: the rewrite gives Message-ID <%s>, not <%s>",
		    m->it.uid, id, m->msgid);
		free(id);
		return -1;
	}
	free(id);
	return 0;
}

/*
 * The whole message to send in out: the body read from the memfd in behind
 * the new header, just before it is sent or filed. The decoded texts go
 * first, so the daemon holds the message or its texts, never both. 0, or
 * -1 (said; the message stays).
 */
static int ob_bytes(struct ob_env *e, struct ob_msg *m)
{
	size_t n;
	char *buf;

	if (m->h.fd < 0)
		return 0;
	mime_result_drop_texts(&m->mr);	/* judged for the last time */
	msgfd_hold_unmap(&m->h);
	n = m->body < m->h.len ? m->h.len - m->body : 0;
	buf = xmalloc(m->out.len + n + 1);
	memcpy(buf, m->out.data ? m->out.data : "", m->out.len);
	if (msgfd_read(m->h.fd, m->body, buf + m->out.len, n) < 0) {
		ob_say(e, 3, "internal error: uid=%u message-id=<%s>: its bytes cannot be read back "
		    "(%s); it stays", m->it.uid, m->msgid, strerror(errno));
		free(buf);
		return -1;
	}
	buf[m->out.len + n] = '\0';
	n += m->out.len;
	sbuf_free(&m->out);
	sbuf_adopt(&m->out, buf, n);
	msgfd_hold_free(&m->h);	/* out holds the whole message now */
	return 0;
}

/* ---- the next message, analysed while this one is sent ----------------- */

/*
 * The message of uid in a sealed memfd (*fd the caller's): streamed there
 * by the mailbox when it can, else fetched and copied once. 0, -1 the
 * mailbox failed, 1 no memfd here (said).
 */
static int ob_fetch(struct ob_env *e, const char *folder, uint32_t uid, size_t size, int *fd,
    size_t *len)
{
	char *raw = NULL;
	size_t rawlen = 0;

	*fd = -1;
	if (e->mail->fetch_fd != NULL)
		return e->mail->fetch_fd(e->mail->ctx, folder, uid, size, fd, len) < 0 ? -1 : 0;
	if (e->mail->fetch(e->mail->ctx, folder, uid, size, &raw, &rawlen) < 0)
		return -1;
	*fd = msgfd_from(raw, rawlen);
	free(raw);
	if (*fd < 0) {
		ob_say(e, 3, "no memfd for uid=%u (%s); it stays", uid, strerror(errno));
		return 1;
	}
	*len = rawlen;
	return 0;
}

/* Drops the look-ahead: its analysis collected and thrown away. */
static void ob_ahead_drop(struct ob_env *e)
{
	struct mime_result mr;

	if (e->ahead == NULL || e->ahead->uid == 0)
		return;
	mime_result_init(&mr);
	(void)worker_pool_collect(e->worker, &mr);
	mime_result_free(&mr);
	close(e->ahead->fd);
	e->ahead->fd = -1;
	e->ahead->uid = 0;
}

void outbound_ahead_start(struct ob_env *e, const char *folder, const char *key_prefix,
    const struct ob_item *cur)
{
	struct ob_ahead *a = e->ahead;
	char key[24];

	if (a == NULL || a->next == NULL || a->uid != 0 || a->next->uid == cur->uid ||
	    verdict_size_exceeds(e->pol, a->next->size) || a->next->size > OB_OVERLAP_MAX ||
	    cur->size > OB_OVERLAP_MAX)
		return;
	snprintf(key, sizeof(key), "%s%u", key_prefix, a->next->uid);
	if (!backoff_due(e->backoff, key, e->now()))
		return;
	if (ob_fetch(e, folder, a->next->uid, a->next->size, &a->fd, &a->len) != 0)
		return;
	if (worker_pool_submit_fd(e->worker, a->fd, a->len) < 0) {
		close(a->fd);
		a->fd = -1;
		return;
	}
	a->uid = a->next->uid;
	/* for the message after it: the pass goes on */
	worker_pool_prepare(e->worker, WORKER_READY_NEXT);
}

enum worker_ready outbound_ready(const struct ob_env *e)
{
	return e->ahead != NULL && e->ahead->next != NULL ? WORKER_READY_NEXT : WORKER_READY_IDLE;
}

/* The look-ahead's message, if it is it (a skipped one dropped): 1 taken into *fd, 0 not. */
static int ob_ahead_take(struct ob_env *e, const struct ob_item *it, int *fd, size_t *len)
{
	if (e->ahead != NULL && e->ahead->uid != 0 && e->ahead->uid != it->uid)
		ob_ahead_drop(e);	/* the pass skipped it: never mix two messages */
	if (e->ahead == NULL || e->ahead->uid != it->uid)
		return 0;
	*fd = e->ahead->fd;
	*len = e->ahead->len;
	e->ahead->fd = -1;
	e->ahead->uid = 0;
	return 1;
}

int outbound_obtain(struct ob_env *e, const char *folder, const struct ob_item *it, int *fd,
    size_t *len)
{
	int rc;

	if (ob_ahead_take(e, it, fd, len))
		return 0;
	if ((rc = ob_fetch(e, folder, it->uid, it->size, fd, len)) != 0)
		return rc < 0 ? -1 : -3;
	if (worker_pool_submit_fd(e->worker, *fd, *len) < 0) {
		close(*fd);
		*fd = -1;
		return -2;
	}
	return 0;
}

/* m's bytes, handed to the worker: from the look-ahead when it holds them, else fetched now. */
static int ob_obtain(struct ob_env *e, struct ob_msg *m, enum ob_outcome *res)
{
	int rc = outbound_obtain(e, e->cfg->outbox_folder, &m->it, &m->h.fd, &m->h.len);

	*res = rc == -1 ? OB_MAILBOX_FAILED : OB_LEFT;
	if (rc == -2)
		ob_say(e, 3, "analysis worker could not start; uid=%u stays", m->it.uid);
	return rc < 0 ? -1 : 0;
}

/*
 * What is read of the raw bytes themselves, read while the worker
 * analyses them, so that they and the decoded texts are never in memory at
 * once: the size, the Message-ID and the journey, the new header. 0, or -1
 * with *res.
 */
static int ob_before(struct ob_env *e, struct ob_msg *m, enum ob_outcome *res)
{
	long long size = msgfd_crlf_size(m->h.fd, m->h.len);

	*res = OB_LEFT;
	if (size < 0 || msgfd_hold_map(&m->h) < 0) {
		ob_say(e, 3, "internal error: uid=%u: its fetched bytes cannot be read (%s); it stays",
		    m->it.uid, strerror(errno));
		return -1;
	}
	m->crlf = (size_t)size;
	if (ob_identify(e, m) < 0) {
		*res = OB_LOG_FAILED;
		return -1;
	}
	return ob_head(e, m);
}

/*
 * Fetches (or takes the look-ahead's message), identifies, analyses,
 * judges (on the journey's day) and rewrites the header; 0, or -1 with
 * *res what became of the attempt.
 */
static int ob_load(struct ob_env *e, struct ob_msg *m, enum ob_outcome *res)
{
	int rc, wrc;

	if (ob_obtain(e, m, res) < 0)
		return -1;
	rc = ob_before(e, m, res);
	/* the pages read go before the texts come: the header's are mapped again below */
	msgfd_hold_unmap(&m->h);
	/* collected whatever happened: the worker has one submission outstanding */
	wrc = worker_pool_collect(e->worker, &m->mr);
	/* the next message's worker starts now, while this one is judged, sent and filed */
	worker_pool_prepare(e->worker, outbound_ready(e));
	if (rc < 0)
		return -1;
	if (wrc < 0) {
		ob_say(e, 3, "analysis worker could not start; uid=%u stays", m->it.uid);
		*res = OB_LEFT;
		return -1;
	}
	verdict_judge(e->pol, &m->mr, (mgday)m->j.day, &m->v);
	if (msgfd_hold_map(&m->h) < 0) {
		ob_say(e, 3, "internal error: uid=%u: its fetched bytes cannot be read (%s); it stays",
		    m->it.uid, strerror(errno));
		*res = OB_LEFT;
		return -1;
	}
	ob_recheck(e, m);
	msgfd_hold_unmap(&m->h);
	if (m->nohead && m->v.accept) {
		m->v.accept = 0;
		verdict_add(&m->v, VC_MALFORMED_MESSAGE, "no header section");
	}
	return 0;
}

/* ---- the workflow ------------------------------------------------------- */

/* The envelope recipients, each checked usable; NULL after filing it malformed. */
static char **ob_envelope(struct ob_msg *m)
{
	char **rcpts = xcalloc(m->v.nrcpts + 1, sizeof(*rcpts));
	size_t i;

	for (i = 0; i < m->v.nrcpts; i++) {
		if (!outbound_addr_ok(m->v.rcpts[i].address)) {
			free(rcpts);
			m->v.accept = 0;
			verdict_add(&m->v, VC_MALFORMED_MESSAGE, "a recipient address is not usable");
			return NULL;
		}
		rcpts[i] = m->v.rcpts[i].address;
	}
	return rcpts;
}

/* Judged again just before MAIL FROM, on that moment's date. */
static int ob_judge_again(struct ob_env *e, struct ob_msg *m)
{
	struct verdict again;

	verdict_init(&again);
	verdict_judge(e->pol, &m->mr, mgday_today_london(e->now()), &again);
	if (again.accept) {
		verdict_free(&again);
		return 1;
	}
	verdict_free(&m->v);
	m->v = again;
	return 0;
}

/*
 * The clerical route (seed ¶59-62): in clerical or suspended mode the form
 * becomes a clerical copy and the message is held; a message whose
 * Message-ID already has a copy (waiting, or done) is held as
 * already-clerical, so nothing handled clerically goes twice. 1 when it
 * decided (*res), 0 when the message goes on.
 */
static int ob_clerical_route(struct ob_env *e, struct ob_msg *m, enum mg_mode mode,
    enum ob_outcome *res)
{
	int clerical = mode == MODE_CLERICAL || mode == MODE_SUSPENDED;
	struct clerical_form f;
	char id[CLERICAL_ID_LEN + 1], err[512], *detail;
	int cs = clerical_state(e->log, m->msgid);

	if (cs < 0) {
		ob_say(e, 3, "send log unreadable (clerical copies); message-id=<%s> stays", m->msgid);
		*res = OB_LOG_FAILED;
		return 1;
	}
	clerical_id(m->msgid, id);
	if (cs == CLERICAL_DONE || (cs == CLERICAL_WAITING && !clerical)) {
		detail = xasprintf("clerical copy %s (%s)", id, cs == CLERICAL_DONE ? "done" :
		    "waiting");
		*res = ob_conclude(e, m, JF_HELD, VC_ALREADY_CLERICAL, detail);
		free(detail);
		return 1;
	}
	if (!clerical)
		return 0;
	memset(&f, 0, sizeof(f));
	f.message_id = m->msgid;
	f.process = m->v.process ? m->v.process->id : NULL;
	f.tpl = m->v.form ? m->v.form->tpl : NULL;
	f.mr = &m->mr;
	if (clerical_make(e->log, e->cfg->state_dir, &f, e->now(), id, err, sizeof(err)) < 0) {
		ob_say(e, 3, "clerical copy not written: %s; message-id=<%s> stays", err, m->msgid);
		*res = OB_LEFT;
		return 1;
	}
	detail = xasprintf("mailgate is in %s mode: the clerical route is in use. The form is "
	    "waiting as clerical copy %s for staff to send by the clerical route.",
	    mode_name(mode), id);
	*res = ob_conclude(e, m, JF_CLERICAL, VC_NOT_NORMAL_MODE, detail);
	free(detail);
	return 1;
}

/* From the start (stage NONE), or again after an attempt that sent nothing (INTENT). */
static enum ob_outcome ob_attempt(struct ob_env *e, struct ob_msg *m)
{
	enum ob_outcome res;
	char **rcpts;
	int rc;

	if (!m->v.accept)
		return ob_conclude(e, m, JF_REJECTED, VC_COUNT, NULL);
	rc = e->mode ? e->mode(e->mode_ctx) : MODE_NORMAL;
	if (rc < 0) {
		ob_say(e, 3, "mode unreadable; uid=%u message-id=<%s> stays", m->it.uid, m->msgid);
		return OB_LOG_FAILED;
	}
	if (ob_clerical_route(e, m, (enum mg_mode)rc, &res))
		return res;
	/* outage: the servers fail, trying is how it ends; a message that fails stays */
	if (rc != MODE_NORMAL && rc != MODE_OUTAGE)
		return ob_conclude(e, m, JF_HELD, VC_NOT_NORMAL_MODE, NULL);
	rc = sendlog_was_sent(e->log, m->msgid);
	if (rc < 0) {
		ob_say(e, 3, "send log unreadable; message-id=<%s> stays", m->msgid);
		return OB_LOG_FAILED;
	}
	if (rc == 1)
		return ob_conclude(e, m, JF_HELD, VC_ALREADY_SENT, NULL);
	if (!ob_judge_again(e, m))
		return ob_conclude(e, m, JF_REJECTED, VC_COUNT, NULL);
	if ((rcpts = ob_envelope(m)) == NULL)
		return ob_conclude(e, m, JF_REJECTED, VC_COUNT, NULL);
	if (!outbound_addr_ok(e->pol->designated_address)) {
		ob_say(e, 3, "designated address unusable as envelope sender");
		free(rcpts);
		return OB_LEFT;
	}
	if (ob_bytes(e, m) < 0) {
		free(rcpts);
		return OB_LEFT;
	}
	if (m->j.stage == JR_NONE && ob_step(e, m, JR_INTENT, JF_PENDING) < 0) {
		res = OB_LOG_FAILED;
	} else {
		res = ob_transmit(e, m, rcpts);
	}
	free(rcpts);
	return res;
}

/* A journey at DATA found by a later attempt: sent if its copy is in Sent, else uncertain. */
static enum ob_outcome ob_resume_data(struct ob_env *e, struct ob_msg *m)
{
	int rc = ob_in_folder(e, e->cfg->sent_folder, m->msgid);

	if (rc < 0)
		return OB_MAILBOX_FAILED;
	if (rc == 0)
		return ob_conclude(e, m, JF_UNCERTAIN, VC_UNCERTAIN,
		    "the transaction was interrupted after DATA began; whether it was delivered "
		    "is not known");
	ob_say(e, 5, "resumed message-id=<%s>: its copy is in Sent, so it was sent", m->msgid);
	if (ob_step(e, m, JR_ACCEPTED, JF_SENT) < 0 && m->j.stage != JR_ACCEPTED)
		return OB_LOG_FAILED;
	return ob_accepted(e, m, 1);
}

/* Goes on from where the message's journey stopped. */
static enum ob_outcome ob_resume(struct ob_env *e, struct ob_msg *m)
{
	switch (m->j.stage) {
	case JR_NONE:
	case JR_INTENT:
		return ob_attempt(e, m);
	case JR_DATA:
		return ob_resume_data(e, m);
	case JR_ACCEPTED:
		return ob_accepted(e, m, 1);
	case JR_LOGGED:
		return ob_finish(e, m);
	case JR_DONE:
		/* done, but the database has not taken it yet: wait for it */
		return OB_LOG_FAILED;
	case JR_NSTAGES:
		break;
	}
	ob_say(e, 3, "internal error: message-id=<%s> at an unknown stage %d", m->msgid,
	    (int)m->j.stage);
	return OB_LEFT;
}

/* Over max-message-bytes by the server's count: judged on its header alone. */
static enum ob_outcome ob_too_large(struct ob_env *e, struct ob_msg *m)
{
	/* only the header is fetched (and not parsed): its Message-ID, or one derived over it */
	if (e->mail->fetch_header(e->mail->ctx, e->cfg->outbox_folder, m->it.uid, &m->h.raw,
	    &m->h.rawlen) < 0)
		return OB_MAILBOX_FAILED;
	if (ob_identify(e, m) < 0)
		return OB_LOG_FAILED;
	verdict_too_large_result(m->it.size, &m->mr);
	verdict_judge(e->pol, &m->mr, (mgday)m->j.day, &m->v);
	if (m->j.stage == JR_LOGGED)
		return ob_finish(e, m);
	return ob_conclude(e, m, JF_REJECTED, VC_COUNT, NULL);
}

enum ob_outcome outbound_message(struct ob_env *e, const struct ob_item *it)
{
	struct ob_msg m;
	enum ob_outcome res;
	char key[16];

	snprintf(key, sizeof(key), "%u", it->uid);
	if (!backoff_due(e->backoff, key, e->now()))
		return OB_SKIPPED;
	ob_msg_init(&m, it);
	if (verdict_size_exceeds(e->pol, it->size))
		res = ob_too_large(e, &m);
	else if (ob_load(e, &m, &res) == 0)
		res = ob_resume(e, &m);
	ob_msg_free(&m);
	return res;
}

/* ---- journeys whose message left the Outbox ---------------------------- */

static int ob_item_has(const struct ob_item *items, size_t n, uint32_t uid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (items[i].uid == uid)
			return 1;
	return 0;
}

/* The Outbox still holds the message (by UID, else by Message-ID): 1, 0, -1. */
static int ob_still_there(struct ob_env *e, const struct journey *j, const struct ob_item *items,
    size_t n)
{
	if (ob_item_has(items, n, j->uid))
		return 1;
	return ob_in_folder(e, e->cfg->outbox_folder, j->message_id);
}

/* A journey past INTENT whose message is gone: its rows (without recipients), then done. */
static int ob_settle_sent(struct ob_env *e, struct ob_msg *m)
{
	int insent = ob_in_folder(e, e->cfg->sent_folder, m->msgid);

	if (insent < 0)
		return OB_MAILBOX_FAILED;
	ob_say(e, 4, "message-id=<%s> left the Outbox at stage %s; logged %s", m->msgid,
	    journey_stage_name(m->j.stage), insent || m->j.stage > JR_DATA ? "sent" : "uncertain");
	if (m->j.stage == JR_DATA && !insent)
		return ob_log(e, m, JF_UNCERTAIN) < 0 ? OB_LOG_FAILED : 0;
	if (m->j.stage == JR_DATA && ob_step(e, m, JR_ACCEPTED, JF_SENT) < 0)
		return OB_LOG_FAILED;
	return ob_log(e, m, JF_PENDING) < 0 ? OB_LOG_FAILED : 0;
}

/* One journey whose message is gone: close it by what is known. 0 or an ob_outcome. */
static int ob_settle(struct ob_env *e, struct journey *j)
{
	struct ob_msg m;
	int rc = 0;

	ob_msg_init(&m, &(struct ob_item){ j->uid, 0 });
	m.j = *j;
	memset(j, 0, sizeof(*j));
	m.msgid = xstrdup(m.j.message_id);
	if (m.j.stage == JR_INTENT)
		ob_say(e, 5, "message-id=<%s> left the Outbox before it was sent", m.msgid);
	else if (m.j.stage == JR_LOGGED)
		ob_say(e, 6, "message-id=<%s>: its journey is closed (%s; the message has left the "
		    "Outbox)", m.msgid, journey_fate_name(m.j.fate));
	else
		rc = ob_settle_sent(e, &m);
	if (rc == 0 && ob_step(e, &m, JR_DONE, JF_PENDING) < 0)
		rc = OB_LOG_FAILED;
	ob_msg_free(&m);
	return rc;
}

int outbound_recover(struct ob_env *e, const struct ob_item *items, size_t n)
{
	struct journey *v = NULL;
	size_t nv = 0, i;
	int rc = 0, there;

	if (journey_sync(e->jr) < 0)
		return OB_LOG_FAILED;
	if (journey_list_open(e->jr, JR_OUT, JR_INTENT, &v, &nv) < 0) {
		ob_say(e, 3, "send log unreadable: cannot read the open journeys");
		return OB_LOG_FAILED;
	}
	for (i = 0; i < nv && rc == 0; i++) {
		there = ob_still_there(e, &v[i], items, n);
		if (there < 0)
			rc = OB_MAILBOX_FAILED;
		else if (there == 0)
			rc = ob_settle(e, &v[i]);
	}
	journey_list_free(v, nv);
	return rc;
}
