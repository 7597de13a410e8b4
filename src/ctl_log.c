/*
 * ctl_log - "mailgatectl log query|report" (verify, head and purge are in
 * ctl_verify.c) and "mailgatectl incident misdirected|list": the send log
 * for compliance staff, who query it, and for its owner, who records
 * incidents. Readers need only read access to state_dir (and the log key
 * for --nino); writers must own state_dir. Every question goes through
 * logquery and report; no SQL here.
 *
 * A filter value that cannot match anything (a process, organisation,
 * class, outcome or direction neither the policy nor the log knows) is a
 * usage error naming the nearest known value, so that a typo never reads
 * as "we never sent it".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "ctl_common.h"
#include "diag.h"
#include "logquery.h"
#include "mgdate.h"
#include "ctl_deletion.h"
#include "nino.h"
#include "policy.h"
#include "report.h"
#include "safeout.h"
#include "sendlog.h"
#include "tabout.h"
#include "util.h"
#include "verdict.h"

enum fmt { FMT_TABLE, FMT_CSV, FMT_JSON, FMT_HTML };

/* The options of log query and log report (the filters may repeat: any of). */
struct q_opts {
	const char *since, *until, *month;
	char **v[LQ_NFIELDS];		/* the words as given (borrowed from argv) */
	size_t n[LQ_NFIELDS];
	int wide, per_recipient;
	enum fmt fmt;
};

static const struct {
	const char *name;
	enum lq_field field;
} log_filter_opts[] = {
	{ "--process", LQ_PROCESS }, { "--recipient", LQ_RECIPIENT }, { "--org", LQ_ORG },
	{ "--class", LQ_CLASS }, { "--direction", LQ_DIRECTION },
	{ "--message-id", LQ_MESSAGE_ID }, { "--outcome", LQ_OUTCOME }, { "--nino", LQ_PERSON },
};

/* The values the interface defines (the log cannot hold others). */
static const char *const log_classes[] = { "department", "subcontractor", "internal",
	"unknown", NULL };
static const char *const log_outcomes[] = { "sent", "rejected", "held", "clerical", "failed",
	"uncertain", "bounced", "review", NULL };
static const char *const log_directions[] = { "out", "forward", "in", NULL };

static int
log_fmt(const char *v, enum fmt *f, int html)
{
	if (strcmp(v, "table") == 0)
		*f = FMT_TABLE;
	else if (strcmp(v, "csv") == 0)
		*f = FMT_CSV;
	else if (strcmp(v, "json") == 0)
		*f = FMT_JSON;
	else if (html && strcmp(v, "html") == 0)
		*f = FMT_HTML;
	else
		return ctl_usage_error("--format: '%s' is not table, csv%s", v,
		    html ? ", json or html" : " or json");
	return 0;
}

static void
log_opts_free(struct q_opts *o)
{
	int k;

	for (k = 0; k < LQ_NFIELDS; k++)
		free(o->v[k]);
}

/* A single-valued option: given twice is an error, not "the last wins". */
static int
log_single(const char **slot, const char *name, const char *value)
{
	if (*slot)
		return ctl_usage_error("%s given twice ('%s' and '%s')", name, *slot, value);
	*slot = value;
	return 0;
}

/* One option at argv[*i]; 0, or an exit code. */
static int
log_opt(int argc, char **argv, int *i, struct q_opts *o, int report)
{
	const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
	size_t k;

	if (!report && strcmp(a, "--wide") == 0)
		return o->wide = 1, 0;
	if (!report && strcmp(a, "--per-recipient") == 0)
		return o->per_recipient = 1, 0;
	if (v == NULL)
		return ctl_usage_error("log: '%s' is not an option or needs a value", a);
	++*i;
	if (strcmp(a, "--format") == 0)
		return log_fmt(v, &o->fmt, report) ? 2 : 0;
	if (strcmp(a, "--since") == 0)
		return log_single(&o->since, a, v);
	if (strcmp(a, "--until") == 0)
		return log_single(&o->until, a, v);
	if (report && strcmp(a, "--month") == 0)
		return log_single(&o->month, a, v);
	for (k = 0; !report && k < sizeof(log_filter_opts) / sizeof(log_filter_opts[0]); k++)
		if (strcmp(a, log_filter_opts[k].name) == 0) {
			enum lq_field f = log_filter_opts[k].field;

			o->v[f] = xreallocarray(o->v[f], o->n[f] + 1, sizeof(char *));
			o->v[f][o->n[f]++] = argv[*i];
			return 0;
		}
	return ctl_usage_error("log %s: unknown option '%s'", report ? "report" : "query", a);
}

