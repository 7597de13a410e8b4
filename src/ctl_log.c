/*
 * ctl_log - "mailgatectl log query|report|verify|head|purge" and
 * "mailgatectl incident misdirected|list": the send log for compliance
 * staff, who query and verify it, and for its owner, who purges it and
 * records incidents. Readers need only read access to state_dir (and the
 * log key for --nino); writers must own state_dir.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "ctl.h"
#include "ctl_common.h"
#include "ctl_deletion.h"
#include "nino.h"
#include "sendlog.h"
#include "util.h"
#include "verdict.h"

enum fmt { FMT_TABLE, FMT_CSV, FMT_JSON };

struct q_opts {
	const char *since, *until, *process, *recipient, *org, *cls, *direction, *message_id,
	    *nino, *outcome, *month;
	enum fmt fmt;
};

static int
log_fmt(const char *v, enum fmt *f)
{
	if (strcmp(v, "table") == 0)
		*f = FMT_TABLE;
	else if (strcmp(v, "csv") == 0)
		*f = FMT_CSV;
	else if (strcmp(v, "json") == 0)
		*f = FMT_JSON;
	else
		return ctl_usage_error("--format: '%s' is not table, csv or json", v);
	return 0;
}

/* Options shared by query and report; returns 0 or an exit code. */
static int
log_parse(int argc, char **argv, int first, struct q_opts *o)
{
	static const struct { const char *name; size_t off; } opt[] = {
		{ "--since", offsetof(struct q_opts, since) }, { "--until", offsetof(struct q_opts, until) },
		{ "--process", offsetof(struct q_opts, process) },
		{ "--recipient", offsetof(struct q_opts, recipient) },
		{ "--org", offsetof(struct q_opts, org) }, { "--class", offsetof(struct q_opts, cls) },
		{ "--direction", offsetof(struct q_opts, direction) },
		{ "--message-id", offsetof(struct q_opts, message_id) },
		{ "--nino", offsetof(struct q_opts, nino) }, { "--outcome", offsetof(struct q_opts, outcome) },
		{ "--month", offsetof(struct q_opts, month) },
	};
	int i;
	size_t k;

	memset(o, 0, sizeof(*o));
	for (i = first; i < argc; i++) {
		int found = 0;

		if (strcmp(argv[i], "--format") == 0) {
			if (i + 1 >= argc)
				return ctl_usage_error("--format needs table, csv or json");
			if (log_fmt(argv[++i], &o->fmt))
				return 2;
			continue;
		}
		for (k = 0; k < sizeof(opt) / sizeof(opt[0]); k++)
			if (strcmp(argv[i], opt[k].name) == 0) {
				if (i + 1 >= argc)
					return ctl_usage_error("%s needs a value", argv[i]);
				*(const char **)((char *)o + opt[k].off) = argv[++i];
				found = 1;
			}
		if (!found)
			return ctl_usage_error("log: unknown option '%s'", argv[i]);
	}
	return 0;
}

static void
csv_field(FILE *fp, const char *s)
{
	if (s == NULL)
		return;
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

#define LOG_NCOLS 10
static const char *const log_cols[LOG_NCOLS] = { "time", "direction", "process", "recipient",
	"recipient_class", "org", "outcome", "records", "message_id", "reasons" };

struct table {
	char **cells;	/* rows x LOG_NCOLS, NULL for absent */
	size_t nrows;
};

static void
table_print(const struct table *t, const char *const *cols, size_t ncols, FILE *fp)
{
	size_t w[16] = { 0 }, r, c;

	for (c = 0; c < ncols; c++)
		w[c] = strlen(cols[c]);
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < ncols; c++) {
			const char *s = t->cells[r * ncols + c];
			size_t n = s ? strlen(s) : 1;

			if (n > w[c])
				w[c] = n;
		}
	/* the last column is not padded: no trailing blanks */
	for (c = 0; c < ncols; c++)
		fprintf(fp, "%-*s%s", c + 1 < ncols ? (int)w[c] : 0, cols[c], c + 1 < ncols ? "  " : "\n");
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < ncols; c++) {
			const char *s = t->cells[r * ncols + c];

			fprintf(fp, "%-*s%s", c + 1 < ncols ? (int)w[c] : 0, s ? s : "-",
			    c + 1 < ncols ? "  " : "\n");
		}
}

