/*
 * logquery - read-only questions of the send log; see include/logquery.h.
 * The only SQL against the log's tables outside sendlog.c lives here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "logquery.h"
#include "util.h"

void
lq_filter_init(struct lq_filter *f)
{
	memset(f, 0, sizeof(*f));
}

void
lq_filter_add(struct lq_filter *f, enum lq_field field, const char *value)
{
	if ((unsigned)field >= LQ_NFIELDS)
		abort();	/* a caller's bug, not input */
	f->v[field] = xreallocarray(f->v[field], f->n[field] + 1, sizeof(char *));
	f->v[field][f->n[field]++] = field == LQ_MESSAGE_ID ? logquery_msgid(value) :
	    xstrdup(value);
}

void
lq_filter_free(struct lq_filter *f)
{
	int i;

	for (i = 0; i < LQ_NFIELDS; i++)
		strv_free(f->v[i], f->n[i]);
	memset(f, 0, sizeof(*f));
}

char *
logquery_msgid(const char *s)
{
	const char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e - s >= 2 && *s == '<' && e[-1] == '>') {
		s++;
		e--;
	}
	return xstrndup(s, (size_t)(e - s));
}

/* How each field is matched: the column compared and what the value becomes. */
static const struct {
	const char *lhs, *rhs;
} lq_match[LQ_NFIELDS] = {
	[LQ_PROCESS] = { "process", "?" },
	[LQ_RECIPIENT] = { "recipient", "lower(?)" },	/* stored in lower case */
	[LQ_ORG] = { "lower(org)", "lower(?)" },
	[LQ_CLASS] = { "rclass", "?" },
	[LQ_DIRECTION] = { "direction", "?" },
	[LQ_MESSAGE_ID] = { "lower(message_id)", "lower(?)" },	/* index log_msgid_ci */
	[LQ_OUTCOME] = { "outcome", "?" },
	[LQ_PERSON] = { "seq IN (SELECT seq FROM person WHERE hmac", "?" },
};

/* Appends " AND col IN (?, ...)" for each field with values. */
static void
lq_where(const struct lq_filter *f, struct sbuf *sql)
{
	size_t i;
	int k;

	sbuf_adds(sql, " WHERE kind = 'message'");
	if (f->has_since)
		sbuf_adds(sql, " AND time >= ?");
	if (f->has_until)
		sbuf_adds(sql, " AND time <= ?");
	for (k = 0; k < LQ_NFIELDS; k++) {
		if (f->n[k] == 0)
			continue;
		sbuf_printf(sql, " AND %s IN (", lq_match[k].lhs);
		for (i = 0; i < f->n[k]; i++)
			sbuf_printf(sql, "%s%s", i ? ", " : "", lq_match[k].rhs);
		sbuf_adds(sql, k == LQ_PERSON ? "))" : ")");
	}
}

static void
lq_bind(sqlite3_stmt *st, const struct lq_filter *f)
{
	int p = 1, k;
	size_t i;

	if (f->has_since)
		sqlite3_bind_int64(st, p++, (long long)f->since);
	if (f->has_until)
		sqlite3_bind_int64(st, p++, (long long)f->until);
	for (k = 0; k < LQ_NFIELDS; k++)
		for (i = 0; i < f->n[k]; i++)
			sqlite3_bind_text(st, p++, f->v[k][i], -1, SQLITE_STATIC);
}

static int
lq_fail(struct sendlog *sl, char *err, size_t errlen)
{
	snprintf(err, errlen, "send log: %s", sqlite3_errmsg(sendlog_db(sl)));
	return -1;
}

static const char *
lq_text(sqlite3_stmt *st, int c)
{
	return (const char *)sqlite3_column_text(st, c);
}

