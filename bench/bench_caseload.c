/*
 * bench_caseload - times "mailgatectl caseload import" of a large daily
 * file (interface "Caseload": 100,000 rows in under 10 s).
 *
 * bench_caseload [ROWS]   generates ROWS rows (default 100,000) of
 *     nino,holder,surname, imports them into a fresh caseload in a
 *     temporary folder (median of 3 runs, --replace), and compares with the
 *     baseline: the same rows inserted into SQLite in one transaction with
 *     no parsing, no checks and no hashing. Exit 1 when an import takes 10 s
 *     or more for 100,000 rows (scaled for other counts).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "caseload.h"
#include "util.h"

static const char *const bc_holders[] = { "acme", "bravo", "charlie" };

static double bc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bc_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* ROWS distinct valid numbers: prefix AB..., six digits from the row number. */
static void bc_make(size_t rows, struct sbuf *b)
{
	static const char *const surnames[] = { "Smith", "O'Brien", "Ångström", "Nguyen", "Patel" };
	size_t i;

	sbuf_adds(b, "nino,holder,surname\r\n");
	for (i = 0; i < rows; i++)
		sbuf_printf(b, "%c%c%06zu%c,%s,%s\r\n", "ABCEGHJKLMNPRSTWXYZ"[i / 1000000 % 19],
		    "ABCEGHJKLMNPRSTWXYZ"[i / 19000000 % 19], i % 1000000, "ABCD"[i % 4],
		    i % 5 == 4 ? CASELOAD_INTERNAL : bc_holders[i % 3], surnames[i % 5]);
}

static double bc_import(const char *dir, const struct sbuf *csv, size_t rows)
{
	static const unsigned char key[32] = "bench-caseload-key-0123456789abc";
	struct caseload *cl;
	char err[1024];
	size_t n;
	double t0, t;

	if (caseload_open(dir, key, sizeof(key), 1, &cl, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		exit(2);
	}
	t0 = bc_now();
	if (caseload_import(cl, "bench.csv", csv->data, csv->len, bc_holders, 3, 1, time(NULL), &n,
	    err, sizeof(err)) != 0 || n != rows) {
		fprintf(stderr, "import failed: %s\n", err);
		exit(2);
	}
	t = bc_now() - t0;
	caseload_close(cl);
	return t;
}

/* The baseline: the same number of rows into SQLite, one transaction, nothing else. */
static double bc_baseline(const char *dir, size_t rows)
{
	char *path = xasprintf("%s/baseline.db", dir), v[32];
	sqlite3_stmt *st;
	sqlite3 *db;
	double t0 = bc_now();
	size_t i;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		exit(2);
	sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS p (h TEXT PRIMARY KEY, holder TEXT, s TEXT) "
	    "WITHOUT ROWID; BEGIN; DELETE FROM p", NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO p VALUES (?, ?, ?)", -1, &st, NULL);
	for (i = 0; i < rows; i++) {
		snprintf(v, sizeof(v), "AB%06zu%zu", i % 1000000, i);
		sqlite3_bind_text(st, 1, v, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, bc_holders[i % 3], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, "Smith", -1, SQLITE_STATIC);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);
	free(path);
	return bc_now() - t0;
}

int main(int argc, char **argv)
{
	size_t rows = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	char dir[] = "/tmp/bench_caseload.XXXXXX", *cmd;
	double t[3], base[3], limit = 10.0 * (double)rows / 100000.0;
	struct sbuf csv;
	int i;

	if (rows == 0 || rows > 19000000 || mkdtemp(dir) == NULL)
		return 2;
	sbuf_init(&csv);
	bc_make(rows, &csv);
	for (i = 0; i < 3; i++) {
		t[i] = bc_import(dir, &csv, rows);
		base[i] = bc_baseline(dir, rows);
	}
	qsort(t, 3, sizeof(t[0]), bc_cmp);
	qsort(base, 3, sizeof(base[0]), bc_cmp);
	printf("## Caseload import (bench_caseload)\n\n");
	printf("| what | rows | median of 3 | rows/s |\n| --- | --- | --- | --- |\n");
	printf("| caseload import (parse, check, HMAC, one transaction) | %zu | %.3f s | %.0f |\n",
	    rows, t[1], (double)rows / t[1]);
	printf("| baseline: plain SQLite inserts, one transaction | %zu | %.3f s | %.0f |\n",
	    rows, base[1], (double)rows / base[1]);
	printf("\nRatio import / baseline: %.1f. Limit: %.1f s (%s).\n", t[1] / base[1], limit,
	    t[2] < limit ? "met by every run" : "NOT MET");
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(cmd);
	sbuf_free(&csv);
	return t[2] < limit ? 0 : 1;
}
