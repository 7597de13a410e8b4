/*
 * test_inbound - the department's mail: every routing rule of inbound_judge
 * (seed ¶47, ¶53, ¶56, ¶61-63), and the exactly-once promise of the
 * inbound workflow over its journey, driven with a fake mailbox and SMTP
 * server (fakemail.h) that fail at each step in turn (a lost connection,
 * a 4xx, a 5xx, the connection lost after DATA with or without delivery, a
 * crash that loses memory). After every fault the passes run on until INBOX
 * is empty, and each run asserts: nothing forwarded twice, no original deleted that
 * was not forwarded, every original forwarded or in Review, at most one
 * notice each, the forward rows in the log. Delivery reports the same way:
 * each failed recipient logged bounced once, one notice in Sent, the report
 * deleted only then; unmatched and delay-only reports in Review.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "diag.h"
#include "fakemail.h"
#include "inbound.h"
#include "journey.h"
#include "mime.h"
#include "mode.h"
#include "policy.h"
#include "rewrite.h"
#include "sendlog.h"
#include "util.h"

static struct policy *load_policy(void)
{
	const char *top = getenv("top_srcdir");
	char *pp = xasprintf("%s/tests/data/policy/inbound.xml", top ? top : ".");
	char *td = xasprintf("%s/templates", top ? top : ".");
	struct policy *p = NULL;
	struct diag d;

	diag_init(&d);
	if (policy_load(pp, td, &p, &d) < 0) {
		diag_print(&d, stderr);
		fail_msg("policy %s does not load", pp);
	}
	diag_free(&d);
	free(pp);
	free(td);
	return p;
}

/* ---- the fake caseload -------------------------------------------------- */

static const struct {
	const char *stem, *holder, *surname;
} held[] = {
	{ "AB123456", "acme", "smith" },
	{ "CE654321", "internal", "smith" },
	{ "JK112233", "ended", "smith" },
	{ "KL445566", "faraway", "smith" },
	{ "MN778899", "acme", "jones" },
};

static int fake_lookup(void *ctx, const char stem[NINO_STEM_LEN], const char *surname,
    struct cl_hit *hit)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < sizeof(held) / sizeof(held[0]); i++)
		if (memcmp(held[i].stem, stem, NINO_STEM_LEN) == 0) {
			snprintf(hit->holder, sizeof(hit->holder), "%s", held[i].holder);
			hit->surname = surname == NULL ? CL_SURNAME_UNCHECKED :
			    strcasecmp(surname, held[i].surname) == 0 ? CL_SURNAME_MATCH :
			    CL_SURNAME_DIFFERS;
			return 1;
		}
	return 0;
}

static const struct ib_caseload fake_caseload = { NULL, fake_lookup };

/* A department message: from, subject, surname and NINO lines (NULL: left out). */
static char *dept_msg(const char *id, const char *from, const char *subject, const char *surname,
    const char *nino)
{
	struct sbuf b;

	sbuf_init(&b);
	sbuf_printf(&b, "From: %s\nTo: whp@provider.example\nSubject: %s\n"
	    "Date: Mon, 23 Nov 2026 09:14:03 +0000\nMessage-ID: <%s>\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=UTF-8\n\nDear provider,\n\n", from, subject, id);
	if (surname)
		sbuf_printf(&b, "Participant surname: %s\n", surname);
	if (nino)
		sbuf_printf(&b, "National Insurance number: %s\n", nino);
	sbuf_adds(&b, "Change: The participant has moved house.\nDate of change: 2026-11-20\n");
	return b.data;
}

static const char *const dept = "whp.enquiries@dwp.example";
static const char *const coc = "WHP07 Change of Circumstances";

/* ---- the rules ------------------------------------------------------------ */

static void judge(const struct policy *p, const char *raw, int normal, struct ib_decision *d)
{
	struct mime_limits lim;
	struct mime_result mr;
	mgday day;

	mgday_from_ymd(2026, 11, 23, &day);
	mime_limits_default(&lim, (size_t)p->max_message_bytes);
	mime_result_init(&mr);
	mime_analyse(raw, strlen(raw), &lim, &mr);
	assert_int_equal(inbound_judge(p, &mr, day, normal, &fake_caseload, d), 0);
	mime_result_free(&mr);
}

