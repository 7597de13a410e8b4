/*
 * test_dsn - delivery reports (RFC 3464) as real servers write them:
 * Postfix, Exchange, Gmail and Sendmail shapes, folded and unfolded, CRLF
 * and LF, and malformed ones (no blank line between recipients, no type,
 * garbage); then the same reports whole through mime_analyse(), which must
 * find the delivery-status part and the returned message's Message-ID.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dsn.h"
#include "mime.h"

static const char postfix[] =
    "Reporting-MTA: dns; relay.provider.example\n"
    "X-Postfix-Queue-ID: 4Kx1Yz2QvZz9sVd\n"
    "X-Postfix-Sender: rfc822; whp@provider.example\n"
    "Arrival-Date: Tue,  1 Dec 2026 10:02:11 +0000 (GMT)\n"
    "\n"
    "Final-Recipient: rfc822; nobody@acme.example\n"
    "Original-Recipient: rfc822;Nobody@acme.example\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Remote-MTA: dns; mx.acme.example\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <nobody@acme.example>: Recipient address\n"
    "    rejected: User unknown in virtual mailbox table\n"
    "\n"
    "Final-Recipient: rfc822; slow@acme.example\n"
    "Action: delayed\n"
    "Status: 4.4.1\n"
    "Diagnostic-Code: X-Postfix; connect to mx.acme.example[192.0.2.1]:25: Connection\n"
    "    timed out\n"
    "Will-Retry-Until: Tue,  6 Dec 2026 10:02:11 +0000 (GMT)\n";

static const char exchange[] =
    "Reporting-MTA: dns;EXCH01.dwp.example\r\n"
    "Received-From-MTA: dns;relay.provider.example\r\n"
    "Arrival-Date: Tue, 1 Dec 2026 10:02:11 +0000\r\n"
    "\r\n"
    "Final-Recipient: rfc822;Gone@Acme.example\r\n"
    "Action: Failed\r\n"
    "Status: 5.1.10\r\n"
    "Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by "
    "SMTP address lookup\r\n";

static const char gmail[] =
    "Reporting-MTA: dns; googlemail.com\n"
    "Received-From-MTA: dns; whp@provider.example\n"
    "Arrival-Date: Tue, 01 Dec 2026 02:02:11 -0800 (PST)\n"
    "X-Original-Message-ID: <abc@provider.example>\n"
    "\n"
    "Final-Recipient: rfc822; typo@acme.example\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Remote-MTA: dns; mx.acme.example. (192.0.2.7, the server for the domain acme.example.)\n"
    "Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist.\n"
    " Please try\n"
    "\t550-5.1.1 double-checking the recipient's email address\n"
    "Last-Attempt-Date: Tue, 01 Dec 2026 02:02:12 -0800 (PST)\n";

static void test_postfix(void **state)
{
	struct dsn d;

	(void)state;
	assert_int_equal(dsn_parse(postfix, &d), 0);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.v[0].recipient, "nobody@acme.example");
	assert_int_equal(d.v[0].action, DSN_FAILED);
	assert_true(dsn_is_bounce(&d.v[0]));
	assert_string_equal(d.v[0].status, "5.1.1");
	assert_string_equal(d.v[0].diagnostic, "550 5.1.1 <nobody@acme.example>: Recipient "
	    "address rejected: User unknown in virtual mailbox table");
	/* delayed is no bounce */
	assert_string_equal(d.v[1].recipient, "slow@acme.example");
	assert_int_equal(d.v[1].action, DSN_DELAYED);
	assert_false(dsn_is_bounce(&d.v[1]));
	assert_string_equal(d.v[1].status, "4.4.1");
	dsn_free(&d);
}

static void test_exchange(void **state)
{
	struct dsn d;

	(void)state;
	assert_int_equal(dsn_parse(exchange, &d), 0);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].recipient, "gone@acme.example");
	assert_int_equal(d.v[0].action, DSN_FAILED);
	assert_string_equal(d.v[0].status, "5.1.10");
	assert_string_equal(d.v[0].diagnostic, "550 5.1.10 RESOLVER.ADR.RecipientNotFound; "
	    "Recipient not found by SMTP address lookup");
	dsn_free(&d);
}

static void test_gmail(void **state)
{
	struct dsn d;

	(void)state;
	assert_int_equal(dsn_parse(gmail, &d), 0);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].recipient, "typo@acme.example");
	assert_true(dsn_is_bounce(&d.v[0]));
	assert_string_equal(d.v[0].diagnostic, "550-5.1.1 The email account that you tried to "
	    "reach does not exist. Please try 550-5.1.1 double-checking the recipient's email "
	    "address");
	dsn_free(&d);
}

