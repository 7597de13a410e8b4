/*
 * test_policy - the sample policy loads; every error and warning of the
 * interface with its line; entity bombs and external entities refused;
 * subject matching; recipient classification on boundary days; templates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy.h"
#include "template.h"
#include "util.h"

static char *
src(const char *rel)
{
	const char *top = getenv("top_srcdir");

	return xasprintf("%s/%s", top ? top : ".", rel);
}

static mgday
D(const char *s)
{
	mgday d;

	assert_true(mgday_parse_iso(s, &d));
	return d;
}

static int
has(const struct diag *d, enum diag_sev sev, long line, const char *needle)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->items[i].sev == sev && (line < 0 || d->items[i].line == line) &&
		    strstr(d->items[i].text, needle))
			return 1;
	return 0;
}

static int
load(const char *rel, struct policy **p, struct diag *d)
{
	char *path = src(rel), *tdir = src("templates");
	int rc = policy_load_at(path, tdir, D("2026-11-23"), p, d);

	free(path);
	free(tdir);
	return rc;
}

/*
 * libxml2 numbers an element by the line where its start tag ends, so a
 * start tag spread over two lines is reported on its second.
 */
static void
test_sample(void **state)
{
	struct policy *p;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(load("policies/policy.xml", &p, &d), 0);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(p->nprocesses, 9);
	assert_int_equal(p->ntemplates, 14);
	assert_int_equal(p->max_recipients, 50);
	assert_int_equal(policy_find_process(p, "potential-security-incident")->max_records, 0);
	assert_int_equal(policy_find_process(p, "compliance-doubt")->nforms, 4);
	assert_string_equal(p->designated_address, "whp@provider.example");
	assert_int_equal(strlen(p->version), 64);
	assert_true(has(&d, DIAG_WARNING, -1, "process good-news-story has no approval"));
	assert_true(has(&d, DIAG_WARNING, -1, "permit of acme for exit-report ends on 2026-12-10"));
	assert_int_equal(d.nwarnings, 2);
	policy_free(p);
	diag_free(&d);
}

