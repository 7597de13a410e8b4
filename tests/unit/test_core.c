/*
 * test_core - unit tests of util, diag and mgdate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "diag.h"
#include "mgdate.h"
#include "util.h"

static void
test_sbuf(void **state)
{
	struct sbuf b;
	size_t len, i;
	char *s;

	(void)state;
	sbuf_init(&b);
	for (i = 0; i < 1000; i++)
		sbuf_printf(&b, "%zu,", i);
	sbuf_add_utf8(&b, 0xE9);
	sbuf_add_utf8(&b, 0x20AC);
	sbuf_add_utf8(&b, 0x1F600);
	sbuf_add_utf8(&b, 0xD800);
	s = sbuf_steal(&b, &len);
	assert_int_equal(strlen(s), len);
	assert_memory_equal(s, "0,1,2,", 6);
	assert_string_equal(s + len - 12, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xEF\xBF\xBD");
	free(s);
	assert_null(b.data);
}

/* The JSON string escaping every writer shares (moved here from verdict). */
static void
test_json_string(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b);
	json_add_string(&b, NULL);
	sbuf_addc(&b, ' ');
	json_add_string(&b, "a\"b\\c\n\t\x01\x7f\xC3\xA9");
	assert_string_equal(b.data, "null \"a\\\"b\\\\c\\n\\t\\u0001\\u007f\xC3\xA9\"");
	sbuf_free(&b);
}

static void
test_strings(void **state)
{
	char a[] = "  \t Sent   Items \r\n";
	char c[] = " a \xC2\xA0\xC2\xA0 b\t\tc ";

	(void)state;
	assert_string_equal(str_trim(a), "Sent   Items");
	assert_string_equal(str_collapse_ws(a), "Sent Items");
	assert_string_equal(str_collapse_ws(c), "a b c");
	assert_int_equal(ascii_strcasecmp("WHP07", "whp07"), 0);
	assert_true(ascii_strncasecmp("Re: x", "RE: y", 3) == 0);
	assert_true(ascii_strcasecmp("a", "b") < 0);
}

static void
test_diag(void **state)
{
	struct diag d, e;
	char buf[256];
	FILE *fp;

	(void)state;
	diag_init(&d);
	diag_init(&e);
	diag_add(&d, DIAG_ERROR, "p.xml", 12, "bad\nthing");
	diag_add(&e, DIAG_WARNING, "p.xml", 0, "meh");
	diag_merge(&d, &e);
	assert_int_equal(d.nerrors, 1);
	assert_int_equal(d.nwarnings, 1);
	fp = fmemopen(buf, sizeof(buf), "w");
	diag_print(&d, fp);
	fclose(fp);
	assert_string_equal(buf, "p.xml:12: error: bad?thing\np.xml: warning: meh\n");
	diag_free(&d);
	diag_free(&e);
}

static void
test_dates(void **state)
{
	mgday d, e;
	char out[11];
	int y, m, dd;

	(void)state;
	assert_true(mgday_parse_iso("1970-01-01", &d));
	assert_int_equal(d, 0);
	assert_true(mgday_parse_iso("2024-02-29", &d));
	assert_false(mgday_parse_iso("2025-02-29", &d));
	assert_false(mgday_parse_iso("2025-13-01", &d));
	assert_false(mgday_parse_iso("2025-1-01", &d));
	assert_false(mgday_parse_iso("2025-01-01x", &d));
	assert_true(mgday_parse_form("29/2/2024", &e));
	assert_true(mgday_parse_iso("2024-02-29", &d));
	assert_int_equal(d, e);
	assert_false(mgday_parse_form("31/4/2026", &e));
	assert_false(mgday_parse_form("1/1/26", &e));
	assert_true(mgday_parse_form("01/12/2026", &e));
	mgday_format(e, out);
	assert_string_equal(out, "2026-12-01");
	for (d = -700000; d < 2900000; d += 97) {
		mgday_to_ymd(d, &y, &m, &dd);
		assert_true(mgday_from_ymd(y, m, dd, &e));
		assert_int_equal(d, e);
	}
	assert_int_equal(mgdate_days_in_month(2100, 2), 28);
	assert_int_equal(mgdate_days_in_month(2000, 2), 29);
}

