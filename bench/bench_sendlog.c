/*
 * bench_sendlog - fills a send log and times what compliance staff run.
 *
 * bench_sendlog [ROWS]      fills a fresh log in a temporary folder with
 *     ROWS message rows (default 1,000,000: a large provider's three
 *     months), then times a person lookup (the --nino path), a one-day
 *     range and the monthly report's figures (report_build(), counted from
 *     the chained rows of a London month), median of several runs each,
 *     against the same questions without the indexes (a full scan) as the
 *     baseline; and, once, the chain verification the report includes.
 * bench_sendlog --seed DIR KEYFILE
 *     writes a small fixed log into DIR (the seeding tool the shell tests
 *     and the demo use; rows of October and November 2026).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "config.h"
#include "mgdate.h"
#include "report.h"
#include "sendlog.h"
#include "util.h"

static double
bs_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
bs_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
bs_row(struct sendlog_row *r, time_t t, const char *process, const char *rcpt, const char *cls,
    const char *org, const char *outcome, const char *mid, const char *reasons,
    struct nino_stem *p)
{
	memset(r, 0, sizeof(*r));
	r->time = t;
	r->kind = "message";
	r->direction = "out";
	r->process = process;
	r->recipient = rcpt;
	r->rclass = cls;
	r->org = org;
	r->outcome = outcome;
	r->records = p ? 1 : 0;
	r->message_id = mid;
	r->reasons = reasons;
	r->submitted_by = "caseworker@provider.example";
	r->policy_version = "1ec8f437698e6128";
	r->persons = p;
	r->npersons = p ? 1 : 0;
}

static int
bs_seed(const char *dir, const char *keyfile)
{
	static const struct { const char *t, *process, *rcpt, *cls, *org, *outcome, *mid,
		*reasons, *stem; } rows[] = {
		{ "2026-10-02T09:15:00Z", "change-of-circumstances", "whp@acme.example", "subcontractor",
		  "acme", "sent", "a1@provider.example", NULL, "AB123456" },
		{ "2026-10-02T11:40:00Z", "employment-business", "prap.support@dwp.example", "department",
		  "DWP", "sent", "a2@provider.example", "late-notice", "CE123456" },
		{ "2026-10-17T14:05:00Z", "change-of-circumstances", "whp@faraway.example",
		  "subcontractor", "faraway", "rejected", "a3@provider.example", "offshore-recipient",
		  "AB123456" },
		{ "2026-11-03T08:30:00Z", "exit-report", "jcp.whp@dwp.example", "department", "DWP",
		  "sent", "a4@provider.example", NULL, "HN010203" },
		{ "2026-11-03T08:30:00Z", "exit-report", "whp@acme.example", "subcontractor", "acme",
		  "sent", "a4@provider.example", NULL, "HN010203" },
		{ "2026-11-20T16:45:00+00:00", "change-of-circumstances", "jcp.whp@dwp.example",
		  "department", "DWP", "held", "a5@provider.example", "not-normal-mode", NULL },
	};
	struct config c;
	struct sendlog *sl;
	struct sendlog_row r;
	struct nino_stem p;
	unsigned char *key;
	size_t keylen, i;
	char err[512];
	time_t t;

	memset(&c, 0, sizeof(c));
	key = (unsigned char *)config_read_secret(keyfile, 32, &keylen, err, sizeof(err));
	if (key == NULL || sendlog_open(dir, key, keylen, SENDLOG_WRITE, &sl, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	free(key);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		sendlog_parse_time(rows[i].t, 0, &t);
		if (rows[i].stem)
			memcpy(p.s, rows[i].stem, NINO_STEM_LEN + 1);
		bs_row(&r, t, rows[i].process, rows[i].rcpt, rows[i].cls, rows[i].org, rows[i].outcome,
		    rows[i].mid, rows[i].reasons, rows[i].stem ? &p : NULL);
		if (sendlog_add(sl, &r, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			return 2;
		}
	}
	sendlog_close(sl);
	return 0;
}

/* Median milliseconds of running sql (one integer or text parameter) n times. */
static double
bs_time(sqlite3 *db, const char *sql, const char *txt, long long a, long long b, int n)
{
	double v[15];
	int i;

	for (i = 0; i < n; i++) {
		sqlite3_stmt *st;
		double t0 = bs_now();

		sqlite3_prepare_v2(db, sql, -1, &st, NULL);
		if (txt)
			sqlite3_bind_text(st, 1, txt, -1, SQLITE_STATIC);
		else {
			sqlite3_bind_int64(st, 1, a);
			sqlite3_bind_int64(st, 2, b);
		}
		while (sqlite3_step(st) == SQLITE_ROW)
			;
		sqlite3_finalize(st);
		v[i] = (bs_now() - t0) * 1e3;
	}
	qsort(v, (size_t)n, sizeof(double), bs_cmp);
	return v[n / 2];
}

