/*
 * test_outage - the outage clock (seed ¶58-59): an outage after
 * outage_after_seconds of failures only, its start at the first failure,
 * one reminder a day, the end at the first good contact, clerical after
 * clerical-after-hours once, the INBOX notice once when only SMTP fails,
 * and the state value surviving a restart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "outage.h"

static void test_start_after_threshold(void **state)
{
	struct outage o;

	(void)state;
	outage_init(&o);
	outage_contact(&o, OG_SMTP, 0, 1000);
	assert_int_equal(outage_check(&o, 1000, 300), OG_NONE);
	outage_contact(&o, OG_SMTP, 0, 1200);
	assert_int_equal(outage_check(&o, 1299, 300), OG_NONE);
	assert_int_equal(outage_check(&o, 1300, 300), OG_START);
	assert_int_equal(o.started, 1000);
	assert_int_equal(o.server, OG_SMTP);
	assert_int_equal(outage_check(&o, 1400, 300), OG_NONE);
}

static void test_good_contact_resets_clock(void **state)
{
	struct outage o;

	(void)state;
	outage_init(&o);
	outage_contact(&o, OG_IMAP, 0, 1000);
	outage_contact(&o, OG_IMAP, 1, 1100);
	outage_contact(&o, OG_IMAP, 0, 1200);
	assert_int_equal(outage_check(&o, 1400, 300), OG_NONE);
	assert_int_equal(outage_check(&o, 1500, 300), OG_START);
	assert_int_equal(o.started, 1200);
}

static void test_remind_daily_and_end(void **state)
{
	struct outage o;

	(void)state;
	outage_init(&o);
	outage_contact(&o, OG_SMTP, 0, 0 + 10);
	assert_int_equal(outage_check(&o, 400, 300), OG_START);
	assert_int_equal(outage_check(&o, 400 + 86399, 300), OG_NONE);
	assert_int_equal(outage_check(&o, 400 + 86400, 300), OG_REMIND);
	assert_int_equal(outage_check(&o, 400 + 86401, 300), OG_NONE);
	outage_contact(&o, OG_SMTP, 1, 100000);
	assert_int_equal(outage_check(&o, 100000, 300), OG_END);
	assert_int_equal(o.started, 0);
	assert_int_equal(outage_check(&o, 100001, 300), OG_NONE);
}

static void test_clerical_once(void **state)
{
	struct outage o;

	(void)state;
	outage_init(&o);
	assert_false(outage_clerical_due(&o, 1000000, 48));
	outage_contact(&o, OG_SMTP, 0, 1000);
	assert_int_equal(outage_check(&o, 2000, 300), OG_START);
	assert_false(outage_clerical_due(&o, 1000 + 48 * 3600 - 1, 48));
	assert_true(outage_clerical_due(&o, 1000 + 48 * 3600, 48));
	assert_false(outage_clerical_due(&o, 1000 + 49 * 3600, 48));
}

static void test_notice_only_when_imap_works(void **state)
{
	struct outage o;

	(void)state;
	outage_init(&o);
	outage_contact(&o, OG_SMTP, 0, 1000);
	outage_contact(&o, OG_IMAP, 0, 1000);
	assert_false(outage_notice_due(&o));	/* no outage yet */
	assert_int_equal(outage_check(&o, 2000, 300), OG_START);
	assert_false(outage_notice_due(&o));	/* IMAP down too: it could not be read */
	outage_contact(&o, OG_IMAP, 1, 2100);
	assert_int_equal(outage_check(&o, 2100, 300), OG_NONE);
	assert_true(outage_notice_due(&o));
	assert_false(outage_notice_due(&o));
}

static void test_encode_survives_restart(void **state)
{
	struct outage o, back;
	char *v;

	(void)state;
	outage_init(&o);
	outage_contact(&o, OG_SMTP, 0, 1234);
	assert_int_equal(outage_check(&o, 5000, 300), OG_START);
	assert_true(outage_notice_due(&o));
	v = outage_encode(&o);
	assert_int_equal(outage_decode(v, &back), 0);
	assert_false(outage_changed(&o, &back));
	assert_int_equal(back.started, 1234);
	/* a restarted daemon fails again: the clock is not reset */
	outage_contact(&back, OG_SMTP, 0, 9000);
	assert_int_equal(back.first_fail[OG_SMTP], 1234);
	assert_int_equal(outage_check(&back, 9000, 300), OG_NONE);
	free(v);
	assert_int_equal(outage_decode(NULL, &back), 0);
	assert_int_equal(back.started, 0);
	assert_int_equal(outage_decode("1\t2\t3", &back), -1);
	assert_int_equal(outage_decode("1\t2\t3\t9\t0\t0\t0", &back), -1);
	assert_int_equal(outage_decode("1\t2\t3\t0\t0\t0\t0x", &back), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_after_threshold),
		cmocka_unit_test(test_good_contact_resets_clock),
		cmocka_unit_test(test_remind_daily_and_end),
		cmocka_unit_test(test_clerical_once),
		cmocka_unit_test(test_notice_only_when_imap_works),
		cmocka_unit_test(test_encode_survives_restart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
