/*
 * report - the figures of a period, computed in one pass over its message
 * rows; see include/report.h. The rows of one message's outcome are
 * written together, so they are consecutive in time order too (a clock
 * stepped back in the middle of a message would count it twice, never
 * lose it): a message is a run of rows with the same Message-ID and
 * outcome.
 */
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "util.h"

/* What one message (a run of rows) touched: organisation/class pairs and reasons. */
struct rp_key {
	char *a, *b;
	long rows;
};

struct rp_acc {
	struct report *r;
	int open;
	char *mid, *outcome, *process;
	time_t time;
	long rows;
	struct rp_key *orgs, *reasons;
	size_t norgs, nreasons;
};

static int
rp_same(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static char *
rp_dup(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* The line of a breakdown for (a, b), added when new. */
static struct report_line *
rp_line(struct report *r, struct report_breakdown *bd, const char *a, const char *b, int daily)
{
	size_t i;

	for (i = 0; i < bd->n; i++)
		if (rp_same(bd->v[i].key, a) && rp_same(bd->v[i].key2, b))
			return &bd->v[i];
	bd->v = xreallocarray(bd->v, bd->n + 1, sizeof(*bd->v));
	memset(&bd->v[bd->n], 0, sizeof(*bd->v));
	bd->v[bd->n].key = rp_dup(a);
	bd->v[bd->n].key2 = rp_dup(b);
	if (daily) {
		bd->v[bd->n].sent = xcalloc((size_t)r->ndays, sizeof(long));
		bd->v[bd->n].refused = xcalloc((size_t)r->ndays, sizeof(long));
	}
	return &bd->v[bd->n++];
}

/* Counts one row under (a, b) in a message's set. */
static void
rp_key_add(struct rp_key **v, size_t *n, const char *a, const char *b)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (rp_same((*v)[i].a, a) && rp_same((*v)[i].b, b)) {
			(*v)[i].rows++;
			return;
		}
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n].a = rp_dup(a);
	(*v)[*n].b = rp_dup(b);
	(*v)[(*n)++].rows = 1;
}

static void
rp_keys_clear(struct rp_key *v, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		free(v[i].a);
		free(v[i].b);
	}
	*n = 0;
}

int
report_is_refused(const char *outcome)
{
	return outcome && (strcmp(outcome, "rejected") == 0 || strcmp(outcome, "held") == 0);
}

/* Adds the message gathered in acc to every breakdown. */
static void
rp_flush(struct rp_acc *acc)
{
	struct report *r = acc->r;
	struct report_line *l;
	long rcpts = 0;
	size_t i;
	int day;

	if (!acc->open)
		return;
	for (i = 0; i < acc->norgs; i++)
		rcpts += acc->orgs[i].rows;
	r->messages++;
	r->recipients += rcpts;
	l = rp_line(r, &r->process, acc->process, NULL, 1);
	l->messages++;
	l->recipients += rcpts;
	day = (int)(mgday_today_london(acc->time) - r->first_day);
	if (day >= 0 && day < r->ndays && rp_same(acc->outcome, "sent"))
		l->sent[day]++;
	else if (day >= 0 && day < r->ndays && report_is_refused(acc->outcome))
		l->refused[day]++;
	l = rp_line(r, &r->outcome, acc->outcome, NULL, 0);
	l->messages++;
	l->recipients += rcpts;
	for (i = 0; i < acc->norgs; i++) {
		l = rp_line(r, &r->org, acc->orgs[i].a, acc->orgs[i].b, 0);
		l->messages++;
		l->recipients += acc->orgs[i].rows;
	}
	for (i = 0; i < acc->nreasons; i++) {
		l = rp_line(r, &r->reason, acc->reasons[i].a, NULL, 0);
		l->messages++;
		l->recipients += acc->reasons[i].rows;
	}
	rp_keys_clear(acc->orgs, &acc->norgs);
	rp_keys_clear(acc->reasons, &acc->nreasons);
	free(acc->mid);
	free(acc->outcome);
	free(acc->process);
	acc->open = 0;
}

