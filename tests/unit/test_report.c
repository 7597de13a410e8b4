/*
 * test_report - logquery's matching (organisations and Message-IDs in any
 * case, brackets or not, repeated values as any of) and the report's
 * figures on a small log: London months and days, totals that add up,
 * incidents opened, acted on and open at the end, outages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "logquery.h"
#include "mode.h"
#include "report.h"
#include "sendlog.h"
#include "util.h"

static const unsigned char KEY[] = "0123456789abcdef0123456789abcdef-report-key";

static time_t
T(const char *s)
{
	time_t t;

	assert_true(sendlog_parse_time(s, 0, &t));
	return t;
}

static void
msg(struct sendlog *sl, const char *t, const char *mid, const char *outcome, const char *org,
    const char *reasons, int nrcpt)
{
	struct sendlog_row r[2];
	char err[256];
	int i;

	for (i = 0; i < nrcpt; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].time = T(t);
		r[i].kind = "message";
		r[i].direction = "out";
		r[i].process = "exit-report";
		r[i].recipient = i ? "b@dwp.example" : "a@acme.example";
		r[i].rclass = i ? "department" : "subcontractor";
		r[i].org = i ? "DWP" : org;
		r[i].outcome = outcome;
		r[i].records = 1;
		r[i].message_id = mid;
		r[i].reasons = reasons;
	}
	assert_int_equal(sendlog_add_rows(sl, r, (size_t)nrcpt, err, sizeof(err)), 0);
}

static void
incident(struct sendlog *sl, const char *t, const char *mid, const char *action)
{
	struct sendlog_row r;
	char err[256];

	memset(&r, 0, sizeof(r));
	r.time = T(t);
	r.kind = "incident";
	r.records = -1;
	r.message_id = mid;
	r.recipient = "a@acme.example";
	r.outcome = action;
	r.detail = action;
	assert_int_equal(sendlog_add(sl, &r, err, sizeof(err)), 0);
}

static struct sendlog *
sample(char *dir)
{
	struct sendlog *sl;
	char err[256];

	assert_non_null(mkdtemp(dir));
	assert_int_equal(sendlog_open(dir, KEY, sizeof(KEY) - 1, SENDLOG_WRITE | SENDLOG_NOSYNC, &sl,
	    err, sizeof(err)), 0);
	msg(sl, "2026-06-30T23:30:00Z", "m0@p", "sent", "acme", NULL, 1);	/* London July */
	msg(sl, "2026-07-15T22:30:00Z", "M1@P", "sent", "acme", NULL, 2);	/* 23:30 BST */
	msg(sl, "2026-07-20T10:00:00Z", "m2@p", "held", "acme", "not-normal-mode", 1);
	msg(sl, "2026-07-21T10:00:00Z", "m2@p", "sent", "acme", NULL, 1);
	msg(sl, "2026-07-22T10:00:00Z", "m3@p", "rejected", "faraway", "offshore-recipient late-notice", 2);
	msg(sl, "2026-07-31T23:30:00Z", "m4@p", "sent", "acme", NULL, 1);	/* London August */
	incident(sl, "2026-06-20T10:00:00Z", "m9@p", "alerted");
	incident(sl, "2026-07-02T10:00:00Z", "m9@p", "deletion-confirmed");
	incident(sl, "2026-07-16T10:00:00Z", "m1@p", "alerted");
	assert_int_equal(mode_set(sl, MODE_OUTAGE, "imap down", "mailgated", T("2026-07-10T08:00:00Z"),
	    err, sizeof(err)), 0);
	assert_int_equal(mode_set(sl, MODE_NORMAL, "back", "mailgated", T("2026-07-10T09:00:00Z"),
	    err, sizeof(err)), 0);
	assert_int_equal(mode_set(sl, MODE_OUTAGE, "smtp down", "mailgated",
	    T("2026-07-30T08:00:00Z"), err, sizeof(err)), 0);
	return sl;
}

static int
count(const struct lq_row *r, void *arg)
{
	(void)r;
	++*(int *)arg;
	return 0;
}

static int
rows(struct sendlog *sl, struct lq_filter *f)
{
	char err[256];
	int n = 0;

	assert_int_equal(logquery_messages(sl, f, count, &n, err, sizeof(err)), 0);
	lq_filter_free(f);
	return n;
}

