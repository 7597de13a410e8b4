/*
 * test_office - Office documents: each format sniffed and read, table rows
 * as "field: value", deleted revisions and metadata read, images skipped;
 * a compression bomb, too many entries, a plain archive and an XML part
 * with a DTD refused with a reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "office.h"
#include "util.h"

static char *
fixture(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char *p = xasprintf("%s/tests/data/office/%s", top ? top : ".", name), *d;

	d = file_read(p, 1 << 24, len);
	assert_non_null(d);
	free(p);
	return d;
}

static char *
extract(const char *name, int want_rc, char *err)
{
	struct mime_limits lim;
	struct sbuf out, extra;
	size_t len;
	char *d = fixture(name, &len);

	mime_limits_default(&lim, 10 << 20);
	sbuf_init(&out);
	sbuf_init(&extra);
	assert_int_equal(office_extract(d, len, &lim, &out, &extra, err, 200), want_rc);
	free(d);
	sbuf_free(&extra);
	if (want_rc < 0) {
		sbuf_free(&out);
		return NULL;
	}
	return sbuf_steal(&out, NULL);
}

static void
test_sniff(void **state)
{
	static const struct { const char *name; enum office_kind kind; } cases[] = {
		{ "form.docx", OFFICE_DOCX }, { "list.xlsx", OFFICE_XLSX }, { "slides.pptx", OFFICE_PPTX },
		{ "doc.odt", OFFICE_ODT }, { "doc.ods", OFFICE_ODS }, { "doc.odp", OFFICE_ODP },
		{ "archive.zip", OFFICE_OTHER_ZIP },
	};
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *d = fixture(cases[i].name, &len);

		assert_int_equal(office_sniff(d, len), cases[i].kind);
		free(d);
	}
	assert_int_equal(office_sniff("%PDF-1.4", 8), OFFICE_NONE);
}

static void
test_text(void **state)
{
	char err[200], *t;

	(void)state;
	t = extract("form.docx", 0, err);
	assert_non_null(strstr(t, "Participant surname: Smith\n"));
	assert_non_null(strstr(t, "CE 12 34 56 A"));	/* a deleted revision is still in the file */
	assert_null(strstr(t, "PNG"));
	free(t);
	t = extract("list.xlsx", 0, err);
	assert_non_null(strstr(t, "AB123456C"));
	free(t);
	t = extract("slides.pptx", 0, err);
	assert_non_null(strstr(t, "HN 01 02 03 B"));
	free(t);
	t = extract("doc.odt", 0, err);
	assert_non_null(strstr(t, "Date of change: 2026-11-20\n"));
	assert_non_null(strstr(t, "GH 12 34 56 D"));
	free(t);
}

static void
test_hostile(void **state)
{
	char err[200];

	(void)state;
	extract("bomb.docx", -1, err);
	assert_string_equal(err, "a part of the document expands more than 100 times");
	extract("many.docx", -1, err);
	assert_string_equal(err, "the document has more than 1000 parts");
	extract("dtd.docx", -1, err);
	assert_non_null(strstr(err, "DTDs are not allowed"));
	assert_int_equal(office_extract("PK\x03\x04garbage", 12, NULL, NULL, NULL, err, sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
