/*
 * journey - the durable per-message state machine; see include/journey.h.
 *
 * One row per attempt series of a message in table journey; the open one
 * (stage < DONE) is unique per direction and Message-ID. The transition
 * table below is the whole of what may happen; everything else is refused.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journey.h"
#include "util.h"
#include "verdict.h"

#define JR_MEMO_MAX 64	/* steps remembered while the database refuses writes */
#define JR_LAZY_MAX 64	/* DONE steps waiting for the next write */
#define JR_DONE_SQL "5"	/* JR_DONE as the table stores it */
_Static_assert(JR_DONE == 5, "JR_DONE_SQL must match JR_DONE");

struct journeys {
	struct sendlog *log;
	sqlite3 *db;
	/* steps taken outside whose record the database refused; oldest first */
	struct journey memo[JR_MEMO_MAX];
	size_t nmemo;
	/* records whose DONE joins the next write (journey_done_lazy) */
	long long lazy[JR_LAZY_MAX];
	size_t nlazy;
};

/*
 * fate and code are kept by name, not by number: a fate or a verdict code
 * added to its enum must not change what a stored journey says (a journey
 * left open by a crash is read by the next program, perhaps a newer one).
 * The stage stays a number: its order is the journey's, and the queries
 * compare it. No code is ''.
 */
static const char jr_schema[] =
    "CREATE TABLE IF NOT EXISTS journey(id INTEGER PRIMARY KEY, dir INTEGER NOT NULL,"
    " message_id TEXT NOT NULL, stage INTEGER NOT NULL, fate TEXT NOT NULL,"
    " code TEXT NOT NULL, date INTEGER NOT NULL, day INTEGER NOT NULL, uid INTEGER NOT NULL,"
    " reply TEXT, updated INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX IF NOT EXISTS journey_open ON journey(dir, message_id) WHERE stage < " JR_DONE_SQL ";"
    "CREATE INDEX IF NOT EXISTS journey_stage ON journey(stage);";

#define JR_COLS "id, dir, message_id, stage, fate, code, date, day, uid, reply, updated"

/* The statements, kept prepared on the log's handle (sendlog_stmt). */
enum jr_stmt { JR_ST_FIND, JR_ST_LIST, JR_ST_INSERT, JR_ST_UPDATE, JR_ST_DONE, JR_ST_PURGE, JR_NSTMTS };

static const char *const jr_sql[JR_NSTMTS] = {
	[JR_ST_FIND] = "SELECT " JR_COLS " FROM journey WHERE dir = ? AND message_id = ? AND"
	    " stage < " JR_DONE_SQL,
	[JR_ST_LIST] = "SELECT " JR_COLS " FROM journey WHERE dir = ? AND stage >= ? AND"
	    " stage < " JR_DONE_SQL " ORDER BY id",
	/* jr_store() binds both alike: ?1 and ?2 only in the insert, ?11 only in the update */
	[JR_ST_INSERT] = "INSERT INTO journey(dir, message_id, stage, fate, code, date, day, uid,"
	    " reply, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[JR_ST_UPDATE] = "UPDATE journey SET stage = ?3, fate = ?4, code = ?5, date = ?6, day = ?7,"
	    " uid = ?8, reply = ?9, updated = ?10 WHERE id = ?11",
	[JR_ST_DONE] = "UPDATE journey SET stage = " JR_DONE_SQL ", updated = ? WHERE id = ?",
	[JR_ST_PURGE] = "DELETE FROM journey WHERE stage = " JR_DONE_SQL " AND updated < ?",
};

static const struct sendlog_stmts jr_stmts = { SENDLOG_STMTS_JOURNEY, JR_NSTMTS, jr_sql };

static const char *const jr_stage_names[JR_NSTAGES] = {
	"none", "intent", "data", "accepted", "logged", "done"
};

static const char *const jr_fate_names[JF_NFATES] = {
	"pending", "sent", "rejected", "held", "uncertain", "smtp-permanent", "forwarded", "review",
	"clerical", "bounced"
};

