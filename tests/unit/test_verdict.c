/*
 * test_verdict - every reason and warning code of the interface, the order
 * of reasons, recipient classes and permit dates judged on the given day,
 * and the human and JSON forms. The policy and the analysed message are
 * built in memory, so the rules are tested apart from the parsers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mgdate.h"
#include "mime.h"
#include "policy.h"
#include "verdict.h"

static mgday
D(const char *s)
{
	mgday d;

	assert_true(mgday_parse_iso(s, &d));
	return d;
}

struct fixture {
	struct policy p;
	struct policy_process procs[3];
	struct policy_form forms[3];
	struct template tpl_coc, tpl_eb;
	struct tpl_field f_coc[4], f_eb[3];
	struct policy_department dept;
	struct policy_dept_inbox dinbox[2];
	const struct policy_process *dproc0[1], *dproc1[2];
	struct policy_subcontractor subs[2];
	struct policy_permit permits[1];
	char *acme_in[1], *off_in[1], *internal[1];
};

static struct fixture F;

static void
fx_field(struct tpl_field *f, const char *name, enum tpl_ftype type, int notice)
{
	memset(f, 0, sizeof(*f));
	f->name = (char *)name;
	f->type = type;
	f->required = 1;
	f->notice = notice;
}

static int
setup(void **state)
{
	struct fixture *x = &F;

	memset(x, 0, sizeof(*x));
	fx_field(&x->f_coc[0], "Participant surname", TPL_TEXT, 0);
	fx_field(&x->f_coc[1], "National Insurance number", TPL_NINO, 0);
	fx_field(&x->f_coc[2], "Change", TPL_TEXT, 0);
	fx_field(&x->f_coc[3], "Date of change", TPL_DATE, 0);
	x->tpl_coc.id = (char *)"change-of-circumstances";
	x->tpl_coc.form = (char *)"WHP07";
	x->tpl_coc.title = (char *)"Change of Circumstances";
	x->tpl_coc.fields = x->f_coc;
	x->tpl_coc.nfields = 4;
	fx_field(&x->f_eb[0], "Customer name", TPL_TEXT, 0);
	fx_field(&x->f_eb[1], "National Insurance number", TPL_NINO, 0);
	fx_field(&x->f_eb[2], "Date employment commenced", TPL_DATE, 1);
	x->tpl_eb.id = (char *)"employment-business";
	x->tpl_eb.form = (char *)"EB";
	x->tpl_eb.title = (char *)"Employment Business Customer Form";
	x->tpl_eb.fields = x->f_eb;
	x->tpl_eb.nfields = 3;
	x->tpl_eb.has_notice = 1;

	x->forms[0].subject = (char *)"WHP07 Change of Circumstances";
	x->forms[0].tpl = &x->tpl_coc;
	x->forms[1].subject = (char *)"WHP Employment Business Customer Form";
	x->forms[1].tpl = &x->tpl_eb;
	x->forms[2].subject = (char *)"ESF1420 Initial";
	x->forms[2].tpl = NULL;

	x->procs[0].id = (char *)"change-of-circumstances";
	x->procs[0].max_records = 1;
	x->procs[0].min_notice_days = -1;
	x->procs[0].until = MGDAY_NONE;
	x->procs[0].forms = &x->forms[0];
	x->procs[0].nforms = 1;
	x->procs[1].id = (char *)"employment-business";
	x->procs[1].max_records = 1;
	x->procs[1].min_notice_days = 5;
	x->procs[1].until = MGDAY_NONE;
	x->procs[1].forms = &x->forms[1];
	x->procs[1].nforms = 1;
	x->procs[2].id = (char *)"esf-1420";
	x->procs[2].max_records = 1;
	x->procs[2].min_notice_days = -1;
	x->procs[2].until = D("2023-07-23");
	x->procs[2].forms = &x->forms[2];
	x->procs[2].nforms = 1;

	x->dproc0[0] = &x->procs[1];
	x->dproc1[0] = &x->procs[0];
	x->dproc1[1] = &x->procs[2];
	x->dinbox[0].address = (char *)"prap.support@dwp.example";
	x->dinbox[0].processes = x->dproc0;
	x->dinbox[0].nprocesses = 1;
	x->dinbox[1].address = (char *)"whp.enquiries@dwp.example";
	x->dinbox[1].processes = x->dproc1;
	x->dinbox[1].nprocesses = 2;
	x->dept.name = (char *)"DWP";
	x->dept.inboxes = x->dinbox;
	x->dept.ninboxes = 2;

	x->acme_in[0] = (char *)"whp@acme.example";
	x->permits[0].process = &x->procs[0];
	x->permits[0].from = D("2026-01-01");
	x->permits[0].until = D("2027-03-31");
	x->subs[0].id = (char *)"acme";
	x->subs[0].name = (char *)"Acme Skills Ltd";
	x->subs[0].inboxes = x->acme_in;
	x->subs[0].ninboxes = 1;
	x->subs[0].permits = x->permits;
	x->subs[0].npermits = 1;
	x->off_in[0] = (char *)"data@faraway.example";
	x->subs[1].id = (char *)"faraway";
	x->subs[1].name = (char *)"Faraway Data";
	x->subs[1].offshore = 1;
	x->subs[1].inboxes = x->off_in;
	x->subs[1].ninboxes = 1;
	x->internal[0] = (char *)"caseworkers@provider.example";

	x->p.designated_address = (char *)"whp@provider.example";
	x->p.designated_name = (char *)"Provider WHP Team";
	x->p.max_message_bytes = 10485760;
	x->p.max_recipients = 50;
	x->p.processes = x->procs;
	x->p.nprocesses = 3;
	x->p.departments = &x->dept;
	x->p.ndepartments = 1;
	x->p.internal = x->internal;
	x->p.ninternal = 1;
	x->p.subcontractors = x->subs;
	x->p.nsubcontractors = 2;
	*state = x;
	return 0;
}

static const char COC_BODY[] =
    "Participant surname: Smith\n"
    "National Insurance number: AB 12 34 56 C\n"
    "Change: disengaged from the programme\n"
    "Date of change: 2026-11-20\n";

/* A message as mime would leave it: one recipient, the body, one record. */
static void
msg_make(struct mime_result *m, const char *subject, const char *body, const char *rcpt)
{
	mime_result_init(m);
	m->subject = subject ? xstrdup(subject) : NULL;
	m->from = xstrdup("caseworker@provider.example");
	if (rcpt) {
		m->rcpts = xcalloc(4, sizeof(char *));
		m->rcpts[0] = xstrdup(rcpt);
		m->nrcpts = 1;
	}
	if (body) {
		m->body.text = xstrdup(body);
		m->body.len = strlen(body);
		nino_scan(body, strlen(body), 0, &m->records);
	}
}