int
logquery_messages(struct sendlog *sl, const struct lq_filter *f, lq_row_fn *fn, void *arg,
    char *err, size_t errlen)
{
	struct sbuf sql;
	sqlite3_stmt *st;
	struct lq_row r;
	int rc, stop = 0;

	sbuf_init(&sql);
	sbuf_adds(&sql, "SELECT seq, time, direction, process, recipient, rclass, org, outcome,"
	    " records, message_id, reasons, submitted_by, policy_version FROM log");
	lq_where(f, &sql);
	/* the order of log_time (time, then seq): no sort of the rows */
	sbuf_adds(&sql, " ORDER BY time, seq");
	rc = sqlite3_prepare_v2(sendlog_db(sl), sql.data, -1, &st, NULL);
	sbuf_free(&sql);
	if (rc != SQLITE_OK)
		return lq_fail(sl, err, errlen);
	lq_bind(st, f);
	while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.seq = sqlite3_column_int64(st, 0);
		r.time = (time_t)sqlite3_column_int64(st, 1);
		r.direction = lq_text(st, 2);
		r.process = lq_text(st, 3);
		r.recipient = lq_text(st, 4);
		r.rclass = lq_text(st, 5);
		r.org = lq_text(st, 6);
		r.outcome = lq_text(st, 7);
		r.records = sqlite3_column_type(st, 8) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 8);
		r.message_id = lq_text(st, 9);
		r.reasons = lq_text(st, 10);
		r.submitted_by = lq_text(st, 11);
		r.policy_version = lq_text(st, 12);
		stop = fn(&r, arg);
	}
	if (stop == 0 && rc != SQLITE_DONE) {
		lq_fail(sl, err, errlen);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return stop;
}

int
logquery_values(struct sendlog *sl, enum lq_field field, char ***out, size_t *n, char *err,
    size_t errlen)
{
	static const char *const col[LQ_NFIELDS] = { [LQ_PROCESS] = "process",
		[LQ_RECIPIENT] = "recipient", [LQ_ORG] = "org", [LQ_CLASS] = "rclass",
		[LQ_DIRECTION] = "direction", [LQ_MESSAGE_ID] = "message_id",
		[LQ_OUTCOME] = "outcome" };
	sqlite3_stmt *st;
	char *sql;
	int rc;

	if ((unsigned)field >= LQ_NFIELDS || col[field] == NULL)
		abort();	/* LQ_PERSON has no values to list: a caller's bug */
	*out = NULL;
	*n = 0;
	sql = xasprintf("SELECT DISTINCT %s FROM log WHERE kind = 'message' AND %s IS NOT NULL"
	    " ORDER BY 1", col[field], col[field]);
	rc = sqlite3_prepare_v2(sendlog_db(sl), sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return lq_fail(sl, err, errlen);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xreallocarray(*out, *n + 1, sizeof(char *));
		(*out)[(*n)++] = xstrdup(lq_text(st, 0));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		strv_free(*out, *n);
		*out = NULL;
		*n = 0;
		return lq_fail(sl, err, errlen);
	}
	return 0;
}

/* The incident of a pair, added at the end when new. */
static struct lq_incident *
lq_incident_of(struct lq_incident **v, size_t *n, const char *mid, const char *rcpt)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (ascii_strcasecmp((*v)[i].message_id, mid) == 0 &&
		    ascii_strcasecmp((*v)[i].recipient, rcpt) == 0)
			return &(*v)[i];
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	memset(&(*v)[*n], 0, sizeof(**v));
	(*v)[*n].message_id = xstrdup(mid);
	(*v)[*n].recipient = xstrdup(rcpt);
	return &(*v)[(*n)++];
}

/* The note of an action row: its detail is "action" or "action: note". */
static char *
lq_note(const char *action, const char *detail)
{
	size_t n = strlen(action);

	if (detail == NULL || strncmp(detail, action, n) != 0 || strncmp(detail + n, ": ", 2) != 0)
		return NULL;
	return xstrdup(detail + n + 2);
}