/*
 * The transitions: from, to, and the fates the step may carry (bit per
 * fate; PENDING means "keeps the fate it has").
 */
#define F(x) (1u << (x))
static const struct {
	enum jr_stage from, to;
	unsigned fates;
} jr_table[] = {
	{ JR_NONE, JR_INTENT, F(JF_PENDING) },
	{ JR_NONE, JR_LOGGED, F(JF_REJECTED) | F(JF_HELD) | F(JF_REVIEW) | F(JF_CLERICAL) |
	    F(JF_BOUNCED) },
	{ JR_INTENT, JR_DATA, F(JF_PENDING) },
	/* smtp-permanent at MAIL or RCPT; judged again and refused, or held */
	/* smtp-permanent; judged again and refused, held or clerical; inbound: now for Review */
	{ JR_INTENT, JR_LOGGED, F(JF_SMTP_PERMANENT) | F(JF_REJECTED) | F(JF_HELD) |
	    F(JF_CLERICAL) | F(JF_REVIEW) },
	{ JR_INTENT, JR_DONE, F(JF_PENDING) },		/* the message left the folder unsent */
	{ JR_DATA, JR_ACCEPTED, F(JF_SENT) | F(JF_FORWARDED) },
	{ JR_DATA, JR_LOGGED, F(JF_SMTP_PERMANENT) | F(JF_UNCERTAIN) },
	{ JR_DATA, JR_INTENT, F(JF_PENDING) },		/* 4xx to DATA or to the data: not sent */
	{ JR_ACCEPTED, JR_LOGGED, F(JF_PENDING) },	/* outbound: once the copy is in Sent */
	{ JR_LOGGED, JR_DONE, F(JF_PENDING) },
};
#undef F

int
journey_allowed(enum jr_stage from, enum jr_stage to, enum jr_fate fate)
{
	size_t i;

	if ((unsigned)fate >= JF_NFATES)
		return 0;
	for (i = 0; i < sizeof(jr_table) / sizeof(jr_table[0]); i++)
		if (jr_table[i].from == from && jr_table[i].to == to)
			return (jr_table[i].fates >> fate) & 1u;
	return 0;
}

const char *
journey_stage_name(enum jr_stage s)
{
	return (unsigned)s < JR_NSTAGES ? jr_stage_names[s] : "invalid";
}

const char *
journey_fate_name(enum jr_fate f)
{
	return (unsigned)f < JF_NFATES ? jr_fate_names[f] : "invalid";
}

/* The fate a stored name says; JF_NFATES when it is none (an unreadable record). */
static enum jr_fate
jr_fate_from_name(const char *name)
{
	int f;

	for (f = 0; name && f < JF_NFATES; f++)
		if (strcmp(jr_fate_names[f], name) == 0)
			return (enum jr_fate)f;
	return JF_NFATES;
}

/* The code a stored name says: -1 for none (''), JR_CODE_BAD when it names no code. */
#define JR_CODE_BAD (-2)

static int
jr_code_from_name(const char *name)
{
	int c;

	if (name == NULL)
		return JR_CODE_BAD;
	if (*name == '\0')
		return -1;
	c = vcode_from_name(name);
	return c >= 0 ? c : JR_CODE_BAD;
}

static const char *
jr_code_name(int code)
{
	const struct vcode_info *vi = code >= 0 ? vcode_info((enum vcode)code) : NULL;

	if (code >= 0 && vi == NULL)
		util_panic("journey: verdict code %d", code);
	return vi ? vi->code : "";
}

/*
 * Records written by the programs that kept fate and code as numbers (of
 * the enums as they stood then, which this program's still are) take their
 * names, once, in one transaction.
 */
