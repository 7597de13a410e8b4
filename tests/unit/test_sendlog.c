/*
 * test_sendlog - the send log: chain verification after altering,
 * deleting, inserting and reordering rows, purging then verifying, the
 * head check, retention boundaries (month ends, leap years), person
 * lookups by HMAC, durable send intents, already-sent, the mode, and the
 * statements kept prepared on the handle (every use reset, on the failing
 * paths too, so that nothing holds a read transaction against checkpoints).
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

#include <sqlite3.h>

#include "journey.h"
#include "mode.h"
#include "sendlog.h"
#include "state.h"
#include "util.h"
#include "verdict.h"

static const unsigned char KEY[] = "0123456789abcdef0123456789abcdef-test-key";

static time_t
T(const char *s)
{
	time_t t;

	assert_true(sendlog_parse_time(s, 0, &t));
	return t;
}

static char *
newdir(void)
{
	char tmpl[] = "/tmp/mgslXXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return xstrdup(tmpl);
}

/* a + b, in one of a few static buffers (paths inside tests) */
static const char *
xasprintf_tmp(const char *a, const char *b)
{
	static char bufs[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(bufs[i], sizeof(bufs[i]), "%s%s", a, b);
	return bufs[i];
}

static struct sendlog *
open_w(const char *dir)
{
	struct sendlog *sl;
	char err[256];

	assert_int_equal(sendlog_open(dir, KEY, sizeof(KEY) - 1, SENDLOG_WRITE, &sl, err, sizeof(err)), 0);
	return sl;
}

static void
add_msg(struct sendlog *sl, const char *when, const char *mid, const char *rcpt, const char *stem)
{
	struct nino_stem p;
	struct sendlog_row r;
	char err[256];

	memset(&r, 0, sizeof(r));
	r.time = T(when);
	r.kind = "message";
	r.direction = "out";
	r.process = "change-of-circumstances";
	r.recipient = rcpt;
	r.rclass = "subcontractor";
	r.org = "acme";
	r.outcome = "sent";
	r.records = stem ? 1 : 0;
	r.message_id = mid;
	r.submitted_by = "sam.case@provider.example";
	r.policy_version = "abc";
	if (stem) {
		memcpy(p.s, stem, NINO_STEM_LEN + 1);
		r.persons = &p;
		r.npersons = 1;
	}
	assert_int_equal(sendlog_add(sl, &r, err, sizeof(err)), 0);
}

static void
fill(struct sendlog *sl)
{
	add_msg(sl, "2026-08-01T10:00:00Z", "m1@p", "whp@acme.example", "AB123456");
	add_msg(sl, "2026-09-15T10:00:00Z", "m2@p", "whp@acme.example", "CE123456");
	add_msg(sl, "2026-10-20T10:00:00Z", "m3@p", "whp@acme.example", "AB123456");
	add_msg(sl, "2026-11-20T10:00:00Z", "m4@p", "jcp.whp@dwp.example", NULL);
}

static struct sendlog_check CHK;

static int
verify(struct sendlog *sl, const char *head, char *what)
{
	return sendlog_verify(sl, head, &CHK, what, 512);
}

static void
sql(struct sendlog *sl, const char *s)
{
	assert_int_equal(sqlite3_exec(sendlog_db(sl), s, NULL, NULL, NULL), SQLITE_OK);
}

static void
test_chain(void **state)
{
	char *dir = newdir(), what[512], head[SENDLOG_HEAD_LEN + 1];
	struct sendlog *sl = open_w(dir);
	struct stat st;
	char *p = xasprintf("%s/sendlog.db", dir);

	(void)state;
	fill(sl);
	assert_int_equal(verify(sl, NULL, what), 0);
	assert_int_equal(sendlog_head(sl, head), 0);
	assert_int_equal(verify(sl, head, what), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);	/* the writer's alone */
	free(p);
	p = xasprintf("%s/sign.key", dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(p);

	/* altered */
	sql(sl, "UPDATE log SET recipient = 'other@x.example' WHERE seq = 2");
	assert_int_equal(verify(sl, NULL, what), 1);
	assert_non_null(strstr(what, "row 2 (2026-09-15T10:00:00Z): its contents were altered"));
	sql(sl, "UPDATE log SET recipient = 'whp@acme.example' WHERE seq = 2");
	assert_int_equal(verify(sl, NULL, what), 0);

	/* reordered: swap two rows' contents wholesale */
	sql(sl, "UPDATE log SET seq = -1 WHERE seq = 2; UPDATE log SET seq = 2 WHERE seq = 3;"
	    " UPDATE log SET seq = 3 WHERE seq = -1");
	assert_int_equal(verify(sl, NULL, what), 1);
	assert_non_null(strstr(what, "row 2"));
	sql(sl, "UPDATE log SET seq = -1 WHERE seq = 2; UPDATE log SET seq = 2 WHERE seq = 3;"
	    " UPDATE log SET seq = 3 WHERE seq = -1");
	assert_int_equal(verify(sl, NULL, what), 0);

	/* the person index is covered too */
	sql(sl, "UPDATE person SET hmac = 'ff' WHERE seq = 1");
	assert_int_equal(verify(sl, NULL, what), 1);
	assert_non_null(strstr(what, "person index of row 1"));
	sendlog_close(sl);

	/* deleted in the middle */
	sl = open_w(dir);
	sql(sl, "DELETE FROM person; DELETE FROM log WHERE seq = 2");
	assert_int_equal(verify(sl, NULL, what), 1);
	assert_non_null(strstr(what, "row 3 (2026-10-20T10:00:00Z): row 2 is missing"));
	sendlog_close(sl);
	free(dir);
}

static void
test_insert_and_tail(void **state)
{
	char *dir = newdir(), what[512], head[SENDLOG_HEAD_LEN + 1];
	struct sendlog *sl = open_w(dir);

	(void)state;
	fill(sl);
	assert_int_equal(sendlog_head(sl, head), 0);
	/* an inserted row: copied from a real one, so its hashes look plausible */
	sql(sl, "UPDATE log SET seq = seq + 1000 WHERE seq >= 3; UPDATE log SET seq = seq - 999"
	    " WHERE seq > 1000; "
	    "INSERT INTO log SELECT 3, time, kind, direction, process, 'evil@x.example', rclass, org,"
	    " outcome, records, message_id, reasons, submitted_by, policy_version, detail, NULL, prev,"
	    " chain, sig FROM log WHERE seq = 2");
	assert_int_equal(verify(sl, NULL, what), 1);
	assert_non_null(strstr(what, "row 3"));
	sendlog_close(sl);
	free(dir);

	/* the last row removed: only the recorded head shows it */
	dir = newdir();
	sl = open_w(dir);
	fill(sl);
	assert_int_equal(sendlog_head(sl, head), 0);
	sql(sl, "DELETE FROM log WHERE seq = 4");
	assert_int_equal(verify(sl, NULL, what), 0);
	assert_int_equal(verify(sl, head, what), 1);
	assert_non_null(strstr(what, "the log ends at row 3, before the recorded head at row 4"));
	sendlog_close(sl);
	free(dir);
}

/* The report counts the chained rows: no unchained counts table sits beside them. */
static void
assert_counts(struct sendlog *sl)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(sendlog_db(sl), "SELECT count(*) FROM sqlite_master"
	    " WHERE name = 'monthly'", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 0);
	sqlite3_finalize(st);
}

static void
test_purge(void **state)
{
	char *dir = newdir(), what[512], err[256];
	struct sendlog *sl = open_w(dir);
	size_t removed;
	sqlite3_stmt *st;

	(void)state;
	fill(sl);
	add_msg(sl, "2026-09-15T11:00:00Z", "m2@p", "other@acme.example", NULL);
	add_msg(sl, "2026-09-01T11:00:00Z", "m6@p", "whp@acme.example", NULL);
	assert_counts(sl);
	/* now 2026-11-23: three months back is 2026-08-23; rows 1 goes */
	assert_int_equal(sendlog_purge(sl, T("2026-11-23T12:00:00Z"), 3, "alice", &removed, err,
	    sizeof(err)), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(verify(sl, NULL, what), 0);
	assert_counts(sl);
	assert_int_equal(sqlite3_prepare_v2(sendlog_db(sl), "SELECT count(*), min(seq) FROM log", -1,
	    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 6);	/* 5 kept + the purge row */
	assert_int_equal(sqlite3_column_int(st, 1), 2);
	sqlite3_finalize(st);
	/* a second purge later on, then more rows: still verifiable */
	assert_int_equal(sendlog_purge(sl, T("2027-01-21T12:00:00Z"), 3, "alice", &removed, err,
	    sizeof(err)), 0);
	/* rows 2 and 3; row 4 (November) stops the run, so the late-added September rows stay */
	assert_int_equal(removed, 2);
	assert_counts(sl);
	add_msg(sl, "2027-01-22T09:00:00Z", "m5@p", "whp@acme.example", NULL);
	assert_counts(sl);
	assert_int_equal(verify(sl, NULL, what), 0);
	/* forging the anchor is seen */
	sql(sl, "UPDATE anchor SET chain = '00' || substr(chain, 3)");
	assert_int_equal(verify(sl, NULL, what), 1);
	sendlog_close(sl);
	free(dir);
}


static void
copy_file(const char *from, const char *to)
{
	size_t len;
	char *buf = file_read(from, 1 << 26, &len);
	FILE *fp = fopen(to, "w");

	assert_non_null(buf);
	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	fclose(fp);
	free(buf);
}

/*
 * A recorded head stays good while rows are added (and says how many came
 * after it); truncation, removing every row, rolling the file back and
 * replacing the log with another signed one are each seen.
 */
static void
test_heads(void **state)
{
	char *dir = newdir(), what[512], head[SENDLOG_HEAD_LEN + 1], h2[SENDLOG_HEAD_LEN + 1];
	char line[512], *db = xasprintf("%s/sendlog.db", dir), *old = xasprintf("%s/old.db", dir);
	char *dir2 = newdir(), chain[65];
	struct sendlog *sl = open_w(dir), *other;
	long long seq;

	(void)state;
	fill(sl);
	assert_int_equal(sendlog_head(sl, head), 0);
	assert_int_equal(strlen(head), SENDLOG_HEAD_LEN);
	assert_int_equal(sendlog_head_parse(head, &seq, chain), 0);
	assert_int_equal(seq, 4);
	assert_int_equal(sendlog_head_parse("zz", &seq, chain), -1);
	assert_int_equal(verify(sl, "1234", what), -1);
	/* a head line is signed; one with another signature is not believed */
	assert_int_equal(sendlog_head_line(sl, head, line, sizeof(line)), 0);
	assert_int_equal(sendlog_head_from_line(sl, line, h2), 1);
	assert_string_equal(h2, head);
	line[strlen(line) - 1] = line[strlen(line) - 1] == '0' ? '1' : '0';
	assert_int_equal(sendlog_head_from_line(sl, line, h2), 0);
	assert_int_equal(sendlog_head_from_line(sl, "mailgated[1]: sent 3", h2), -1);
	/* the bare chain value of older versions is still found */
	assert_int_equal(verify(sl, head + 16, what), 0);
	sendlog_close(sl);	/* checkpoints the WAL: the file alone is the log */
	copy_file(db, old);
	sl = open_w(dir);
	add_msg(sl, "2026-11-21T10:00:00Z", "m5@p", "whp@acme.example", NULL);
	add_msg(sl, "2026-11-21T11:00:00Z", "m6@p", "whp@acme.example", NULL);
	assert_int_equal(verify(sl, head, what), 0);
	assert_int_equal(CHK.after, 2);
	assert_int_equal(CHK.last, 6);
	assert_int_equal(sendlog_head(sl, h2), 0);
	/* truncated */
	sql(sl, "DELETE FROM log WHERE seq >= 5");
	assert_int_equal(verify(sl, h2, what), 1);
	assert_non_null(strstr(what, "before the recorded head at row 6"));
	assert_int_equal(verify(sl, head, what), 0);
	/* every row */
	sql(sl, "DELETE FROM person; DELETE FROM log");
	assert_int_equal(verify(sl, head, what), 1);
	assert_non_null(strstr(what, "the log ends at row 0"));
	sendlog_close(sl);
	/* rolled back to the copy taken at row 4, then written again */
	copy_file(old, db);
	unlink(xasprintf_tmp(db, "-wal"));
	sl = open_w(dir);
	assert_int_equal(verify(sl, h2, what), 1);
	add_msg(sl, "2026-11-22T10:00:00Z", "m7@p", "evil@x.example", NULL);
	add_msg(sl, "2026-11-22T11:00:00Z", "m8@p", "evil@x.example", NULL);
	assert_int_equal(verify(sl, NULL, what), 0);	/* a valid chain in itself */
	assert_int_equal(verify(sl, h2, what), 1);
	assert_non_null(strstr(what, "row 6 (2026-11-22T11:00:00Z) is not the recorded head"));
	sendlog_close(sl);
	/* replaced by another log with its own key, one row changed: the head is not in it */
	other = open_w(dir2);
	add_msg(other, "2026-08-01T10:00:00Z", "m1@p", "whp@elsewhere.example", "AB123456");
	add_msg(other, "2026-09-15T10:00:00Z", "m2@p", "whp@acme.example", "CE123456");
	add_msg(other, "2026-10-20T10:00:00Z", "m3@p", "whp@acme.example", "AB123456");
	add_msg(other, "2026-11-20T10:00:00Z", "m4@p", "jcp.whp@dwp.example", NULL);
	assert_int_equal(verify(other, NULL, what), 0);
	assert_int_equal(verify(other, head, what), 1);
	assert_non_null(strstr(what, "row 4 (2026-11-20T10:00:00Z) is not the recorded head"));
	sendlog_close(other);
	unlink(old);
	free(old);
	free(db);
	free(dir);
	free(dir2);
}

/* A NUL inside a value is hashed (it would hide the row from queries); a changed type is seen. */
static void
test_values_by_length(void **state)
{
	char *dir = newdir(), what[512];
	struct sendlog *sl = open_w(dir);

	(void)state;
	fill(sl);
	sql(sl, "UPDATE log SET recipient = CAST(recipient || X'00' || 'hidden' AS TEXT) WHERE seq = 2");
	assert_int_equal(verify(sl, NULL, what), 1);
	assert_non_null(strstr(what, "row 2 (2026-09-15T10:00:00Z): its contents were altered"));
	sql(sl, "UPDATE log SET recipient = 'whp@acme.example' WHERE seq = 2");
	assert_int_equal(verify(sl, NULL, what), 0);
	sql(sl, "UPDATE log SET recipient = CAST('whp@acme.example' AS BLOB) WHERE seq = 3");
	assert_int_equal(verify(sl, NULL, what), 1);
	assert_non_null(strstr(what, "row 3: a value's type was changed"));
	sendlog_close(sl);
	free(dir);
}

/* The verifying key pinned outside state_dir: by fingerprint or by file; a replaced key is seen. */
static void
test_pinned_key(void **state)
{
	char *dir = newdir(), *dir2 = newdir(), what[512], fpr[SENDLOG_FPR_LEN + 1];
	char fpr2[SENDLOG_FPR_LEN + 1], *pub = xasprintf("%s/sign.pub", dir);
	char *pinned = xasprintf("%s/pinned.pub", dir2), *inside = xasprintf("%s/sign.pub", dir);
	struct sendlog *sl = open_w(dir), *other = open_w(dir2);

	(void)state;
	fill(sl);
	fill(other);
	assert_int_equal(sendlog_key_fingerprint(sl, fpr), 0);
	assert_int_equal(strncmp(fpr, "sha256:", 7), 0);
	assert_int_equal(strlen(fpr), SENDLOG_FPR_LEN);
	assert_int_equal(sendlog_key_fingerprint(other, fpr2), 0);
	assert_string_not_equal(fpr, fpr2);
	assert_int_equal(sendlog_pin_key(sl, fpr, what, sizeof(what)), 0);
	assert_int_equal(sendlog_pin_key(sl, fpr2, what, sizeof(what)), 1);
	assert_non_null(strstr(what, "the log's key was replaced"));
	assert_int_equal(sendlog_pin_key(sl, inside, what, sizeof(what)), -1);
	assert_non_null(strstr(what, "inside state_dir"));
	/* the other log's key pinned by file: this log's rows do not verify under it */
	copy_file(xasprintf_tmp(dir2, "/sign.pub"), pinned);
	assert_int_equal(sendlog_pin_key(sl, pinned, what, sizeof(what)), 1);
	assert_int_equal(verify(sl, NULL, what), 1);
	assert_non_null(strstr(what, "row 1"));
	assert_non_null(strstr(what, "signature"));
	sendlog_close(sl);
	sendlog_close(other);
	unlink(pinned);
	free(pinned);
	free(inside);
	free(pub);
	free(dir);
	free(dir2);
}

/* The readers' copy: published whole, 0640, opened without locks; the live files stay 0600. */
static void
test_publish(void **state)
{
	char *dir = newdir(), what[512], err[256], line[512], head[SENDLOG_HEAD_LEN + 1];
	char *copy = xasprintf("%s/%s", dir, SENDLOG_COPY_NAME);
	struct sendlog *sl = open_w(dir), *rd;
	struct stat st;

	(void)state;
	fill(sl);
	assert_int_equal(sendlog_publish(sl, line, sizeof(line), err, sizeof(err)), 0);
	assert_int_equal(stat(copy, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(stat(xasprintf_tmp(dir, "/sendlog.db-wal"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(xasprintf_tmp(dir, "/sendlog.db-shm"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	add_msg(sl, "2026-11-21T10:00:00Z", "m5@p", "whp@acme.example", NULL);
	assert_int_equal(sendlog_open(dir, NULL, 0, SENDLOG_READ | SENDLOG_COPY, &rd, err,
	    sizeof(err)), 0);
	assert_true(sendlog_copy_time(rd) > 0);
	/* the copy is as published: the head of the line, not the row added since */
	assert_int_equal(sendlog_head_from_line(rd, line, head), 1);
	assert_int_equal(verify(rd, head, what), 0);
	assert_int_equal(CHK.after, 0);
	assert_int_equal(CHK.last, 4);
	sendlog_close(rd);
	assert_int_equal(stat(xasprintf_tmp(dir, "/" SENDLOG_COPY_NAME "-shm"), &st), -1);
	/* a writer that added rows publishes at close */
	sendlog_close(sl);
	assert_int_equal(sendlog_open(dir, NULL, 0, SENDLOG_READ | SENDLOG_COPY, &rd, err,
	    sizeof(err)), 0);
	assert_int_equal(verify(rd, NULL, what), 0);
	assert_int_equal(CHK.last, 5);
	sendlog_close(rd);
	free(copy);
	free(dir);
}


/* A crash between the key's two halves: the public one is written again from the private. */
static void
test_key_halves(void **state)
{
	char *dir = newdir(), what[512], *pub = xasprintf("%s/sign.pub", dir);
	struct sendlog *sl = open_w(dir);
	struct stat st;

	(void)state;
	fill(sl);
	sendlog_close(sl);
	assert_int_equal(unlink(pub), 0);
	sl = open_w(dir);
	assert_int_equal(stat(pub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(verify(sl, NULL, what), 0);
	sendlog_close(sl);
	assert_int_equal(stat(xasprintf_tmp(dir, "/sign.key.tmp"), &st), -1);
	free(pub);
	free(dir);
}

static void
test_cutoff(void **state)
{
	char ts[21];

	(void)state;
	sendlog_time(sendlog_cutoff(T("2026-05-31T10:00:00Z"), 3), ts);
	assert_string_equal(ts, "2026-02-28T10:00:00Z");
	sendlog_time(sendlog_cutoff(T("2024-05-31T00:00:00Z"), 3), ts);
	assert_string_equal(ts, "2024-02-29T00:00:00Z");
	sendlog_time(sendlog_cutoff(T("2026-01-15T23:59:59Z"), 3), ts);
	assert_string_equal(ts, "2025-10-15T23:59:59Z");
	sendlog_time(sendlog_cutoff(T("2026-03-31T08:00:00Z"), 13), ts);
	assert_string_equal(ts, "2025-02-28T08:00:00Z");
}

static void
test_times(void **state)
{
	time_t t;
	char ts[21];

	(void)state;
	assert_true(sendlog_parse_time("2026-11-23", 1, &t));
	sendlog_time(t, ts);
	assert_string_equal(ts, "2026-11-23T23:59:59Z");
	assert_true(sendlog_parse_time("2026-11-23T10:00:00+01:00", 0, &t));
	sendlog_time(t, ts);
	assert_string_equal(ts, "2026-11-23T09:00:00Z");
	assert_true(sendlog_parse_time("2026-11-23T10:00:00.123-0530", 0, &t));
	sendlog_time(t, ts);
	assert_string_equal(ts, "2026-11-23T15:30:00Z");
	assert_false(sendlog_parse_time("2026-02-30", 0, &t));
	assert_false(sendlog_parse_time("yesterday", 0, &t));
}

static void
test_person_lookup(void **state)
{
	char *dir = newdir(), a[65], b[65];
	struct sendlog *sl = open_w(dir), *other;
	char err[256];
	sqlite3_stmt *st;

	(void)state;
	fill(sl);
	sendlog_person(sl, "AB123456", a);
	assert_int_equal(sqlite3_prepare_v2(sendlog_db(sl), "SELECT count(*) FROM person WHERE hmac = ?",
	    -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 2);
	sqlite3_finalize(st);
	/* no NINO in clear anywhere in the file */
	assert_int_equal(sqlite3_prepare_v2(sendlog_db(sl), "SELECT count(*) FROM log WHERE"
	    " persons LIKE '%AB123456%'", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 0);
	sqlite3_finalize(st);
	/* another key gives other hashes */
	assert_int_equal(sendlog_open(dir, (const unsigned char *)"another key of thirty-two bytes!!",
	    33, SENDLOG_READ, &other, err, sizeof(err)), 0);
	sendlog_person(other, "AB123456", b);
	assert_string_not_equal(a, b);
	sendlog_close(other);
	sendlog_close(sl);
	free(dir);
}

static void
test_was_sent(void **state)
{
	char *dir = newdir();
	struct sendlog *sl = open_w(dir);

	(void)state;
	assert_int_equal(sendlog_was_sent(sl, "m1@p"), 0);
	add_msg(sl, "2026-11-20T10:00:00Z", "m1@p", "whp@acme.example", NULL);
	assert_int_equal(sendlog_was_sent(sl, "m1@p"), 1);
	sendlog_close(sl);
	free(dir);
}

/* A grouped commit is seen by another connection at once; FULL stays the rule after it. */
static void
test_group_commit(void **state)
{
	char *dir = newdir(), err[256];
	struct sendlog *sl = open_w(dir), *rd;
	struct nino_stem p;
	struct sendlog_row r;
	sqlite3_stmt *st;

	(void)state;
	memset(&r, 0, sizeof(r));
	memcpy(p.s, "AB123456", NINO_STEM_LEN + 1);
	r.time = T("2026-11-20T10:00:00Z");
	r.kind = "message";
	r.direction = "out";
	r.outcome = "sent";
	r.message_id = "g1@p";
	r.persons = &p;
	r.npersons = 1;
	assert_int_equal(sendlog_begin_grouped(sl, err, sizeof(err)), 0);
	assert_int_equal(sendlog_add_rows(sl, &r, 1, err, sizeof(err)), 0);
	assert_int_equal(sendlog_commit(sl, err, sizeof(err)), 0);
	assert_int_equal(sqlite3_prepare_v2(sendlog_db(sl), "PRAGMA synchronous", -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 2);	/* FULL */
	sqlite3_finalize(st);
	assert_int_equal(sendlog_open(dir, KEY, sizeof(KEY) - 1, SENDLOG_READ, &rd, err,
	    sizeof(err)), 0);
	assert_int_equal(sendlog_was_sent(rd, "g1@p"), 1);
	sendlog_close(rd);
	assert_int_equal(sendlog_sync(sl, err, sizeof(err)), 0);
	assert_int_equal(sendlog_sync(sl, err, sizeof(err)), 0);	/* nothing left: no-op */
	sendlog_close(sl);
	free(dir);
}

/* The plan of a query (EXPLAIN QUERY PLAN's details, joined). */
static void
plan_of(sqlite3 *db, const char *sql, char *out, size_t n)
{
	char *q = NULL;
	sqlite3_stmt *st;

	assert_true(asprintf(&q, "EXPLAIN QUERY PLAN %s", sql) > 0);
	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
	out[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW)
		snprintf(out + strlen(out), n - strlen(out), "%s;", sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
	free(q);
}

/* The per-message reads are index searches, never a walk of the log (mode.c, was_sent). */
static void
test_per_message_plans(void **state)
{
	char *dir = newdir(), plan[512];
	struct sendlog *sl = open_w(dir);

	(void)state;
	fill(sl);
	plan_of(sendlog_db(sl), "SELECT outcome, time, submitted_by, detail FROM log"
	    " WHERE kind = 'mode' ORDER BY seq DESC LIMIT 1", plan, sizeof(plan));
	assert_non_null(strstr(plan, "log_mode"));
	plan_of(sendlog_db(sl), "SELECT 1 FROM log WHERE message_id = ? AND kind = 'message'"
	    " AND outcome = 'sent' LIMIT 1", plan, sizeof(plan));
	assert_non_null(strstr(plan, "log_msgid"));
	sendlog_close(sl);
	free(dir);
}

static void
test_mode(void **state)
{
	char *dir = newdir(), err[256], what[512];
	struct sendlog *sl = open_w(dir);
	struct mode_state m;

	(void)state;
	assert_int_equal(mode_get(sl, &m), 0);
	assert_int_equal(m.mode, MODE_NORMAL);
	assert_int_equal(mode_set(sl, MODE_CLERICAL, "provider mail server down\tfor days", "alice",
	    T("2026-11-23T09:00:00Z"), err, sizeof(err)), 0);
	assert_int_equal(mode_get(sl, &m), 0);
	assert_int_equal(m.mode, MODE_CLERICAL);
	assert_string_equal(m.who, "alice");
	assert_string_equal(m.reason, "provider mail server down for days");
	assert_int_equal(mode_set(sl, MODE_NORMAL, "  ", "alice", T("2026-11-24T09:00:00Z"), err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "department was informed"));
	assert_int_equal(mode_get(sl, &m), 0);
	assert_int_equal(m.mode, MODE_CLERICAL);
	assert_int_equal(mode_set(sl, MODE_NORMAL, "told WHP enquiries by phone, ref 42", "bob",
	    T("2026-11-25T09:00:00Z"), err, sizeof(err)), 0);
	assert_int_equal(mode_get(sl, &m), 0);
	assert_int_equal(m.mode, MODE_NORMAL);
	/* the chain decides: a state value edited outside mailgate is ignored */
	assert_int_equal(sqlite3_exec(sendlog_db(sl), "UPDATE state SET value = "
	    "'clerical	1	mallory	forged' WHERE key = 'mode'", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(mode_get(sl, &m), 0);
	assert_int_equal(m.mode, MODE_NORMAL);
	assert_string_equal(m.who, "bob");
	/* the mode survives a purge of its rows */
	assert_int_equal(mode_set(sl, MODE_SUSPENDED, "DWP asked", "bob", T("2026-11-26T09:00:00Z"),
	    err, sizeof(err)), 0);
	{
		size_t removed;

		assert_int_equal(sendlog_purge(sl, T("2027-06-01T00:00:00Z"), 3, "bob", &removed, err,
		    sizeof(err)), 0);
		assert_int_equal(removed, 3);
	}
	assert_int_equal(mode_get(sl, &m), 0);
	assert_int_equal(m.mode, MODE_SUSPENDED);
	assert_int_equal(verify(sl, NULL, what), 0);
	sendlog_close(sl);
	free(dir);
}

/* Statements of the handle still stepping (each holds a read transaction open). */
static int
stepping(struct sendlog *sl)
{
	sqlite3_stmt *st = NULL;
	int n = 0;

	while ((st = sqlite3_next_stmt(sendlog_db(sl), st)) != NULL)
		n += sqlite3_stmt_busy(st) != 0;
	return n;
}

/* What a checkpoint from another connection cannot move past: 1 when a reader is in its way. */
static int
checkpoint_blocked(const char *dir)
{
	char *p = xasprintf("%s/sendlog.db", dir);
	sqlite3 *db;
	sqlite3_stmt *st;
	int busy;

	assert_int_equal(sqlite3_open_v2(p, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	busy = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(p);
	return busy;
}

static void
assert_idle(struct sendlog *sl, const char *dir)
{
	assert_int_equal(stepping(sl), 0);
	assert_int_equal(checkpoint_blocked(dir), 0);
}

/* Another connection holding the write lock (BEGIN IMMEDIATE): the handle's writes get BUSY. */
static sqlite3 *
lock_writes(const char *dir)
{
	char *p = xasprintf("%s/sendlog.db", dir);
	sqlite3 *db;

	assert_int_equal(sqlite3_open_v2(p, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	free(p);
	return db;
}

static void
unlock_writes(sqlite3 *db)
{
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/*
 * The cached statements: each use of the log, the journeys, the state
 * table and the mode leaves none stepping, failures (BUSY, a constraint)
 * included, and a checkpoint gets past; a binding does not outlive its use.
 */
static void
test_stmt_cache(void **state)
{
	char *dir = newdir(), err[256], head[SENDLOG_HEAD_LEN + 1], *v;
	struct sendlog *sl = open_w(dir);
	struct journeys *js;
	struct journey a, b, c, *list;
	struct sendlog_sent sent;
	struct sendlog_row r;
	struct mode_state m;
	sqlite3_stmt *st;
	sqlite3 *other;
	size_t n;

	(void)state;
	sqlite3_busy_timeout(sendlog_db(sl), 0);	/* BUSY at once, not after 10 s */
	/* the checks themselves see a statement left stepping */
	assert_int_equal(sqlite3_prepare_v2(sendlog_db(sl), "SELECT seq FROM log", -1, &st, NULL),
	    SQLITE_OK);
	fill(sl);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(stepping(sl), 1);
	assert_int_equal(checkpoint_blocked(dir), 1);
	sqlite3_finalize(st);
	assert_idle(sl, dir);

	/* the log's reads, twice each: the second use is the cached statement's */
	for (n = 0; n < 2; n++) {
		assert_int_equal(sendlog_was_sent(sl, "m1@p"), 1);
		assert_int_equal(sendlog_was_sent(sl, "none@p"), 0);
		assert_int_equal(sendlog_sent_to(sl, "m2@p", "WHP@acme.example", &sent), 1);
		assert_string_equal(sent.org, "acme");
		sendlog_sent_free(&sent);
		assert_int_equal(sendlog_sent_to(sl, "m2@p", "other@acme.example", &sent), 0);
		assert_int_equal(sendlog_has_outcome(sl, "m3@p", "whp@acme.example", "sent"), 1);
		assert_int_equal(sendlog_head(sl, head), 0);
		assert_idle(sl, dir);
	}

	/* a refused write: BUSY at BEGIN, nothing stepping after it, and the next write works */
	other = lock_writes(dir);
	memset(&r, 0, sizeof(r));
	r.time = T("2026-11-21T10:00:00Z");
	r.kind = "incident";
	r.records = -1;
	assert_int_equal(sendlog_add(sl, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "locked"));
	assert_int_equal(stepping(sl), 0);
	unlock_writes(other);
	assert_int_equal(sendlog_add(sl, &r, err, sizeof(err)), 0);
	assert_idle(sl, dir);

	/* journeys: a reply bound for one record is not the next one's */
	assert_int_equal(journey_open(sl, &js, err, sizeof(err)), 0);
	journey_new(&a, JR_OUT, "ja@p");
	a.reply = xstrdup("451 try later");
	journey_new(&b, JR_OUT, "jb@p");
	assert_int_equal(journey_advance(js, &a, JR_INTENT, JF_PENDING, err, sizeof(err)), 0);
	assert_int_equal(journey_advance(js, &b, JR_INTENT, JF_PENDING, err, sizeof(err)), 0);
	assert_int_equal(journey_advance(js, &a, JR_DATA, JF_PENDING, err, sizeof(err)), 0);
	assert_int_equal(journey_find(js, JR_OUT, "jb@p", &c), 1);
	assert_null(c.reply);
	journey_clear(&c);
	assert_int_equal(journey_find(js, JR_OUT, "ja@p", &c), 1);
	assert_string_equal(c.reply, "451 try later");
	assert_int_equal(c.stage, JR_DATA);
	journey_clear(&c);
	assert_idle(sl, dir);

	/* a second open journey of the same message breaks the unique index: refused, rolled back */
	journey_new(&c, JR_OUT, "ja@p");
	assert_int_equal(journey_advance(js, &c, JR_INTENT, JF_PENDING, err, sizeof(err)), -1);
	assert_int_equal(c.id, 0);
	journey_clear(&c);
	assert_idle(sl, dir);

	/* the log refuses the DATA step (BUSY): refused, nothing stepping */
	other = lock_writes(dir);
	assert_int_equal(journey_advance(js, &b, JR_DATA, JF_PENDING, err, sizeof(err)), -1);
	assert_int_equal(b.stage, JR_INTENT);
	assert_int_equal(stepping(sl), 0);
	unlock_writes(other);

	/* the rest of a send: accepted, logged with its row, done later, listed */
	memset(&r, 0, sizeof(r));
	r.time = T("2026-11-22T10:00:00Z");
	r.kind = "message";
	r.direction = "out";
	r.recipient = "whp@acme.example";
	r.outcome = "sent";
	r.records = 0;
	r.message_id = "ja@p";
	assert_int_equal(journey_advance(js, &a, JR_ACCEPTED, JF_SENT, err, sizeof(err)), 0);
	assert_int_equal(journey_log(js, &a, JF_PENDING, &r, 1, err, sizeof(err)), 0);
	assert_int_equal(journey_done_lazy(js, &a, err, sizeof(err)), 0);
	assert_int_equal(journey_list_open(js, JR_OUT, JR_INTENT, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].message_id, "jb@p");
	journey_list_free(list, n);
	assert_int_equal(journey_find(js, JR_OUT, "ja@p", &c), 0);
	assert_int_equal(journey_sync(js), 0);
	assert_int_equal(journey_purge(js, T("2027-01-01T00:00:00Z")), 0);
	assert_int_equal(sendlog_was_sent(sl, "ja@p"), 1);
	assert_idle(sl, dir);

	/* the state table: absent, then made by the first write; the mode beside it */
	assert_int_equal(state_get(sl, "k", &v), 0);
	assert_int_equal(state_set(sl, NULL, "k", "one", err, sizeof(err)), 0);
	assert_int_equal(state_get(sl, "k", &v), 1);
	assert_string_equal(v, "one");
	free(v);
	assert_int_equal(state_set(sl, NULL, "k", NULL, err, sizeof(err)), 0);
	assert_int_equal(state_get(sl, "k", &v), 0);
	assert_int_equal(mode_set(sl, MODE_CLERICAL, "provider mail server down", "alice",
	    T("2026-11-23T09:00:00Z"), err, sizeof(err)), 0);
	assert_int_equal(mode_get(sl, &m), 0);
	assert_int_equal(m.mode, MODE_CLERICAL);
	assert_idle(sl, dir);

	/* another connection changes the schema: the cached statements are made again, and work */
	other = lock_writes(dir);
	assert_int_equal(sqlite3_exec(other, "CREATE TABLE extra(x); COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(other);
	assert_int_equal(sendlog_was_sent(sl, "ja@p"), 1);
	assert_int_equal(mode_get(sl, &m), 0);
	assert_int_equal(m.mode, MODE_CLERICAL);
	assert_int_equal(journey_find(js, JR_OUT, "jb@p", &c), 1);
	journey_clear(&c);
	assert_idle(sl, dir);

	journey_clear(&a);
	journey_clear(&b);
	journey_close(js);
	assert_idle(sl, dir);
	sendlog_close(sl);	/* finalizes them all: LeakSanitizer would see a connection left */
	free(dir);
}

/* The fate and code of a row, as stored. */
static void
stored(struct sendlog *sl, const char *id, char *out, size_t n)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(sendlog_db(sl), "SELECT typeof(fate) || ' ' || fate || "
	    "' ' || typeof(code) || ' [' || code || ']' FROM journey WHERE message_id = ?", -1, &st,
	    NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/*
 * A journey keeps its fate and verdict code by name, so that an enum that
 * grows does not change what a journey left open says; rows of the
 * programs that stored numbers take their names when the table is opened;
 * a name no program knows makes the record unreadable, never a default.
 */
static void
test_journey_names(void **state)
{
	char *dir = newdir(), err[256], got[128];
	struct sendlog *sl = open_w(dir);
	struct journeys *js;
	struct journey a, b, c, *list;
	size_t n;

	(void)state;
	assert_int_equal(journey_open(sl, &js, err, sizeof(err)), 0);
	journey_new(&a, JR_OUT, "held@p");
	journey_new(&b, JR_IN, "plain@p");
	assert_int_equal(journey_advance(js, &a, JR_INTENT, JF_PENDING, err, sizeof(err)), 0);
	a.code = VC_UNCERTAIN;
	assert_int_equal(journey_advance(js, &a, JR_DATA, JF_PENDING, err, sizeof(err)), 0);
	assert_int_equal(journey_advance(js, &b, JR_INTENT, JF_PENDING, err, sizeof(err)), 0);
	assert_int_equal(journey_sync(js), 0);
	stored(sl, "held@p", got, sizeof(got));
	assert_string_equal(got, "text pending text [uncertain]");
	stored(sl, "plain@p", got, sizeof(got));
	assert_string_equal(got, "text pending text []");
	journey_close(js);

	journey_clear(&a);
	journey_clear(&b);
	sendlog_close(sl);
	free(dir);

	/* a table as the programs before this one made it: numbers of the same enums */
	dir = newdir();
	sl = open_w(dir);
	assert_int_equal(sqlite3_exec(sendlog_db(sl), "CREATE TABLE journey(id INTEGER PRIMARY KEY,"
	    " dir INTEGER NOT NULL, message_id TEXT NOT NULL, stage INTEGER NOT NULL, fate INTEGER"
	    " NOT NULL, code INTEGER NOT NULL, date INTEGER NOT NULL, day INTEGER NOT NULL, uid"
	    " INTEGER NOT NULL, reply TEXT, updated INTEGER NOT NULL);"
	    "INSERT INTO journey VALUES(1, 0, 'held@p', 2, 3, 5, 0, 0, 7, NULL, 0);"
	    "INSERT INTO journey VALUES(2, 1, 'plain@p', 1, 0, -1, 0, 0, 8, NULL, 0)",
	    NULL, NULL, NULL), SQLITE_OK);
	stored(sl, "held@p", got, sizeof(got));
	assert_string_equal(got, "integer 3 integer [5]");
	assert_int_equal(journey_open(sl, &js, err, sizeof(err)), 0);
	stored(sl, "held@p", got, sizeof(got));
	snprintf(err, sizeof(err), "text %s text [%s]", journey_fate_name(JF_HELD),
	    vcode_info((enum vcode)5)->code);
	assert_string_equal(got, err);
	stored(sl, "plain@p", got, sizeof(got));
	assert_string_equal(got, "text pending text []");
	assert_int_equal(journey_find(js, JR_OUT, "held@p", &c), 1);
	assert_int_equal(c.fate, JF_HELD);
	assert_int_equal(c.code, 5);
	assert_int_equal(c.stage, JR_DATA);
	journey_clear(&c);
	assert_int_equal(journey_find(js, JR_IN, "plain@p", &c), 1);
	assert_int_equal(c.code, -1);
	journey_clear(&c);
	journey_close(js);
	/* opened again: nothing left to convert, nothing changed */
	assert_int_equal(journey_open(sl, &js, err, sizeof(err)), 0);
	stored(sl, "plain@p", got, sizeof(got));
	assert_string_equal(got, "text pending text []");

	/* names no program knows: the record is unreadable, found and listed as an error */
	assert_int_equal(sqlite3_exec(sendlog_db(sl), "UPDATE journey SET code = 'no-such-code' "
	    "WHERE message_id = 'held@p'", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(journey_find(js, JR_OUT, "held@p", &c), -1);
	assert_int_equal(journey_list_open(js, JR_OUT, JR_INTENT, &list, &n), -1);
	assert_null(list);
	assert_int_equal(sqlite3_exec(sendlog_db(sl), "UPDATE journey SET code = '', fate = "
	    "'lost' WHERE message_id = 'held@p'", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(journey_find(js, JR_OUT, "held@p", &c), -1);
	assert_int_equal(journey_list_open(js, JR_IN, JR_INTENT, &list, &n), 0);
	assert_int_equal(n, 1);
	journey_list_free(list, n);

	journey_close(js);
	sendlog_close(sl);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_insert_and_tail),
		cmocka_unit_test(test_purge),
		cmocka_unit_test(test_heads),
		cmocka_unit_test(test_values_by_length),
		cmocka_unit_test(test_pinned_key),
		cmocka_unit_test(test_publish),
		cmocka_unit_test(test_key_halves),
		cmocka_unit_test(test_cutoff),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_person_lookup),
		cmocka_unit_test(test_was_sent),
		cmocka_unit_test(test_mode),
		cmocka_unit_test(test_group_commit),
		cmocka_unit_test(test_per_message_plans),
		cmocka_unit_test(test_stmt_cache),
		cmocka_unit_test(test_journey_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