static int
log_parse(int argc, char **argv, struct q_opts *o, int report)
{
	int i, rc;

	memset(o, 0, sizeof(*o));
	for (i = 2; i < argc; i++)
		if ((rc = log_opt(argc, argv, &i, o, report)) != 0) {
			log_opts_free(o);
			return rc;
		}
	return 0;
}

/*
 * A --since or --until value: a date-only value is a London day (from its
 * first second, or to its last); a time with Z or an offset is that
 * moment; a time without either is London wall-clock time.
 */
static int
log_moment(const char *name, const char *s, int end, time_t *out)
{
	size_t n = strlen(s);
	mgday d;

	if (mgday_parse_iso(s, &d)) {
		*out = end ? mgday_london_start(d + 1) - 1 : mgday_london_start(d);
		return 0;
	}
	if (!sendlog_parse_time(s, 0, out))
		return ctl_usage_error("%s: '%s' is not a date (YYYY-MM-DD) or an ISO 8601 time", name,
		    s);
	if (n > 0 && s[n - 1] != 'Z' && strpbrk(s + 10, "+-") == NULL)
		*out = mgdate_london_to_utc(*out);
	return 0;
}

/* Edit distance, ASCII case folded (for "did you mean"). */
static size_t
log_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, *row = xcalloc(lb + 1, sizeof(size_t)), d;

	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (ascii_tolower(a[i - 1]) != ascii_tolower(b[j - 1]));

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	d = row[lb];
	free(row);
	return d;
}

/* The values a filter can match: known to the interface, the policy or the log. */
struct known {
	char **v;
	size_t n;
};

static void
known_add(struct known *k, const char *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < k->n; i++)
		if (strcmp(k->v[i], s) == 0)
			return;
	k->v = xreallocarray(k->v, k->n + 1, sizeof(char *));
	k->v[k->n++] = xstrdup(s);
}

/* The policy's processes or organisations; nothing when the policy cannot be read. */
static void
known_policy(const struct config *cfg, enum lq_field f, struct known *k)
{
	struct policy *p = NULL;
	struct diag d;
	size_t i, j;

	diag_init(&d);
	if (cfg->policy_file && policy_load(cfg->policy_file, cfg->template_dir, &p, &d) == 0 && p) {
		for (i = 0; f == LQ_PROCESS && i < p->nprocesses; i++)
			known_add(k, p->processes[i].id);
		for (i = 0; f == LQ_ORG && i < p->ndepartments; i++)
			known_add(k, p->departments[i].name);
		for (j = 0; f == LQ_ORG && j < p->nsubcontractors; j++)
			known_add(k, p->subcontractors[j].id);
	}
	policy_free(p);
	diag_free(&d);
}