/* Sendmail writes Original-Recipient first; a comment may follow the status. */
static void test_sendmail_order_and_comment(void **state)
{
	struct dsn d;

	(void)state;
	assert_int_equal(dsn_parse("Reporting-MTA: dns; mail.example\n\n"
	    "Original-Recipient: rfc822;a@acme.example\nFinal-Recipient: RFC822; <a@acme.example>\n"
	    "Action: failed (bad destination mailbox address)\nStatus: 5.0.0 (permanent failure)\n",
	    &d), 0);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].recipient, "a@acme.example");
	assert_int_equal(d.v[0].action, DSN_FAILED);
	assert_string_equal(d.v[0].status, "5.0.0");
	assert_null(d.v[0].diagnostic);
	dsn_free(&d);
}

static void test_malformed(void **state)
{
	struct dsn d;

	(void)state;
	/* nothing at all, no recipient, an address that is no address */
	assert_int_equal(dsn_parse(NULL, &d), -1);
	assert_int_equal(dsn_parse("", &d), -1);
	assert_int_equal(d.n, 0);
	assert_int_equal(dsn_parse("Reporting-MTA: dns; x\nArrival-Date: today\n", &d), -1);
	assert_int_equal(dsn_parse("Final-Recipient: rfc822; not an address\nAction: failed\n",
	    &d), -1);
	assert_int_equal(dsn_parse("Final-Recipient: rfc822; a@b\x01" "c.example\nAction: failed\n",
	    &d), -1);
	assert_int_equal(dsn_parse("\x89PNG\r\n\x1a\n\0garbage", &d), -1);

	/* two recipients with no blank line between them are two */
	assert_int_equal(dsn_parse("Final-Recipient: rfc822; a@acme.example\nAction: failed\n"
	    "Status: 5.1.1\nFinal-Recipient: rfc822; b@acme.example\nAction: failed\n"
	    "Status: 5.2.2\n", &d), 0);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.v[1].recipient, "b@acme.example");
	assert_string_equal(d.v[1].status, "5.2.2");
	dsn_free(&d);

	/* no Action is no bounce; a bad Status is kept as none; no type, bare address */
	assert_int_equal(dsn_parse("Final-Recipient: x@acme.example\nStatus: 5.1\n\n"
	    "Final-Recipient: rfc822; y@acme.example\nAction: bounced\nStatus: 9.9.9\n\n"
	    "Final-Recipient: rfc822; z@acme.example\nAction: failed\nStatus: 5.1.1234\n", &d), 0);
	assert_int_equal(d.n, 3);
	assert_false(dsn_is_bounce(&d.v[0]));
	assert_string_equal(d.v[0].status, "");
	assert_int_equal(d.v[1].action, DSN_OTHER);
	assert_string_equal(d.v[1].status, "");
	assert_true(dsn_is_bounce(&d.v[2]));
	assert_string_equal(d.v[2].status, "");
	dsn_free(&d);

	/* one address twice: once, and a failure wins over a delay */
	assert_int_equal(dsn_parse("Final-Recipient: rfc822; a@acme.example\nAction: delayed\n\n"
	    "Final-Recipient: rfc822; A@acme.example\nAction: failed\nStatus: 5.1.1\n\n"
	    "Final-Recipient: rfc822; a@acme.example\nAction: delayed\n", &d), 0);
	assert_int_equal(d.n, 1);
	assert_true(dsn_is_bounce(&d.v[0]));
	assert_string_equal(d.v[0].status, "5.1.1");
	dsn_free(&d);

	/* control and 8-bit bytes never reach the diagnostic; its length is bounded */
	{
		char big[4096];

		snprintf(big, sizeof(big), "Final-Recipient: rfc822; a@acme.example\nAction: failed\n"
		    "Diagnostic-Code: smtp; 550 \x1b[31mred\xc3\xa9 %0*d\n", 3000, 7);
		assert_int_equal(dsn_parse(big, &d), 0);
		assert_non_null(strstr(d.v[0].diagnostic, "550 [31mred?? 000"));
		assert_true(strlen(d.v[0].diagnostic) <= DSN_MAX_DIAG);
		dsn_free(&d);
	}
}

static void test_original_id(void **state)
{
	struct mime_report r = { 1, NULL, NULL, NULL };

	(void)state;
	assert_null(dsn_original_id(&r));
	r.in_reply_to = "irt@provider.example";
	assert_string_equal(dsn_original_id(&r), "irt@provider.example");
	r.orig_id = "orig@provider.example";
	assert_string_equal(dsn_original_id(&r), "orig@provider.example");
}

/* A whole report through the analysis: the pieces the parent is handed. */
static void analyse(const char *msg, struct mime_result *mr)
{
	struct mime_limits lim;

	mime_limits_default(&lim, 1 << 20);
	mime_result_init(mr);
	assert_int_equal(mime_analyse(msg, strlen(msg), &lim, mr), 0);
}

