/*
 * test_notice - the caseworker's notice: its headers for each kind, the
 * standard subject (never the sender's), one paragraph per reason with
 * words, a plain-words detail and what to do for every code of verdict's
 * table (proofread here, one expected sentence each), the stable notice
 * Message-ID, and hostile input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "notice.h"

#define ADDR "outbound@provider.example"
#define COC "change-of-circumstances"

static struct policy_process coc_process = {
	.id = COC, .name = "Change of Circumstances", .max_records = 1, .min_notice_days = 5,
};
static struct policy_form coc_form = { .subject = "WHP07 Change of Circumstances" };

/* A verdict that matched the Change of Circumstances form with two records. */
static struct verdict coc_verdict = { .process = &coc_process, .form = &coc_form, .records = 2 };

/* Tuesday 24 November 2026, 06:00 UTC. */
static char *build_v(enum notice_kind k, const struct verdict *v, const char *mid,
    const struct notice_reason *r, size_t n)
{
	struct notice nt = { .kind = k, .address = ADDR, .message_id = mid, .verdict = v,
	    .reasons = r, .nreasons = n, .now = (time_t)1795500000 };
	struct sbuf b;

	sbuf_init(&b);
	notice_build(&nt, &b);
	return sbuf_steal(&b, NULL);
}

static char *build(enum notice_kind k, const char *mid, const struct notice_reason *r, size_t n)
{
	return build_v(k, &coc_verdict, mid, r, n);
}

/* The body with line breaks made spaces, so wrapped text can be searched. */
static char *flat_body(const char *msg)
{
	const char *body = strstr(msg, "\r\n\r\n");
	char *f, *p, *q;

	assert_non_null(body);
	f = xstrdup(body + 4);
	for (p = q = f; *p; p++) {
		if (*p == '\r')
			continue;
		*q++ = *p == '\n' ? ' ' : *p;
	}
	*q = '\0';
	return f;
}

static void test_headers(void **state)
{
	struct notice_reason r[2];
	char *m;

	(void)state;
	notice_reason_set(&r[0], VC_NO_RECORD, NULL);
	notice_reason_set(&r[1], VC_UNINSPECTABLE_ATTACHMENT, "scan.pdf (application/pdf)");
	m = build(NOTICE_REJECTED, "abc@host", r, 2);
	assert_non_null(strstr(m, "From: mailgate <" ADDR ">\r\n"));
	assert_non_null(strstr(m, "\r\nSubject: Not sent: WHP07 Change of Circumstances\r\n"));
	assert_non_null(strstr(m, "\r\nIn-Reply-To: <abc@host>\r\n"));
	assert_non_null(strstr(m, "\r\nReferences: <abc@host>\r\n"));
	assert_non_null(strstr(m, "\r\nContent-Type: text/plain; charset=UTF-8\r\n"));
	assert_non_null(strstr(m, "\r\nX-Mailgate-Notice: rejected\r\n"));
	assert_non_null(strstr(m, "\r\nX-Mailgate-Reasons: no-record uninspectable-attachment\r\n"));
	assert_non_null(strstr(m, "\r\nX-Mailgate-Message-ID: <abc@host>\r\n"));
	assert_non_null(strstr(m, "\r\nDate: Tue, 24 Nov 2026 06:00:00 +0000\r\n"));
	free(m);
	m = build(NOTICE_HELD, "abc@host", r, 1);
	assert_non_null(strstr(m, "\r\nSubject: Held: WHP07 Change of Circumstances\r\n"));
	assert_non_null(strstr(m, "\r\nX-Mailgate-Notice: held\r\n"));
	free(m);
	notice_reason_set(&r[0], VC_LATE_NOTICE, "2026-11-26 is 2 day(s) from today; 5 are required");
	m = build(NOTICE_WARNING, "abc@host", r, 1);
	assert_non_null(strstr(m, "\r\nSubject: Sent with warning: WHP07 Change of "
	    "Circumstances\r\n"));
	assert_non_null(strstr(m, "\r\nX-Mailgate-Notice: warning\r\n"));
	assert_non_null(strstr(m, "\r\nX-Mailgate-Reasons: late-notice\r\n"));
	free(m);
}