static void expect_review(const struct policy *p, const char *raw, int normal, enum vcode code,
    int draft)
{
	struct ib_decision d;

	judge(p, raw, normal, &d);
	if (d.action != IB_REVIEW || d.code != code)
		fail_msg("expected review %s, got action %d code %s (%s)", vcode_info(code)->code,
		    (int)d.action, d.code < VC_COUNT ? vcode_info(d.code)->code : "-", d.detail);
	assert_int_equal(d.draft, draft);
	assert_null(strstr(d.detail, "AB123456"));
}

static void test_routes(void **state)
{
	struct policy *p = load_policy();
	struct ib_decision d;
	char *m;

	(void)state;
	/* ¶53: held by a permitted sub-contractor: to its inbox, nowhere else */
	m = dept_msg("a@dwp.example", dept, coc, "Smith", "AB 12 34 56 C");
	judge(p, m, 1, &d);
	free(m);
	assert_int_equal(d.action, IB_FORWARD);
	assert_int_equal(d.nto, 1);
	assert_string_equal(d.to[0], "whp@acme.example");
	assert_string_equal(d.org, "acme");
	assert_int_equal(d.cls, RCPT_SUBCONTRACTOR);
	/* held in-house: the internal inboxes that take the process */
	m = dept_msg("b@dwp.example", dept, "RE: " "WHP07 Change of Circumstances", "SMITH",
	    "CE654321A");
	judge(p, m, 1, &d);
	free(m);
	assert_int_equal(d.action, IB_FORWARD);
	assert_int_equal(d.nto, 1);
	assert_string_equal(d.to[0], "caseworkers@provider.example");
	/* inbound="internal": every internal inbox that takes the process */
	m = dept_msg("c@dwp.example", dept, "WHPER1 Exit Report", NULL, "AB123456C");
	judge(p, m, 1, &d);
	free(m);
	assert_int_equal(d.action, IB_FORWARD);
	assert_int_equal(d.nto, 2);
	assert_string_equal(d.to[1], "exits@provider.example");
	policy_free(p);
}

static void test_reviews(void **state)
{
	struct policy *p = load_policy();
	char *m;

	(void)state;
	/* ¶53: a permit that ended yesterday */
	m = dept_msg("d@dwp.example", dept, coc, "Smith", "JK112233A");
	expect_review(p, m, 1, VC_NOT_ENTITLED, 0);
	free(m);
	/* offshore holder */
	m = dept_msg("e@dwp.example", dept, coc, "Smith", "KL445566A");
	expect_review(p, m, 1, VC_NOT_ENTITLED, 0);
	free(m);
	/* ¶56: not ours, and details that differ: drafts to the Performance Manager */
	m = dept_msg("f@dwp.example", dept, coc, "Smith", "PR112233A");
	expect_review(p, m, 1, VC_UNKNOWN_PARTICIPANT, 1);
	free(m);
	m = dept_msg("g@dwp.example", dept, coc, "Smith", "MN778899A");
	expect_review(p, m, 1, VC_WRONG_DETAILS, 1);
	free(m);
	/* ¶53: two records */
	m = dept_msg("h@dwp.example", dept, coc, "Smith", "AB123456C and CE654321A");
	expect_review(p, m, 1, VC_TOO_MANY_RECORDS, 0);
	free(m);
	m = dept_msg("i@dwp.example", "whp.enquiries@dwp.example.evil", coc, "Smith", "AB123456C");
	expect_review(p, m, 1, VC_NOT_FROM_DEPARTMENT, 0);
	free(m);
	m = dept_msg("j@dwp.example", dept, coc, "Smith", "AB123456C");
	expect_review(p, m, 0, VC_NOT_NORMAL_MODE, 0);
	free(m);
	m = dept_msg("k@dwp.example", dept, "Hello", "Smith", "AB123456C");
	expect_review(p, m, 1, VC_UNKNOWN_PROCESS, 0);
	free(m);
	m = dept_msg("l@dwp.example", dept, "WHP Good News Story", NULL, NULL);
	expect_review(p, m, 1, VC_REVIEW_ROUTE, 0);
	free(m);
	m = dept_msg("m@dwp.example", dept, coc, "Smith", NULL);
	expect_review(p, m, 1, VC_NO_RECORD, 0);
	free(m);
	expect_review(p, "no header section at all", 1, VC_MALFORMED_MESSAGE, 0);
	policy_free(p);
}

