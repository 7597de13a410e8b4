/*
 * state - key-value state beside the send log; see include/state.h.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "state.h"
#include "util.h"

static const char state_schema[] =
    "CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value TEXT NOT NULL)";

/* The statements, kept prepared on the log's handle (sendlog_stmt). */
enum state_stmt { STATE_ST_GET, STATE_ST_PUT, STATE_ST_DELETE, STATE_NSTMTS };

static const char *const state_sql[STATE_NSTMTS] = {
	[STATE_ST_GET] = "SELECT value FROM state WHERE key = ?",
	[STATE_ST_PUT] = "INSERT OR REPLACE INTO state(key, value) VALUES (?, ?)",
	[STATE_ST_DELETE] = "DELETE FROM state WHERE key = ?",
};

static const struct sendlog_stmts state_stmts = { SENDLOG_STMTS_STATE, STATE_NSTMTS, state_sql };

int
state_create(struct sendlog *log, char *err, size_t errlen)
{
	if (sqlite3_exec(sendlog_db(log), state_schema, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	sendlog_db_error(log, err, errlen);
	return -1;
}

int
state_get(struct sendlog *log, const char *key, char **value)
{
	sqlite3_stmt *st;
	int rc;

	*value = NULL;
	if ((st = sendlog_stmt(log, &state_stmts, STATE_ST_GET)) == NULL) {
		/* a log no writer has opened since state existed has no table: nothing set */
		return strstr(sqlite3_errmsg(sendlog_db(log)), "no such table") ? 0 : -1;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*value = xstrdup((const char *)sqlite3_column_text(st, 0));
	sendlog_stmt_done(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int
state_write(struct sendlog *log, const char *key, const char *value)
{
	char err[256];
	sqlite3_stmt *st;
	int ok;

	/* the first value of a log no daemon has opened since state existed */
	if (state_create(log, err, sizeof(err)) < 0)
		return -1;
	if ((st = sendlog_stmt(log, &state_stmts, value ? STATE_ST_PUT : STATE_ST_DELETE)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (value)
		sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	ok = sqlite3_step(st) == SQLITE_DONE;
	sendlog_stmt_done(st);
	return ok ? 0 : -1;
}

int
state_set(struct sendlog *log, const struct sendlog_row *row, const char *key,
    const char *value, char *err, size_t errlen)
{
	if (sendlog_begin(log, err, errlen) < 0)
		return -1;
	if (row != NULL && sendlog_add_rows(log, row, 1, err, errlen) < 0)
		goto fail;
	if (state_write(log, key, value) < 0) {
		sendlog_db_error(log, err, errlen);
		goto fail;
	}
	return sendlog_commit(log, err, errlen);
fail:
	sendlog_rollback(log);
	return -1;
}
