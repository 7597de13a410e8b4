/*
 * logquery - the questions compliance staff ask of the send log, as an API
 * over an open sendlog handle, so that no command writes SQL against the
 * log's tables: message rows matching filters, the values a filter can
 * match, incidents with their actions, mode changes, and whether a sent
 * row exists. Read-only; every answer comes from the chained rows.
 *
 *	struct lq_filter f;
 *	lq_filter_init(&f);
 *	lq_filter_add(&f, LQ_OUTCOME, "sent");     repeated: any of
 *	f.since = t0; f.has_since = 1;
 *	logquery_messages(sl, &f, print_row, ctx, err, sizeof err);
 *	lq_filter_free(&f);
 *
 * Matching: process, class, direction and outcome exactly; recipient and
 * organisation case-insensitively; a Message-ID case-insensitively and
 * with or without its angle brackets. Rows come in time order, rows of the
 * same second in log order (seq).
 */
#ifndef MG_LOGQUERY_H
#define MG_LOGQUERY_H

#include <stddef.h>
#include <time.h>

#include "sendlog.h"

enum lq_field {
	LQ_PROCESS, LQ_RECIPIENT, LQ_ORG, LQ_CLASS, LQ_DIRECTION, LQ_MESSAGE_ID, LQ_OUTCOME,
	LQ_PERSON,		/* a person's keyed hash (sendlog_person()) */
	LQ_NFIELDS
};

struct lq_filter {
	time_t since, until;		/* both inclusive */
	int has_since, has_until;
	char **v[LQ_NFIELDS];		/* owned copies; any of them matches */
	size_t n[LQ_NFIELDS];
};

void lq_filter_init(struct lq_filter *f);
void lq_filter_add(struct lq_filter *f, enum lq_field field, const char *value);
void lq_filter_free(struct lq_filter *f);

/* A message row; absent values NULL, records < 0 when absent. Valid during the callback. */
struct lq_row {
	long long seq;
	time_t time;
	const char *direction, *process, *recipient, *rclass, *org, *outcome, *message_id,
	    *reasons, *submitted_by, *policy_version;
	int records;
};

/* Return 0 to go on, non-zero to stop (that value is returned). */
typedef int lq_row_fn(const struct lq_row *r, void *arg);

/* Calls fn for each message row matching f. 0, fn's stop value, or -1 with err. */
int logquery_messages(struct sendlog *sl, const struct lq_filter *f, lq_row_fn *fn, void *arg,
    char *err, size_t errlen);

/*
 * The distinct values the log holds for a field (message rows), sorted;
 * *out is a malloc'd vector of malloc'd strings (strv_free()). Not for
 * LQ_PERSON. 0 or -1 with err.
 */
int logquery_values(struct sendlog *sl, enum lq_field field, char ***out, size_t *n, char *err,
    size_t errlen);

/* One action on an incident, and an incident (a Message-ID and recipient pair). */
struct lq_action {
	time_t time;
	char *action;		/* alerted, deletion-requested, deletion-confirmed, note */
	char *note;		/* NULL when none */
	char *who;
};
struct lq_incident {
	char *message_id, *recipient;
	struct lq_action *actions;	/* oldest first */
	size_t nactions;
	int closed;			/* a deletion-confirmed action exists */
};
/* Every incident with every action, in the order they were opened. 0 or -1 with err. */
int logquery_incidents(struct sendlog *sl, struct lq_incident **out, size_t *n, char *err,
    size_t errlen);
void logquery_incidents_free(struct lq_incident *v, size_t n);

/* A mode change: outcome is the new mode, detail its "mode: reason". */
struct lq_mode {
	time_t time;
	char *mode, *detail, *who;
};
/* Mode changes between since and until (inclusive) and the last one before since. */
int logquery_modes(struct sendlog *sl, time_t since, time_t until, struct lq_mode **out,
    size_t *n, struct lq_mode *before, int *have_before, char *err, size_t errlen);
void logquery_modes_free(struct lq_mode *v, size_t n);
/* Frees what one lq_mode holds (the one before the period). */
void logquery_mode_clear(struct lq_mode *m);

/* 1 when the log has a sent row for this Message-ID and recipient, 0 when not, -1 on error. */
int logquery_has_sent(struct sendlog *sl, const char *message_id, const char *recipient);

/* "<ID>" or "ID" as the log stores it (no brackets, no surrounding blanks), into a new string. */
char *logquery_msgid(const char *s);

#endif