static void
test_london(void **state)
{
	mgday d;

	(void)state;
	/* 2026-03-29 is the last Sunday of March: BST from 01:00 UTC. */
	assert_true(mgday_parse_iso("2026-06-30", &d));
	/* 2026-06-30T23:30Z is 2026-07-01 00:30 in London. */
	assert_int_equal(mgday_today_london((time_t)d * 86400 + 23 * 3600 + 1800), d + 1);
	assert_true(mgday_parse_iso("2026-12-31", &d));
	assert_int_equal(mgday_today_london((time_t)d * 86400 + 23 * 3600 + 1800), d);
	/* 2026-10-25 is the last Sunday of October: GMT again from 01:00 UTC. */
	assert_true(mgday_parse_iso("2026-10-24", &d));
	assert_int_equal(mgday_today_london((time_t)d * 86400 + 23 * 3600 + 1800), d + 1);
	assert_true(mgday_parse_iso("2026-10-25", &d));
	assert_int_equal(mgday_today_london((time_t)d * 86400 + 23 * 3600 + 1800), d);
	assert_true(mgday_parse_iso("2026-03-28", &d));
	assert_int_equal(mgday_today_london((time_t)d * 86400 + 23 * 3600 + 1800), d);
	assert_true(mgday_parse_iso("2026-03-29", &d));
	assert_int_equal(mgday_today_london((time_t)d * 86400 + 23 * 3600 + 1800), d + 1);
}

static time_t
at(const char *ymd, int h, int m)
{
	mgday d;

	assert_true(mgday_parse_iso(ymd, &d));
	return (time_t)d * 86400 + h * 3600 + m * 60;
}

/* The London day's bounds and London times, at both changes of the clocks. */
static void
test_london_bounds(void **state)
{
	char s[26], u[20];
	mgday d;

	(void)state;
	/* summer: London's 2026-07-01 runs from 2026-06-30T23:00Z */
	assert_true(mgday_parse_iso("2026-07-01", &d));
	assert_int_equal(mgday_london_start(d), at("2026-06-30", 23, 0));
	mgdate_london_format(at("2026-07-01", 22, 30), s);
	assert_string_equal(s, "2026-07-01 23:30:00+01:00");
	mgdate_utc_format(at("2026-07-01", 22, 30), u);
	assert_string_equal(u, "2026-07-01 22:30:00");
	/* winter: a London day is the UTC day */
	assert_true(mgday_parse_iso("2026-12-01", &d));
	assert_int_equal(mgday_london_start(d), at("2026-12-01", 0, 0));
	mgdate_london_format(at("2026-12-31", 23, 59), s);
	assert_string_equal(s, "2026-12-31 23:59:00+00:00");
	/* the days the clocks change: 23 and 25 hours long */
	assert_true(mgday_parse_iso("2026-03-29", &d));
	assert_int_equal(mgday_london_start(d), at("2026-03-29", 0, 0));
	assert_int_equal(mgday_london_start(d + 1) - mgday_london_start(d), 23 * 3600);
	assert_true(mgday_parse_iso("2026-10-25", &d));
	assert_int_equal(mgday_london_start(d), at("2026-10-24", 23, 0));
	assert_int_equal(mgday_london_start(d + 1) - mgday_london_start(d), 25 * 3600);
	assert_int_equal(mgdate_london_offset(at("2026-10-25", 0, 59)), 3600);
	assert_int_equal(mgdate_london_offset(at("2026-10-25", 1, 0)), 0);
	/* a wall-clock reading: 12:00 in July is 11:00Z, in January 12:00Z */
	assert_int_equal(mgdate_london_to_utc(at("2026-07-15", 12, 0)), at("2026-07-15", 11, 0));
	assert_int_equal(mgdate_london_to_utc(at("2026-01-15", 12, 0)), at("2026-01-15", 12, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sbuf),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_diag),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_london),
		cmocka_unit_test(test_london_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