static int
known_fill(const struct config *cfg, struct sendlog *sl, enum lq_field f, struct known *k)
{
	const char *const *fixed = f == LQ_CLASS ? log_classes : f == LQ_OUTCOME ? log_outcomes :
	    f == LQ_DIRECTION ? log_directions : NULL;
	char err[512], **v;
	size_t n, i;

	memset(k, 0, sizeof(*k));
	if (fixed) {
		for (; *fixed; fixed++)
			known_add(k, *fixed);
		return 0;
	}
	known_policy(cfg, f, k);
	if (logquery_values(sl, f, &v, &n, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s/sendlog.db: error: %s\n", cfg->state_dir, err);
		return -1;
	}
	for (i = 0; i < n; i++)
		known_add(k, v[i]);
	strv_free(v, n);
	return 0;
}

/* 0 when value matches a known one (organisations case-insensitively), else 2 with the nearest. */
static int
known_check(const struct known *k, const char *opt, const char *what, const char *value,
    int fold)
{
	size_t i, best = (size_t)-1, bi = 0;
	char *shown;

	for (i = 0; i < k->n; i++) {
		size_t d;

		if (fold ? ascii_strcasecmp(k->v[i], value) == 0 : strcmp(k->v[i], value) == 0)
			return 0;
		if ((d = log_distance(k->v[i], value)) < best)
			best = d, bi = i;
	}
	shown = safeout_term_dup(value);
	if (k->n == 0)
		ctl_usage_error("%s: no %s '%s' in the policy or the log (it knows none)", opt, what,
		    shown);
	else
		ctl_usage_error("%s: no %s '%s' in the policy or the log; did you mean %s?", opt, what,
		    shown, k->v[bi]);
	free(shown);
	return 2;
}

/* Refuses a filter value that cannot match; 0 or 2. */
static int
log_validate(const struct config *cfg, struct sendlog *sl, const struct q_opts *o)
{
	static const struct { enum lq_field f; const char *opt, *what; int fold; } chk[] = {
		{ LQ_PROCESS, "--process", "process", 0 }, { LQ_ORG, "--org", "organisation", 1 },
		{ LQ_CLASS, "--class", "recipient class", 0 },
		{ LQ_OUTCOME, "--outcome", "outcome", 0 },
		{ LQ_DIRECTION, "--direction", "direction", 0 },
	};
	struct known k;
	size_t c, i;
	int rc = 0;

	for (c = 0; c < sizeof(chk) / sizeof(chk[0]) && rc == 0; c++) {
		if (o->n[chk[c].f] == 0)
			continue;
		if (known_fill(cfg, sl, chk[c].f, &k) < 0)
			return 2;
		for (i = 0; i < o->n[chk[c].f] && rc == 0; i++)
			rc = known_check(&k, chk[c].opt, chk[c].what, o->v[chk[c].f][i], chk[c].fold);
		strv_free(k.v, k.n);
	}
	return rc;
}

/* The filter the options describe; 0 or 2 (a bad date or NINO). */
static int
log_filter(struct sendlog *sl, const struct q_opts *o, struct lq_filter *f)
{
	char stem[NINO_STEM_LEN + 1], hm[65];
	size_t i;
	int k;

	lq_filter_init(f);
	if (o->since && log_moment("--since", o->since, 0, &f->since))
		return 2;
	if (o->until && log_moment("--until", o->until, 1, &f->until))
		return 2;
	f->has_since = o->since != NULL;
	f->has_until = o->until != NULL;
	for (k = 0; k < LQ_NFIELDS; k++)
		for (i = 0; i < o->n[k]; i++) {
			if (k != LQ_PERSON) {
				lq_filter_add(f, (enum lq_field)k, o->v[k][i]);
				continue;
			}
			if (!nino_parse(o->v[k][i], 0, stem)) {
				lq_filter_free(f);
				return ctl_usage_error("--nino: '%s' is not a National Insurance number",
				    o->v[k][i]);
			}
			sendlog_person(sl, stem, hm);
			lq_filter_add(f, LQ_PERSON, hm);
		}
	return 0;
}

/* --- log query output --- */

#define Q_NCSV 13
static const char *const q_csv_cols[Q_NCSV] = { "time_utc", "direction", "process", "recipient",
	"recipient_class", "org", "outcome", "records", "message_id", "reasons", "local_time",
	"submitted_by", "policy_version" };

/* One message (a run of rows with the same Message-ID and outcome) for the table. */
struct q_msg {
	int open;
	time_t time;
	char *process, *outcome, *message_id;
	int records;
	long rcpts;
	struct known orgs, reasons;
};

struct q_out {
	enum fmt fmt;
	int wide, per_recipient;
	struct tabout *t;
	long rows, messages;
	struct q_msg m;
};

static void
q_csv_row(const struct lq_row *r)
{
	char utc[20], local[26], rec[16];
	const char *v[Q_NCSV];
	struct sbuf b;
	char *reasons = r->reasons ? xstrdup(r->reasons) : NULL, *p;
	int c;

	mgdate_utc_format(r->time, utc);
	mgdate_london_format(r->time, local);
	local[19] = '\0';	/* wall-clock time a spreadsheet reads; the offset is the zone's */
	snprintf(rec, sizeof(rec), "%d", r->records);
	for (p = reasons; p && *p; p++)
		if (*p == ' ')
			*p = ';';
	v[0] = utc, v[1] = r->direction, v[2] = r->process, v[3] = r->recipient, v[4] = r->rclass;
	v[5] = r->org, v[6] = r->outcome, v[7] = r->records >= 0 ? rec : NULL;
	v[8] = r->message_id, v[9] = reasons, v[10] = local, v[11] = r->submitted_by;
	v[12] = r->policy_version;
	sbuf_init(&b);
	for (c = 0; c < Q_NCSV; c++) {
		safeout_csv(&b, v[c]);
		sbuf_adds(&b, c + 1 < Q_NCSV ? "," : "\r\n");
	}
	fwrite(b.data, 1, b.len, stdout);
	sbuf_free(&b);
	free(reasons);
}

static void
q_json_reasons(struct sbuf *b, const char *reasons)
{
	char *dup = xstrdup(reasons ? reasons : ""), *tok, *save = NULL;
	int n = 0;

	sbuf_addc(b, '[');
	for (tok = strtok_r(dup, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (n++)
			sbuf_adds(b, ", ");
		json_add_string(b, tok);
	}
	sbuf_addc(b, ']');
	free(dup);
}

static void
q_json_row(const struct lq_row *r, int first)
{
	const char *names[] = { "direction", "process", "recipient", "recipient_class", "org",
		"outcome" };
	const char *vals[] = { r->direction, r->process, r->recipient, r->rclass, r->org,
		r->outcome };
	char ts[21], local[26];
	struct sbuf b;
	size_t i;

	sendlog_time(r->time, ts);
	mgdate_london_format(r->time, local);
	local[10] = 'T';
	sbuf_init(&b);
	sbuf_printf(&b, "%s{\"time\": \"%s\", \"local_time\": \"%s\"", first ? "" : ",\n ", ts,
	    local);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		sbuf_printf(&b, ", \"%s\": ", names[i]);
		json_add_string(&b, vals[i]);
	}
	if (r->records >= 0)
		sbuf_printf(&b, ", \"records\": %d", r->records);
	else
		sbuf_adds(&b, ", \"records\": null");
	sbuf_adds(&b, ", \"message_id\": ");
	json_add_string(&b, r->message_id);
	sbuf_adds(&b, ", \"reasons\": ");
	q_json_reasons(&b, r->reasons);
	sbuf_adds(&b, ", \"submitted_by\": ");
	json_add_string(&b, r->submitted_by);
	sbuf_adds(&b, ", \"policy_version\": ");
	json_add_string(&b, r->policy_version);
	sbuf_addc(&b, '}');
	fwrite(b.data, 1, b.len, stdout);
	sbuf_free(&b);
}

static void
q_join(struct sbuf *b, const struct known *k, const char *sep)
{
	size_t i;

	for (i = 0; i < k->n; i++) {
		if (i)
			sbuf_adds(b, sep);
		sbuf_adds(b, k->v[i]);
	}
}

/* Adds the message gathered so far as one table line. */
static void
q_msg_flush(struct q_out *q)
{
	struct q_msg *m = &q->m;
	struct sbuf to, rs;
	char t[26], rc[24], rec[16];

	if (!m->open)
		return;
	sbuf_init(&to);
	sbuf_init(&rs);
	q_join(&to, &m->orgs, ",");
	q_join(&rs, &m->reasons, " ");
	mgdate_london_format(m->time, t);
	snprintf(rc, sizeof(rc), "%ld", m->rcpts);
	snprintf(rec, sizeof(rec), "%d", m->records);
	tabout_add(q->t, (const char *const[]){ t, m->process, m->outcome, rc,
	    to.len ? to.data : NULL, m->records >= 0 ? rec : NULL, m->message_id,
	    rs.len ? rs.data : NULL });
	sbuf_free(&to);
	sbuf_free(&rs);
	free(m->process);
	free(m->outcome);
	free(m->message_id);
	strv_free(m->orgs.v, m->orgs.n);
	strv_free(m->reasons.v, m->reasons.n);
	memset(m, 0, sizeof(*m));
	q->messages++;
}

static int
q_same(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static void
q_msg_add(struct q_out *q, const struct lq_row *r)
{
	struct q_msg *m = &q->m;
	char *dup, *tok, *save = NULL;

	if (m->open && (!q_same(m->message_id, r->message_id) || !q_same(m->outcome, r->outcome)))
		q_msg_flush(q);
	if (!m->open) {
		m->open = 1;
		m->time = r->time;
		m->process = r->process ? xstrdup(r->process) : NULL;
		m->outcome = r->outcome ? xstrdup(r->outcome) : NULL;
		m->message_id = r->message_id ? xstrdup(r->message_id) : NULL;
		m->records = r->records;
	}
	if (r->recipient)
		m->rcpts++;
	known_add(&m->orgs, r->org);
	dup = xstrdup(r->reasons ? r->reasons : "");
	for (tok = strtok_r(dup, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		known_add(&m->reasons, tok);
	free(dup);
}

static int
q_row(const struct lq_row *r, void *arg)
{
	struct q_out *q = arg;
	char t[26];

	q->rows++;
	if (q->fmt == FMT_CSV) {
		q_csv_row(r);
	} else if (q->fmt == FMT_JSON) {
		q_json_row(r, q->rows == 1);
	} else if (q->per_recipient) {
		mgdate_london_format(r->time, t);
		tabout_add(q->t, (const char *const[]){ t, r->process, r->recipient, r->rclass,
		    r->org, r->outcome, r->message_id, r->reasons });
	} else {
		q_msg_add(q, r);
	}
	return 0;
}

static struct tabout *
q_table(const struct q_out *q)
{
	static const char *const msg[] = { "time (London)", "process", "outcome", "rcpts", "to",
		"records", "message_id", "reasons" };
	static const char *const rcpt[] = { "time (London)", "process", "recipient", "class",
		"org", "outcome", "message_id", "reasons" };
	static const size_t msg_lim[] = { 0, 18, 0, 0, 14, 0, 16, 12 };
	static const size_t rcpt_lim[] = { 0, 12, 18, 0, 8, 0, 12, 9 };
	struct tabout *t = tabout_new(q->per_recipient ? rcpt : msg, 8);
	size_t c;

	for (c = 0; c < 8; c++)
		tabout_limit(t, c, q->per_recipient ? rcpt_lim[c] : msg_lim[c]);
	if (!q->per_recipient) {
		tabout_right(t, 3);
		tabout_right(t, 5);
	}
	return t;
}

static int
log_query_run(struct ctl_ctx *ctx, struct sendlog *sl, const struct q_opts *o,
    const struct lq_filter *f)
{
	struct q_out q;
	char err[512];
	int c, rc;

	memset(&q, 0, sizeof(q));
	q.fmt = o->fmt;
	q.wide = o->wide;
	q.per_recipient = o->per_recipient;
	if (q.fmt == FMT_TABLE)
		q.t = q_table(&q);
	else if (q.fmt == FMT_CSV)
		for (c = 0; c < Q_NCSV; c++)
			printf("%s%s", q_csv_cols[c], c + 1 < Q_NCSV ? "," : "\r\n");
	else
		fputc('[', stdout);
	rc = logquery_messages(sl, f, q_row, &q, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "%s/sendlog.db: error: %s\n", ctx->cfg->state_dir, err);
		tabout_free(q.t);
		return 2;
	}
	if (q.fmt == FMT_JSON)
		fputs("]\n", stdout);
	if (q.fmt != FMT_TABLE)
		return 0;
	q_msg_flush(&q);
	tabout_print(q.t, stdout, q.wide ? 0 : TABOUT_TERMINAL);
	if (q.per_recipient)
		printf("(%ld row%s)\n", q.rows, q.rows == 1 ? "" : "s");
	else
		printf("(%ld message%s, %ld row%s; --per-recipient for one line each)\n", q.messages,
		    q.messages == 1 ? "" : "s", q.rows, q.rows == 1 ? "" : "s");
	tabout_free(q.t);
	return 0;
}

static int
log_query(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct q_opts o;
	struct lq_filter f;
	struct sendlog *sl;
	int rc;

	if ((rc = log_parse(argc, argv, &o, 0)) != 0)
		return rc;
	if ((sl = ctl_open_log(ctx->cfg, 0, o.n[LQ_PERSON] > 0)) == NULL) {
		log_opts_free(&o);
		return 2;
	}
	if ((rc = log_filter(sl, &o, &f)) == 0 && (rc = log_validate(ctx->cfg, sl, &o)) == 0)
		rc = log_query_run(ctx, sl, &o, &f);
	lq_filter_free(&f);
	log_opts_free(&o);
	sendlog_close(sl);
	return rc;
}

/* --- log report --- */

/* The period: --month (a London month) or --since [--until]; title into a new string. */
static int
log_period(const struct q_opts *o, time_t *since, time_t *until, char **title)
{
	static const char *const months[] = { "January", "February", "March", "April", "May",
		"June", "July", "August", "September", "October", "November", "December" };
	char a[11], b[11];
	mgday first;
	int y, m, n = 0;

	if (o->month && (o->since || o->until))
		return ctl_usage_error("log report: --month or --since/--until, not both");
	if (o->month) {
		if (sscanf(o->month, "%4d-%2d%n", &y, &m, &n) != 2 || n != 7 || strlen(o->month) != 7 ||
		    !mgday_from_ymd(y, m, 1, &first))
			return ctl_usage_error("--month: '%s' is not a month (YYYY-MM, 01 to 12)", o->month);
		*since = mgday_london_start(first);
		*until = mgday_london_start(first + mgdate_days_in_month(y, m)) - 1;
		*title = xasprintf("%s %d", months[m - 1], y);
		return 0;
	}
	if (o->since == NULL)
		return ctl_usage_error("usage: mailgatectl log report --month YYYY-MM | --since D "
		    "[--until D] [--format table|csv|json|html]");
	if (log_moment("--since", o->since, 0, since))
		return 2;
	*until = time(NULL);
	if (o->until && log_moment("--until", o->until, 1, until))
		return 2;
	if (*until < *since || *until - *since > 400 * 86400L)
		return ctl_usage_error("log report: --until must not be before --since, nor more than"
		    " 400 days after it");
	mgday_format(mgday_today_london(*since), a);
	mgday_format(mgday_today_london(*until), b);
	*title = xasprintf("%s to %s", a, b);
	return 0;
}

static int
log_report(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const enum report_format rf[] = { [FMT_TABLE] = REPORT_TABLE,
		[FMT_CSV] = REPORT_CSV, [FMT_JSON] = REPORT_JSON, [FMT_HTML] = REPORT_HTML };
	struct q_opts o;
	struct sendlog *sl;
	struct report *r;
	time_t since, until;
	char *title = NULL, err[512];
	int rc;

	if ((rc = log_parse(argc, argv, &o, 1)) != 0)
		return rc;
	rc = log_period(&o, &since, &until, &title);
	log_opts_free(&o);
	if (rc != 0)
		return rc;
	if ((sl = ctl_open_log(ctx->cfg, 0, 0)) == NULL) {
		free(title);
		return 2;
	}
	rc = report_build(sl, since, until, title, time(NULL), &r, err, sizeof(err));
	if (rc == 0)
		report_verify(r, sl, time(NULL));
	sendlog_close(sl);
	free(title);
	if (rc < 0) {
		fprintf(stderr, "%s/sendlog.db: error: %s\n", ctx->cfg->state_dir, err);
		return 2;
	}
	report_write(r, rf[o.fmt], stdout);
	rc = r->verify_rc == 0 ? 0 : 1;
	report_free(r);
	return rc;
}

/*
 * The words with every "--opt=value" split into "--opt" "value", as
 * getopt_long takes them (Postfix and GNU habits); a new vector the caller
 * frees with log_args_free().
 */
static char **
log_args(int argc, char **argv, int *n)
{
	char **v = xcalloc((size_t)argc * 2 + 1, sizeof(*v));
	const char *eq;
	int i;

	for (i = 0, *n = 0; i < argc; i++) {
		eq = strncmp(argv[i], "--", 2) == 0 ? strchr(argv[i], '=') : NULL;
		if (eq != NULL) {
			v[(*n)++] = xstrndup(argv[i], (size_t)(eq - argv[i]));
			v[(*n)++] = xstrdup(eq + 1);
		} else {
			v[(*n)++] = xstrdup(argv[i]);
		}
	}
	return v;
}

static void
log_args_free(char **v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
log_dispatch(struct ctl_ctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "query") == 0)
		return log_query(ctx, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "report") == 0)
		return log_report(ctx, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return ctl_log_verify(ctx, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "head") == 0)
		return ctl_log_head(ctx, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "key") == 0)
		return ctl_log_key(ctx, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "purge") == 0)
		return ctl_log_purge(ctx, argc, argv);
	return ctl_usage_error("usage: mailgatectl log query|report|verify|head|key|purge ...");
}