static void
msg_add_rcpt(struct mime_result *m, const char *rcpt)
{
	m->rcpts[m->nrcpts++] = xstrdup(rcpt);
}

static char *
judge_text(const struct mime_result *m, const char *day, int json)
{
	struct verdict v;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	verdict_init(&v);
	verdict_judge(&F.p, m, D(day), &v);
	fp = open_memstream(&buf, &len);
	if (json)
		verdict_print_json(&v, fp);
	else
		verdict_print_human(&v, fp);
	fclose(fp);
	verdict_free(&v);
	return buf;
}

/* The verdict line and the codes only, as in the .expect files of tests/messages. */
static char *
judge_codes(const struct mime_result *m, const char *day)
{
	char *h = judge_text(m, day, 0), *out = xmalloc(strlen(h) + 1), *w = out;
	const char *r = h;
	int first = 1;

	while (*r) {
		const char *eol = strchr(r, '\n');
		size_t n = eol ? (size_t)(eol - r) : strlen(r);
		const char *colon = memchr(r, ':', n);

		if (!first && colon)
			n = (size_t)(colon - r);
		memcpy(w, r, n);
		w += n;
		*w++ = '\n';
		first = 0;
		r += (eol ? (size_t)(eol - r) + 1 : strlen(r));
	}
	*w = '\0';
	free(h);
	return out;
}

static void
expect(const struct mime_result *m, const char *day, const char *want)
{
	char *got = judge_codes(m, day);

	assert_string_equal(got, want);
	free(got);
}

