/*
 * test_worker - the sandboxed parser process: the same result as in
 * process; a crash, an endless loop, a memory blow-up and a forbidden
 * system call in the child each become malformed-message with what
 * happened; no descriptors or children are left behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "worker.h"

#if defined(__SANITIZE_ADDRESS__)
#define TW_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TW_ASAN 1
#endif
#endif
#ifndef TW_ASAN
#define TW_ASAN 0
#endif

static const char MSG[] = "From: a@b.example\r\nTo: whp@acme.example\r\n"
    "Subject: =?iso-8859-1?Q?WHP07_Caf=E9?=\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n"
    "--m\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\nNINO AB123456C\r\n"
    "--m\r\nContent-Type: text/plain; charset=x-unknown-charset; name=a.txt\r\n\r\nCE 12 34 56 A \xE9\r\n"
    "--m--\r\n";

static struct mime_limits L;

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	while ((de = readdir(d)) != NULL)
		n++;
	closedir(d);
	return n;
}

static void
test_same_as_in_process(void **state)
{
	struct mime_result a, b;
	struct worker_pool *wp;
	struct sbuf ea, eb;
	int before = count_fds(), i;

	(void)state;
	mime_limits_default(&L, 1 << 20);
	wp = worker_pool_new(&L);
	assert_non_null(wp);
	for (i = 0; i < 20; i++) {
		assert_int_equal(worker_pool_analyse(wp, MSG, sizeof(MSG) - 1, &a), 0);
		mime_result_init(&b);
		mime_analyse(MSG, sizeof(MSG) - 1, &L, &b);
		assert_int_equal(a.status, MIME_OK);
		assert_int_equal(a.records.n, 2);
		sbuf_init(&ea);
		sbuf_init(&eb);
		mime_result_encode(&a, &ea);
		mime_result_encode(&b, &eb);
		assert_int_equal(ea.len, eb.len);
		assert_memory_equal(ea.data, eb.data, ea.len);
		sbuf_free(&ea);
		sbuf_free(&eb);
		mime_result_free(&a);
		mime_result_free(&b);
	}
	worker_pool_free(wp);
	assert_int_equal(count_fds(), before);
	assert_true(waitpid(-1, NULL, WNOHANG) < 0);	/* no child left */
}

static int
fn_crash(const char *m, size_t n, const struct mime_limits *l, struct mime_result *r)
{
	(void)m, (void)n, (void)l, (void)r;
	raise(SIGSEGV);
	return 0;
}

static volatile int spin;

static int
fn_loop(const char *m, size_t n, const struct mime_limits *l, struct mime_result *r)
{
	(void)m, (void)n, (void)l, (void)r;
	for (;;)
		spin++;
	return 0;
}

static int
fn_eat(const char *m, size_t n, const struct mime_limits *l, struct mime_result *r)
{
	(void)m, (void)n, (void)l, (void)r;
	for (;;) {
		char *p = xmalloc(64 << 20);

		memset(p, 1, 64 << 20);
	}
	return 0;
}

static int
fn_socket(const char *m, size_t n, const struct mime_limits *l, struct mime_result *r)
{
	(void)m, (void)n, (void)l;
	if (socket(AF_INET, SOCK_STREAM, 0) >= 0)
		r->detail = xstrdup("socket() was allowed");
	return 0;
}

static void
run(worker_fn *fn, int timeout_ms, const char *want)
{
	struct worker_pool *wp;
	struct mime_result r;

	mime_limits_default(&L, 1 << 20);
	wp = worker_pool_new_fn(&L, fn);
	assert_non_null(wp);
	if (timeout_ms)
		worker_pool_set_timeout(wp, timeout_ms);
	assert_int_equal(worker_pool_analyse(wp, MSG, sizeof(MSG) - 1, &r), 0);
	assert_int_equal(r.status, MIME_MALFORMED);
	assert_string_equal(r.detail, want);
	assert_int_equal(r.nrcpts, 0);
	mime_result_free(&r);
	/* the pool carries on with a fresh child */
	assert_int_equal(worker_pool_analyse(wp, MSG, sizeof(MSG) - 1, &r), 0);
	mime_result_free(&r);
	worker_pool_free(wp);
}

static void
test_crash(void **state)
{
	(void)state;
	if (TW_ASAN)
		skip();	/* ASan reports and exits instead of dying by the signal */
	run(fn_crash, 0, "the parser worker was killed by signal 11");
}

static void
test_timeout(void **state)
{
	(void)state;
	run(fn_loop, 300, "the parser worker ran out of time");
}

static void
test_memory(void **state)
{
	(void)state;
	if (TW_ASAN)
		skip();	/* no RLIMIT_AS under ASan */
	run(fn_eat, 0, "the parser worker ran out of memory");
}

static void
test_seccomp(void **state)
{
	(void)state;
	run(fn_socket, 0, "the parser worker made a forbidden system call");
}

static void
test_real_crash_message(void **state)
{
	static const char crash[] = "Content-Type: multipart/mixed; boundary=\"\\\"\"\r\n\r\n--\"\r\nx\r\n";
	struct worker_pool *wp;
	struct mime_result r;

	(void)state;
	mime_limits_default(&L, 1 << 20);
	wp = worker_pool_new(&L);
	assert_int_equal(worker_pool_analyse(wp, crash, sizeof(crash) - 1, &r), 0);
	assert_int_equal(r.status, MIME_MALFORMED);
	mime_result_free(&r);
	worker_pool_free(wp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_in_process),
		cmocka_unit_test(test_crash),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_seccomp),
		cmocka_unit_test(test_real_crash_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
