/*
 * test_clerical - clerical copies (seed ¶59-62): the form's title, code and
 * fields in template order and nothing else of the message; a list form's
 * CSV rows as a table; the body text when no template matched; HTML escaped
 * with an A4 print stylesheet; files 0640; list, done (a log row, the copy
 * removed, the Message-ID remembered as done) and purge; the journey's
 * clerical fate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "clerical.h"
#include "journey.h"
#include "state.h"

static const unsigned char KEY[] = "0123456789abcdef0123456789abcdef-test-key";

static struct tpl_field F[4];
static struct template T;

static void mk_template(int list)
{
	memset(F, 0, sizeof(F));
	memset(&T, 0, sizeof(T));
	F[0].name = (char *)"Participant surname";
	F[1].name = (char *)"National Insurance number";
	F[1].type = TPL_NINO;
	F[2].name = (char *)"Change";
	F[3].name = (char *)"Date of change";
	F[3].type = TPL_DATE;
	T.id = (char *)"change-of-circumstances";
	T.form = (char *)"WHP07";
	T.title = (char *)"Change of Circumstances";
	T.fields = F;
	T.nfields = 4;
	if (list) {
		F[2].in_list = F[3].in_list = 1;
		T.has_list = 1;
	}
}

/* The body lists the fields out of order, with words around them. */
static const char BODY[] = "Dear team,\n\nDate of change: 2026-12-01\nChange: moved to <Leeds> & back\n"
    "Participant surname: Smith\nNational Insurance number: AB123456C\n\nSecret aside\n";

static void mk_msg(struct mime_result *mr, const char *body)
{
	mime_result_init(mr);
	mr->body.text = xstrdup(body);
	mr->body.len = strlen(body);
	mr->subject = xstrdup("Change of Circumstances");
}

static void test_text_in_template_order(void **state)
{
	struct clerical_form f = { "abc@example.org", "whp", &T, NULL };
	struct mime_result mr;
	struct sbuf b;
	const char *s, *a, *n, *c, *d;

	(void)state;
	mk_template(0);
	mk_msg(&mr, BODY);
	f.mr = &mr;
	sbuf_init(&b);
	clerical_render_text(&f, 86400, &b);
	sbuf_adds(&b, "");
	s = b.data;
	assert_non_null(strstr(s, "Form: Change of Circumstances (WHP07)\n"));
	a = strstr(s, "Participant surname: Smith\n");
	n = strstr(s, "National Insurance number: AB123456C\n");
	c = strstr(s, "Change: moved to <Leeds> & back\n");
	d = strstr(s, "Date of change: 2026-12-01\n");
	assert_true(a && n && c && d && a < n && n < c && c < d);
	assert_null(strstr(s, "Secret aside"));
	assert_null(strstr(s, "Dear team"));
	sbuf_free(&b);
	mime_result_free(&mr);
}

static void test_html_printable_and_escaped(void **state)
{
	struct clerical_form f = { "abc@example.org", "whp", &T, NULL };
	struct mime_result mr;
	struct sbuf b;

	(void)state;
	mk_template(0);
	mk_msg(&mr, BODY);
	f.mr = &mr;
	sbuf_init(&b);
	clerical_render_html(&f, 86400, &b);
	sbuf_adds(&b, "");
	assert_non_null(strstr(b.data, "@page { size: A4;"));
	assert_non_null(strstr(b.data, "<h1>Change of Circumstances</h1>"));
	assert_non_null(strstr(b.data, "Form WHP07"));
	assert_non_null(strstr(b.data, "<td>moved to &lt;Leeds&gt; &amp; back</td>"));
	assert_null(strstr(b.data, "<Leeds>"));
	assert_null(strstr(b.data, "Secret aside"));
	sbuf_free(&b);
	mime_result_free(&mr);
}

static void test_list_rows_as_table(void **state)
{
	struct clerical_form f = { "list@example.org", NULL, &T, NULL };
	struct mime_result mr;
	struct sbuf b;
	static const char csv[] = "Change,Date of change\r\nmoved,2026-12-01\r\n\"new job, full time\",1/12/2026\r\n";

	(void)state;
	mk_template(1);
	mk_msg(&mr, "Participant surname: Smith\nNational Insurance number: AB123456C\n");
	mr.csvs = xcalloc(1, sizeof(*mr.csvs));
	mr.ncsvs = 1;
	mr.csvs[0].name = xstrdup("list.csv");
	mr.csvs[0].text = xstrdup(csv);
	mr.csvs[0].len = strlen(csv);
	f.mr = &mr;
	sbuf_init(&b);
	clerical_render_html(&f, 0, &b);
	sbuf_adds(&b, "");
	assert_non_null(strstr(b.data, "<tr><th>Change</th><th>Date of change</th></tr>"));
	assert_non_null(strstr(b.data, "<tr><td>new job, full time</td><td>1/12/2026</td></tr>"));
	sbuf_reset(&b);
	clerical_render_text(&f, 0, &b);
	sbuf_adds(&b, "");
	assert_non_null(strstr(b.data, "moved | 2026-12-01\n"));
	assert_null(strstr(b.data, "Change: "));	/* list fields are columns, not lines */
	sbuf_free(&b);
	mime_result_free(&mr);
}