static void
test_matching(void **state)
{
	char dir[] = "/tmp/mgreportXXXXXX";
	struct sendlog *sl = sample(dir);
	struct lq_filter f;
	char *id;

	(void)state;
	lq_filter_init(&f);
	lq_filter_add(&f, LQ_ORG, "ACME");
	assert_int_equal(rows(sl, &f), 5);
	lq_filter_init(&f);
	lq_filter_add(&f, LQ_MESSAGE_ID, "<m1@p>");
	assert_int_equal(rows(sl, &f), 2);
	lq_filter_init(&f);
	lq_filter_add(&f, LQ_MESSAGE_ID, " <M2@P> ");
	assert_int_equal(rows(sl, &f), 2);
	lq_filter_init(&f);
	lq_filter_add(&f, LQ_OUTCOME, "held");
	lq_filter_add(&f, LQ_OUTCOME, "rejected");
	assert_int_equal(rows(sl, &f), 3);
	lq_filter_init(&f);
	lq_filter_add(&f, LQ_RECIPIENT, "B@DWP.example");
	assert_int_equal(rows(sl, &f), 2);
	assert_int_equal(logquery_has_sent(sl, "<m1@P>", "a@acme.example"), 1);
	assert_int_equal(logquery_has_sent(sl, "m3@p", "a@acme.example"), 0);
	id = logquery_msgid("<x@y>");
	assert_string_equal(id, "x@y");
	free(id);
	sendlog_close(sl);
	assert_int_equal(system(strcat(strcpy((char[64]){ 0 }, "rm -rf "), dir)), 0);
}

static long
line(const struct report_breakdown *bd, const char *key, int recipients)
{
	size_t i;

	for (i = 0; i < bd->n; i++)
		if (bd->v[i].key && strcmp(bd->v[i].key, key) == 0)
			return recipients ? bd->v[i].recipients : bd->v[i].messages;
	return -1;
}

static void
test_july(void **state)
{
	char dir[] = "/tmp/mgreportXXXXXX", err[256];
	struct sendlog *sl = sample(dir);
	struct report *r;
	long sum = 0;
	size_t i;

	(void)state;
	/* London's July: from 2026-06-30T23:00Z to 2026-07-31T22:59:59Z */
	assert_int_equal(report_build(sl, T("2026-06-30T23:00:00Z"), T("2026-07-31T22:59:59Z"),
	    "July 2026", T("2026-08-01T12:00:00Z"), &r, err, sizeof(err)), 0);
	report_verify(r, sl, T("2026-08-01T12:00:00Z"));
	assert_int_equal(r->verify_rc, 0);
	assert_int_equal(strlen(r->head), SENDLOG_HEAD_LEN);
	assert_true(r->rows > 0);
	assert_int_equal(r->messages, 5);	/* m0, m1, m2 held, m2 sent, m3 */
	assert_int_equal(r->recipients, 7);
	assert_int_equal(line(&r->outcome, "sent", 0), 3);
	assert_int_equal(line(&r->outcome, "held", 0), 1);
	assert_int_equal(line(&r->outcome, "rejected", 1), 2);
	for (i = 0; i < r->outcome.n; i++)
		sum += r->outcome.v[i].messages;
	assert_int_equal(sum, r->messages);
	for (sum = 0, i = 0; i < r->org.n; i++)
		sum += r->org.v[i].recipients;
	assert_int_equal(sum, r->recipients);
	assert_int_equal(line(&r->reason, "late-notice", 0), 1);
	assert_int_equal(line(&r->reason, "offshore-recipient", 1), 2);
	/* the 23:30 BST send is on London's 15 July (day index 14), m0 on 1 July */
	assert_int_equal(r->process.v[0].sent[14], 1);
	assert_int_equal(r->process.v[0].sent[0], 1);
	assert_int_equal(r->process.v[0].refused[21], 1);
	assert_int_equal(r->opened, 1);		/* m1's; m9's was opened in June */
	assert_int_equal(r->actions, 2);	/* m9 confirmed, m1 alerted */
	assert_int_equal(r->still_open, 1);
	assert_int_equal(r->nmodes, 3);
	assert_int_equal(r->noutages, 2);
	assert_int_equal(r->outages[0].end - r->outages[0].start, 3600);
	assert_int_equal(r->outages[1].end, 0);	/* still going at the month's end */
	report_free(r);
	sendlog_close(sl);
	assert_int_equal(system(strcat(strcpy((char[64]){ 0 }, "rm -rf "), dir)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matching),
		cmocka_unit_test(test_july),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
