/*
 * test_rewrite - the pre-send header rewrite: From replaced, each removed
 * field gone, folded fields kept byte for byte, Date and Message-ID added
 * only when absent, and the derived Message-ID stable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rewrite.h"

#define ADDR "outbound@provider.example"
#define NOW ((time_t)1795500000)

static char *rw(const char *in, char **id)
{
	struct sbuf b;

	sbuf_init(&b);
	assert_int_equal(rewrite_message(in, strlen(in), ADDR, "Acme Employment", NOW, &b, id), 0);
	return sbuf_steal(&b, NULL);
}

static void test_removed(void **state)
{
	static const char *const gone[] = { "Sender", "Reply-To", "Bcc", "Return-Path",
	    "Disposition-Notification-To", "Return-Receipt-To", "Resent-From", "Resent-To",
	    "Resent-Message-ID", "reply-to", "BCC" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
		char *in = xasprintf("From: Jo <jo@provider.example>\r\nTo: a@dwp.gov.uk\r\n"
		    "%s: x@evil.example,\r\n  y@evil.example\r\nSubject: S\r\n"
		    "Date: Mon, 2 Nov 2026 10:00:00 +0000\r\nMessage-ID: <m1@p>\r\n\r\nbody\r\n",
		    gone[i]);
		char *id, *out = rw(in, &id);

		assert_null(strstr(out, "evil"));
		assert_non_null(strstr(out, "From: Acme Employment <" ADDR ">\r\n"));
		assert_string_equal(id, "m1@p");
		free(id);
		free(out);
		free(in);
	}
}

static void test_exact_bytes(void **state)
{
	static const char in[] = "Received: from x\r\n\tby y; Mon, 2 Nov 2026\r\n"
	    "From: \"Jo Bloggs\" <jo@provider.example>\r\n"
	    "To: a@dwp.gov.uk,\r\n    b@dwp.gov.uk\r\nSender: s@provider.example\r\n"
	    "Subject: Exit report\r\nX-Odd:no space\r\n"
	    "Date: Mon, 2 Nov 2026 10:00:00 +0000\r\nMessage-ID: <abc@host>\r\n"
	    "\r\nline one\r\nFrom: not a header\r\n";
	static const char want[] = "Received: from x\r\n\tby y; Mon, 2 Nov 2026\r\n"
	    "From: Acme Employment <" ADDR ">\r\n"
	    "To: a@dwp.gov.uk,\r\n    b@dwp.gov.uk\r\n"
	    "Subject: Exit report\r\nX-Odd:no space\r\n"
	    "Date: Mon, 2 Nov 2026 10:00:00 +0000\r\nMessage-ID: <abc@host>\r\n"
	    "\r\nline one\r\nFrom: not a header\r\n";
	char *id, *out;

	(void)state;
	out = rw(in, &id);
	assert_string_equal(out, want);
	assert_string_equal(id, "abc@host");
	free(id);
	free(out);
}

static void test_added(void **state)
{
	static const char in[] = "From: jo@provider.example\nTo: a@dwp.gov.uk\nSubject: S\n\nbody\n";
	char *id, *id2, *out, *out2, *derived, want[256];

	(void)state;
	out = rw(in, &id);
	derived = rewrite_derived_id(in, strlen(in), ADDR);
	assert_string_equal(id, derived);
	assert_int_equal(strlen(id), 64 + strlen("@provider.example"));
	assert_non_null(strstr(id, "@provider.example"));
	{
		char d[64];

		rewrite_date(NOW, d, sizeof(d));
		snprintf(want, sizeof(want), "From: Acme Employment <%s>\nTo: a@dwp.gov.uk\n"
		    "Subject: S\nDate: %s\nMessage-ID: <%s>\n\nbody\n", ADDR, d, id);
	}
	assert_string_equal(out, want);
	/* a restart (later, another time) derives the same Message-ID */
	{
		struct sbuf b;

		sbuf_init(&b);
		assert_int_equal(rewrite_message(in, strlen(in), ADDR, "Acme Employment",
		    NOW + 3600, &b, &id2), 0);
		out2 = sbuf_steal(&b, NULL);
	}
	assert_string_equal(id, id2);
	free(out2);
	free(id2);
	free(id);
	free(derived);
	free(out);
}

static void test_date_format(void **state)
{
	char d[64];

	(void)state;
	rewrite_date((time_t)0, d, sizeof(d));
	assert_string_equal(d, "Thu, 1 Jan 1970 00:00:00 +0000");
	rewrite_date((time_t)1795500000, d, sizeof(d));
	assert_string_equal(d, "Tue, 24 Nov 2026 06:00:00 +0000");
}

