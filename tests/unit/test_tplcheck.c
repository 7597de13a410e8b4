/*
 * test_tplcheck - reading a completed form: field lines, bullets, longest
 * names, continuation lines, quoted replies, repeated fields, types and
 * word counts, the notice date, body versus documents, and CSV lists.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "template.h"
#include "util.h"

static struct tpl_field F[6];
static struct template T;

static void
mk(void)
{
	memset(F, 0, sizeof(F));
	memset(&T, 0, sizeof(T));
	F[0].name = (char *)"Participant surname";
	F[0].required = 1;
	F[1].name = (char *)"National Insurance number";
	F[1].type = TPL_NINO;
	F[1].required = 1;
	F[2].name = (char *)"Date";
	F[2].type = TPL_DATE;
	F[3].name = (char *)"Date of change";
	F[3].type = TPL_DATE;
	F[3].required = 1;
	F[3].notice = 1;
	F[4].name = (char *)"Next steps";
	F[4].required = 1;
	F[4].min_words = 5;
	T.id = (char *)"t";
	T.form = (char *)"T";
	T.title = (char *)"T";
	T.fields = F;
	T.nfields = 5;
	T.has_notice = 1;
}

/* Runs the check on a body and returns the problems joined by "|". */
static char *
run(const char *body, const struct tpl_text *docs, size_t ndocs, mgday *notice)
{
	struct tpl_text b = { NULL, body, body ? strlen(body) : 0 };
	struct tpl_result r;
	struct sbuf s;
	size_t i;

	template_check(&T, body ? &b : NULL, docs, ndocs, NULL, 0, &r);
	sbuf_init(&s);
	sbuf_adds(&s, "");
	for (i = 0; i < r.nproblems; i++) {
		if (i)
			sbuf_addc(&s, '|');
		sbuf_adds(&s, r.problems[i].detail);
	}
	if (notice)
		*notice = r.notice;
	tpl_result_free(&r);
	return sbuf_steal(&s, NULL);
}

static void
expect(const char *body, const char *want)
{
	char *got = run(body, NULL, 0, NULL);

	assert_string_equal(got, want);
	free(got);
}

static void
test_complete(void **state)
{
	mgday n, want;

	(void)state;
	mk();
	char *got = run("Dear team,\n\n  * **Participant   Surname** : Smith\n"
	    "- national insurance number: AB 12 34 56 C\n"
	    "1. Date of change: 5/1/2026\n"
	    "\xE2\x80\xA2 Next steps: one two\nthree four five\n\nKind regards\n", NULL, 0, &n);
	assert_string_equal(got, "");
	free(got);
	assert_true(mgday_parse_iso("2026-01-05", &want));
	assert_int_equal(n, want);
}

static void
test_missing_and_invalid(void **state)
{
	(void)state;
	mk();
	expect("Participant surname:\nNational Insurance number: AB123456\n"
	    "Date of change: 31/02/2026\nNext steps: go & see -- the\n\nadviser soon please\n",
	    "'Participant surname' is empty|'National Insurance number' must hold exactly one "
	    "National Insurance number with its final letter, like QQ 12 34 56 C|"
	    "'Date of change' is not a date (write YYYY-MM-DD or D/M/YYYY): 31/02/2026|"
	    "'Next steps' has 3 words; at least 5 are needed");
	expect("nothing here\n", "'Participant surname' is missing|'National Insurance number' "
	    "is missing|'Date of change' is missing|'Next steps' is missing");
}

static void
test_longest_name_and_optional(void **state)
{
	(void)state;
	mk();
	/* "Date" is optional: present it must be valid; "Date of change" is not read as "Date". */
	expect("Participant surname: S\nNational Insurance number: AB123456C\nDate: soon\n"
	    "Date of change: 2026-01-05\nNext steps: a b c d e\n",
	    "'Date' is not a date (write YYYY-MM-DD or D/M/YYYY): soon");
}

/* Lines end at LF, CRLF or a bare CR, mixed in one text, the last one with no end at all. */
static void
test_line_ends(void **state)
{
	static const char *const ends[] = { "\n", "\r\n", "\r" };
	static const char *const lines[] = { "Participant surname: Smith", "Next steps: a b",
		"c d e", "National Insurance number: AB123456C", "Date of change: 2026-01-05" };
	size_t e, i;

	(void)state;
	mk();
	for (e = 0; e < 27; e++) {
		struct sbuf b;
		char *got;

		sbuf_init(&b);
		for (i = 0; i < 5; i++) {
			sbuf_adds(&b, lines[i]);
			if (i < 4)
				sbuf_adds(&b, ends[(e / (i % 3 == 0 ? 1 : i % 3 == 1 ? 3 : 9)) % 3]);
		}
		got = run(b.data, NULL, 0, NULL);
		assert_string_equal(got, "");
		free(got);
		sbuf_free(&b);
	}
	/* a blank line (CR CR, or LF CR LF) ends the continuation: only "a b" is read */
	expect("Participant surname: S\rNext steps: a b\r\rc d e\rNational Insurance number: "
	    "AB123456C\rDate of change: 2026-01-05", "'Next steps' has 2 words; at least 5 are needed");
	expect("Participant surname: S\nNext steps: a b\n\r\nc d e\nNational Insurance number: "
	    "AB123456C\nDate of change: 2026-01-05\n", "'Next steps' has 2 words; at least 5 are needed");
}