static void test_no_template_copies_body(void **state)
{
	struct clerical_form f = { "free@example.org", NULL, NULL, NULL };
	struct mime_result mr;
	struct sbuf b;

	(void)state;
	mk_msg(&mr, "Please call Mrs <B> today\n");
	f.mr = &mr;
	sbuf_init(&b);
	clerical_render_html(&f, 0, &b);
	sbuf_adds(&b, "");
	assert_non_null(strstr(b.data, "<pre>Please call Mrs &lt;B&gt; today\n</pre>"));
	sbuf_free(&b);
	mime_result_free(&mr);
}

static void rm_rf(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void test_make_list_done_purge(void **state)
{
	char tmpl[] = "/tmp/test_clerical.XXXXXX", err[512], id[CLERICAL_ID_LEN + 1], *p, *v;
	struct clerical_form f = { "abc@example.org", "whp", &T, NULL };
	struct clerical_entry *e;
	struct mime_result mr;
	struct sendlog *sl;
	struct stat st;
	size_t n;

	(void)state;
	mk_template(0);
	mk_msg(&mr, BODY);
	f.mr = &mr;
	assert_non_null(mkdtemp(tmpl));
	assert_int_equal(sendlog_open(tmpl, KEY, sizeof(KEY) - 1, SENDLOG_WRITE, &sl, err,
	    sizeof(err)), 0);
	assert_int_equal(clerical_list(tmpl, &e, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(clerical_state(sl, "abc@example.org"), CLERICAL_NONE);
	assert_int_equal(clerical_make(sl, tmpl, &f, 1000, id, err, sizeof(err)), 0);
	assert_int_equal(clerical_state(sl, "abc@example.org"), CLERICAL_WAITING);
	p = clerical_path(tmpl, id, "html");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	free(p);
	p = xasprintf("%s/clerical/index.html", tmpl);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	v = file_read(p, 1 << 20, &n);
	assert_non_null(strstr(v, id));
	free(v);
	free(p);
	assert_int_equal(clerical_list(tmpl, &e, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].message_id, "abc@example.org");
	assert_string_equal(e[0].form, "Change of Circumstances (WHP07)");
	clerical_list_free(e, n);
	assert_int_equal(clerical_done(sl, tmpl, "0123456789abcdef", "x", "alice", 2000, err,
	    sizeof(err)), 1);
	assert_int_equal(clerical_done(sl, tmpl, "../etc", "x", "alice", 2000, err, sizeof(err)), 1);
	assert_int_equal(clerical_done(sl, tmpl, id, "posted to the department", "alice", 2000,
	    err, sizeof(err)), 0);
	assert_int_equal(clerical_state(sl, "abc@example.org"), CLERICAL_DONE);
	p = clerical_path(tmpl, id, "txt");
	assert_int_equal(access(p, F_OK), -1);
	free(p);
	assert_int_equal(clerical_list(tmpl, &e, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	free(e);
	/* purge: a copy older than the cutoff goes, a newer one stays */
	f.message_id = "old@example.org";
	assert_int_equal(clerical_make(sl, tmpl, &f, 100, id, err, sizeof(err)), 0);
	f.message_id = "new@example.org";
	assert_int_equal(clerical_make(sl, tmpl, &f, 5000, id, err, sizeof(err)), 0);
	assert_int_equal(clerical_purge(tmpl, 1000, err, sizeof(err)), 1);
	assert_int_equal(clerical_list(tmpl, &e, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].message_id, "new@example.org");
	clerical_list_free(e, n);
	sendlog_close(sl);
	mime_result_free(&mr);
	rm_rf(tmpl);
}

static void test_journey_clerical_fate(void **state)
{
	(void)state;
	assert_true(journey_allowed(JR_NONE, JR_LOGGED, JF_CLERICAL));
	assert_true(journey_allowed(JR_INTENT, JR_LOGGED, JF_CLERICAL));
	assert_false(journey_allowed(JR_DATA, JR_LOGGED, JF_CLERICAL));
	assert_false(journey_allowed(JR_NONE, JR_ACCEPTED, JF_CLERICAL));
	assert_string_equal(journey_fate_name(JF_CLERICAL), "clerical");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_in_template_order),
		cmocka_unit_test(test_html_printable_and_escaped),
		cmocka_unit_test(test_list_rows_as_table),
		cmocka_unit_test(test_no_template_copies_body),
		cmocka_unit_test(test_make_list_done_purge),
		cmocka_unit_test(test_journey_clerical_fate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