static void
test_accept(void **state)
{
	struct mime_result m;
	char *j;

	(void)state;
	msg_make(&m, "WHP07 Change of Circumstances", COC_BODY, "WHP@Acme.example");
	expect(&m, "2026-11-23", "accept change-of-circumstances\n");
	j = judge_text(&m, "2026-11-23", 1);
	assert_string_equal(j,
	    "{\"verdict\": \"accept\", \"process\": \"change-of-circumstances\", \"records\": 1, "
	    "\"recipients\": [{\"address\": \"whp@acme.example\", \"class\": \"subcontractor\", "
	    "\"org\": \"acme\", \"allowed\": true}], \"reasons\": [], \"warnings\": []}\n");
	free(j);
	mime_result_free(&m);
}

static void
test_permit_boundaries(void **state)
{
	struct mime_result m;

	(void)state;
	msg_make(&m, "Re: WHP07 Change of Circumstances", COC_BODY, "whp@acme.example");
	expect(&m, "2026-01-01", "accept change-of-circumstances\n");
	expect(&m, "2027-03-31", "accept change-of-circumstances\n");
	expect(&m, "2025-12-31", "reject change-of-circumstances\nrecipient-not-approved\n");
	expect(&m, "2027-04-01", "reject change-of-circumstances\nrecipient-not-approved\n");
	mime_result_free(&m);
}

static void
test_department(void **state)
{
	struct mime_result m;
	char *j;

	(void)state;
	msg_make(&m, "WHP07 Change of Circumstances", COC_BODY, "whp.enquiries@dwp.example");
	expect(&m, "2026-11-23", "accept change-of-circumstances\n");
	msg_add_rcpt(&m, "prap.support@dwp.example");
	expect(&m, "2026-11-23", "reject change-of-circumstances\nrecipient-not-approved\n");
	j = judge_text(&m, "2026-11-23", 1);
	assert_non_null(strstr(j, "{\"address\": \"prap.support@dwp.example\", \"class\": "
	    "\"department\", \"org\": \"DWP\", \"allowed\": false}"));
	free(j);
	mime_result_free(&m);
}

static void
test_classes(void **state)
{
	struct mime_result m;
	char *j, *h;

	(void)state;
	msg_make(&m, "WHP07 Change of Circumstances", COC_BODY, "caseworkers@provider.example");
	msg_add_rcpt(&m, "whp@provider.example");
	msg_add_rcpt(&m, "someone@elsewhere.example");
	msg_add_rcpt(&m, "data@faraway.example");
	expect(&m, "2026-11-23", "reject change-of-circumstances\nrecipient-not-approved\n"
	    "recipient-not-approved\nrecipient-not-approved\noffshore-recipient\n");
	j = judge_text(&m, "2026-11-23", 1);
	assert_non_null(strstr(j, "\"caseworkers@provider.example\", \"class\": \"internal\", \"org\": null, \"allowed\": false"));
	assert_non_null(strstr(j, "\"someone@elsewhere.example\", \"class\": \"unknown\", \"org\": null"));
	assert_non_null(strstr(j, "\"data@faraway.example\", \"class\": \"subcontractor\", \"org\": \"faraway\", \"allowed\": false"));
	free(j);
	h = judge_text(&m, "2026-11-23", 0);
	assert_non_null(strstr(h, "offshore-recipient: data@faraway.example: Faraway Data is marked offshore\n"));
	free(h);
	mime_result_free(&m);
}

static void
test_unknown_process(void **state)
{
	struct mime_result m;
	char *j;

	(void)state;
	msg_make(&m, "Quick question", COC_BODY, "whp@acme.example");
	expect(&m, "2026-11-23", "reject -\nunknown-process\n");
	j = judge_text(&m, "2026-11-23", 1);
	assert_non_null(strstr(j, "\"process\": null"));
	assert_non_null(strstr(j, "\"allowed\": false"));
	free(j);
	mime_result_free(&m);

	/* No recipient, record or template checks; the subject check still runs. */
	msg_make(&m, "About AB123456C", "", NULL);
	m.subject_records = 1;
	expect(&m, "2026-11-23", "reject -\nunknown-process\npersonal-data-in-subject\n");
	mime_result_free(&m);
}