static int
jr_names_migrate(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int c, old = 0, ok;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM journey WHERE typeof(fate) = 'integer' OR"
	    " typeof(code) = 'integer' LIMIT 1", -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	old = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (!old)
		return 0;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	ok = sqlite3_prepare_v2(db, "UPDATE journey SET fate = ?2 WHERE typeof(fate) = 'integer'"
	    " AND fate = ?1", -1, &st, NULL) == SQLITE_OK;
	for (c = 0; ok && c < JF_NFATES; c++) {
		sqlite3_bind_int(st, 1, c);
		sqlite3_bind_text(st, 2, jr_fate_names[c], -1, SQLITE_STATIC);
		ok = sqlite3_step(st) == SQLITE_DONE && sqlite3_reset(st) == SQLITE_OK;
	}
	sqlite3_finalize(st);
	st = NULL;
	ok = ok && sqlite3_prepare_v2(db, "UPDATE journey SET code = ?2 WHERE typeof(code) ="
	    " 'integer' AND code = ?1", -1, &st, NULL) == SQLITE_OK;
	for (c = -1; ok && c < VC_COUNT; c++) {
		sqlite3_bind_int(st, 1, c);
		sqlite3_bind_text(st, 2, jr_code_name(c), -1, SQLITE_STATIC);
		ok = sqlite3_step(st) == SQLITE_DONE && sqlite3_reset(st) == SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (ok && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int
journey_open(struct sendlog *log, struct journeys **out, char *err, size_t errlen)
{
	struct journeys *js = xcalloc(1, sizeof(*js));
	char *msg = NULL;

	js->log = log;
	js->db = sendlog_db(log);
	if (sqlite3_exec(js->db, jr_schema, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "journey records: %s", msg ? msg : "cannot be created");
		sqlite3_free(msg);
		free(js);
		*out = NULL;
		return -1;
	}
	if (jr_names_migrate(js->db) < 0) {
		snprintf(err, errlen, "journey records: the stored fates and codes cannot be given "
		    "their names: %s", sqlite3_errmsg(js->db));
		free(js);
		*out = NULL;
		return -1;
	}
	*out = js;
	return 0;
}

void
journey_new(struct journey *j, enum jr_dir dir, const char *message_id)
{
	memset(j, 0, sizeof(*j));
	j->dir = dir;
	j->message_id = xstrdup(message_id);
	j->code = -1;
}

void
journey_clear(struct journey *j)
{
	free(j->message_id);
	free(j->reply);
	memset(j, 0, sizeof(*j));
	j->code = -1;
}

static void
jr_copy(struct journey *dst, const struct journey *src)
{
	*dst = *src;
	dst->message_id = xstrdup(src->message_id);
	dst->reply = src->reply ? xstrdup(src->reply) : NULL;
}

void
journey_close(struct journeys *js)
{
	size_t i;

	if (js == NULL)
		return;
	/* best effort: what is not written now a restart settles */
	(void)journey_sync(js);
	for (i = 0; i < js->nmemo; i++)
		journey_clear(&js->memo[i]);
	free(js);
}

/* --- memory of steps the database refused --- */

static struct journey *
jr_memo_find(struct journeys *js, enum jr_dir dir, const char *message_id)
{
	size_t i;

	for (i = 0; i < js->nmemo; i++)
		if (js->memo[i].dir == dir && strcmp(js->memo[i].message_id, message_id) == 0)
			return &js->memo[i];
	return NULL;
}

static void
jr_memo_forget(struct journeys *js, const struct journey *j)
{
	struct journey *m = jr_memo_find(js, j->dir, j->message_id);
	size_t i;

	if (m == NULL)
		return;
	i = (size_t)(m - js->memo);
	journey_clear(m);
	memmove(&js->memo[i], &js->memo[i + 1], (js->nmemo - i - 1) * sizeof(js->memo[0]));
	js->nmemo--;
}

/* 0 remembered; -1 no room (the caller must stop: it would forget a step taken). */
static int
jr_memo_keep(struct journeys *js, const struct journey *j)
{
	struct journey *m = jr_memo_find(js, j->dir, j->message_id);

	if (m != NULL) {
		journey_clear(m);
		jr_copy(m, j);
		return 0;
	}
	if (js->nmemo == JR_MEMO_MAX)
		return -1;
	jr_copy(&js->memo[js->nmemo++], j);
	return 0;
}

/* --- DONE steps waiting for the next write --- */

static int jr_lazy_has(const struct journeys *js, long long id)
{
	size_t i;

	for (i = 0; i < js->nlazy; i++)
		if (js->lazy[i] == id)
			return 1;
	return 0;
}

/* Writes the waiting DONE steps; inside the caller's transaction. 0 or -1. */
static int jr_lazy_flush(struct journeys *js)
{
	sqlite3_stmt *st;
	size_t i;
	int ok = 1;

	if (js->nlazy == 0)
		return 0;
	if ((st = sendlog_stmt(js->log, &jr_stmts, JR_ST_DONE)) == NULL)
		return -1;
	for (i = 0; i < js->nlazy && ok; i++) {
		sqlite3_bind_int64(st, 1, (long long)time(NULL));
		sqlite3_bind_int64(st, 2, js->lazy[i]);
		ok = sqlite3_step(st) == SQLITE_DONE;
		sqlite3_reset(st);
	}
	sendlog_stmt_done(st);
	return ok ? 0 : -1;
}

/* --- the table --- */

static void
jr_from_row(sqlite3_stmt *st, struct journey *j)
{
	const unsigned char *reply = sqlite3_column_text(st, 9);

	memset(j, 0, sizeof(*j));
	j->id = sqlite3_column_int64(st, 0);
	j->dir = (enum jr_dir)sqlite3_column_int(st, 1);
	j->message_id = xstrdup((const char *)sqlite3_column_text(st, 2));
	j->stage = (enum jr_stage)sqlite3_column_int(st, 3);
	j->fate = jr_fate_from_name((const char *)sqlite3_column_text(st, 4));
	j->code = jr_code_from_name((const char *)sqlite3_column_text(st, 5));
	j->date = (time_t)sqlite3_column_int64(st, 6);
	j->day = (long)sqlite3_column_int64(st, 7);
	j->uid = (uint32_t)sqlite3_column_int64(st, 8);
	j->reply = reply ? xstrdup((const char *)reply) : NULL;
	j->updated = (time_t)sqlite3_column_int64(st, 10);
}

/* A record read back must be one the table could have made. */
static int
jr_sane(const struct journey *j)
{
	return (unsigned)j->stage < JR_NSTAGES && j->stage != JR_NONE &&
	    (unsigned)j->fate < JF_NFATES && j->code != JR_CODE_BAD &&
	    (j->dir == JR_OUT || j->dir == JR_IN);
}

int
journey_find(struct journeys *js, enum jr_dir dir, const char *message_id, struct journey *j)
{
	struct journey *m = jr_memo_find(js, dir, message_id);
	sqlite3_stmt *st;
	int rc;

	if (m != NULL) {
		jr_copy(j, m);
		return 1;
	}
	if ((st = sendlog_stmt(js->log, &jr_stmts, JR_ST_FIND)) == NULL)
		return -1;
	sqlite3_bind_int(st, 1, (int)dir);
	sqlite3_bind_text(st, 2, message_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		jr_from_row(st, j);
	sendlog_stmt_done(st);
	if (rc == SQLITE_ROW && !jr_sane(j)) {
		journey_clear(j);
		return -1;
	}
	if (rc == SQLITE_ROW && jr_lazy_has(js, j->id)) {
		/* done; the record is written with the next write */
		journey_clear(j);
		return 0;
	}
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
journey_list_open(struct journeys *js, enum jr_dir dir, enum jr_stage from, struct journey **v,
    size_t *n)
{
	sqlite3_stmt *st;
	size_t i;
	int rc;

	*v = NULL;
	*n = 0;
	if ((st = sendlog_stmt(js->log, &jr_stmts, JR_ST_LIST)) == NULL)
		return -1;
	sqlite3_bind_int(st, 1, (int)dir);
	sqlite3_bind_int(st, 2, (int)from);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (jr_lazy_has(js, sqlite3_column_int64(st, 0)))
			continue;
		*v = xreallocarray(*v, *n + 1, sizeof(**v));
		jr_from_row(st, &(*v)[*n]);
		(*n)++;
		if (!jr_sane(&(*v)[*n - 1])) {
			rc = SQLITE_CORRUPT;	/* a record the table could not have made */
			break;
		}
	}
	sendlog_stmt_done(st);
	/* what memory knows is newer than the table */
	for (i = 0; i < *n; i++) {
		struct journey *m = jr_memo_find(js, dir, (*v)[i].message_id);

		if (m != NULL) {
			journey_clear(&(*v)[i]);
			jr_copy(&(*v)[i], m);
		}
	}
	if (rc != SQLITE_DONE) {
		journey_list_free(*v, *n);
		*v = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

void
journey_list_free(struct journey *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		journey_clear(&v[i]);
	free(v);
}

/* Writes j as it stands (insert when it has no id yet); 0 or -1. */
static int
jr_store(struct journeys *js, struct journey *j)
{
	sqlite3_stmt *st;
	int ok;

	if ((st = sendlog_stmt(js->log, &jr_stmts, j->id == 0 ? JR_ST_INSERT : JR_ST_UPDATE)) ==
	    NULL)
		return -1;
	sqlite3_bind_int(st, 1, (int)j->dir);
	sqlite3_bind_text(st, 2, j->message_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, (int)j->stage);
	sqlite3_bind_text(st, 4, journey_fate_name(j->fate), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, jr_code_name(j->code), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (long long)j->date);
	sqlite3_bind_int64(st, 7, (long long)j->day);
	sqlite3_bind_int64(st, 8, (long long)j->uid);
	if (j->reply)	/* else NULL: sendlog_stmt_done() cleared the last use's */
		sqlite3_bind_text(st, 9, j->reply, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, (long long)j->updated);
	if (j->id != 0)
		sqlite3_bind_int64(st, 11, j->id);
	ok = sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(js->db) == 1;
	sendlog_stmt_done(st);
	if (ok && j->id == 0)
		j->id = sqlite3_last_insert_rowid(js->db);
	return ok ? 0 : -1;
}

/*
 * Which writes must reach the disk before the caller goes on (against a
 * power failure; every commit survives a crash of mailgate): DATA, before
 * the DATA command (a lost DATA would send again), and LOGGED for any fate
 * but sent or forwarded, before its message is moved. INTENT, ACCEPTED, a
 * sent or forwarded LOGGED and DONE join the next synced commit or
 * journey_sync_disk(), which runs before such a message is deleted: lost,
 * they only repeat an attempt that sent nothing, or leave a journey at DATA
 * whose copy in Sent recovery finds (a forward's goes to Review as
 * uncertain). One pure rule, tested.
 */
int
journey_needs_sync(enum jr_stage to, enum jr_fate fate)
{
	return to == JR_DATA || (to == JR_LOGGED && fate != JF_SENT && fate != JF_FORWARDED);
}

static int
jr_begin(struct journeys *js, int sync, char *err, size_t errlen)
{
	return sync ? sendlog_begin(js->log, err, errlen) :
	    sendlog_begin_grouped(js->log, err, errlen);
}

/* jr_store() with the waiting DONE steps, in one transaction. */
static int jr_store_with_lazy(struct journeys *js, struct journey *j, char *err, size_t errlen)
{
	long long id = j->id;

	if (jr_begin(js, journey_needs_sync(j->stage, j->fate), err, errlen) < 0)
		return -1;
	if (jr_lazy_flush(js) < 0 || jr_store(js, j) < 0) {
		sendlog_db_error(js->log, err, errlen);
		sendlog_rollback(js->log);
		j->id = id;
		return -1;
	}
	if (sendlog_commit(js->log, err, errlen) < 0) {
		j->id = id;
		return -1;
	}
	js->nlazy = 0;
	return 0;
}

/* A step that happened outside: its record must survive a refused write. */
static int
jr_step_taken(enum jr_stage to)
{
	return to == JR_ACCEPTED || to == JR_DONE;
}

static int
jr_check(const struct journey *j, enum jr_stage to, enum jr_fate fate, char *err, size_t errlen)
{
	if (journey_allowed(j->stage, to, fate))
		return 0;
	snprintf(err, errlen, "internal error: journey of <%s> cannot go from %s to %s (%s)",
	    j->message_id, journey_stage_name(j->stage), journey_stage_name(to),
	    journey_fate_name(fate));
	return -1;
}

static void
jr_apply(struct journey *j, enum jr_stage to, enum jr_fate fate)
{
	j->stage = to;
	if (fate != JF_PENDING)
		j->fate = fate;
	j->updated = time(NULL);
}

int
journey_advance(struct journeys *js, struct journey *j, enum jr_stage to, enum jr_fate fate,
    char *err, size_t errlen)
{
	struct journey next;

	if (jr_check(j, to, fate, err, errlen) < 0)
		return -1;
	next = *j;
	jr_apply(&next, to, fate);
	if (jr_store_with_lazy(js, &next, err, errlen) == 0) {
		*j = next;
		jr_memo_forget(js, j);
		return 0;
	}
	if (!jr_step_taken(to) || j->id == 0)
		return -1;
	*j = next;
	if (jr_memo_keep(js, j) < 0)
		snprintf(err, errlen, "internal error: too many journeys wait for the send log");
	return -1;
}

int
journey_log(struct journeys *js, struct journey *j, enum jr_fate fate,
    const struct sendlog_row *rows, size_t nrows, char *err, size_t errlen)
{
	struct journey next;

	if (jr_check(j, JR_LOGGED, fate, err, errlen) < 0)
		return -1;
	next = *j;
	jr_apply(&next, JR_LOGGED, fate);
	if (jr_begin(js, journey_needs_sync(JR_LOGGED, next.fate), err, errlen) < 0)
		return -1;
	if (sendlog_add_rows(js->log, rows, nrows, err, errlen) < 0)
		goto fail;
	if (jr_lazy_flush(js) < 0 || jr_store(js, &next) < 0) {
		sendlog_db_error(js->log, err, errlen);
		goto fail;
	}
	if (sendlog_commit(js->log, err, errlen) < 0)
		return -1;
	js->nlazy = 0;
	*j = next;
	jr_memo_forget(js, j);
	return 0;
fail:
	sendlog_rollback(js->log);
	return -1;
}

int
journey_done_lazy(struct journeys *js, struct journey *j, char *err, size_t errlen)
{
	if (jr_check(j, JR_DONE, JF_PENDING, err, errlen) < 0)
		return -1;
	if (j->id == 0 || js->nlazy == JR_LAZY_MAX || jr_memo_find(js, j->dir, j->message_id))
		return journey_advance(js, j, JR_DONE, JF_PENDING, err, errlen);
	js->lazy[js->nlazy++] = j->id;
	jr_apply(j, JR_DONE, JF_PENDING);
	return 0;
}

int
journey_sync(struct journeys *js)
{
	char err[256];

	if (js->nlazy > 0) {
		if (sendlog_begin_grouped(js->log, err, sizeof(err)) < 0)
			return -1;
		if (jr_lazy_flush(js) < 0) {
			sendlog_rollback(js->log);
			return -1;
		}
		if (sendlog_commit(js->log, err, sizeof(err)) < 0)
			return -1;
		js->nlazy = 0;
	}
	while (js->nmemo > 0) {
		if (jr_store(js, &js->memo[0]) < 0)
			return -1;
		journey_clear(&js->memo[0]);
		memmove(&js->memo[0], &js->memo[1], (js->nmemo - 1) * sizeof(js->memo[0]));
		js->nmemo--;
	}
	return 0;
}

int
journey_sync_disk(struct journeys *js, char *err, size_t errlen)
{
	return sendlog_sync(js->log, err, errlen);
}

int
journey_purge(struct journeys *js, time_t cutoff)
{
	sqlite3_stmt *st;
	int ok;

	if ((st = sendlog_stmt(js->log, &jr_stmts, JR_ST_PURGE)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (long long)cutoff);
	ok = sqlite3_step(st) == SQLITE_DONE;
	sendlog_stmt_done(st);
	return ok ? 0 : -1;
}