int
ctl_log(struct ctl_ctx *ctx, int argc, char **argv)
{
	int n, rc;
	char **v = log_args(argc, argv, &n);

	rc = log_dispatch(ctx, n, v);
	log_args_free(v, n);
	return rc;
}

/* --- incidents --- */

static int
incident_add(struct ctl_ctx *ctx, int argc, char **argv)
{
	const char *rcpt = NULL, *action = NULL, *note = NULL;
	static const char *actions[] = { "alerted", "deletion-requested", "deletion-confirmed", "note" };
	struct sendlog_row r;
	struct sendlog *sl;
	char who[64], err[512], *detail, *lrcpt, *mid = NULL;
	int i, not_in_log = 0, ok = 0, rc, send = 0;
	char sentid[256];

	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--not-in-log") == 0)
			not_in_log = 1;
		else if (strcmp(argv[i], "--send") == 0)
			send = 1;
		else if (i + 1 < argc && strcmp(argv[i], "--message-id") == 0 && mid == NULL)
			mid = logquery_msgid(argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "--recipient") == 0)
			rcpt = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--action") == 0)
			action = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--note") == 0)
			note = argv[++i];
		else {
			free(mid);
			return ctl_usage_error("incident misdirected: unknown or repeated option '%s'",
			    argv[i]);
		}
	}
	for (i = 0; action && i < 4; i++)
		ok |= strcmp(action, actions[i]) == 0;
	if (mid == NULL || rcpt == NULL || !ok) {
		free(mid);
		return ctl_usage_error("usage: mailgatectl incident misdirected --message-id ID "
		    "--recipient ADDR --action alerted|deletion-requested|deletion-confirmed|note "
		    "[--note TEXT] [--not-in-log] [--send]");
	}
	if (send && strcmp(action, "deletion-requested") != 0) {
		free(mid);
		return ctl_usage_error("incident misdirected: --send goes with --action "
		    "deletion-requested");
	}
	if (!ctl_may_write(ctx->cfg) || (sl = ctl_open_log(ctx->cfg, 1, 1)) == NULL) {
		free(mid);
		return 2;
	}
	if (!not_in_log && (rc = logquery_has_sent(sl, mid, rcpt)) != 1) {
		char *m = safeout_term_dup(mid), *t = safeout_term_dup(rcpt);

		fprintf(stderr, "incident: error: the log has no sent row for %s to %s "
		    "(use --not-in-log if it went outside mailgate)\n", m, t);
		free(m);
		free(t);
		free(mid);
		sendlog_close(sl);
		return rc < 0 ? 2 : 1;
	}
	lrcpt = ascii_lower(xstrdup(rcpt));
	/* the request goes first: the action is logged only once it was sent */
	if (send && ctl_deletion_send(ctx->cfg, sl, mid, lrcpt, sentid, sizeof(sentid)) < 0) {
		free(lrcpt);
		free(mid);
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
	if (rc < 0) {
		fprintf(stderr, "%s\n", err);
	} else {
		char *m = safeout_term_dup(mid), *t = safeout_term_dup(lrcpt);

		printf("recorded: %s for %s to %s\n", action, m, t);
		free(m);
		free(t);
	}
	free(detail);
	free(lrcpt);
	free(mid);
	sendlog_close(sl);
	return rc < 0 ? 2 : 0;
}

