/*
 * test_notice - the caseworker's notice: its headers for each kind, one
 * paragraph per reason with words, detail and what to do for every code of
 * verdict's table, the stable notice Message-ID, and hostile input.
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

static char *build(enum notice_kind k, const char *subj, const char *mid,
    const struct notice_reason *r, size_t n)
{
	struct notice nt = { k, ADDR, subj, mid, r, n, (time_t)1795500000 };
	struct sbuf b;

	sbuf_init(&b);
	notice_build(&nt, &b);
	return sbuf_steal(&b, NULL);
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
	m = build(NOTICE_REJECTED, "Exit report", "abc@host", r, 2);
	assert_non_null(strstr(m, "From: mailgate <" ADDR ">\r\n"));
	assert_non_null(strstr(m, "\r\nSubject: Not sent: Exit report\r\n"));
	assert_non_null(strstr(m, "\r\nIn-Reply-To: <abc@host>\r\n"));
	assert_non_null(strstr(m, "\r\nReferences: <abc@host>\r\n"));
	assert_non_null(strstr(m, "\r\nContent-Type: text/plain; charset=UTF-8\r\n"));
	assert_non_null(strstr(m, "\r\nX-Mailgate-Notice: rejected\r\n"));
	assert_non_null(strstr(m, "\r\nX-Mailgate-Reasons: no-record uninspectable-attachment\r\n"));
	assert_non_null(strstr(m, "\r\nX-Mailgate-Message-ID: <abc@host>\r\n"));
	assert_non_null(strstr(m, "\r\nDate: Tue, 24 Nov 2026 06:00:00 +0000\r\n"));
	free(m);
	m = build(NOTICE_HELD, "S", "abc@host", r, 1);
	assert_non_null(strstr(m, "\r\nSubject: Held: S\r\n"));
	assert_non_null(strstr(m, "\r\nX-Mailgate-Notice: held\r\n"));
	free(m);
	notice_reason_set(&r[0], VC_LATE_NOTICE, "2 days' notice, 5 required");
	m = build(NOTICE_WARNING, "S", "abc@host", r, 1);
	assert_non_null(strstr(m, "\r\nSubject: Sent with warning: S\r\n"));
	assert_non_null(strstr(m, "\r\nX-Mailgate-Notice: warning\r\n"));
	assert_non_null(strstr(m, "\r\nX-Mailgate-Reasons: late-notice\r\n"));
	free(m);
}

static void test_every_code(void **state)
{
	int c;

	(void)state;
	for (c = 0; c < VC_COUNT; c++) {
		const struct vcode_info *vi = vcode_info((enum vcode)c);
		struct notice_reason r;
		char *m, *body, *todo;

		notice_reason_set(&r, (enum vcode)c, "the detail of it");
		assert_string_equal(r.code, vi->code);
		m = build(NOTICE_REJECTED, "S", "id@x", &r, 1);
		body = flat_body(m);
		assert_non_null(strstr(body, vi->words));
		assert_non_null(strstr(body, "the detail of it"));
		todo = xasprintf("What to do: %s", vi->todo);
		assert_non_null(strstr(body, todo));
		free(todo);
		free(body);
		free(m);
	}
}

static void test_lines_short(void **state)
{
	struct notice_reason r;
	char *m, *p, *nl;

	(void)state;
	notice_reason_set(&r, VC_RECIPIENT_NOT_APPROVED, "x@evil.example is not approved");
	m = build(NOTICE_REJECTED, "A subject that is rather long, long enough to need folding "
	    "when it is put in a header with its prefix", "id@x", &r, 1);
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
	m = build(NOTICE_REJECTED, "S\r\nBcc: evil@example\r\n", "a b@c>\r\nX: y", &r, 1);
	assert_null(strstr(m, "\r\nBcc:"));
	assert_null(strstr(m, "\r\nX: y"));
	assert_null(strstr(m, "In-Reply-To"));
	free(m);
	/* a non-ASCII subject is encoded, never raw in a header */
	m = build(NOTICE_HELD, "Zoë’s exit report", "id@x", &r, 1);
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
		cmocka_unit_test(test_every_code),
		cmocka_unit_test(test_lines_short),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_id_stable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
