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

int
state_get(struct sendlog *log, const char *key, char **value)
{
	sqlite3_stmt *st;
	int rc;

	*value = NULL;
	rc = sqlite3_prepare_v2(sendlog_db(log), "SELECT value FROM state WHERE key = ?", -1, &st,
	    NULL);
	if (rc != SQLITE_OK) {
		/* a log no writer has opened since state existed has no table: nothing set */
		return strstr(sqlite3_errmsg(sendlog_db(log)), "no such table") ? 0 : -1;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*value = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int
state_write(struct sendlog *log, const char *key, const char *value)
{
	sqlite3 *db = sendlog_db(log);
	sqlite3_stmt *st;
	int ok;

	if (sqlite3_exec(db, state_schema, NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, value ? "INSERT OR REPLACE INTO state(key, value) VALUES (?, ?)" :
	    "DELETE FROM state WHERE key = ?", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (value)
		sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	ok = sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
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