/* One line per action; the incident's own columns on its first line only. */
static void
incident_table(const struct lq_incident *v, size_t n, int wide)
{
	static const char *const h[] = { "message_id", "recipient", "state", "time (London)",
		"action", "by", "note" };
	struct tabout *t = tabout_new(h, 7);
	char ts[26];
	size_t i, j;

	/* about 120 columns when every limit is reached; --wide for the whole notes */
	tabout_limit(t, 0, 22);
	tabout_limit(t, 1, 20);
	tabout_limit(t, 5, 6);
	tabout_limit(t, 6, 12);
	for (i = 0; i < n; i++)
		for (j = 0; j < v[i].nactions; j++) {
			mgdate_london_format(v[i].actions[j].time, ts);
			tabout_add(t, (const char *const[]){ j ? "" : v[i].message_id,
			    j ? "" : v[i].recipient, j ? "" : v[i].closed ? "closed" : "open", ts,
			    v[i].actions[j].action, v[i].actions[j].who, v[i].actions[j].note });
		}
	tabout_print(t, stdout, wide ? 0 : TABOUT_TERMINAL);
	printf("(%zu incident%s)\n", n, n == 1 ? "" : "s");
	tabout_free(t);
}

static void
incident_csv(const struct lq_incident *v, size_t n)
{
	char utc[20], local[26];
	struct sbuf b;
	size_t i, j;
	int c;

	fputs("message_id,recipient,state,time_utc,local_time,action,by,note\r\n", stdout);
	sbuf_init(&b);
	for (i = 0; i < n; i++)
		for (j = 0; j < v[i].nactions; j++) {
			const char *cells[8];

			mgdate_utc_format(v[i].actions[j].time, utc);
			mgdate_london_format(v[i].actions[j].time, local);
			local[19] = '\0';
			cells[0] = v[i].message_id, cells[1] = v[i].recipient;
			cells[2] = v[i].closed ? "closed" : "open", cells[3] = utc, cells[4] = local;
			cells[5] = v[i].actions[j].action, cells[6] = v[i].actions[j].who;
			cells[7] = v[i].actions[j].note;
			sbuf_reset(&b);
			for (c = 0; c < 8; c++) {
				safeout_csv(&b, cells[c]);
				sbuf_adds(&b, c < 7 ? "," : "\r\n");
			}
			fwrite(b.data, 1, b.len, stdout);
		}
	sbuf_free(&b);
}

