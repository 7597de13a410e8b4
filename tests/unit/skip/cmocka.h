/*
 * cmocka.h - stands in for cmocka when it is not installed (configure
 * points CMOCKA_CFLAGS here and says so), so that configure and make check
 * still work on a machine without libcmocka-dev: every unit test compiles
 * as usual and then exits 77, which automake reports as SKIP. Nothing here
 * asserts anything; install libcmocka-dev to run the unit tests.
 */
#ifndef MG_CMOCKA_SKIP_H
#define MG_CMOCKA_SKIP_H

#include <stdio.h>

struct CMUnitTest {
	const char *name;
	void (*test_func)(void **state);
	int (*setup_func)(void **state);
	int (*teardown_func)(void **state);
	void *initial_state;
};

static inline void
mg_cmocka_ignore(const char *fmt, ...)
{
	(void)fmt;
}

static inline int
mg_cmocka_skip(const struct CMUnitTest *t, const void *setup, const void *teardown)
{
	(void)t;
	(void)setup;
	(void)teardown;
	fputs("skip: cmocka is not installed (install libcmocka-dev and configure again)\n",
	    stderr);
	return 77;
}

#define cmocka_unit_test(f) { #f, f, NULL, NULL, NULL }
#define cmocka_unit_test_setup(f, s) { #f, f, s, NULL, NULL }
#define cmocka_run_group_tests(t, s, d) mg_cmocka_skip((t), (const void *)(s), (const void *)(d))
#define assert_true(c) ((void)(c))
#define assert_false(c) ((void)(c))
#define assert_null(c) ((void)(c))
#define assert_non_null(c) ((void)(c))
#define assert_int_equal(a, b) ((void)(a), (void)(b))
#define assert_string_equal(a, b) ((void)(a), (void)(b))
#define assert_string_not_equal(a, b) ((void)(a), (void)(b))
#define assert_memory_equal(a, b, n) ((void)(a), (void)(b), (void)(n))
#define fail() ((void)0)
#define fail_msg(...) mg_cmocka_ignore(__VA_ARGS__)
#define print_message(...) mg_cmocka_ignore(__VA_ARGS__)
#define skip() ((void)0)

#endif