/* The reason codes of a row (space-separated), each once per message. */
static void
rp_reasons(struct rp_acc *acc, const char *reasons)
{
	char *dup, *tok, *save = NULL;

	if (reasons == NULL)
		return;
	dup = xstrdup(reasons);
	for (tok = strtok_r(dup, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		rp_key_add(&acc->reasons, &acc->nreasons, tok, NULL);
	free(dup);
}

static int
rp_row(const struct lq_row *row, void *arg)
{
	struct rp_acc *acc = arg;

	if (!acc->open || !rp_same(acc->mid, row->message_id) || !rp_same(acc->outcome, row->outcome)) {
		rp_flush(acc);
		acc->open = 1;
		acc->mid = rp_dup(row->message_id);
		acc->outcome = rp_dup(row->outcome);
		acc->process = rp_dup(row->process);
		acc->time = row->time;
	}
	if (row->recipient)
		rp_key_add(&acc->orgs, &acc->norgs, row->org, row->rclass);
	rp_reasons(acc, row->reasons);
	return 0;
}

static int
rp_line_cmp(const void *a, const void *b)
{
	const struct report_line *x = a, *y = b;
	int c = strcmp(x->key ? x->key : "", y->key ? y->key : "");

	return c ? c : strcmp(x->key2 ? x->key2 : "", y->key2 ? y->key2 : "");
}

static void
rp_sort(struct report_breakdown *bd)
{
	if (bd->n > 1)
		qsort(bd->v, bd->n, sizeof(*bd->v), rp_line_cmp);
}

/* The outages the mode changes of the period show (one going on at its start too). */
static void
rp_outages(struct report *r, const struct lq_mode *before, int have_before)
{
	time_t start = 0;
	int in = have_before && strcmp(before->mode, "outage") == 0;
	size_t i;

	if (in)
		start = before->time;
	for (i = 0; i <= r->nmodes; i++) {
		int now_out = i < r->nmodes && strcmp(r->modes[i].mode, "outage") == 0;

		if (i < r->nmodes && now_out && !in) {
			start = r->modes[i].time;
			in = 1;
		} else if (in && (i == r->nmodes || !now_out)) {
			r->outages = xreallocarray(r->outages, r->noutages + 1, sizeof(*r->outages));
			r->outages[r->noutages].start = start;
			r->outages[r->noutages++].end = i < r->nmodes ? r->modes[i].time : 0;
			in = 0;
		}
	}
}

static int
rp_messages(struct sendlog *sl, struct report *r, char *err, size_t errlen)
{
	struct lq_filter f;
	struct rp_acc acc;
	int rc;

	memset(&acc, 0, sizeof(acc));
	acc.r = r;
	lq_filter_init(&f);
	f.since = r->since;
	f.until = r->until;
	f.has_since = f.has_until = 1;
	rc = logquery_messages(sl, &f, rp_row, &acc, err, errlen);
	rp_flush(&acc);
	free(acc.orgs);
	free(acc.reasons);
	lq_filter_free(&f);
	rp_sort(&r->process);
	rp_sort(&r->org);
	rp_sort(&r->outcome);
	rp_sort(&r->reason);
	return rc;
}

static int
rp_events(struct sendlog *sl, struct report *r, char *err, size_t errlen)
{
	struct lq_mode before;
	int have_before;
	size_t i;

	if (logquery_incidents(sl, &r->incidents, &r->nincidents, err, errlen) < 0)
		return -1;
	for (i = 0; i < r->nincidents; i++) {
		r->opened += report_incident_opened(r, &r->incidents[i]);
		r->actions += report_incident_actions(r, &r->incidents[i]);
		r->still_open += report_incident_open_at_end(r, &r->incidents[i]);
	}
	if (logquery_modes(sl, r->since, r->until, &r->modes, &r->nmodes, &before, &have_before,
	    err, errlen) < 0)
		return -1;
	rp_outages(r, &before, have_before);
	if (have_before)
		logquery_mode_clear(&before);
	return 0;
}

int
report_build(struct sendlog *sl, time_t since, time_t until, const char *title, time_t now,
    struct report **out, char *err, size_t errlen)
{
	struct report *r = xcalloc(1, sizeof(*r));

	*out = NULL;
	r->since = since;
	r->until = until;
	r->first_day = mgday_today_london(since);
	r->ndays = (int)(mgday_today_london(until) - r->first_day) + 1;
	if (until < since || r->ndays > 400) {
		snprintf(err, errlen, "report: the period must run forwards and span at most 400 days");
		report_free(r);
		return -1;
	}
	r->title = xstrdup(title);
	r->made = now;
	if (rp_messages(sl, r, err, errlen) < 0 || rp_events(sl, r, err, errlen) < 0) {
		report_free(r);
		return -1;
	}
	r->verify_rc = -1;
	snprintf(r->head, sizeof(r->head), "not checked");
	*out = r;
	return 0;
}

void
report_verify(struct report *r, struct sendlog *sl, time_t now)
{
	struct sendlog_check chk;

	r->made = now;
	memset(&chk, 0, sizeof(chk));
	r->verify_rc = sendlog_verify(sl, NULL, &chk, r->verify_what, sizeof(r->verify_what));
	r->rows = r->verify_rc == 0 ? chk.last : 0;
	if (sendlog_head(sl, r->head) < 0)
		snprintf(r->head, sizeof(r->head), "unreadable");
}

int
report_incident_opened(const struct report *r, const struct lq_incident *in)
{
	return in->nactions > 0 && in->actions[0].time >= r->since &&
	    in->actions[0].time <= r->until;
}

long
report_incident_actions(const struct report *r, const struct lq_incident *in)
{
	long n = 0;
	size_t i;

	for (i = 0; i < in->nactions; i++)
		n += in->actions[i].time >= r->since && in->actions[i].time <= r->until;
	return n;
}

int
report_incident_open_at_end(const struct report *r, const struct lq_incident *in)
{
	size_t i;

	if (in->nactions == 0 || in->actions[0].time > r->until)
		return 0;
	for (i = 0; i < in->nactions; i++)
		if (in->actions[i].time <= r->until &&
		    strcmp(in->actions[i].action, "deletion-confirmed") == 0)
			return 0;
	return 1;
}

void
report_verify_line(const struct report *r, char *out, size_t len)
{
	char t[26];

	mgdate_london_format(r->made, t);
	if (r->verify_rc == 0)
		snprintf(out, len, "verified intact at %s", t);
	else if (r->verify_rc > 0)
		snprintf(out, len, "TAMPERED (checked at %s): %s", t, r->verify_what);
	else
		snprintf(out, len, "NOT VERIFIED (checked at %s): the log cannot be read", t);
}

void
report_write(const struct report *r, enum report_format f, FILE *fp)
{
	switch (f) {
	case REPORT_TABLE:
		report_write_table(r, fp);
		return;
	case REPORT_CSV:
		report_write_csv(r, fp);
		return;
	case REPORT_JSON:
		report_write_json(r, fp);
		return;
	case REPORT_HTML:
		report_write_html(r, fp);
		return;
	}
	abort();	/* not a format: a caller's bug */
}

static void
rp_breakdown_free(struct report_breakdown *bd)
{
	size_t i;

	for (i = 0; i < bd->n; i++) {
		free(bd->v[i].key);
		free(bd->v[i].key2);
		free(bd->v[i].sent);
		free(bd->v[i].refused);
	}
	free(bd->v);
}

void
report_free(struct report *r)
{
	if (r == NULL)
		return;
	rp_breakdown_free(&r->process);
	rp_breakdown_free(&r->org);
	rp_breakdown_free(&r->outcome);
	rp_breakdown_free(&r->reason);
	logquery_incidents_free(r->incidents, r->nincidents);
	logquery_modes_free(r->modes, r->nmodes);
	free(r->outages);
	free(r->title);
	free(r);
}