static void
incident_json(const struct lq_incident *v, size_t n)
{
	char ts[21];
	struct sbuf b;
	size_t i, j;

	sbuf_init(&b);
	sbuf_addc(&b, '[');
	for (i = 0; i < n; i++) {
		sbuf_adds(&b, i ? ",\n {\"message_id\": " : "{\"message_id\": ");
		json_add_string(&b, v[i].message_id);
		sbuf_adds(&b, ", \"recipient\": ");
		json_add_string(&b, v[i].recipient);
		sbuf_printf(&b, ", \"state\": \"%s\", \"actions\": [", v[i].closed ? "closed" : "open");
		for (j = 0; j < v[i].nactions; j++) {
			sendlog_time(v[i].actions[j].time, ts);
			sbuf_printf(&b, "%s{\"time\": \"%s\", \"action\": ", j ? ", " : "", ts);
			json_add_string(&b, v[i].actions[j].action);
			sbuf_adds(&b, ", \"by\": ");
			json_add_string(&b, v[i].actions[j].who);
			sbuf_adds(&b, ", \"note\": ");
			json_add_string(&b, v[i].actions[j].note);
			sbuf_addc(&b, '}');
		}
		sbuf_adds(&b, "]}");
	}
	sbuf_adds(&b, "]\n");
	fwrite(b.data, 1, b.len, stdout);
	sbuf_free(&b);
}