static void test_empty_msgid_replaced(void **state)
{
	static const char in[] = "From: a@b\r\nMessage-ID:  \r\nSubject: S\r\n\r\nx\r\n";
	char *id, *out, *p;
	int n = 0;

	(void)state;
	out = rw(in, &id);
	for (p = out; (p = strstr(p, "Message-ID:")) != NULL; p++)
		n++;
	assert_int_equal(n, 1);
	assert_int_equal(strlen(id), 64 + strlen("@provider.example"));
	free(id);
	free(out);
}

static void test_no_from_and_names(void **state)
{
	static const char in[] = "To: a@b\r\nDate: x\r\nMessage-ID: <q@r>\r\n\r\n";
	struct sbuf b;
	char *id;

	(void)state;
	sbuf_init(&b);
	assert_int_equal(rewrite_message(in, strlen(in), ADDR, "O'Brien & Co, Ltd", NOW, &b, &id), 0);
	assert_non_null(strstr(b.data, "From: \"O'Brien & Co, Ltd\" <" ADDR ">\r\n"));
	sbuf_free(&b);
	free(id);
	sbuf_init(&b);
	assert_int_equal(rewrite_message(in, strlen(in), ADDR, "Zoë \"Q\"", NOW, &b, &id), 0);
	assert_non_null(strstr(b.data, "From: =?UTF-8?B?"));
	sbuf_free(&b);
	free(id);
	/* no header section, or no domain to derive from */
	sbuf_init(&b);
	assert_int_equal(rewrite_message("\r\nbody", 6, ADDR, "x", NOW, &b, &id), -1);
	assert_int_equal(rewrite_message(in, strlen(in), "nodomain", "x", NOW, &b, &id), -1);
	sbuf_free(&b);
}

static void test_header_value(void **state)
{
	static const char in[] = "Subject: one\r\n two\r\nMessage-ID:\r\n <x.y@z>\r\n\r\nSubject: body";
	char *v;

	(void)state;
	v = rewrite_header_value(in, strlen(in), "subject");
	assert_string_equal(v, "one two");
	free(v);
	v = rewrite_message_id(in, strlen(in));
	assert_string_equal(v, "x.y@z");
	free(v);
	assert_null(rewrite_header_value(in, strlen(in), "From"));
}

/* In the message's own buffer: the same bytes as the copying rewrite, header longer or shorter. */
static void test_owned_same_bytes(void **state)
{
	static const char *const in[] = {
		"From: a@b.example\r\nTo: whp@acme.example\r\nSubject: x\r\n"
		"Message-ID: <m1@p>\r\n\r\nbody line\r\n",
		"From: a@b.example\nTo: t@x\nReply-To: r@x\nSender: s@x\nBcc: b@x\n"
		"Return-Path: <rp@x>\nResent-From: q@x\nDate: Mon, 23 Nov 2026 04:40:00 +0000\n"
		"Message-ID: <m2@p>\n\nshort\n",
		"To: t@x\r\nSubject: no from, no date, no id\r\n\r\n",
		"Subject: no body at all\r\nMessage-ID: <m4@p>\r\n",
		"From: a@b.example\r\nMessage-ID: <>\r\n\r\nderived id\r\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		struct sbuf b;
		char *id1 = NULL, *id2 = NULL, *raw = xstrdup(in[i]);
		size_t len = strlen(raw);
		int r1, r2;

		sbuf_init(&b);
		r1 = rewrite_message(in[i], strlen(in[i]), ADDR, "Acme Employment", NOW, &b, &id1);
		r2 = rewrite_message_owned(&raw, &len, ADDR, "Acme Employment", NOW, &id2);
		assert_int_equal(r1, r2);
		if (r1 == 0) {
			assert_int_equal(len, b.len);
			assert_memory_equal(raw, b.data, len);
			assert_int_equal(raw[len], '\0');
			assert_string_equal(id1, id2);
		} else {
			assert_string_equal(raw, in[i]);	/* untouched */
		}
		free(id1);
		free(id2);
		free(raw);
		sbuf_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_removed),
		cmocka_unit_test(test_exact_bytes),
		cmocka_unit_test(test_added),
		cmocka_unit_test(test_date_format),
		cmocka_unit_test(test_empty_msgid_replaced),
		cmocka_unit_test(test_no_from_and_names),
		cmocka_unit_test(test_header_value),
		cmocka_unit_test(test_owned_same_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