/* No form matched: the notice says "your message", never the sender's own subject. */
static void test_no_form(void **state)
{
	struct verdict none = { .process = NULL };
	struct notice_reason r;
	char *m;

	(void)state;
	notice_reason_set(&r, VC_PERSONAL_DATA_IN_SUBJECT,
	    "the subject holds a National Insurance number");
	m = build_v(NOTICE_REJECTED, &none, "id@x", &r, 1);
	assert_non_null(strstr(m, "\r\nSubject: Not sent: your message\r\n"));
	free(m);
	m = build_v(NOTICE_HELD, NULL, "id@x", &r, 1);
	assert_non_null(strstr(m, "\r\nSubject: Held: your message\r\n"));
	free(m);
}

/* Every code of the table, with a detail as the verdict or the daemon writes it. */
static const struct {
	enum vcode code;
	const char *detail;
	const char *says;	/* the detail as the caseworker reads it */
} proofs[] = {
	{ VC_MALFORMED_MESSAGE, "the multipart body ends before its closing boundary",
	    "The multipart body ends before its closing boundary." },
	{ VC_MESSAGE_TOO_LARGE, "the message is 31457280 bytes; the policy allows 26214400",
	    "The message is 31457280 bytes; the policy allows 26214400." },
	{ VC_UNKNOWN_PROCESS, "process withdrawn on 2026-11-26",
	    "Process withdrawn on Thursday 26 November 2026." },
	{ VC_NO_RECIPIENT, "the message has no To, Cc or Bcc address",
	    "The message has no To, Cc or Bcc address." },
	{ VC_RECIPIENT_NOT_APPROVED, "x@dept.example: this DWP inbox does not take " COC,
	    "x@dept.example: this DWP inbox does not take the Change of Circumstances form." },
	{ VC_OFFSHORE_RECIPIENT, "y@sub.example: Acme Ltd is marked offshore",
	    "y@sub.example: Acme Ltd is marked offshore." },
	{ VC_PERSONAL_DATA_IN_SUBJECT, "the subject holds a National Insurance number",
	    "The subject holds a National Insurance number." },
	{ VC_TOO_MANY_RECORDS, "2 participant records; " COC " allows at most 1",
	    "This message holds two participants' records; the Change of Circumstances form "
	    "allows at most one." },
	{ VC_NO_RECORD, "no National Insurance number was found",
	    "No National Insurance number was found." },
	{ VC_TEMPLATE_INCOMPLETE, "'Reason' has 2 words; at least 5 are needed",
	    "'Reason' has two words; at least five are needed." },
	{ VC_UNINSPECTABLE_ATTACHMENT, "scan.pdf (application/pdf)",
	    "scan.pdf (application/pdf)." },
	{ VC_LATE_NOTICE, "2026-11-19 is -5 day(s) from today; 5 are required",
	    "The date in the form is Thursday 19 November 2026, five days ago; the Change of "
	    "Circumstances form needs at least five days' notice." },
	{ VC_NOT_NORMAL_MODE, "clerical since 2026-11-20: server move",
	    "Clerical since Friday 20 November 2026: server move." },
	{ VC_ALREADY_SENT, "sent on 2026-11-23", "Sent on Monday 23 November 2026." },
	{ VC_SMTP_PERMANENT, "550 5.1.1 <x@dept.example>: user unknown",
	    "550 5.1.1 <x@dept.example>: user unknown." },
	{ VC_UNCERTAIN, "the connection broke after DATA began (421 4.4.2 timeout)",
	    "The connection broke after DATA began (421 4.4.2 timeout)." },
	{ VC_TOO_MANY_RECIPIENTS, "51 distinct recipients; the policy allows 50",
	    "51 distinct recipients; the policy allows 50." },
	{ VC_NOT_FROM_DEPARTMENT, "the sender is not a department inbox",
	    "The sender is not a department inbox." },
	{ VC_UNKNOWN_PARTICIPANT, "the participant is not in the caseload",
	    "The participant is not in the caseload." },
	{ VC_WRONG_DETAILS, "the form's surname is not the caseload's",
	    "The form's surname is not the caseload's." },
	{ VC_NOT_ENTITLED, "acme is offshore", "Acme is offshore." },
	{ VC_REVIEW_ROUTE, "no internal inbox receives this form",
	    "No internal inbox receives this form." },
	{ VC_ALREADY_CLERICAL, "clerical copy 3f9c2a51d0e4 (done)",
	    "Clerical copy 3f9c2a51d0e4 (done)." },
	{ VC_UNMATCHED_REPORT, "the report does not say which message it is about",
	    "The report does not say which message it is about." },
};

