/*
 * test_deptnotice - the department notices (seed ¶59, ¶60): placeholders
 * filled, an unknown one an error naming file and line, policy check's
 * report of the shipped templates; and the permits ending within 30 days
 * and in force on a day (interface, last item of "Outages").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "deptnotice.h"
#include "fill.h"
#include "permits.h"

static void test_fill(void **state)
{
	struct dn_fields f = { "whp@provider.example", "relay down", 86400 * 3 + 3600, 86400 * 5 };
	struct sbuf b;
	char err[256];

	(void)state;
	sbuf_init(&b);
	assert_int_equal(deptnotice_fill("From {{since}} {{designated_inbox}}: {{reason}} ({{today}})\n",
	    "t.txt", &f, &b, err, sizeof(err)), 0);
	sbuf_adds(&b, "");
	assert_string_equal(b.data, "From 1970-01-04 01:00 UTC whp@provider.example: relay down "
	    "(1970-01-06)\n");
	sbuf_reset(&b);
	assert_int_equal(deptnotice_fill("line one\nline {{two}}\n", "t.txt", &f, &b, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "t.txt:2: error: unknown placeholder '{{two}}'"));
	assert_int_equal(deptnotice_fill("open {{since\n", "t.txt", &f, &b, err, sizeof(err)), -1);
	sbuf_free(&b);
}

/* The one filler both the notices and the request to delete use. */
static void test_fill_text(void **state)
{
	static const struct fill_field f[] = { { "message_id", "<m@x>" }, { "today", "2026-12-01" },
		{ NULL, NULL } };
	struct sbuf b;
	char err[256];

	(void)state;
	sbuf_init(&b);
	assert_int_equal(fill_text("id {{message_id}} on {{today}}; {not} {{today}}\n", "d.txt", f,
	    &b, err, sizeof(err)), 0);
	sbuf_adds(&b, "");
	assert_string_equal(b.data, "id <m@x> on 2026-12-01; {not} 2026-12-01\n");
	sbuf_reset(&b);
	/* only the table's names: anything else is an error naming file, line and the names */
	assert_int_equal(fill_text("a\nb\nc {{nino}}\n", "d.txt", f, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "d.txt:3: error: unknown placeholder '{{nino}}' (known: "
	    "{{message_id}}, {{today}})");
	assert_int_equal(fill_text("x {{today\ny\n", "d.txt", f, &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "d.txt:1: error: unclosed placeholder '{{today'"));
	assert_int_equal(fill_text("{{}}", "d.txt", f, &b, err, sizeof(err)), -1);
	sbuf_free(&b);
}

static void test_shipped_templates_check(void **state)
{
	struct diag d;

	(void)state;
	diag_init(&d);
	deptnotice_check(MG_SRCDIR "/templates", &d);
	assert_int_equal(d.n, 0);
	diag_free(&d);
	diag_init(&d);
	deptnotice_check(MG_SRCDIR "/tests/data", &d);	/* none there: warnings, not errors */
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.nwarnings, 2);
	diag_free(&d);
}

static void test_permits_ending(void **state)
{
	struct policy *p = NULL;
	struct diag d;
	struct sbuf b;
	mgday day;

	(void)state;
	diag_init(&d);
	assert_int_equal(mgday_parse_iso("2026-11-10", &day), 1);
	assert_int_equal(policy_load_at(MG_SRCDIR "/policies/policy.xml", MG_SRCDIR "/templates",
	    day, &p, &d), 0);
	diag_free(&d);
	sbuf_init(&b);
	sbuf_adds(&b, "");
	/* exit-report ends 2026-12-10: 30 days ahead is warned, 31 is not */
	assert_int_equal(permits_ending(p, day, 30, &b), 1);
	assert_non_null(strstr(b.data, "acme/exit-report until 2026-12-10"));
	sbuf_reset(&b);
	assert_int_equal(mgday_parse_iso("2026-11-09", &day), 1);
	assert_int_equal(permits_ending(p, day, 30, &b), 0);
	assert_int_equal(mgday_parse_iso("2026-12-11", &day), 1);
	assert_int_equal(permits_ending(p, day, 30, &b), 0);	/* ended: no longer in force */
	sbuf_free(&b);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill),
		cmocka_unit_test(test_fill_text),
		cmocka_unit_test(test_shipped_templates_check),
		cmocka_unit_test(test_permits_ending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