/* A form without a template, max-records="0", the limits and the inbound attributes (issue 9). */
static void
test_optional_and_inbound(void **state)
{
	static const char xml[] =
	    "<policy xmlns=\"urn:mailgate:policy:1\">\n"
	    "<designated-inbox address=\"whp@provider.example\"/>\n"
	    "<limits max-message-bytes=\"1000\" max-recipients=\"7\"/>\n"
	    "<performance-manager address=\"PM@dwp.example\" name=\"Pat Manager\"/>\n"
	    "<process id=\"gns\" name=\"Good news\" subject=\"WHP Good News Story\" max-records=\"1\" "
	    "approval=\"a\" inbound=\"internal\"/>\n"
	    "<process id=\"psi\" name=\"PSI\" max-records=\"0\" approval=\"a\" inbound=\"caseload\">"
	    "<form subject=\"Potential Security Incident\"/></process>\n"
	    "<process id=\"coc\" name=\"CoC\" subject=\"WHP07 Change of Circumstances\" max-records=\"1\" "
	    "template=\"change-of-circumstances\" approval=\"a\"/>\n"
	    "<department name=\"DWP\"><suspension-notice subject=\"WHP Suspension  Notice\"/>"
	    "<inbox address=\"a@dwp.example\" processes=\"gns psi\"/>"
	    "<reintroduction-notice subject=\"WHP Reintroduction Notice\"/></department>\n"
	    "<internal><inbox address=\"c@provider.example\" processes=\"coc\"/>"
	    "<inbox address=\"d@provider.example\"/></internal>\n"
	    "</policy>\n";
	char *tdir = src("templates");
	struct policy *p;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(policy_load_mem(xml, sizeof(xml) - 1, "t.xml", tdir, D("2026-11-23"), &p, &d), 0);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(p->max_message_bytes, 1000);
	assert_int_equal(p->max_recipients, 7);
	assert_string_equal(p->pm_address, "pm@dwp.example");
	assert_string_equal(p->pm_name, "Pat Manager");
	assert_null(policy_find_process(p, "gns")->forms[0].template_id);
	assert_null(policy_find_process(p, "gns")->forms[0].tpl);
	assert_int_equal(policy_find_process(p, "gns")->inbound, POLICY_INBOUND_INTERNAL);
	assert_int_equal(policy_find_process(p, "psi")->inbound, POLICY_INBOUND_CASELOAD);
	assert_int_equal(policy_find_process(p, "psi")->max_records, 0);
	assert_int_equal(policy_find_process(p, "coc")->inbound, POLICY_INBOUND_REVIEW);
	assert_int_equal(p->ntemplates, 1);
	assert_string_equal(p->departments[0].suspension_subject, "WHP Suspension Notice");
	assert_string_equal(p->departments[0].reintroduction_subject, "WHP Reintroduction Notice");
	assert_int_equal(p->ninternal, 2);
	assert_string_equal(p->internal_inboxes[0].address, "c@provider.example");
	assert_int_equal(p->internal_inboxes[0].all, 0);
	assert_int_equal(p->internal_inboxes[0].nprocesses, 1);
	assert_ptr_equal(p->internal_inboxes[0].processes[0], policy_find_process(p, "coc"));
	assert_int_equal(p->internal_inboxes[1].all, 1);
	assert_int_equal(p->internal_inboxes[1].nprocesses, 0);
	policy_free(p);
	diag_free(&d);

	/* the schema knows only the three routings; an unknown process in an internal inbox is an error */
	{
		char *bad = xstrdup(xml), *q = strstr(bad, "inbound=\"internal\"");
		char *bad2 = xstrdup(xml), *r = strstr(bad2, "processes=\"coc\"");

		memcpy(q, "inbound=\"sideway\"", 18);
		diag_init(&d);
		assert_int_equal(policy_load_mem(bad, strlen(bad), "t.xml", tdir, D("2026-11-23"), &p, &d), -1);
		diag_free(&d);
		memcpy(r, "processes=\"xyz\"", 15);
		diag_init(&d);
		assert_int_equal(policy_load_mem(bad2, strlen(bad2), "t.xml", tdir, D("2026-11-23"), &p, &d), -1);
		assert_true(has(&d, DIAG_ERROR, -1, "inbox c@provider.example: unknown process 'xyz'"));
		diag_free(&d);
		free(bad);
		free(bad2);
	}
	free(tdir);
}

static void
test_hostile_xml(void **state)
{
	struct policy *p;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(load("tests/data/policy/billion-laughs.xml", &p, &d), -1);
	assert_true(has(&d, DIAG_ERROR, 2, "DTDs are not allowed"));
	assert_null(p);
	diag_free(&d);
	diag_init(&d);
	assert_int_equal(load("tests/data/policy/xxe.xml", &p, &d), -1);
	assert_true(has(&d, DIAG_ERROR, 2, "DTDs are not allowed"));
	assert_int_equal(d.n, 1);
	diag_free(&d);
	diag_init(&d);
	assert_int_equal(load("tests/data/policy/malformed.xml", &p, &d), -1);
	assert_true(d.items[0].line >= 4);
	diag_free(&d);
	diag_init(&d);
	assert_int_equal(load("tests/data/policy/schema-error.xml", &p, &d), -1);
	assert_true(has(&d, DIAG_ERROR, 4, "process"));
	diag_free(&d);
}