static void test_notices(void **state)
{
	struct policy *p = load_policy();
	struct ib_decision d;
	char *m;

	(void)state;
	m = dept_msg("s@dwp.example", dept, "Fwd: WHP Suspension Notice", NULL, NULL);
	judge(p, m, 1, &d);
	free(m);
	assert_int_equal(d.action, IB_SUSPEND);
	assert_non_null(strstr(d.detail, dept));
	m = dept_msg("r@dwp.example", dept, "WHP Re-introduction Notice 2026", NULL, NULL);
	judge(p, m, 0, &d);
	free(m);
	assert_int_equal(d.action, IB_REINTRODUCE);
	/* only from the department */
	m = dept_msg("t@dwp.example", "someone@else.example", "WHP Suspension Notice", NULL, NULL);
	expect_review(p, m, 1, VC_NOT_FROM_DEPARTMENT, 0);
	free(m);
	policy_free(p);
}

/* ---- the workflow under faults -------------------------------------------- */

enum { F_INBOX, F_REVIEW, F_SENT, F_N };
static const char *const fnames[F_N] = { "INBOX", "Review", "Sent" };

/* The faults tried at every step (fakemail.h), FM_NONE a clean run. */
static const enum fm_fault kinds[] = { FM_NONE, FM_LOST, FM_TEMP, FM_PERM, FM_AFTER_DATA,
	FM_LOST_250, FM_CRASH, FM_KILL_250 };
/* A delivery report is not sent on: only the mailbox can fail. */
static const enum fm_fault report_kinds[] = { FM_NONE, FM_LOST, FM_CRASH };

/* The fake submission server, and what the forwards must be. */
static enum ob_send fs_send(void *ctx, const char *from, char *const *rcpts, size_t nrcpts,
    const char *data, size_t len, int (*progress)(void *pctx), void (*waiting)(void *pctx),
    void *pctx, char *reply, size_t replylen)
{
	assert_string_equal(from, "whp@provider.example");
	assert_true(nrcpts > 0);
	assert_non_null(strstr(data, rcpts[0]));
	return fakemail_send(ctx, from, rcpts, nrcpts, data, len, progress, waiting, pctx, reply,
	    replylen);
}

struct world {
	struct fm_world fw;	/* the fake and the outbound environment over it */
	struct ib_env ie;
	struct ob_batch batch;	/* overlap: originals deleted by the batch, */
	struct ob_ahead ahead;	/* the next message analysed during the data */
};

/* Forwarded (acme, internal), Review (unknown participant), forwarded to two. */
static const char *const ids[] = { "f1@dwp.example", "f2@dwp.example", "r1@dwp.example",
	"f3@dwp.example" };

static int w_mode(void *ctx)
{
	struct world *w = ctx;
	struct mode_state ms;

	if (mode_get(w->fw.log, &ms) < 0)
		return -1;
	return (int)ms.mode;
}

static void world_init(struct world *w)
{
	char *m;

	memset(w, 0, sizeof(*w));
	fakemail_world_init(&w->fw, load_policy(), fnames, F_N, "inbound");
	w->fw.fk.mark = "X-Mailgate-Forwarded";
	w->fw.cfg.inbox_folder = "INBOX";
	w->fw.cfg.review_folder = "Review";
	w->fw.cfg.sent_folder = "Sent";
	w->fw.cfg.imap_user = "whp";
	w->fw.smtp.send = fs_send;
	w->fw.e.mode = w_mode;
	w->fw.e.mode_ctx = w;
	w->ie = (struct ib_env){ &w->fw.e, &fake_caseload };
	m = dept_msg(ids[0], dept, coc, "Smith", "AB123456C");
	fakemail_put(&w->fw.fk, F_INBOX, m, strlen(m));
	free(m);
	m = dept_msg(ids[1], dept, coc, "Smith", "CE654321A");
	fakemail_put(&w->fw.fk, F_INBOX, m, strlen(m));
	free(m);
	m = dept_msg(ids[2], dept, coc, "Smith", "PR112233A");
	fakemail_put(&w->fw.fk, F_INBOX, m, strlen(m));
	free(m);
	m = dept_msg(ids[3], dept, "WHPER1 Exit Report", NULL, "AB123456C");
	fakemail_put(&w->fw.fk, F_INBOX, m, strlen(m));
	free(m);
}