/* Binds the filters in the order log_where() wrote them. */
struct binds {
	const char *text[16];
	long long num[16];
	int is_num[16];
	int n;
};

static void
bind_text(struct binds *b, const char *s)
{
	b->text[b->n] = s;
	b->is_num[b->n++] = 0;
}

static void
bind_num(struct binds *b, long long v)
{
	b->num[b->n] = v;
	b->is_num[b->n++] = 1;
}

static int
log_where(struct sendlog *sl, const struct q_opts *o, struct sbuf *sql, struct binds *b,
    char hm[65])
{
	time_t t;

	sbuf_adds(sql, " WHERE kind = 'message'");
	if (o->since) {
		if (!sendlog_parse_time(o->since, 0, &t))
			return ctl_usage_error("--since: '%s' is not a date or an ISO 8601 time", o->since);
		sbuf_adds(sql, " AND time >= ?");
		bind_num(b, (long long)t);
	}
	if (o->until) {
		if (!sendlog_parse_time(o->until, 1, &t))
			return ctl_usage_error("--until: '%s' is not a date or an ISO 8601 time", o->until);
		sbuf_adds(sql, " AND time <= ?");
		bind_num(b, (long long)t);
	}
#define EQ(field, col) if (o->field) { sbuf_adds(sql, " AND " col " = ?"); bind_text(b, o->field); }
	EQ(process, "process")
	EQ(org, "org")
	EQ(cls, "rclass")
	EQ(direction, "direction")
	EQ(message_id, "message_id")
	EQ(outcome, "outcome")
#undef EQ
	if (o->recipient) {
		sbuf_adds(sql, " AND recipient = lower(?)");
		bind_text(b, o->recipient);
	}
	if (o->nino) {
		char stem[NINO_STEM_LEN + 1];

		if (!nino_parse(o->nino, 0, stem))
			return ctl_usage_error("--nino: '%s' is not a National Insurance number", o->nino);
		sendlog_person(sl, stem, hm);
		sbuf_adds(sql, " AND seq IN (SELECT seq FROM person WHERE hmac = ?)");
		bind_text(b, hm);
	}
	return 0;
}

static void
log_bind(sqlite3_stmt *st, const struct binds *b)
{
	int i;

	for (i = 0; i < b->n; i++) {
		if (b->is_num[i])
			sqlite3_bind_int64(st, i + 1, b->num[i]);
		else
			sqlite3_bind_text(st, i + 1, b->text[i], -1, SQLITE_STATIC);
	}
}

