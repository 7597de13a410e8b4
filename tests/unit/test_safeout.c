/*
 * test_safeout - what reaches a terminal or a spreadsheet: controls (C0,
 * DEL, C1), invalid UTF-8 and backslashes escaped; formulas neutralised
 * and RFC 4180 quoting kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "safeout.h"

static void
term_is(const char *in, const char *want)
{
	char *got = safeout_term_dup(in);

	assert_string_equal(got, want);
	free(got);
}

static void
test_term(void **state)
{
	(void)state;
	term_is("a1@provider.example", "a1@provider.example");
	/* the window-title attack of a Message-ID */
	term_is("x\x1b]0;owned\x07@p", "x\\x1b]0;owned\\x07@p");
	term_is("line\nbreak\rcr\ttab", "line\\x0abreak\\x0dcr\\x09tab");
	term_is("del\x7f", "del\\x7f");
	/* C1 CSI (U+009B) acts like ESC [ on many terminals */
	term_is("c1\xc2\x9b" "31m", "c1\\xc2\\x9b31m");
	/* printable UTF-8 stays, invalid bytes do not */
	term_is("caf\xc3\xa9 \xe2\x80\xa6", "caf\xc3\xa9 \xe2\x80\xa6");
	term_is("bad\xff\xc3", "bad\\xff\\xc3");
	term_is("\xe0\x80\xaf", "\\xe0\\x80\\xaf");
	/* a backslash is doubled, so "\x1b" typed by someone is not an escape shown */
	term_is("a\\x1b", "a\\\\x1b");
	assert_null(safeout_term_dup(NULL));
}

static void
csv_is(const char *in, const char *want)
{
	struct sbuf b;

	sbuf_init(&b);
	safeout_csv(&b, in);
	assert_string_equal(b.data ? b.data : "", want);
	sbuf_free(&b);
}

static void
test_csv(void **state)
{
	(void)state;
	csv_is("plain", "plain");
	csv_is("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"");
	csv_is("+1", "'+1");
	csv_is("-2+3", "'-2+3");
	csv_is("@SUM(A1)", "'@SUM(A1)");
	csv_is("\tx", "'\\x09x");
	csv_is("=x\x1b]0;t\x07", "'=x\\x1b]0;t\\x07");
	csv_is("a\nb", "\"a\nb\"");
	csv_is("bad\xff", "bad\\xff");
	csv_is("a,b", "\"a,b\"");
	csv_is("a=b", "a=b");
	csv_is(NULL, "");
	assert_true(safeout_csv_is_formula("=1"));
	assert_false(safeout_csv_is_formula("a=1"));
	assert_false(safeout_csv_is_formula(""));
}

static void
test_width(void **state)
{
	(void)state;
	assert_int_equal(safeout_width("abc"), 3);
	assert_int_equal(safeout_width("caf\xc3\xa9\xe2\x80\xa6"), 5);
	assert_int_equal(safeout_width(""), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_term),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_width),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
