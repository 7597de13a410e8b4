/*
 * test_caseload - the caseload: import, lookup with surnames normalised,
 * a bad row rejecting the whole file, --replace, and no NINO or surname in
 * clear anywhere in the database files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "caseload.h"
#include "util.h"

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";
static const char *const holders[] = { "acme", "bravo" };

struct fx {
	char dir[64];
	struct caseload *cl;
};

static int fx_setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	char err[512];

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_caseload.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(caseload_open(f->dir, key, sizeof(key), 1, &f->cl, err, sizeof(err)), 0);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	char *cmd;

	caseload_close(f->cl);
	cmd = xasprintf("rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f);
	return 0;
}

static int import(struct fx *f, const char *csv, int replace, char *err, size_t errlen)
{
	size_t n;

	return caseload_import(f->cl, "in.csv", csv, strlen(csv), holders, 2, replace, 1000, &n,
	    err, errlen);
}

static int lookup(struct fx *f, const char *stem, const char *surname, struct cl_hit *hit)
{
	return caseload_lookup(f->cl, stem, surname, hit);
}

static void test_import_and_find(void **state)
{
	struct fx *f = *state;
	struct cl_hit hit;
	char err[512];

	assert_int_equal(import(f, "\xef\xbb\xbfNINO,Holder,Surname\r\n"
	    "AB 12 34 56 C,acme,O'Brien\r\nce654321a,internal,Zoë Ångström\r\n"
	    "JK112233,bravo,Smith\r\n", 0, err, sizeof(err)), 0);
	assert_int_equal(lookup(f, "AB123456", "o'brien", &hit), 1);
	assert_string_equal(hit.holder, "acme");
	assert_int_equal(hit.surname, CL_SURNAME_MATCH);
	/* case, spaces and accents do not matter */
	assert_int_equal(lookup(f, "CE654321", "ZOE  ANGSTROM", &hit), 1);
	assert_string_equal(hit.holder, "internal");
	assert_int_equal(hit.surname, CL_SURNAME_MATCH);
	assert_int_equal(lookup(f, "CE654321", "Zoeangstrom", &hit), 1);
	assert_int_equal(hit.surname, CL_SURNAME_MATCH);
	/* another surname differs; the same surname under another person too */
	assert_int_equal(lookup(f, "JK112233", "Smyth", &hit), 1);
	assert_int_equal(hit.surname, CL_SURNAME_DIFFERS);
	assert_int_equal(lookup(f, "AB123456", "Smith", &hit), 1);
	assert_int_equal(hit.surname, CL_SURNAME_DIFFERS);
	assert_int_equal(lookup(f, "JK112233", NULL, &hit), 1);
	assert_int_equal(hit.surname, CL_SURNAME_UNCHECKED);
	assert_int_equal(lookup(f, "JK999999", "Smith", &hit), 0);
}

static void test_no_surname_column(void **state)
{
	struct fx *f = *state;
	struct cl_hit hit;
	char err[512];

	assert_int_equal(import(f, "holder,nino\nacme,AB123456\n", 0, err, sizeof(err)), 0);
	assert_int_equal(lookup(f, "AB123456", "Anyone", &hit), 1);
	assert_int_equal(hit.surname, CL_SURNAME_UNCHECKED);
}

/* A bad row anywhere: exit status 1, its line and column named, nothing imported. */
static void expect_rejected(struct fx *f, const char *csv, const char *want)
{
	struct cl_hit hit;
	char err[512];

	assert_int_equal(import(f, csv, 0, err, sizeof(err)), 1);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" does not say \"%s\"", err, want);
	assert_null(strstr(err, "AB123456"));
	assert_int_equal(lookup(f, "AB123456", NULL, &hit), 0);
}

static void test_bad_rows(void **state)
{
	struct fx *f = *state;

	expect_rejected(f, "nino,holder\nAB123456,acme\nXX1234,acme\n", "in.csv:3: error: column nino");
	expect_rejected(f, "nino,holder\nAB123456,acme\nCE654321,nobody\n",
	    "in.csv:3: error: column holder");
	expect_rejected(f, "nino,holder,surname\nAB123456,acme,Smith\nCE654321,acme,\n",
	    "in.csv:3: error: column surname");
	expect_rejected(f, "nino,holder\nAB123456,acme\nCE654321,acme,extra\n", "in.csv:3: error: 3 columns");
	expect_rejected(f, "nino,holder\nAB123456,acme\nab 12 34 56 d,bravo\n",
	    "in.csv:3: error: column nino: the same person as line 2");
	expect_rejected(f, "nino,owner\nAB123456,acme\n", "in.csv:1: error: column 2");
	expect_rejected(f, "nino,surname\nAB123456,Smith\n", "lacks the holder column");
	expect_rejected(f, "nino,holder\nAB123456,\"acme\n", "in.csv");
	expect_rejected(f, "", "no header row");
}