static void
log_json_row(FILE *fp, sqlite3_stmt *st, int first)
{
	struct sbuf b;
	char ts[21];
	int c;

	sbuf_init(&b);
	sendlog_time((time_t)sqlite3_column_int64(st, 0), ts);
	sbuf_printf(&b, "%s{\"time\": \"%s\"", first ? "" : ",\n ", ts);
	for (c = 1; c < 12; c++) {
		const char *v = (const char *)sqlite3_column_text(st, c);
		static const char *names[] = { "", "direction", "process", "recipient",
			"recipient_class", "org", "outcome", "records", "message_id", "reasons",
			"submitted_by", "policy_version" };

		sbuf_printf(&b, ", \"%s\": ", names[c]);
		if (c == 7) {
			if (v)
				sbuf_adds(&b, v);
			else
				sbuf_adds(&b, "null");
		} else if (c == 9) {
			char *dup = xstrdup(v ? v : ""), *tok, *save = NULL;
			int n = 0;

			sbuf_addc(&b, '[');
			for (tok = strtok_r(dup, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
				if (n++)
					sbuf_adds(&b, ", ");
				json_add_string(&b, tok);
			}
			sbuf_addc(&b, ']');
			free(dup);
		} else {
			json_add_string(&b, v);
		}
	}
	sbuf_addc(&b, '}');
	fwrite(b.data, 1, b.len, fp);
	sbuf_free(&b);
}

static int
log_query(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct q_opts o;
	struct binds b;
	struct sbuf sql;
	struct table t = { NULL, 0 };
	struct sendlog *sl;
	sqlite3_stmt *st;
	char hm[65];
	int rc, n = 0, c;

	if ((rc = log_parse(argc, argv, 2, &o)) != 0)
		return rc;
	if (o.month)
		return ctl_usage_error("--month belongs to log report");
	if ((sl = ctl_open_log(ctx->cfg, 0, o.nino != NULL)) == NULL)
		return 2;
	memset(&b, 0, sizeof(b));
	sbuf_init(&sql);
	sbuf_adds(&sql, "SELECT time, direction, process, recipient, rclass, org, outcome, records,"
	    " message_id, reasons, submitted_by, policy_version FROM log");
	if ((rc = log_where(sl, &o, &sql, &b, hm)) != 0) {
		sbuf_free(&sql);
		sendlog_close(sl);
		return rc;
	}
	sbuf_adds(&sql, " ORDER BY seq");
	if (sqlite3_prepare_v2(sendlog_db(sl), sql.data, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s/sendlog.db: error: %s\n", ctx->cfg->state_dir,
		    sqlite3_errmsg(sendlog_db(sl)));
		sbuf_free(&sql);
		sendlog_close(sl);
		return 2;
	}
	log_bind(st, &b);
	if (o.fmt == FMT_CSV) {
		for (c = 0; c < LOG_NCOLS; c++)
			printf("%s%s", log_cols[c], c + 1 < LOG_NCOLS ? "," : "\r\n");
	} else if (o.fmt == FMT_JSON) {
		fputc('[', stdout);
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		char ts[21];

		sendlog_time((time_t)sqlite3_column_int64(st, 0), ts);
		if (o.fmt == FMT_JSON) {
			log_json_row(stdout, st, n++ == 0);
			continue;
		}
		if (o.fmt == FMT_CSV) {
			for (c = 0; c < LOG_NCOLS; c++) {
				const char *v = c == 0 ? ts : (const char *)sqlite3_column_text(st, c);

				if (c == 9 && v) {
					char *j = xstrdup(v), *p;

					for (p = j; *p; p++)
						if (*p == ' ')
							*p = ';';
					csv_field(stdout, j);
					free(j);
				} else {
					csv_field(stdout, v);
				}
				fputs(c + 1 < LOG_NCOLS ? "," : "\r\n", stdout);
			}
			continue;
		}
		t.cells = xreallocarray(t.cells, (t.nrows + 1) * LOG_NCOLS, sizeof(char *));
		for (c = 0; c < LOG_NCOLS; c++) {
			const char *v = c == 0 ? ts : (const char *)sqlite3_column_text(st, c);

			t.cells[t.nrows * LOG_NCOLS + c] = v ? xstrdup(v) : NULL;
		}
		t.nrows++;
	}
	sqlite3_finalize(st);
	if (o.fmt == FMT_JSON)
		fputs("]\n", stdout);
	if (o.fmt == FMT_TABLE) {
		table_print(&t, log_cols, LOG_NCOLS, stdout);
		printf("(%zu row%s)\n", t.nrows, t.nrows == 1 ? "" : "s");
		for (size_t i = 0; i < t.nrows * LOG_NCOLS; i++)
			free(t.cells[i]);
		free(t.cells);
	}
	sbuf_free(&sql);
	sendlog_close(sl);
	return 0;
}

static int
log_report(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const char *const cols[] = { "process", "org", "outcome", "messages", "recipients" };
	struct q_opts o;
	struct sendlog *sl;
	struct table t = { NULL, 0 };
	sqlite3_stmt *st;
	mgday first, next;
	int rc, y, m, n = 0;
	char ms[11];

	if ((rc = log_parse(argc, argv, 2, &o)) != 0)
		return rc;
	if (o.month == NULL || sscanf(o.month, "%4d-%2d", &y, &m) != 2 || strlen(o.month) != 7 ||
	    !mgday_from_ymd(y, m, 1, &first))
		return ctl_usage_error("usage: mailgatectl log report --month YYYY-MM [--format table|csv|json]");
	mgday_from_ymd(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1, &next);
	if ((sl = ctl_open_log(ctx->cfg, 0, 0)) == NULL)
		return 2;
	/* the counts kept as rows were added (see sendlog.c) */
	if (sqlite3_prepare_v2(sendlog_db(sl), "SELECT coalesce(process, '-'), coalesce(org, '-'),"
	    " outcome, messages, recipients FROM monthly WHERE month = ? ORDER BY 1, 2, 3", -1, &st,
	    NULL) != SQLITE_OK) {
		sendlog_close(sl);
		return 2;
	}
	mgday_format(first, ms);
	ms[7] = '\0';
	sqlite3_bind_text(st, 1, ms, -1, SQLITE_STATIC);
	(void)next;
	if (o.fmt == FMT_CSV)
		printf("process,org,outcome,messages,recipients\r\n");
	else if (o.fmt == FMT_JSON)
		printf("{\"month\": \"%.7s\", \"rows\": [", ms);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *v[5];
		int c;

		for (c = 0; c < 5; c++)
			v[c] = (const char *)sqlite3_column_text(st, c);
		if (o.fmt == FMT_CSV) {
			for (c = 0; c < 5; c++) {
				csv_field(stdout, v[c]);
				fputs(c < 4 ? "," : "\r\n", stdout);
			}
		} else if (o.fmt == FMT_JSON) {
			struct sbuf b;

			sbuf_init(&b);
			sbuf_adds(&b, n++ ? ", {\"process\": " : "{\"process\": ");
			json_add_string(&b, v[0]);
			sbuf_adds(&b, ", \"org\": ");
			json_add_string(&b, v[1]);
			sbuf_adds(&b, ", \"outcome\": ");
			json_add_string(&b, v[2]);
			sbuf_printf(&b, ", \"messages\": %s, \"recipients\": %s}", v[3], v[4]);
			fwrite(b.data, 1, b.len, stdout);
			sbuf_free(&b);
		} else {
			t.cells = xreallocarray(t.cells, (t.nrows + 1) * 5, sizeof(char *));
			for (c = 0; c < 5; c++)
				t.cells[t.nrows * 5 + c] = xstrdup(v[c] ? v[c] : "-");
			t.nrows++;
		}
	}
	sqlite3_finalize(st);
	if (o.fmt == FMT_JSON)
		printf("]}\n");
	if (o.fmt == FMT_TABLE) {
		printf("Send log report for %.7s (UTC)\n\n", ms);
		table_print(&t, cols, 5, stdout);
		for (size_t i = 0; i < t.nrows * 5; i++)
			free(t.cells[i]);
		free(t.cells);
	}
	sendlog_close(sl);
	return 0;
}

