/*
 * test_config - mailgate.conf: values, defaults, relative paths, every
 * error with its line, secret-file modes, credential:, loopback.
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

#include "config.h"
#include "util.h"

static char *
data(const char *rel)
{
	const char *top = getenv("top_srcdir");

	return xasprintf("%s/tests/data/config/%s", top ? top : ".", rel);
}

static int
has(const struct diag *d, long line, const char *needle)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->items[i].line == line && strstr(d->items[i].text, needle))
			return 1;
	return 0;
}

static void
test_good(void **state)
{
	struct config c;
	struct diag d;
	char *p = data("good.conf");

	(void)state;
	diag_init(&d);
	assert_int_equal(config_load(p, &c, &d), 0);
	assert_string_equal(c.sent_folder, "Sent Items");
	assert_string_equal(c.outbox_folder, "Outbox");
	assert_int_equal(c.imap_tls, TLSM_NONE);
	assert_int_equal(c.imap_port, 143);
	assert_int_equal(c.smtp_tls, TLSM_IMPLICIT);
	assert_int_equal(c.smtp_port, 465);
	assert_int_equal(c.log_retention_months, 4);
	assert_int_equal(c.poll_interval, 60);
	assert_non_null(strstr(c.policy_file, "tests/data/config/../../../policies/policy.xml"));
	assert_int_equal(config_require_servers(&c, &d), -1);
	config_free(&c);
	diag_free(&d);
	free(p);
}

static void
test_bad(void **state)
{
	struct config c;
	struct diag d;
	char *p = data("bad.conf");

	(void)state;
	diag_init(&d);
	assert_int_equal(config_load(p, &c, &d), -1);
	assert_true(has(&d, 2, "unknown key 'bogus'"));
	assert_true(has(&d, 4, "'sent_folder' is given twice"));
	assert_true(has(&d, 5, "not a port"));
	assert_true(has(&d, 6, "implicit, starttls or none"));
	assert_true(has(&d, 8, "smtp_tls: none is allowed only"));
	assert_true(has(&d, 9, "below the three months"));
	assert_true(has(&d, 10, "not a whole number"));
	assert_true(has(&d, 11, "expected 'key = value'"));
	assert_true(has(&d, 12, "unknown key 'policy_file_x'"));
	assert_true(has(&d, 13, "expected 'key = value'"));
	assert_int_equal(d.nerrors, 10);
	config_free(&c);
	diag_free(&d);
	free(p);
}

static void
test_missing_file(void **state)
{
	struct config c;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(config_load("/nonexistent/mailgate.conf", &c, &d), -1);
	assert_non_null(strstr(d.items[0].text, "cannot read the configuration"));
	config_free(&c);
	diag_free(&d);
}

/* Writes a config naming one secret file of the given mode. */
static int
load_with_secret(mode_t mode, struct diag *d, char **secret_out)
{
	char dir[] = "/tmp/mgcfgXXXXXX", *conf, *sec;
	struct config c;
	FILE *fp;
	int rc;

	assert_non_null(mkdtemp(dir));
	sec = xasprintf("%s/log.key", dir);
	conf = xasprintf("%s/m.conf", dir);
	fp = fopen(sec, "w");
	fputs("0123456789abcdef0123456789abcdef\n", fp);
	fclose(fp);
	chmod(sec, mode);
	fp = fopen(conf, "w");
	fputs("policy_file = /dev/null\ntemplate_dir = /\nlog_key_file = log.key\n", fp);
	fclose(fp);
	rc = config_load(conf, &c, d);
	config_free(&c);
	unlink(conf);
	free(conf);
	*secret_out = sec;
	return rc;
}