static void
test_withdrawn(void **state)
{
	struct mime_result m;
	char *h;

	(void)state;
	msg_make(&m, "ESF1420 Initial", COC_BODY, "whp.enquiries@dwp.example");
	expect(&m, "2023-07-23", "accept esf-1420\n");
	h = judge_text(&m, "2023-07-24", 0);
	assert_string_equal(h, "reject -\nunknown-process: process withdrawn on 2023-07-23\n");
	free(h);
	mime_result_free(&m);
}

static void
test_no_recipient(void **state)
{
	struct mime_result m;

	(void)state;
	msg_make(&m, "WHP07 Change of Circumstances", COC_BODY, NULL);
	expect(&m, "2026-11-23", "reject change-of-circumstances\nno-recipient\n");
	mime_result_free(&m);
}

static void
test_records(void **state)
{
	struct mime_result m;
	char *h;

	(void)state;
	msg_make(&m, "WHP07 Change of Circumstances", COC_BODY, "whp@acme.example");
	nino_set_add(&m.records, "CE123456");
	m.subject_records = 1;
	h = judge_text(&m, "2026-11-23", 0);
	assert_string_equal(h, "reject change-of-circumstances\n"
	    "personal-data-in-subject: the subject holds a National Insurance number\n"
	    "too-many-records: 2 participant records; change-of-circumstances allows at most 1\n");
	free(h);
	mime_result_free(&m);

	msg_make(&m, "WHP07 Change of Circumstances",
	    "Participant surname: Smith\nChange: moved\nDate of change: 2026-11-20\n",
	    "whp@acme.example");
	expect(&m, "2026-11-23", "reject change-of-circumstances\nno-record\ntemplate-incomplete\n");
	mime_result_free(&m);
}

static void
test_template_and_attachments(void **state)
{
	struct mime_result m;

	(void)state;
	msg_make(&m, "WHP07 Change of Circumstances",
	    "National Insurance number: AB 12 34 56 C\nDate of change: 31/02/2026\n",
	    "whp@acme.example");
	m.uninspectable = xcalloc(2, sizeof(char *));
	m.uninspectable[0] = xstrdup("scan.pdf (application/pdf)");
	m.uninspectable[1] = xstrdup("photo.jpg (image/jpeg)");
	m.nuninspectable = 2;
	expect(&m, "2026-11-23", "reject change-of-circumstances\ntemplate-incomplete\n"
	    "template-incomplete\ntemplate-incomplete\nuninspectable-attachment\n"
	    "uninspectable-attachment\n");
	mime_result_free(&m);
}

static void
test_late_notice(void **state)
{
	static const char body[] =
	    "Customer name: Jo Bloggs\nNational Insurance number: AB123456C\n"
	    "Date employment commenced: 2026-11-28\n";
	struct mime_result m;
	char *h;

	(void)state;
	msg_make(&m, "WHP Employment Business Customer Form", body, "prap.support@dwp.example");
	/* Exactly five days is on time; four is late; a past date is late. */
	expect(&m, "2026-11-23", "accept employment-business\n");
	h = judge_text(&m, "2026-11-24", 0);
	assert_string_equal(h, "accept employment-business\n"
	    "late-notice: 2026-11-28 is 4 day(s) from today; 5 are required\n");
	free(h);
	expect(&m, "2026-12-01", "accept employment-business\nlate-notice\n");
	h = judge_text(&m, "2026-11-24", 1);
	assert_non_null(strstr(h, "\"warnings\": [{\"code\": \"late-notice\", \"detail\": "));
	assert_non_null(strstr(h, "\"verdict\": \"accept\""));
	free(h);
	mime_result_free(&m);
}