static void
test_semantic_errors(void **state)
{
	struct policy *p;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(load("tests/data/policy/semantic-errors.xml", &p, &d), -1);
	assert_true(has(&d, DIAG_ERROR, 7, "process id 'coc' is used twice (first on line 5)"));
	assert_true(has(&d, DIAG_ERROR, 7, "subject 'whp07 change of circumstances' is already used on line 5"));
	assert_true(has(&d, DIAG_ERROR, 9, "min-notice-days but template 'change-of-circumstances' has no notice field"));
	assert_true(has(&d, DIAG_ERROR, 10, "template 'no-such-template' does not load"));
	assert_true(has(&d, DIAG_ERROR, 12, "unknown process 'nosuch'"));
	assert_true(has(&d, DIAG_ERROR, 13, "whp@provider.example is the designated inbox"));
	assert_true(has(&d, DIAG_ERROR, 16, "a@dwp.example is already listed on line 12"));
	assert_true(has(&d, DIAG_ERROR, 20, "until (2026-04-30) is before from (2026-05-01)"));
	assert_true(has(&d, DIAG_ERROR, 21, "permit of acme: unknown process 'nosuch'"));
	assert_true(has(&d, DIAG_WARNING, 20, "offshore"));
	assert_true(has(&d, DIAG_WARNING, 21, "has no approval"));
	assert_true(has(&d, DIAG_WARNING, 10, "process gone has no approval"));
	assert_null(p);
	diag_free(&d);
}

static void
test_warnings(void **state)
{
	struct policy *p;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(load("tests/data/policy/warnings.xml", &p, &d), 0);
	assert_true(has(&d, DIAG_WARNING, 5, "process coc has no approval"));
	/* 2026-12-23 is 30 days after 2026-11-23: within; 2026-12-24 is not. */
	assert_true(has(&d, DIAG_WARNING, 8, "ends on 2026-12-23, within 30 days"));
	assert_false(has(&d, DIAG_WARNING, 9, "within 30 days"));
	assert_true(has(&d, DIAG_WARNING, 10, "has no approval"));
	assert_int_equal(d.nwarnings, 3);
	policy_free(p);
	diag_free(&d);
}

static void
test_subjects(void **state)
{
	const struct policy_process *pr;
	const struct policy_form *f;
	struct policy *p;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(load("policies/policy.xml", &p, &d), 0);
	f = policy_match_subject(p, "WHP07 Change of Circumstances", &pr);
	assert_non_null(f);
	assert_string_equal(pr->id, "change-of-circumstances");
	assert_non_null(policy_match_subject(p, "  RE: fwd:Fw:  AW: WG: whp07   change of\r\n circumstances - update", &pr));
	assert_string_equal(pr->id, "change-of-circumstances");
	assert_null(policy_match_subject(p, "WHP07 Change of Circumstances2", &pr));
	assert_null(policy_match_subject(p, "WHP07 Change of Circumstancesé", &pr));
	assert_non_null(policy_match_subject(p, "WHP07 Change of Circumstances: Smith", &pr));
	assert_null(policy_match_subject(p, "About: WHP07 Change of Circumstances", &pr));
	f = policy_match_subject(p, "WHPERJ1 JETS Exit Report", &pr);
	assert_string_equal(f->template_id, "exit-report-jets");
	assert_string_equal(pr->id, "exit-report");
	f = policy_match_subject(p, "ESF1420 End", &pr);
	assert_string_equal(f->template_id, "esf-1420-end");
	assert_int_equal(pr->until, D("2023-07-23"));
	assert_null(policy_match_subject(p, "", &pr));
	policy_free(p);
	diag_free(&d);
}