/* The world with an empty INBOX, its clock on Monday 23 November 2026. */
static void world_init_empty(struct world *w)
{
	world_init(w);
	fakemail_time = 1795424400;
	while (w->fw.fk.f[F_INBOX].n > 0)
		fakemail_drop(&w->fw.fk, F_INBOX, 0);
}

/* Puts m (freed) in INBOX. */
static void inbox_put(struct world *w, char *m)
{
	fakemail_put(&w->fw.fk, F_INBOX, m, strlen(m));
	free(m);
}

/* The daemon's way of a pass: with the batch and the look-ahead (overlap) or without. */
static void world_overlap(struct world *w)
{
	memset(&w->batch, 0, sizeof(w->batch));
	memset(&w->ahead, 0, sizeof(w->ahead));
	w->batch.folder = "INBOX";
	w->fw.e.batch = &w->batch;
	w->fw.e.ahead = &w->ahead;
}

static void run_pass(struct world *w)
{
	struct ob_item *items = NULL;
	size_t n = 0, i;

	if (fakemail_list(&w->fw.fk, "INBOX", 0, &items, &n) == 0)
		for (i = 0; i < n; i++) {
			if (w->fw.e.ahead != NULL)
				w->ahead.next = i + 1 < n ? &items[i + 1] : NULL;
			if (inbound_message(&w->ie, &items[i]) == IB_MAILBOX_FAILED)
				break;
		}
	free(items);
	if (w->fw.e.batch != NULL)
		(void)outbound_flush(&w->fw.e);	/* a crash's: refused, the journeys stay LOGGED */
	if (w->fw.fk.crashed)
		fakemail_world_restart(&w->fw);	/* memory gone, the log and the journeys opened again */
	fakemail_time += 16 * 60;	/* past any backoff */
}