static int
incident_list(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct lq_incident *v;
	struct sendlog *sl;
	enum fmt f = FMT_TABLE;
	char err[512];
	size_t n;
	int i, wide = 0;

	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--wide") == 0)
			wide = 1;
		else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			if (log_fmt(argv[++i], &f, 0))
				return 2;
		} else
			return ctl_usage_error("usage: mailgatectl incident list [--wide] "
			    "[--format table|csv|json]");
	}
	if ((sl = ctl_open_log(ctx->cfg, 0, 0)) == NULL)
		return 2;
	if (logquery_incidents(sl, &v, &n, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s/sendlog.db: error: %s\n", ctx->cfg->state_dir, err);
		sendlog_close(sl);
		return 2;
	}
	if (f == FMT_CSV)
		incident_csv(v, n);
	else if (f == FMT_JSON)
		incident_json(v, n);
	else
		incident_table(v, n, wide);
	logquery_incidents_free(v, n);
	sendlog_close(sl);
	return 0;
}

int
ctl_incident(struct ctl_ctx *ctx, int argc, char **argv)
{
	int n, rc;
	char **v = log_args(argc, argv, &n);

	if (n >= 2 && strcmp(v[1], "misdirected") == 0)
		rc = incident_add(ctx, n, v);
	else if (n >= 2 && strcmp(v[1], "list") == 0)
		rc = incident_list(ctx, n, v);
	else
		rc = ctl_usage_error("usage: mailgatectl incident misdirected|list ...");
	log_args_free(v, n);
	return rc;
}