static void test_analysed(void **state)
{
	static const char report[] =
	    "From: MAILER-DAEMON@relay.provider.example (Mail Delivery System)\r\n"
	    "To: whp@provider.example\r\n"
	    "Subject: Undelivered Mail Returned to Sender\r\n"
	    "Message-ID: <20261201100212.A1@relay.provider.example>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
	    "\tboundary=\"B1\"\r\n"
	    "\r\n"
	    "--B1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
	    "I'm sorry to have to inform you that your message could not be delivered.\r\n"
	    "--B1\r\nContent-Type: message/delivery-status\r\n\r\n"
	    "Reporting-MTA: dns; relay.provider.example\r\n\r\n"
	    "Final-Recipient: rfc822; nobody@acme.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
	    "--B1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
	    "From: Provider WHP Team <whp@provider.example>\r\n"
	    "To: nobody@acme.example\r\n"
	    "Subject: WHP07 Change of Circumstances\r\n"
	    "Message-ID: <orig-1@provider.example>\r\n"
	    "--B1--\r\n";
	static const char returned[] =
	    "From: postmaster@acme.example\r\nTo: whp@provider.example\r\n"
	    "Subject: Delivery Status Notification (Failure)\r\n"
	    "Message-ID: <r2@acme.example>\r\nIn-Reply-To: <irt@provider.example>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=\"delivery-status\"; boundary=B2\r\n\r\n"
	    "--B2\r\nContent-Type: text/plain\r\n\r\nfailed\r\n"
	    "--B2\r\nContent-Type: message/delivery-status\r\n\r\n"
	    "Final-Recipient: rfc822; x@acme.example\r\nAction: failed\r\nStatus: 5.2.2\r\n"
	    "--B2\r\nContent-Type: message/rfc822\r\n\r\n"
	    "From: whp@provider.example\r\nTo: x@acme.example\r\nSubject: s\r\n"
	    "Message-ID: <orig-2@provider.example>\r\n\r\nbody\r\n"
	    "--B2--\r\n";
	static const char notreport[] =
	    "From: a@acme.example\r\nTo: whp@provider.example\r\nSubject: s\r\n"
	    "In-Reply-To: <irt@provider.example>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=disposition-notification; boundary=B3\r\n"
	    "\r\n--B3\r\nContent-Type: text/plain\r\n\r\nread\r\n"
	    "--B3\r\nContent-Type: message/delivery-status\r\n\r\n"
	    "Final-Recipient: rfc822; x@acme.example\r\nAction: failed\r\n--B3--\r\n";
	struct mime_result mr, back;
	struct sbuf enc;
	struct dsn d;

	(void)state;
	analyse(report, &mr);
	assert_int_equal(mr.status, MIME_OK);
	assert_true(mr.report.is_dsn);
	assert_string_equal(mr.report.orig_id, "orig-1@provider.example");
	assert_null(mr.report.in_reply_to);
	assert_int_equal(dsn_parse(mr.report.status, &d), 0);
	assert_string_equal(d.v[0].recipient, "nobody@acme.example");
	dsn_free(&d);
	/* what the worker hands back says the same */
	sbuf_init(&enc);
	mime_result_encode(&mr, &enc);
	assert_int_equal(mime_result_decode(enc.data, enc.len, &back), 0);
	assert_true(mime_result_equal(&mr, &back));
	assert_string_equal(back.report.status, mr.report.status);
	mime_result_free(&back);
	sbuf_free(&enc);
	mime_result_free(&mr);

	analyse(returned, &mr);
	assert_true(mr.report.is_dsn);
	assert_string_equal(mr.report.orig_id, "orig-2@provider.example");
	assert_string_equal(mr.report.in_reply_to, "irt@provider.example");
	assert_string_equal(dsn_original_id(&mr.report), "orig-2@provider.example");
	mime_result_free(&mr);

	/* an id with a line break or a space in it is no id */
	{
		char *bad = xstrdup(returned), *at = strstr(bad, "<orig-2@provider.example>");

		memcpy(at, "<orig 2@provider.example>", 25);
		analyse(bad, &mr);
		assert_true(mr.report.is_dsn);
		assert_null(mr.report.orig_id);
		assert_string_equal(dsn_original_id(&mr.report), "irt@provider.example");
		mime_result_free(&mr);
		free(bad);
	}

	analyse(notreport, &mr);
	assert_false(mr.report.is_dsn);
	assert_null(mr.report.status);
	mime_result_free(&mr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postfix),
		cmocka_unit_test(test_exchange),
		cmocka_unit_test(test_gmail),
		cmocka_unit_test(test_sendmail_order_and_comment),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_original_id),
		cmocka_unit_test(test_analysed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