static int
log_verify(struct ctl_ctx *ctx, int argc, char **argv)
{
	const char *head = NULL;
	struct sendlog *sl;
	char what[512];
	int rc;

	if (argc == 4 && strcmp(argv[2], "--head") == 0)
		head = argv[3];
	else if (argc != 2)
		return ctl_usage_error("usage: mailgatectl log verify [--head HEX]");
	if ((sl = ctl_open_log(ctx->cfg, 0, 0)) == NULL)
		return 2;
	rc = sendlog_verify(sl, head, what, sizeof(what));
	sendlog_close(sl);
	if (rc < 0) {
		fprintf(stderr, "%s/sendlog.db: error: the log cannot be read\n", ctx->cfg->state_dir);
		return 2;
	}
	if (rc > 0) {
		printf("TAMPERED: %s\n", what);
		return 1;
	}
	printf("intact\n");
	return 0;
}

static int
log_head(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct sendlog *sl;
	char head[65];

	(void)argv;
	if (argc != 2)
		return ctl_usage_error("usage: mailgatectl log head");
	if ((sl = ctl_open_log(ctx->cfg, 0, 0)) == NULL)
		return 2;
	if (sendlog_head(sl, head) < 0) {
		sendlog_close(sl);
		return 2;
	}
	printf("%s\n", head);
	sendlog_close(sl);
	return 0;
}