static void test_replace(void **state)
{
	struct fx *f = *state;
	struct cl_count *v;
	struct cl_hit hit;
	size_t n;
	time_t when;
	char err[512];

	assert_int_equal(import(f, "nino,holder\nAB123456,acme\nCE654321,acme\n", 0, err,
	    sizeof(err)), 0);
	/* without --replace rows are added, a person's holder updated */
	assert_int_equal(import(f, "nino,holder\nJK112233,bravo\nCE654321,bravo\n", 0, err,
	    sizeof(err)), 0);
	assert_int_equal(lookup(f, "AB123456", NULL, &hit), 1);
	assert_int_equal(lookup(f, "CE654321", NULL, &hit), 1);
	assert_string_equal(hit.holder, "bravo");
	assert_int_equal(caseload_counts(f->cl, &v, &n, &when), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].holder, "acme");
	assert_int_equal(v[0].persons, 1);
	assert_int_equal(v[1].persons, 2);
	assert_int_equal(when, 1000);
	free(v);
	assert_int_equal(import(f, "nino,holder\nJK112233,internal\n", 1, err, sizeof(err)), 0);
	assert_int_equal(lookup(f, "AB123456", NULL, &hit), 0);
	assert_int_equal(lookup(f, "JK112233", NULL, &hit), 1);
	assert_string_equal(hit.holder, "internal");
}

static void test_windows_1252(void **state)
{
	struct fx *f = *state;
	struct cl_hit hit;
	char err[512];

	assert_int_equal(import(f, "nino,holder,surname\nAB123456,acme,M\xfcller\n", 0, err,
	    sizeof(err)), 0);
	assert_int_equal(lookup(f, "AB123456", "Muller", &hit), 1);
	assert_int_equal(hit.surname, CL_SURNAME_MATCH);
}

static void test_norm(void **state)
{
	char *s;

	(void)state;
	s = caseload_norm_surname("  De la Cruz-Ólafsdóttir ");
	assert_string_equal(s, "delacruz-olafsdottir");
	free(s);
	s = caseload_norm_surname("ＳＭＩＴＨ");
	assert_string_equal(s, "smith");
	free(s);
	assert_null(caseload_norm_surname("   "));
	assert_null(caseload_norm_surname("\xff"));
}

/* Searches every file of the directory for s, in upper and lower case. */
static int dir_holds(const char *dir, const char *s)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int found = 0;

	assert_non_null(d);
	while (!found && (de = readdir(d)) != NULL) {
		char *p = xasprintf("%s/%s", dir, de->d_name), *data;
		size_t len, i, n = strlen(s);

		data = de->d_name[0] == '.' ? NULL : file_read(p, 1 << 28, &len);
		for (i = 0; data && i + n <= len && !found; i++)
			found = strncasecmp(data + i, s, n) == 0;
		free(data);
		free(p);
	}
	closedir(d);
	return found;
}

static void test_nothing_in_clear(void **state)
{
	struct fx *f = *state;
	char err[512];

	assert_int_equal(import(f, "nino,holder,surname\nAB123456C,acme,Featherstonehaugh\n"
	    "CE 65 43 21 A,internal,Quixote\n", 0, err, sizeof(err)), 0);
	/* the check can fail: the same text must be found where it is in clear */
	assert_true(dir_holds(f->dir, "internal"));
	assert_false(dir_holds(f->dir, "AB123456"));
	assert_false(dir_holds(f->dir, "CE654321"));
	assert_false(dir_holds(f->dir, "CE 65 43"));
	assert_false(dir_holds(f->dir, "Featherstonehaugh"));
	assert_false(dir_holds(f->dir, "Quixote"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_import_and_find, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_no_surname_column, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_rows, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_replace, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_windows_1252, fx_setup, fx_teardown),
		cmocka_unit_test(test_norm),
		cmocka_unit_test_setup_teardown(test_nothing_in_clear, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