static void
test_malformed_and_large(void **state)
{
	struct mime_result m;
	char *j;

	(void)state;
	msg_make(&m, "WHP07 Change of Circumstances", COC_BODY, "whp@acme.example");
	m.status = MIME_MALFORMED;
	m.detail = xstrdup("the To header \"x\" cannot be read");
	j = judge_text(&m, "2026-11-23", 1);
	assert_string_equal(j, "{\"verdict\": \"reject\", \"process\": null, \"records\": 0, "
	    "\"recipients\": [], \"reasons\": [{\"code\": \"malformed-message\", \"detail\": "
	    "\"the To header \\\"x\\\" cannot be read\"}], \"warnings\": []}\n");
	free(j);
	m.status = MIME_TOO_LARGE;
	expect(&m, "2026-11-23", "reject -\nmessage-too-large\n");
	/* the size rule is the verdict's: equal passes, one byte more is too large */
	m.status = MIME_OK;
	m.size = 10485760;
	expect(&m, "2026-11-23", "accept change-of-circumstances\n");
	m.size = 10485761;
	j = judge_text(&m, "2026-11-23", 0);
	assert_string_equal(j, "reject -\nmessage-too-large: the message is 10485761 bytes with "
	    "CRLF line endings; the policy allows 10485760\n");
	free(j);
	assert_int_equal(verdict_size_exceeds(&F.p, 10485760), 0);
	assert_int_equal(verdict_size_exceeds(&F.p, 10485761), 1);
	mime_result_free(&m);
}

/* More distinct recipients than max-recipients: one reason, no per-recipient check. */
static void
test_too_many_recipients(void **state)
{
	struct mime_result m;
	char *j;

	(void)state;
	F.p.max_recipients = 3;
	msg_make(&m, "WHP07 Change of Circumstances", COC_BODY, "whp@acme.example");
	msg_add_rcpt(&m, "someone@gmail.example");
	msg_add_rcpt(&m, "data@faraway.example");
	expect(&m, "2026-11-23", "reject change-of-circumstances\nrecipient-not-approved\n"
	    "offshore-recipient\n");
	msg_add_rcpt(&m, "other@gmail.example");
	j = judge_text(&m, "2026-11-23", 0);
	assert_string_equal(j, "reject change-of-circumstances\n"
	    "too-many-recipients: 4 distinct recipients; the policy allows 3\n");
	free(j);
	mime_result_free(&m);
}

static void
test_code_table(void **state)
{
	static const char *codes[] = { "malformed-message", "message-too-large",
		"unknown-process", "no-recipient", "too-many-recipients", "recipient-not-approved", "offshore-recipient",
		"personal-data-in-subject", "too-many-records", "no-record", "template-incomplete",
		"uninspectable-attachment", "late-notice", "not-normal-mode", "already-sent",
		"smtp-permanent", "uncertain", "already-clerical", "not-from-department",
		"unknown-participant", "wrong-details", "not-entitled", "review-route",
		"unmatched-report" };
	struct verdict v;
	struct sbuf b;
	size_t i;

	(void)state;
	assert_int_equal(sizeof(codes) / sizeof(codes[0]), VC_COUNT);
	for (i = 0; i < VC_COUNT; i++) {
		const struct vcode_info *vi = vcode_info((enum vcode)i);

		assert_string_equal(vi->code, codes[i]);
		assert_int_equal(vcode_from_name(codes[i]), (int)i);
		assert_true(strlen(vi->words) > 20 && strlen(vi->todo) > 20);
		assert_int_equal(vi->warning, i == VC_LATE_NOTICE);
	}
	assert_int_equal(vcode_from_name("no-such-code"), -1);
	assert_null(vcode_info(VC_COUNT));
	verdict_init(&v);
	verdict_add(&v, VC_ALREADY_SENT, NULL);
	verdict_add(&v, VC_LATE_NOTICE, "x");
	assert_false(v.accept);
	sbuf_init(&b);
	verdict_codes(&v, &b);
	assert_string_equal(b.data, "already-sent late-notice");
	sbuf_free(&b);
	verdict_free(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_accept, setup),
		cmocka_unit_test_setup(test_permit_boundaries, setup),
		cmocka_unit_test_setup(test_department, setup),
		cmocka_unit_test_setup(test_classes, setup),
		cmocka_unit_test_setup(test_unknown_process, setup),
		cmocka_unit_test_setup(test_withdrawn, setup),
		cmocka_unit_test_setup(test_no_recipient, setup),
		cmocka_unit_test_setup(test_records, setup),
		cmocka_unit_test_setup(test_template_and_attachments, setup),
		cmocka_unit_test_setup(test_late_notice, setup),
		cmocka_unit_test_setup(test_malformed_and_large, setup),
		cmocka_unit_test_setup(test_too_many_recipients, setup),
		cmocka_unit_test(test_code_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