static void
test_secret_modes(void **state)
{
	static const struct { mode_t mode; int ok; } cases[] = {
		{ 0600, 0 }, { 0640, 0 }, { 0400, 0 }, { 0440, 0 },
		{ 0644, -1 }, { 0620, -1 }, { 0660, -1 }, { 0604, -1 },
	};
	struct diag d;
	size_t i, len;
	char *sec, err[256], *val, *dir;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		diag_init(&d);
		assert_int_equal(load_with_secret(cases[i].mode, &d, &sec), cases[i].ok);
		if (cases[i].ok < 0) {
			assert_true(has(&d, 3, "log_key_file"));
			assert_non_null(strstr(d.items[0].text, "has mode"));
		} else {
			val = config_read_secret(sec, 32, &len, err, sizeof(err));
			assert_non_null(val);
			assert_int_equal(len, 32);	/* one trailing newline stripped */
			free(val);
			assert_null(config_read_secret(sec, 64, &len, err, sizeof(err)));
			assert_non_null(strstr(err, "too short"));
		}
		dir = xstrndup(sec, strrchr(sec, '/') - sec);
		unlink(sec);
		rmdir(dir);
		free(dir);
		free(sec);
		diag_free(&d);
	}
}

/*
 * A secret is judged on the descriptor that is read: a symbolic link to a
 * good file, or a FIFO (which would block a plain open), is refused by the
 * configuration check and by the reader alike.
 */
static void
test_secret_not_followed(void **state)
{
	char dir[] = "/tmp/mgcfglnkXXXXXX", *real, *link, *fifo, *conf, err[512], *v;
	struct config c;
	struct diag d;
	size_t len;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	real = xasprintf("%s/real.key", dir);
	link = xasprintf("%s/log.key", dir);
	fifo = xasprintf("%s/fifo.key", dir);
	conf = xasprintf("%s/m.conf", dir);
	fp = fopen(real, "w");
	fputs("0123456789abcdef0123456789abcdef\n", fp);
	fclose(fp);
	chmod(real, 0600);
	assert_int_equal(symlink(real, link), 0);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	fp = fopen(conf, "w");
	fputs("policy_file = /dev/null\ntemplate_dir = /\nlog_key_file = log.key\n", fp);
	fclose(fp);
	diag_init(&d);
	assert_int_equal(config_load(conf, &c, &d), -1);
	assert_true(has(&d, 3, "symbolic link"));
	config_free(&c);
	diag_free(&d);
	assert_null(config_read_secret(link, 32, &len, err, sizeof(err)));
	assert_non_null(strstr(err, "symbolic link"));
	assert_null(config_read_secret(fifo, 1, &len, err, sizeof(err)));
	assert_non_null(strstr(err, "not a regular file"));
	v = config_read_secret(real, 32, &len, err, sizeof(err));
	assert_non_null(v);
	explicit_bzero(v, len);
	free(v);
	unlink(conf);
	unlink(link);
	unlink(fifo);
	unlink(real);
	rmdir(dir);
	free(conf);
	free(link);
	free(fifo);
	free(real);
}

static void
test_credential(void **state)
{
	char dir[] = "/tmp/mgcredXXXXXX", *path, err[256], *v;
	size_t len;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/imap", dir);
	fp = fopen(path, "w");
	fputs("s3cret\n\n", fp);
	fclose(fp);
	chmod(path, 0400);
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	v = config_read_secret("credential:imap", 0, &len, err, sizeof(err));
	assert_non_null(v);
	assert_string_equal(v, "s3cret\n");	/* only one newline goes */
	free(v);
	unsetenv("CREDENTIALS_DIRECTORY");
	assert_null(config_read_secret("credential:imap", 0, &len, err, sizeof(err)));
	assert_non_null(strstr(err, "CREDENTIALS_DIRECTORY"));
	unlink(path);
	rmdir(dir);
	free(path);
}

static void
test_loopback(void **state)
{
	(void)state;
	assert_true(config_host_is_loopback("127.0.0.1"));
	assert_true(config_host_is_loopback("127.8.9.10"));
	assert_true(config_host_is_loopback("::1"));
	assert_true(config_host_is_loopback("localhost"));
	assert_false(config_host_is_loopback("10.0.0.1"));
	assert_false(config_host_is_loopback("::2"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_secret_modes),
		cmocka_unit_test(test_secret_not_followed),
		cmocka_unit_test(test_credential),
		cmocka_unit_test(test_loopback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
