/*
 * mode - the sending mode and its changes; see include/mode.h. Each change
 * is a chained log row (kind mode), which decides the mode; the state value
 * "MODE<TAB>SINCE<TAB>WHO<TAB>REASON", written in the same transaction,
 * keeps the since-when of an outage.
 */
#include "mode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "state.h"
#include "util.h"

static const char *const mode_names[] = { "normal", "outage", "clerical", "suspended" };

/* The newest mode row, read before every message: kept prepared on the log's handle. */
enum mode_stmt { MODE_ST_LAST, MODE_NSTMTS };

static const char *const mode_sql[MODE_NSTMTS] = {
	[MODE_ST_LAST] = "SELECT outcome, time, submitted_by, detail FROM log WHERE kind = 'mode'"
	    " ORDER BY seq DESC LIMIT 1",
};

static const struct sendlog_stmts mode_stmts = { SENDLOG_STMTS_MODE, MODE_NSTMTS, mode_sql };

const char *
mode_name(enum mg_mode m)
{
	return (unsigned)m < 4 ? mode_names[m] : "unknown";
}

/* The mode a name gives; -1 for a name that is not one. */
static int
mode_parse(const char *name)
{
	int i;

	for (i = 0; i < 4; i++)
		if (name != NULL && strcmp(name, mode_names[i]) == 0)
			return i;
	return -1;
}

/* The state value "MODE<TAB>SINCE<TAB>WHO<TAB>REASON"; 1 read, 0 absent, -1 unreadable. */
static int
mode_from_state(struct sendlog *sl, struct mode_state *out)
{
	char *v = NULL, *f[4], *p;
	int i, m;

	i = state_get(sl, "mode", &v);
	if (i <= 0)
		return i;
	for (i = 0, p = v; i < 4; i++) {
		f[i] = p;
		p = strchr(p, '\t');
		if (p == NULL && i < 3) {
			free(v);
			return -1;
		}
		if (p)
			*p++ = '\0';
	}
	if ((m = mode_parse(f[0])) < 0) {
		free(v);
		return -1;
	}
	out->mode = (enum mg_mode)m;
	out->since = (time_t)strtoll(f[1], NULL, 10);
	snprintf(out->who, sizeof(out->who), "%s", f[2]);
	snprintf(out->reason, sizeof(out->reason), "%s", f[3]);
	free(v);
	return 1;
}

/* The newest mode row of the chain; 1 found, 0 none, -1 unreadable. */
static int
mode_from_chain(struct sendlog *sl, struct mode_state *out)
{
	sqlite3_stmt *st;
	const char *detail;
	int rc, m = -1;

	if ((st = sendlog_stmt(sl, &mode_stmts, MODE_ST_LAST)) == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && (m = mode_parse((const char *)sqlite3_column_text(st, 0))) >= 0) {
		out->mode = (enum mg_mode)m;
		out->since = (time_t)sqlite3_column_int64(st, 1);
		snprintf(out->who, sizeof(out->who), "%s",
		    sqlite3_column_text(st, 2) ? (const char *)sqlite3_column_text(st, 2) : "");
		detail = (const char *)sqlite3_column_text(st, 3);
		/* the row's detail is "MODE: REASON" */
		if (detail != NULL && strchr(detail, ':') != NULL)
			detail = strchr(detail, ':') + 1 + (strchr(detail, ':')[1] == ' ');
		snprintf(out->reason, sizeof(out->reason), "%s", detail ? detail : "");
	}
	sendlog_stmt_done(st);
	if (rc == SQLITE_DONE)
		return 0;
	return rc == SQLITE_ROW && m >= 0 ? 1 : -1;
}

/*
 * The chain decides the mode; the state value only adds what the row does
 * not carry (an outage's since), and stands alone once the rows are
 * purged. A state that disagrees with the chain (edited outside mailgate)
 * is ignored.
 */