static int
log_purge(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct sendlog *sl;
	char who[64], err[512];
	size_t removed;

	(void)argv;
	if (argc != 2)
		return ctl_usage_error("usage: mailgatectl log purge");
	if (!ctl_may_write(ctx->cfg) || (sl = ctl_open_log(ctx->cfg, 1, 1)) == NULL)
		return 2;
	if (sendlog_purge(sl, time(NULL), ctx->cfg->log_retention_months, ctl_who(who, sizeof(who)),
	    &removed, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		sendlog_close(sl);
		return 2;
	}
	printf("removed %zu rows older than %d months\n", removed, ctx->cfg->log_retention_months);
	sendlog_close(sl);
	return 0;
}

int
ctl_log(struct ctl_ctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "query") == 0)
		return log_query(ctx, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "report") == 0)
		return log_report(ctx, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return log_verify(ctx, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "head") == 0)
		return log_head(ctx, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "purge") == 0)
		return log_purge(ctx, argc, argv);
	return ctl_usage_error("usage: mailgatectl log query|report|verify|head|purge ...");
}

/* --- incidents --- */

static int
incident_has_sent(struct sendlog *sl, const char *mid, const char *rcpt)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(sendlog_db(sl), "SELECT 1 FROM log WHERE kind = 'message' AND"
	    " outcome = 'sent' AND message_id = ? AND recipient = lower(?) LIMIT 1", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, mid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, rcpt, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int
incident_add(struct ctl_ctx *ctx, int argc, char **argv)
{
	const char *mid = NULL, *rcpt = NULL, *action = NULL, *note = NULL;
	static const char *actions[] = { "alerted", "deletion-requested", "deletion-confirmed", "note" };
	struct sendlog_row r;
	struct sendlog *sl;
	char who[64], err[512], *detail, *lrcpt;
	int i, not_in_log = 0, ok = 0, rc, send = 0;
	char sentid[256];

	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--not-in-log") == 0)
			not_in_log = 1;
		else if (strcmp(argv[i], "--send") == 0)
			send = 1;
		else if (i + 1 < argc && strcmp(argv[i], "--message-id") == 0)
			mid = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--recipient") == 0)
			rcpt = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--action") == 0)
			action = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--note") == 0)
			note = argv[++i];
		else
			return ctl_usage_error("incident misdirected: unknown option '%s'", argv[i]);
	}
	for (i = 0; action && i < 4; i++)
		ok |= strcmp(action, actions[i]) == 0;
	if (mid == NULL || rcpt == NULL || !ok)
		return ctl_usage_error("usage: mailgatectl incident misdirected --message-id ID "
		    "--recipient ADDR --action alerted|deletion-requested|deletion-confirmed|note "
		    "[--note TEXT] [--not-in-log] [--send]");
	if (send && strcmp(action, "deletion-requested") != 0)
		return ctl_usage_error("incident misdirected: --send goes with --action "
		    "deletion-requested");
	if (!ctl_may_write(ctx->cfg) || (sl = ctl_open_log(ctx->cfg, 1, 1)) == NULL)
		return 2;
	if (!not_in_log && (rc = incident_has_sent(sl, mid, rcpt)) != 1) {
		fprintf(stderr, "incident: error: the log has no sent row for %s to %s "
		    "(use --not-in-log if it went outside mailgate)\n", mid, rcpt);
		sendlog_close(sl);
		return rc < 0 ? 2 : 1;
	}
	lrcpt = ascii_lower(xstrdup(rcpt));
	/* the request goes first: the action is logged only once it was sent */
	if (send && ctl_deletion_send(ctx->cfg, sl, mid, lrcpt, sentid, sizeof(sentid)) < 0) {
		free(lrcpt);
		sendlog_close(sl);
		return 2;
	}
	if (send)
		detail = note ? xasprintf("%s: request <%s> sent: %s", action, sentid, note) :
		    xasprintf("%s: request <%s> sent", action, sentid);
	else
		detail = note ? xasprintf("%s: %s", action, note) : xstrdup(action);
	for (char *p = detail; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	memset(&r, 0, sizeof(r));
	r.time = time(NULL);
	r.kind = "incident";
	r.records = -1;
	r.message_id = mid;
	r.recipient = lrcpt;
	r.outcome = action;
	r.submitted_by = ctl_who(who, sizeof(who));
	r.detail = detail;
	rc = sendlog_add(sl, &r, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "%s\n", err);
	else
		printf("recorded: %s for %s to %s\n", action, mid, lrcpt);
	free(detail);
	free(lrcpt);
	sendlog_close(sl);
	return rc < 0 ? 2 : 0;
}

static int
incident_list(struct ctl_ctx *ctx)
{
	static const char *const cols[] = { "opened", "message_id", "recipient", "last_action",
		"last_time", "actions", "state" };
	struct table t = { NULL, 0 };
	struct sendlog *sl;
	sqlite3_stmt *st;
	size_t i;

	if ((sl = ctl_open_log(ctx->cfg, 0, 0)) == NULL)
		return 2;
	if (sqlite3_prepare_v2(sendlog_db(sl), "SELECT min(time), message_id, recipient,"
	    " (SELECT detail FROM log j WHERE j.kind = 'incident' AND j.message_id IS l.message_id"
	    " AND j.recipient IS l.recipient ORDER BY seq DESC LIMIT 1), max(time), count(*),"
	    " max(outcome = 'deletion-confirmed') FROM log l WHERE kind = 'incident'"
	    " GROUP BY message_id, recipient ORDER BY min(seq)", -1, &st, NULL) != SQLITE_OK) {
		sendlog_close(sl);
		return 2;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		char a[21], b[21];

		sendlog_time((time_t)sqlite3_column_int64(st, 0), a);
		sendlog_time((time_t)sqlite3_column_int64(st, 4), b);
		t.cells = xreallocarray(t.cells, (t.nrows + 1) * 7, sizeof(char *));
		t.cells[t.nrows * 7 + 0] = xstrdup(a);
		t.cells[t.nrows * 7 + 1] = xstrdup((const char *)sqlite3_column_text(st, 1));
		t.cells[t.nrows * 7 + 2] = xstrdup((const char *)sqlite3_column_text(st, 2));
		t.cells[t.nrows * 7 + 3] = xstrdup((const char *)sqlite3_column_text(st, 3));
		t.cells[t.nrows * 7 + 4] = xstrdup(b);
		t.cells[t.nrows * 7 + 5] = xstrdup((const char *)sqlite3_column_text(st, 5));
		t.cells[t.nrows * 7 + 6] = xstrdup(sqlite3_column_int(st, 6) ? "closed" : "open");
		t.nrows++;
	}
	sqlite3_finalize(st);
	table_print(&t, cols, 7, stdout);
	for (i = 0; i < t.nrows * 7; i++)
		free(t.cells[i]);
	free(t.cells);
	sendlog_close(sl);
	return 0;
}

int
ctl_incident(struct ctl_ctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "misdirected") == 0)
		return incident_add(ctx, argc, argv);
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return incident_list(ctx);
	return ctl_usage_error("usage: mailgatectl incident misdirected|list ...");
}
