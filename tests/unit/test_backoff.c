/*
 * test_backoff - retry delays 1, 2, 4 ... minutes capped at 15, kept per
 * message, cleared on success.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "backoff.h"

static void test_delays(void **state)
{
	(void)state;
	assert_int_equal(backoff_delay(0), 0);
	assert_int_equal(backoff_delay(1), 60);
	assert_int_equal(backoff_delay(2), 120);
	assert_int_equal(backoff_delay(3), 240);
	assert_int_equal(backoff_delay(4), 480);
	assert_int_equal(backoff_delay(5), 900);
	assert_int_equal(backoff_delay(6), 900);
	assert_int_equal(backoff_delay(4000000000u), 900);
}

static void test_table(void **state)
{
	struct backoff_tab t;
	const struct backoff_entry *e;

	(void)state;
	backoff_init(&t);
	assert_true(backoff_due(&t, "a", 1000));
	assert_int_equal(backoff_fail(&t, "a", 1000, "451 busy"), 1060);
	assert_false(backoff_due(&t, "a", 1059));
	assert_true(backoff_due(&t, "a", 1060));
	assert_true(backoff_due(&t, "b", 1000));
	assert_int_equal(backoff_fail(&t, "a", 1060, "452 full"), 1180);
	assert_int_equal(backoff_fail(&t, "b", 1000, NULL), 1060);
	e = backoff_get(&t, "a");
	assert_non_null(e);
	assert_int_equal(e->failures, 2);
	assert_string_equal(e->last_reply, "452 full");
	backoff_clear(&t, "a");
	assert_null(backoff_get(&t, "a"));
	assert_true(backoff_due(&t, "a", 1000));
	assert_non_null(backoff_get(&t, "b"));
	assert_int_equal(backoff_fail(&t, "a", 1000, NULL), 1060);
	backoff_free(&t);
}

/* Thousands of entries (a backlog after an outage), out of order: each found, kept sorted. */
static void test_many(void **state)
{
	struct backoff_tab t;
	char key[16];
	unsigned i, k;

	(void)state;
	backoff_init(&t);
	for (i = 0; i < 5000; i++) {
		k = (i * 7919u) % 5000u + 1;	/* every key once, scattered */
		snprintf(key, sizeof(key), "%u", k);
		backoff_fail(&t, key, 1000, "451 later");
	}
	assert_int_equal(t.n, 5000);
	for (i = 1; i < t.n; i++)	/* numeric order: status lists them by UID */
		assert_true(strtoul(t.v[i - 1].key, NULL, 10) < strtoul(t.v[i].key, NULL, 10));
	assert_false(backoff_due(&t, "4999", 1000));
	assert_true(backoff_due(&t, "5001", 1000));
	for (k = 1; k <= 5000; k += 2) {
		snprintf(key, sizeof(key), "%u", k);
		backoff_clear(&t, key);
	}
	assert_int_equal(t.n, 2500);
	assert_true(backoff_due(&t, "4999", 1000));
	assert_false(backoff_due(&t, "5000", 1000));
	assert_non_null(backoff_get(&t, "2"));
	assert_null(backoff_get(&t, "3"));
	backoff_fail(&t, "2", 2000, NULL);
	assert_int_equal(backoff_get(&t, "2")->failures, 2);
	backoff_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delays),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