/* Median milliseconds of the report's figures for [a, b]; *ver the verification's seconds. */
static double
bs_report(struct sendlog *sl, time_t a, time_t b, int n, double *ver)
{
	double v[15], t0;
	struct report *r;
	char err[512];
	int i;

	for (i = 0; i < n; i++) {
		t0 = bs_now();
		if (report_build(sl, a, b, "October 2026", time(NULL), &r, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench_sendlog: %s\n", err);
			exit(2);
		}
		v[i] = (bs_now() - t0) * 1e3;
		if (i + 1 < n)
			report_free(r);
	}
	t0 = bs_now();
	report_verify(r, sl, time(NULL));
	*ver = bs_now() - t0;
	if (r->verify_rc != 0 || r->messages == 0) {
		fprintf(stderr, "bench_sendlog: the report found %ld messages, verification %d\n",
		    r->messages, r->verify_rc);
		exit(2);
	}
	report_free(r);
	qsort(v, (size_t)n, sizeof(double), bs_cmp);
	return v[n / 2];
}

#define BS_BATCH 1000

/* Fills the log with rows message rows over three months; seconds taken, or -1. */
static double
bs_fill(struct sendlog *sl, long rows)
{
	static const char *procs[] = { "change-of-circumstances", "exit-report", "employment-business",
		"compliance-doubt", "names-and-ninos", "good-news-story" };
	static const char *outcomes[] = { "sent", "sent", "sent", "sent", "rejected", "held" };
	static struct sendlog_row batch[BS_BATCH];
	static struct nino_stem persons[BS_BATCH];
	static char mids[BS_BATCH][64], rcpts[BS_BATCH][64];
	uint64_t s = 88172645463325252ull;
	double t0 = bs_now();
	char err[512];
	time_t start;
	long i;

	sendlog_parse_time("2026-08-24", 0, &start);
	for (i = 0; i < rows; i++) {
		int k = (int)(i % BS_BATCH);

		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		snprintf(mids[k], sizeof(mids[k]), "%lx.%ld@provider.example", (unsigned long)s, i);
		snprintf(rcpts[k], sizeof(rcpts[k]), "inbox%lu@org%lu.example",
		    (unsigned long)(s % 40), (unsigned long)(s % 40 / 4));
		snprintf(persons[k].s, sizeof(persons[k].s), "AB%06lu", (unsigned long)(s % 300000));
		bs_row(&batch[k], start + (time_t)((double)i * (92.0 * 86400 / (double)rows)),
		    procs[s % 6], rcpts[k], "subcontractor", "org", outcomes[(s >> 8) % 6], mids[k],
		    NULL, &persons[k]);
		if (k == BS_BATCH - 1 && sendlog_add_rows(sl, batch, BS_BATCH, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench_sendlog: %s\n", err);
			return -1;
		}
	}
	return bs_now() - t0;
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/mgbenchlogXXXXXX", err[512], hm[65];
	unsigned char key[32];
	long rows = 1000000;
	struct sendlog *sl;
	sqlite3 *db;
	double fill, nino, nino_scan, day, day_scan, rep, rep_scan, ver;
	mgday oct;
	time_t d0;
	const char *person_sql = "SELECT l.time, l.recipient FROM log l WHERE l.seq IN"
	    " (SELECT seq FROM person WHERE hmac = ?)";
	const char *person_scan = "SELECT l.time, l.recipient FROM log l NOT INDEXED WHERE"
	    " instr(l.persons, ?) > 0";
	const char *day_sql = "SELECT * FROM log WHERE kind = 'message' AND time >= ? AND time <= ?";
	const char *day_scan_sql = "SELECT * FROM log NOT INDEXED WHERE kind = 'message' AND"
	    " time >= ? AND time <= ?";
	const char *rep_scan_sql = "SELECT process, org, outcome, count(DISTINCT message_id), count(*)"
	    " FROM log NOT INDEXED WHERE kind = 'message' AND time >= ? AND time < ? GROUP BY 1, 2, 3";

	if (argc == 4 && strcmp(argv[1], "--seed") == 0)
		return bs_seed(argv[2], argv[3]);
	if (argc == 2)
		rows = atol(argv[1]);
	if (rows < BS_BATCH)
		rows = BS_BATCH;
	memset(key, 7, sizeof(key));
	if (mkdtemp(dir) == NULL || sendlog_open(dir, key, sizeof(key),
	    SENDLOG_WRITE | SENDLOG_NOSYNC, &sl, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_sendlog: %s\n", err);
		return 2;
	}
	db = sendlog_db(sl);
	if ((fill = bs_fill(sl, rows)) < 0)
		return 2;
	sqlite3_exec(db, "ANALYZE", NULL, NULL, NULL);
	sendlog_person(sl, "AB012345", hm);
	nino = bs_time(db, person_sql, hm, 0, 0, 9);
	nino_scan = bs_time(db, person_scan, hm, 0, 0, 3);
	sendlog_parse_time("2026-10-15", 0, &d0);
	day = bs_time(db, day_sql, NULL, (long long)d0, (long long)d0 + 86399, 9);
	day_scan = bs_time(db, day_scan_sql, NULL, (long long)d0, (long long)d0 + 86399, 3);
	mgday_parse_iso("2026-10-01", &oct);
	d0 = mgday_london_start(oct);
	rep = bs_report(sl, d0, mgday_london_start(oct + 31) - 1, 5, &ver);
	rep_scan = bs_time(db, rep_scan_sql, NULL, (long long)d0,
	    (long long)mgday_london_start(oct + 31) - 1, 3);
	sendlog_close(sl);

	printf("### Send log (bench_sendlog)\n\n");
	printf("%ld message rows over three months (about %ld a day), one person each, chained and "
	    "signed, filled in %.1f s (%.0f rows/s, fsync off for the fill only). Median of several "
	    "runs; the baseline is the same query made to scan the table (NOT INDEXED).\n\n",
	    rows, rows / 92, fill, (double)rows / fill);
	printf("| query | indexed | full scan (baseline) | ratio |\n| --- | ---: | ---: | ---: |\n");
	printf("| one person (`log query --nino`) | %.2f ms | %.1f ms | %.0fx |\n", nino, nino_scan,
	    nino_scan / nino);
	printf("| one day (`--since D --until D`) | %.2f ms | %.1f ms | %.0fx |\n", day, day_scan,
	    day_scan / day);
	printf("| monthly report's figures (`log report`, from the chained rows; baseline: one"
	    " GROUP BY over a full scan) | %.1f ms | %.1f ms | %.1fx |\n\n", rep, rep_scan,
	    rep_scan / rep);
	printf("The report also verifies the whole chain (every row's hash and signature): "
	    "%.1f s for the %ld rows, once per report.\n\n", ver, rows);
	{
		char *cmd = xasprintf("rm -rf '%s'", dir);

		if (system(cmd) != 0)
			fprintf(stderr, "bench_sendlog: could not remove %s\n", dir);
		free(cmd);
	}
	return 0;
}