static void
test_repeats_and_quotes(void **state)
{
	(void)state;
	mk();
	expect("Participant surname: Smith\nParticipant surname:  Smith \n"
	    "National Insurance number: AB123456C\n> National Insurance number: CE123456A\n"
	    "Date of change: 2026-01-05\nNext steps: a b c d e\n", "");
	expect("Participant surname: Smith\nParticipant surname: Jones\n"
	    "National Insurance number: AB123456C\nDate of change: 2026-01-05\nNext steps: a b c d e\n",
	    "'Participant surname' is given twice with different values");
	expect("Participant surname: S\nNational Insurance number: AB123456C CE123456A\n"
	    "Date of change: 2026-01-05\nNext steps: a b c d e\n",
	    "'National Insurance number' must hold exactly one National Insurance number with its "
	    "final letter, like QQ 12 34 56 C");
	/* Punctuation-only tokens are not words; continuation stops at the next field. */
	expect("Participant surname: S\nNational Insurance number: AB123456C\n"
	    "Next steps: a - b -- c\nd\nDate of change: 2026-01-05\n",
	    "'Next steps' has 4 words; at least 5 are needed");
}

static void
test_documents(void **state)
{
	struct tpl_text docs[2] = {
		{ "form.docx", "Participant surname: Smith\nNational Insurance number: AB123456C\n"
		    "Date of change: 2026-01-05\nNext steps: a b c d e\n", 0 },
		{ "other.txt", "Participant surname: Jones\n", 0 },
	};
	char *got;

	(void)state;
	mk();
	docs[0].len = strlen(docs[0].text);
	docs[1].len = strlen(docs[1].text);
	got = run("Please see the attached form.\n", docs, 1, NULL);
	assert_string_equal(got, "");
	free(got);
	got = run("Please see the attached forms.\n", docs, 2, NULL);
	assert_string_equal(got, "the form's fields are in 2 attachments; send one completed form");
	free(got);
	/* The body names a field: the document is not read, nothing is combined. */
	got = run("Participant surname: Smith\n", docs, 1, NULL);
	assert_string_equal(got, "'National Insurance number' is missing|'Date of change' is "
	    "missing|'Next steps' is missing");
	free(got);
}

static void
test_list(void **state)
{
	struct tpl_field lf[3];
	struct template lt;
	struct tpl_text csv;
	struct tpl_result r;
	static const char ok[] = "\xEF\xBB\xBFsurname, FORENAME ,National Insurance number\r\n"
	    "\"O'Neil, Jr\",Jo,AB123456C\r\n\r\nSmith,Al,ce 12 34 56 a\r\n";
	static const char cp1252[] = "Surname,Forename,National Insurance number\n\xD3 Briain,Dara,AB123456C\n";
	static const char bad[] = "Surname,Forename,National Insurance number\nSmith,,AB123456C\nJones,Al,AB1234\n";

	(void)state;
	memset(lf, 0, sizeof(lf));
	memset(&lt, 0, sizeof(lt));
	lf[0].name = (char *)"Surname";
	lf[1].name = (char *)"Forename";
	lf[2].name = (char *)"National Insurance number";
	lf[2].type = TPL_NINO;
	lf[0].required = lf[1].required = lf[2].required = 1;
	lf[0].in_list = lf[1].in_list = lf[2].in_list = 1;
	lt.fields = lf;
	lt.nfields = 3;
	lt.has_list = 1;
	csv.name = "list.csv";
	csv.text = ok;
	csv.len = sizeof(ok) - 1;
	template_check(&lt, NULL, NULL, 0, &csv, 1, &r);
	assert_int_equal(r.nproblems, 0);
	tpl_result_free(&r);
	csv.text = cp1252;
	csv.len = sizeof(cp1252) - 1;
	template_check(&lt, NULL, NULL, 0, &csv, 1, &r);
	assert_int_equal(r.nproblems, 0);
	tpl_result_free(&r);
	csv.text = bad;
	csv.len = sizeof(bad) - 1;
	template_check(&lt, NULL, NULL, 0, &csv, 1, &r);
	assert_int_equal(r.nproblems, 2);
	assert_string_equal(r.problems[0].detail, "list.csv row 2, column 'Forename': empty");
	assert_string_equal(r.problems[1].detail, "list.csv row 3, column 'National Insurance "
	    "number': not a National Insurance number with its final letter");
	tpl_result_free(&r);
	template_check(&lt, NULL, NULL, 0, NULL, 0, &r);
	assert_int_equal(r.nproblems, 1);
	assert_string_equal(r.problems[0].detail, "the list must be attached as exactly one CSV file (0 found)");
	tpl_result_free(&r);
	csv.text = "Forename,Surname,National Insurance number\nJo,S,AB123456C\n";
	csv.len = strlen(csv.text);
	template_check(&lt, NULL, NULL, 0, &csv, 1, &r);
	assert_string_equal(r.problems[0].detail, "list.csv: column 1 of the first row must be 'Surname'");
	tpl_result_free(&r);
	csv.text = "Surname,Forename,National Insurance number\n";
	csv.len = strlen(csv.text);
	template_check(&lt, NULL, NULL, 0, &csv, 1, &r);
	assert_string_equal(r.problems[0].detail, "list.csv holds no records");
	tpl_result_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_complete),
		cmocka_unit_test(test_missing_and_invalid),
		cmocka_unit_test(test_longest_name_and_optional),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_repeats_and_quotes),
		cmocka_unit_test(test_documents),
		cmocka_unit_test(test_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