static void
test_classify(void **state)
{
	const struct policy_process *coc, *eb;
	struct rcpt_info ri;
	struct policy *p;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(load("policies/policy.xml", &p, &d), 0);
	coc = policy_find_process(p, "change-of-circumstances");
	eb = policy_find_process(p, "employment-business");
	policy_classify(p, "WHP@ACME.example", coc, D("2026-01-01"), &ri);
	assert_int_equal(ri.cls, RCPT_SUBCONTRACTOR);
	assert_string_equal(ri.org, "acme");
	assert_true(ri.allowed);
	policy_classify(p, "whp@acme.example", coc, D("2025-12-31"), &ri);
	assert_false(ri.allowed);
	policy_classify(p, "whp@acme.example", coc, D("2027-03-31"), &ri);
	assert_true(ri.allowed);
	policy_classify(p, "whp@acme.example", coc, D("2027-04-01"), &ri);
	assert_false(ri.allowed);
	policy_classify(p, "whp@acme.example", eb, D("2026-06-01"), &ri);
	assert_false(ri.allowed);
	policy_classify(p, "referrals@brightpath.example", coc, D("2099-01-01"), &ri);
	assert_true(ri.allowed);	/* open-ended permit */
	policy_classify(p, "whp@faraway.example", coc, D("2026-06-01"), &ri);
	assert_true(ri.offshore);
	assert_false(ri.allowed);
	policy_classify(p, "prap.support@dwp.example", eb, D("2026-06-01"), &ri);
	assert_int_equal(ri.cls, RCPT_DEPARTMENT);
	assert_string_equal(ri.org, "DWP");
	assert_true(ri.allowed);
	policy_classify(p, "prap.support@dwp.example", coc, D("2026-06-01"), &ri);
	assert_false(ri.allowed);
	policy_classify(p, "caseworkers@provider.example", coc, D("2026-06-01"), &ri);
	assert_int_equal(ri.cls, RCPT_INTERNAL);
	assert_false(ri.allowed);
	policy_classify(p, "whp@provider.example", coc, D("2026-06-01"), &ri);
	assert_int_equal(ri.cls, RCPT_DESIGNATED);
	policy_classify(p, "x.whp@acme.example", coc, D("2026-06-01"), &ri);
	assert_int_equal(ri.cls, RCPT_UNKNOWN);
	assert_null(ri.org);
	policy_free(p);
	diag_free(&d);
}

static void
test_templates(void **state)
{
	static const char bad[] = "<?xml version=\"1.0\"?>\n"
	    "<template xmlns=\"urn:mailgate:template:1\" form=\"X\">\n<title>T</title>\n"
	    "<field name=\"A\"/>\n<field name=\"a\" type=\"date\" notice=\"true\"/>\n"
	    "<field name=\"B\" type=\"nino\" min-words=\"3\"/>\n"
	    "<field name=\"C\" notice=\"true\"/>\n</template>\n";
	struct template *t;
	struct diag d;
	char *tdir = src("templates"), *buf = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	diag_init(&d);
	assert_int_equal(template_load(tdir, "employment-business", &t, &d), 0);
	assert_int_equal(t->nfields, 4);
	assert_true(t->has_notice);
	assert_true(t->fields[3].notice);
	fp = open_memstream(&buf, &len);
	template_show(t, fp);
	fclose(fp);
	assert_non_null(strstr(buf, "\nCustomer name: \nNational Insurance number: \n"));
	free(buf);
	template_free(t);
	assert_int_equal(template_load(tdir, "names-and-ninos", &t, &d), 0);
	assert_true(t->has_list);
	fp = open_memstream(&buf, &len);
	template_show(t, fp);
	fclose(fp);
	assert_non_null(strstr(buf, "Surname,Forename,National Insurance number\n"));
	free(buf);
	template_free(t);
	assert_int_equal(template_load(tdir, "../etc/passwd", &t, &d), -1);
	assert_int_equal(template_load(tdir, "no-such", &t, &d), -1);
	diag_free(&d);
	diag_init(&d);
	assert_int_equal(template_load_mem(bad, sizeof(bad) - 1, "bad.xml", "bad", &t, &d), -1);
	assert_true(has(&d, DIAG_ERROR, 5, "field 'a' is given twice"));
	assert_true(has(&d, DIAG_ERROR, 6, "min-words applies only to text"));
	assert_true(has(&d, DIAG_ERROR, 7, "the notice field must be a date"));
	assert_true(has(&d, DIAG_ERROR, 7, "only one field may be the notice date"));
	diag_free(&d);
	free(tdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_optional_and_inbound),
		cmocka_unit_test(test_hostile_xml),
		cmocka_unit_test(test_semantic_errors),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_subjects),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_templates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