int
logquery_incidents(struct sendlog *sl, struct lq_incident **out, size_t *n, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(sendlog_db(sl), "SELECT time, coalesce(message_id, ''),"
	    " coalesce(recipient, ''), coalesce(outcome, ''), detail, coalesce(submitted_by, '')"
	    " FROM log WHERE kind = 'incident' ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		return lq_fail(sl, err, errlen);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct lq_incident *in = lq_incident_of(out, n, lq_text(st, 1), lq_text(st, 2));
		struct lq_action *a;

		in->actions = xreallocarray(in->actions, in->nactions + 1, sizeof(*in->actions));
		a = &in->actions[in->nactions++];
		a->time = (time_t)sqlite3_column_int64(st, 0);
		a->action = xstrdup(lq_text(st, 3));
		a->note = lq_note(a->action, lq_text(st, 4));
		a->who = xstrdup(lq_text(st, 5));
		if (strcmp(a->action, "deletion-confirmed") == 0)
			in->closed = 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		logquery_incidents_free(*out, *n);
		*out = NULL;
		*n = 0;
		return lq_fail(sl, err, errlen);
	}
	return 0;
}

void
logquery_incidents_free(struct lq_incident *v, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < v[i].nactions; j++) {
			free(v[i].actions[j].action);
			free(v[i].actions[j].note);
			free(v[i].actions[j].who);
		}
		free(v[i].actions);
		free(v[i].message_id);
		free(v[i].recipient);
	}
	free(v);
}

/* On failure nothing is left for the caller to free. */
static int
lq_modes_fail(struct sendlog *sl, struct lq_mode *before, int *have_before, char *err,
    size_t errlen)
{
	if (*have_before)
		logquery_mode_clear(before);
	*have_before = 0;
	return lq_fail(sl, err, errlen);
}

static void
lq_mode_read(sqlite3_stmt *st, struct lq_mode *m)
{
	m->time = (time_t)sqlite3_column_int64(st, 0);
	m->mode = xstrdup(lq_text(st, 1));
	m->detail = xstrdup(lq_text(st, 2));
	m->who = xstrdup(lq_text(st, 3));
}

int
logquery_modes(struct sendlog *sl, time_t since, time_t until, struct lq_mode **out,
    size_t *n, struct lq_mode *before, int *have_before, char *err, size_t errlen)
{
	static const char cols[] = "SELECT time, coalesce(outcome, ''), coalesce(detail, ''),"
	    " coalesce(submitted_by, '') FROM log WHERE kind = 'mode' AND ";
	sqlite3_stmt *st;
	char *sql;
	int rc;

	*out = NULL;
	*n = 0;
	*have_before = 0;
	sql = xasprintf("%s time < ?1 ORDER BY seq DESC LIMIT 1", cols);
	rc = sqlite3_prepare_v2(sendlog_db(sl), sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return lq_fail(sl, err, errlen);
	sqlite3_bind_int64(st, 1, (long long)since);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		lq_mode_read(st, before);
		*have_before = 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return lq_modes_fail(sl, before, have_before, err, errlen);
	sql = xasprintf("%s time >= ?1 AND time <= ?2 ORDER BY seq", cols);
	rc = sqlite3_prepare_v2(sendlog_db(sl), sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return lq_modes_fail(sl, before, have_before, err, errlen);
	sqlite3_bind_int64(st, 1, (long long)since);
	sqlite3_bind_int64(st, 2, (long long)until);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		lq_mode_read(st, &(*out)[(*n)++]);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		logquery_modes_free(*out, *n);
		*out = NULL;
		*n = 0;
		return lq_modes_fail(sl, before, have_before, err, errlen);
	}
	return 0;
}

void
logquery_mode_clear(struct lq_mode *m)
{
	free(m->mode);
	free(m->detail);
	free(m->who);
	memset(m, 0, sizeof(*m));
}

void
logquery_modes_free(struct lq_mode *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		logquery_mode_clear(&v[i]);
	free(v);
}

int
logquery_has_sent(struct sendlog *sl, const char *message_id, const char *recipient)
{
	sqlite3_stmt *st;
	char *mid = logquery_msgid(message_id);
	int rc;

	if (sqlite3_prepare_v2(sendlog_db(sl), "SELECT 1 FROM log WHERE kind = 'message' AND"
	    " outcome = 'sent' AND lower(message_id) = lower(?) AND recipient = lower(?) LIMIT 1",
	    -1, &st, NULL) != SQLITE_OK) {
		free(mid);
		return -1;
	}
	sqlite3_bind_text(st, 1, mid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, recipient, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	free(mid);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}