static size_t count_rows(struct world *w, const char *direction, const char *mid)
{
	sqlite3_stmt *st;
	size_t n = 0;
	char *like = xasprintf("%%%s%%", mid);

	/* the message rows' columns are the log's business: count by message and direction */
	assert_int_equal(sqlite3_prepare_v2(sendlog_db(w->fw.log), "SELECT count(*) FROM log WHERE "
	    "direction = ? AND message_id LIKE ?", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, direction, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, like, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	free(like);
	return n;
}

/* What must hold after any fault, once the passes have run. */
static void check_world(struct world *w, const char *what)
{
	size_t i, k, times, in_review, notices;

	if (w->fw.fk.f[F_INBOX].n != 0)
		fail_msg("%s: %zu message(s) left in INBOX", what, w->fw.fk.f[F_INBOX].n);
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char *want = xasprintf("<%s>", ids[i]);

		for (k = times = 0; k < w->fw.fk.ndelivered; k++)
			times += w->fw.fk.delivered[k] && strcmp(w->fw.fk.delivered[k], want) == 0;
		for (k = in_review = notices = 0; k < w->fw.fk.f[F_REVIEW].n; k++) {
			char *mid = rewrite_message_id(w->fw.fk.f[F_REVIEW].v[k].data, w->fw.fk.f[F_REVIEW].v[k].len);
			char *nm = rewrite_header_value(w->fw.fk.f[F_REVIEW].v[k].data,
			    w->fw.fk.f[F_REVIEW].v[k].len, "X-Mailgate-Message-ID");

			in_review += mid && strcmp(mid, ids[i]) == 0;
			notices += nm && strcmp(nm, want) == 0;
			free(mid);
			free(nm);
		}
		if (times > 1)
			fail_msg("%s: %s forwarded %zu times", what, ids[i], times);
		if (in_review > 1 || notices != in_review)
			fail_msg("%s: %s: %zu in Review, %zu notices", what, ids[i], in_review, notices);
		/* deleted from INBOX only when forwarded, and then logged */
		if (!in_review && (times != 1 || count_rows(w, "forward", ids[i]) == 0))
			fail_msg("%s: %s deleted from INBOX, forwarded %zu times, %zu forward rows",
			    what, ids[i], times, count_rows(w, "forward", ids[i]));
		if (i == 2 && (times != 0 || !in_review))
			fail_msg("%s: the unknown participant's message was not kept for Review", what);
		free(want);
	}
}

static void test_every_fault_at_every_step(void **state)
{
	struct world w;
	int overlap, at, pass, total = 0;
	size_t k;

	(void)state;
	for (overlap = 0; overlap < 2; overlap++)
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		for (at = 1; at <= 40; at++) {
			enum fm_fault kind = kinds[k];
			char what[64];

			world_init(&w);
			if (overlap)
				world_overlap(&w);
			w.fw.fk.kind = kind;
			w.fw.fk.fail_at = kind == FM_NONE ? 0 : at;
			fakemail_time = 1795424400;	/* 2026-11-23T09:00:00Z */
			for (pass = 0; pass < 8 && w.fw.fk.f[F_INBOX].n > 0; pass++)
				run_pass(&w);
			snprintf(what, sizeof(what), "fault %d at call %d%s", (int)kind, at,
			    overlap ? ", overlapped" : "");
			check_world(&w, what);
			if (kind == FM_NONE) {
				assert_int_equal(w.fw.fk.ndelivered, 3);
				assert_int_equal(count_rows(&w, "forward", ids[3]), 2);
				assert_int_equal(count_rows(&w, "in", ids[2]), 1);
				/* overlapped: the successors of f1 and f2 (f3 is last) fetched during
				 * their data, the forwarded originals deleted in one set */
				assert_int_equal(w.fw.fk.ahead_fetches, overlap ? 2 : 0);
				assert_int_equal(w.fw.fk.removed_sets, overlap ? 1 : 0);
			}
			total++;
			fakemail_world_free(&w.fw);
			if (kind == FM_NONE)
				break;
		}
	assert_true(total > 400);
}

/* ¶61: a suspension notice puts mailgate in suspended at once, logged with the sender. */
static void test_suspension(void **state)
{
	struct world w;
	struct mode_state ms;
	char *m;

	(void)state;
	world_init_empty(&w);
	m = dept_msg("susp@dwp.example", dept, "WHP Suspension Notice", NULL, NULL);
	inbox_put(&w, m);
	m = dept_msg(ids[0], dept, coc, "Smith", "AB123456C");
	inbox_put(&w, m);
	run_pass(&w);
	assert_int_equal(mode_get(w.fw.log, &ms), 0);
	assert_int_equal(ms.mode, MODE_SUSPENDED);
	assert_string_equal(ms.who, dept);
	/* both in Review; the form after it is not forwarded */
	assert_int_equal(w.fw.fk.f[F_INBOX].n, 0);
	assert_int_equal(w.fw.fk.ndelivered, 0);
	fakemail_world_free(&w.fw);
}

/* A Message-ID with terminal controls in it reaches the journal escaped, as outbound's do. */
static void test_journal_escaped(void **state)
{
	struct world w;
	struct sbuf lines;
	char *m;

	(void)state;
	world_init_empty(&w);
	m = dept_msg("esc\x1b]0;owned\x07@dwp.example", dept, coc, "Smith", "AB123456C");
	inbox_put(&w, m);
	sbuf_init(&lines);
	sbuf_adds(&lines, "");
	w.fw.e.log_ctx = &lines;
	run_pass(&w);
	if (strchr(lines.data, '\x1b') != NULL || strchr(lines.data, '\x07') != NULL)
		fail_msg("a control reached the journal raw:\n%s", lines.data);
	assert_non_null(strstr(lines.data, "message-id=<esc\\x1b]0;owned\\x07@dwp.example>"));
	sbuf_free(&lines);
	fakemail_world_free(&w.fw);
}

/* ---- delivery reports ------------------------------------------------------ */

/* A Postfix-shaped report about orig: one block per "ACTION ADDRESS" of rcpts. */
static char *dsn_msg(const char *id, const char *orig, const char *const *rcpts, size_t n)
{
	struct sbuf b;
	size_t i;

	sbuf_init(&b);
	sbuf_printf(&b, "From: MAILER-DAEMON@relay.provider.example (Mail Delivery System)\n"
	    "To: whp@provider.example\nSubject: Undelivered Mail Returned to Sender\n"
	    "Date: Mon, 23 Nov 2026 09:20:00 +0000\nMessage-ID: <%s>\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\n\n"
	    "--R\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
	    "--R\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay\n", id);
	for (i = 0; i < n; i++) {
		const char *sp = strchr(rcpts[i], ' ');

		sbuf_printf(&b, "\nFinal-Recipient: rfc822; %s\nAction: %.*s\nStatus: %s\n"
		    "Diagnostic-Code: smtp; %s user unknown\n", sp + 1, (int)(sp - rcpts[i]),
		    rcpts[i], rcpts[i][0] == 'f' ? "5.1.1" : "4.4.1",
		    rcpts[i][0] == 'f' ? "550 5.1.1" : "451 4.4.1");
	}
	sbuf_printf(&b, "\n--R\nContent-Type: text/rfc822-headers\n\nFrom: whp@provider.example\n"
	    "Subject: WHP07 Change of Circumstances\nMessage-ID: <%s>\n\n--R--\n", orig);
	return b.data;
}

static void seed_sent(struct world *w, const char *mid, const char *rcpt)
{
	struct sendlog_row r = { .time = 1795420000, .kind = "message", .direction = "out",
	    .process = "change-of-circumstances", .recipient = rcpt, .rclass = "subcontractor",
	    .org = "acme", .outcome = "sent", .records = 1, .message_id = mid };
	char err[256];

	if (sendlog_add(w->fw.log, &r, err, sizeof(err)) < 0)
		fail_msg("%s", err);
}

static size_t count_outcome(struct world *w, const char *mid, const char *rcpt,
    const char *outcome)
{
	sqlite3_stmt *st;
	size_t n = 0;

	assert_int_equal(sqlite3_prepare_v2(sendlog_db(w->fw.log), "SELECT count(*) FROM log WHERE "
	    "message_id = ? AND outcome = ? AND (?3 IS NULL OR recipient = ?3)", -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, mid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, outcome, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, rcpt, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static size_t count_header(struct world *w, int f, const char *field, const char *value)
{
	size_t k, n = 0;

	for (k = 0; k < w->fw.fk.f[f].n; k++) {
		char *v = rewrite_header_value(w->fw.fk.f[f].v[k].data, w->fw.fk.f[f].v[k].len, field);

		n += v && strcmp(v, value) == 0;
		free(v);
	}
	return n;
}

static const char *const orig = "orig-1@provider.example";

/* Three reports: two bounces (one a repeat) and a delay; one about a message never sent. */
static void world_reports(struct world *w)
{
	static const char *const bounce[] = { "failed nobody@acme.example",
	    "failed stranger@else.example", "delayed slow@acme.example" };
	static const char *const again[] = { "failed nobody@acme.example" };
	static const char *const delay[] = { "delayed slow@acme.example" };
	static const char *const ids_r[] = { "dsn1@relay", "dsn2@relay", "dsn3@relay",
	    "dsn4@relay" };
	char *m;

	while (w->fw.fk.f[F_INBOX].n > 0)
		fakemail_drop(&w->fw.fk, F_INBOX, 0);
	seed_sent(w, orig, "nobody@acme.example");
	seed_sent(w, orig, "slow@acme.example");
	m = dsn_msg(ids_r[0], orig, bounce, 3);
	fakemail_put(&w->fw.fk, F_INBOX, m, strlen(m));
	free(m);
	m = dsn_msg(ids_r[1], orig, again, 1);
	fakemail_put(&w->fw.fk, F_INBOX, m, strlen(m));
	free(m);
	m = dsn_msg(ids_r[2], orig, delay, 1);
	fakemail_put(&w->fw.fk, F_INBOX, m, strlen(m));
	free(m);
	m = dsn_msg(ids_r[3], "never@provider.example", again, 1);
	fakemail_put(&w->fw.fk, F_INBOX, m, strlen(m));
	free(m);
}

static void test_reports_under_faults(void **state)
{
	struct world w;
	int at, pass, total = 0;
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(report_kinds) / sizeof(report_kinds[0]); k++) {
		for (at = 1; at <= 30; at++) {
			enum fm_fault kind = report_kinds[k];
			char what[64];

			world_init(&w);
			world_reports(&w);
			w.fw.fk.kind = kind;
			w.fw.fk.fail_at = kind == FM_NONE ? 0 : at;
			fakemail_time = 1795424400;
			for (pass = 0; pass < 8 && w.fw.fk.f[F_INBOX].n > 0; pass++)
				run_pass(&w);
			snprintf(what, sizeof(what), "fault %d at call %d", (int)kind, at);
			if (w.fw.fk.f[F_INBOX].n != 0)
				fail_msg("%s: %zu report(s) left in INBOX", what, w.fw.fk.f[F_INBOX].n);
			/* once per recipient, however many reports and crashes */
			if (count_outcome(&w, orig, "nobody@acme.example", "bounced") != 1)
				fail_msg("%s: %zu bounced rows", what,
				    count_outcome(&w, orig, "nobody@acme.example", "bounced"));
			/* never sent to, or only delayed: no row */
			assert_int_equal(count_outcome(&w, orig, NULL, "bounced"), 1);
			assert_int_equal(count_outcome(&w, "never@provider.example", NULL, "bounced"), 0);
			/* one notice for the one recipient set; the repeat added none */
			assert_int_equal(count_header(&w, F_SENT, "X-Mailgate-Notice", "bounced"), 1);
			assert_int_equal(count_header(&w, F_SENT, "X-Mailgate-Message-ID",
			    "<orig-1@provider.example>"), 1);
			/* the delay and the unmatched one in Review, each with its notice */
			assert_int_equal(count_header(&w, F_REVIEW, "Message-ID", "<dsn3@relay>"), 1);
			assert_int_equal(count_header(&w, F_REVIEW, "Message-ID", "<dsn4@relay>"), 1);
			assert_int_equal(count_header(&w, F_REVIEW, "X-Mailgate-Reasons",
			    "unmatched-report"), 2);
			assert_int_equal(count_outcome(&w, "dsn3@relay", NULL, "review"), 1);
			assert_int_equal(count_outcome(&w, "dsn4@relay", NULL, "review"), 1);
			total++;
			fakemail_world_free(&w.fw);
			if (kind == FM_NONE)
				break;
		}
	}
	assert_true(total > 60);
}

/* The outcomes the pass counts: a report acted on is deleted, not forwarded. */
static void test_report_outcomes(void **state)
{
	struct world w;
	struct ob_item *items = NULL;
	size_t n = 0;

	(void)state;
	world_init(&w);
	world_reports(&w);
	fakemail_time = 1795424400;
	assert_int_equal(fakemail_list(&w.fw.fk, "INBOX", 0, &items, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(inbound_message(&w.ie, &items[0]), IB_DELETED);
	assert_int_equal(inbound_message(&w.ie, &items[1]), IB_DELETED);
	assert_int_equal(inbound_message(&w.ie, &items[2]), IB_REVIEWED);
	assert_int_equal(inbound_message(&w.ie, &items[3]), IB_REVIEWED);
	free(items);
	fakemail_world_free(&w.fw);
}

/* ¶62-63: a re-introduction notice is recorded (for status and mode resume), not obeyed. */
static void test_reintroduction(void **state)
{
	struct world w;
	struct mode_state ms;
	struct mode_reintro r;
	char *m;

	(void)state;
	world_init_empty(&w);
	assert_int_equal(mode_reintro_get(w.fw.log, &r), 0);
	m = dept_msg("susp@dwp.example", dept, "WHP Suspension Notice", NULL, NULL);
	inbox_put(&w, m);
	m = dept_msg("re-in@dwp.example", dept, "WHP Re-introduction Notice", NULL, NULL);
	inbox_put(&w, m);
	run_pass(&w);
	assert_int_equal(mode_get(w.fw.log, &ms), 0);
	assert_int_equal(ms.mode, MODE_SUSPENDED);
	assert_int_equal(mode_reintro_get(w.fw.log, &r), 1);
	assert_string_equal(r.from, dept);
	assert_string_equal(r.message_id, "re-in@dwp.example");
	assert_int_equal(r.when, 1795424400);
	assert_int_equal(w.fw.fk.f[F_REVIEW].n, 4);	/* both, each with its notice */
	/* a hostile field's tab cannot split the stored value */
	{
		struct mode_reintro bad = { "a\tb@x", "c\nd@x", 1795424500 };
		char err[256];

		assert_int_equal(mode_reintro_set(w.fw.log, &bad, err, sizeof(err)), 0);
		assert_int_equal(mode_reintro_get(w.fw.log, &r), 1);
		assert_string_equal(r.message_id, "a b@x");
		assert_string_equal(r.from, "c d@x");
	}
	fakemail_world_free(&w.fw);
}

/* Journeys whose original staff removed from INBOX by hand: settled, never sent again. */
static void test_recover(void **state)
{
	static const struct { const char *id; enum jr_stage at; enum jr_fate fate; } js[] = {
		{ "gone-intent@dwp.example", JR_INTENT, JF_PENDING },
		{ "gone-data@dwp.example", JR_DATA, JF_PENDING },
		{ "gone-accepted@dwp.example", JR_ACCEPTED, JF_FORWARDED },
		{ "f1@dwp.example", JR_INTENT, JF_PENDING },	/* still in INBOX, under a new UID */
	};
	static const enum jr_stage path[] = { JR_INTENT, JR_DATA, JR_ACCEPTED };
	struct world w;
	struct journey j, *open = NULL;
	size_t i, k, nopen = 0;
	char err[256];

	(void)state;
	world_init(&w);
	fakemail_time = 1795424400;
	for (i = 0; i < sizeof(js) / sizeof(js[0]); i++) {
		journey_new(&j, JR_IN, js[i].id);
		j.uid = 900 + (uint32_t)i;
		j.date = fakemail_time;
		for (k = 0; k < 3 && path[k] <= js[i].at; k++)
			assert_int_equal(journey_advance(w.fw.jr, &j, path[k], path[k] == JR_ACCEPTED ?
			    js[i].fate : JF_PENDING, err, sizeof(err)), 0);
		journey_clear(&j);
	}
	assert_int_equal(inbound_recover(&w.ie, NULL, 0), 0);
	assert_int_equal(w.fw.fk.ndelivered, 0);
	assert_int_equal(count_outcome(&w, "gone-intent@dwp.example", NULL, "sent") +
	    count_outcome(&w, "gone-intent@dwp.example", NULL, "uncertain"), 0);
	assert_int_equal(count_outcome(&w, "gone-data@dwp.example", NULL, "uncertain"), 1);
	assert_int_equal(count_rows(&w, "forward", "gone-accepted@dwp.example"), 1);
	assert_int_equal(count_outcome(&w, "gone-accepted@dwp.example", NULL, "sent"), 1);
	/* only the one still in INBOX stays open */
	assert_int_equal(journey_list_open(w.fw.jr, JR_IN, JR_INTENT, &open, &nopen), 0);
	assert_int_equal(nopen, 1);
	assert_string_equal(open[0].message_id, "f1@dwp.example");
	journey_list_free(open, nopen);
	/* a second settle finds nothing more to do */
	assert_int_equal(inbound_recover(&w.ie, NULL, 0), 0);
	assert_int_equal(count_outcome(&w, "gone-data@dwp.example", NULL, "uncertain"), 1);
	fakemail_world_free(&w.fw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_reviews),
		cmocka_unit_test(test_notices),
		cmocka_unit_test(test_every_fault_at_every_step),
		cmocka_unit_test(test_suspension),
		cmocka_unit_test(test_journal_escaped),
		cmocka_unit_test(test_reports_under_faults),
		cmocka_unit_test(test_report_outcomes),
		cmocka_unit_test(test_reintroduction),
		cmocka_unit_test(test_recover),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
