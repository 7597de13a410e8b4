/*
 * test_csv - the RFC 4180 reader: quoting, line endings, blank lines, BOM,
 * errors with their line, and sniffing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "csv.h"

static void
test_basic(void **state)
{
	static const char in[] = "\xEF\xBB\xBFSurname,Forename,NINO\r\n"
	    "\"O'Neil, Jr\",\"say \"\"hi\"\"\",AB123456C\r\n\r\n"
	    "Smith,,\"multi\nline\"\nlast,row,x";
	struct csv_table t;
	char err[128];

	(void)state;
	assert_int_equal(csv_parse(in, strlen(in), &t, err, sizeof(err)), 0);
	assert_int_equal(t.nrows, 4);
	assert_string_equal(t.rows[0].cells[0], "Surname");
	assert_string_equal(t.rows[1].cells[0], "O'Neil, Jr");
	assert_string_equal(t.rows[1].cells[1], "say \"hi\"");
	assert_int_equal(t.rows[1].line, 2);
	assert_int_equal(t.rows[2].ncells, 3);
	assert_string_equal(t.rows[2].cells[1], "");
	assert_string_equal(t.rows[2].cells[2], "multi\nline");
	assert_int_equal(t.rows[2].line, 4);
	assert_int_equal(t.rows[3].line, 6);
	assert_string_equal(t.rows[3].cells[2], "x");
	csv_free(&t);
}

static void
test_errors(void **state)
{
	struct csv_table t;
	char err[128];

	(void)state;
	assert_int_equal(csv_parse("a,b\nc,d\"e\n", 10, &t, err, sizeof(err)), -1);
	assert_string_equal(err, "line 2: a quote inside an unquoted field");
	assert_int_equal(csv_parse("a,b\n\"open,x\n", 12, &t, err, sizeof(err)), -1);
	assert_string_equal(err, "line 2: a quoted field is not closed");
	assert_int_equal(csv_parse("\"a\"b,c\n", 7, &t, err, sizeof(err)), -1);
	assert_string_equal(err, "line 1: text after a closing quote");
	assert_int_equal(csv_parse("", 0, &t, err, sizeof(err)), 0);
	assert_int_equal(t.nrows, 0);
	csv_free(&t);
}

static void
test_sniff(void **state)
{
	(void)state;
	assert_true(csv_sniff("a,b\n1,2\n", 8));
	assert_true(csv_sniff("a,b\r\n1,2", 8));
	assert_false(csv_sniff("Dear team,\nplease find attached.\n", 33));
	assert_false(csv_sniff("a,b\n1,2,3\n", 10));
	assert_false(csv_sniff("a,b\n", 4));
	assert_false(csv_sniff("a\nb\n", 4));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_sniff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