static void test_every_code(void **state)
{
	size_t i;
	int seen[VC_COUNT] = { 0 };

	(void)state;
	for (i = 0; i < sizeof(proofs) / sizeof(proofs[0]); i++) {
		const struct vcode_info *vi = vcode_info(proofs[i].code);
		struct notice_reason r;
		char *m, *body, *todo;

		seen[proofs[i].code] = 1;
		notice_reason_set(&r, proofs[i].code, proofs[i].detail);
		assert_string_equal(r.code, vi->code);
		m = build(vi->warning ? NOTICE_WARNING : NOTICE_REJECTED, "id@x", &r, 1);
		body = flat_body(m);
		assert_non_null(strstr(body, vi->words));
		if (strstr(body, proofs[i].says) == NULL)
			fail_msg("%s: wanted \"%s\" in: %s", vi->code, proofs[i].says, body);
		todo = xasprintf("What to do: %s", vi->todo);
		assert_non_null(strstr(body, todo));
		/* an id or a debug phrase is never what a caseworker reads */
		assert_null(strstr(body, COC));
		assert_null(strstr(body, "day(s)"));
		free(todo);
		free(body);
		free(m);
	}
	for (i = 0; i < VC_COUNT; i++)
		if (!seen[i])
			fail_msg("%s has no proofread notice here", vcode_info((enum vcode)i)->code);
}

static void test_day_words(void **state)
{
	char w[64];
	mgday d;

	(void)state;
	assert_true(mgday_parse_iso("2026-11-26", &d));
	notice_day_words(d, w, sizeof(w));
	assert_string_equal(w, "Thursday 26 November 2026");
	assert_true(mgday_parse_iso("1969-12-31", &d));
	notice_day_words(d, w, sizeof(w));
	assert_string_equal(w, "Wednesday 31 December 1969");
	assert_true(mgday_parse_iso("2024-02-29", &d));
	notice_day_words(d, w, sizeof(w));
	assert_string_equal(w, "Thursday 29 February 2024");
}

static void test_lines_short(void **state)
{
	struct notice_reason r;
	char *m, *p, *nl;

	(void)state;
	notice_reason_set(&r, VC_RECIPIENT_NOT_APPROVED, "x@evil.example is not approved");
	coc_form.subject = "A standard subject that is rather long, long enough to need folding "
	    "when it is put in a header with its prefix";
	m = build(NOTICE_REJECTED, "id@x", &r, 1);
	coc_form.subject = "WHP07 Change of Circumstances";
	for (p = m; (nl = strstr(p, "\r\n")) != NULL; p = nl + 2)
		assert_true(nl - p <= 78);
	free(m);
}

static void test_hostile(void **state)
{
	struct notice_reason r;
	char *m;

	(void)state;
	notice_reason_set(&r, VC_SMTP_PERMANENT, "550 no\r\nBcc: x@evil");
	m = build(NOTICE_REJECTED, "a b@c>\r\nX: y", &r, 1);
	assert_null(strstr(m, "\r\nBcc:"));
	assert_null(strstr(m, "\r\nX: y"));
	assert_null(strstr(m, "In-Reply-To"));
	free(m);
	/* a non-ASCII standard subject is encoded, never raw in a header */
	coc_form.subject = "Zoë’s exit report";
	m = build(NOTICE_HELD, "id@x", &r, 1);
	coc_form.subject = "WHP07 Change of Circumstances";
	assert_non_null(strstr(m, "\r\nSubject: =?UTF-8?B?"));
	free(m);
}

static void test_id_stable(void **state)
{
	char *a, *b, *c;

	(void)state;
	a = notice_id(NOTICE_HELD, "m@x", ADDR);
	b = notice_id(NOTICE_HELD, "m@x", ADDR);
	c = notice_id(NOTICE_REJECTED, "m@x", ADDR);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_non_null(strstr(a, "@provider.example"));
	free(a);
	free(b);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_no_form),
		cmocka_unit_test(test_every_code),
		cmocka_unit_test(test_day_words),
		cmocka_unit_test(test_lines_short),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_id_stable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
