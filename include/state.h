/*
 * state - the daemon's small key-value state (the mode, the outage clock,
 * the time of the last warning of each kind), kept in the send log's
 * database so that a value and the log row that explains it are written in
 * one transaction and never disagree. Not chained and not purged: the rows
 * are the record, a value is only "where we are now".
 *
 *	char *v;
 *	if (state_get(log, "mode", &v) == 1) ... free(v);
 *	state_set(log, &row, "mode", "clerical\t...", err, sizeof err);
 */
#ifndef MG_STATE_H
#define MG_STATE_H

#include <stddef.h>

#include "sendlog.h"

/*
 * Makes the table where it is missing (writers: the daemon at start, so
 * that reads find it and their statement is prepared once, not failed
 * anew before every message). 0, or -1 with err.
 */
int state_create(struct sendlog *log, char *err, size_t errlen);
/* 1 found (*value malloc'd), 0 absent (a log the daemon never wrote too), -1 error. */
int state_get(struct sendlog *log, const char *key, char **value);
/*
 * Sets key to value (NULL removes it) and, when row is not NULL, appends
 * that row, in one transaction. 0, or -1 with err (nothing changed).
 */
int state_set(struct sendlog *log, const struct sendlog_row *row, const char *key,
    const char *value, char *err, size_t errlen);

#endif