int
mode_get(struct sendlog *sl, struct mode_state *out)
{
	struct mode_state chain, state;
	int c, s;

	memset(out, 0, sizeof(*out));
	out->mode = MODE_NORMAL;
	memset(&chain, 0, sizeof(chain));
	memset(&state, 0, sizeof(state));
	if ((c = mode_from_chain(sl, &chain)) < 0)
		return -1;
	s = mode_from_state(sl, &state);
	if (c == 0) {
		/* no mode row left (purged after three months): the state is all there is */
		if (s == 1)
			*out = state;
		return s < 0 ? -1 : 0;
	}
	*out = s == 1 && state.mode == chain.mode && strcmp(state.who, chain.who) == 0 ? state :
	    chain;
	return 0;
}

/* Tabs and line breaks would break the state value and the log's one-line output. */
static char *
mode_clean(const char *s)
{
	char *c = xstrdup(s ? s : ""), *p;

	for (p = c; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	return c;
}

int
mode_set(struct sendlog *sl, enum mg_mode m, const char *reason, const char *who, time_t now,
    char *err, size_t errlen)
{
	return mode_set_since(sl, m, reason, who, now, now, err, errlen);
}

int
mode_set_since(struct sendlog *sl, enum mg_mode m, const char *reason, const char *who,
    time_t now, time_t since, char *err, size_t errlen)
{
	struct sendlog_row r;
	char *rs = mode_clean(reason), *ws = mode_clean(who), *value, *detail;
	int rc;

	if (*str_trim(rs) == '\0') {
		snprintf(err, errlen, m == MODE_NORMAL ? "resuming needs the text saying how the "
		    "department was informed" : "a reason is needed");
		free(rs);
		free(ws);
		return -1;
	}
	value = xasprintf("%s\t%lld\t%s\t%s", mode_name(m), (long long)since, ws, rs);
	detail = xasprintf("%s: %s", mode_name(m), rs);
	memset(&r, 0, sizeof(r));
	r.time = now;
	r.kind = "mode";
	r.records = -1;
	r.outcome = mode_name(m);
	r.submitted_by = ws;
	r.detail = detail;
	rc = state_set(sl, &r, "mode", value, err, errlen);
	free(value);
	free(detail);
	free(rs);
	free(ws);
	return rc;
}

/* "WHEN<TAB>FROM<TAB>MESSAGE-ID": tabs cannot be in either (a Message-ID, an address). */
int
mode_reintro_get(struct sendlog *sl, struct mode_reintro *out)
{
	char *v = NULL, *from, *mid, *end;
	long long when;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = state_get(sl, "reintroduction", &v)) <= 0)
		return rc;
	when = strtoll(v, &end, 10);
	from = *end == '\t' ? end + 1 : NULL;
	mid = from ? strchr(from, '\t') : NULL;
	if (mid == NULL || when <= 0) {
		free(v);
		return -1;
	}
	*mid++ = '\0';
	out->when = (time_t)when;
	snprintf(out->from, sizeof(out->from), "%s", from);
	snprintf(out->message_id, sizeof(out->message_id), "%s", mid);
	free(v);
	return 1;
}

int
mode_reintro_set(struct sendlog *sl, const struct mode_reintro *r, char *err, size_t errlen)
{
	char from[sizeof(r->from)], mid[sizeof(r->message_id)], *v, *p;
	int rc;

	/* a hostile field's own tabs and line breaks would break the value: spaces */
	snprintf(from, sizeof(from), "%s", r->from);
	snprintf(mid, sizeof(mid), "%s", r->message_id);
	for (p = from; (p = strpbrk(p, "\t\r\n")) != NULL; )
		*p = ' ';
	for (p = mid; (p = strpbrk(p, "\t\r\n")) != NULL; )
		*p = ' ';
	v = xasprintf("%lld\t%s\t%s", (long long)r->when, from, mid);
	rc = state_set(sl, NULL, "reintroduction", v, err, errlen);
	free(v);
	return rc;
}
