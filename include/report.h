/*
 * report - the compliance figures of a period (a London month or days):
 * messages and recipients by process, by organisation and class, by
 * outcome and by reason code, with totals; incidents opened, actions taken
 * and still open; mode changes and outages; the chain's verification and
 * head. Computed from the chained rows through logquery, and written as a
 * table, CSV, JSON or one self-contained printable HTML page.
 *
 *	struct report *r;
 *	if (report_build(sl, since, until, "December 2026", now, &r, err, sizeof err) < 0) ...
 *	report_verify(r, sl, time(NULL));
 *	report_write(r, REPORT_HTML, stdout);
 *	report_free(r);
 *
 * A message is counted once per outcome it had in the period (held on
 * Monday and sent on Tuesday is one held and one sent), so messages add up
 * by process and by outcome and recipients add up everywhere; a message to
 * two organisations counts once in each, and a message with two reasons
 * once under each.
 */
#ifndef MG_REPORT_H
#define MG_REPORT_H

#include <stdio.h>
#include <time.h>

#include "logquery.h"
#include "mgdate.h"
#include "sendlog.h"

enum report_format { REPORT_TABLE, REPORT_CSV, REPORT_JSON, REPORT_HTML };

/* One line of a breakdown: a key (and for organisations the class). */
struct report_line {
	char *key, *key2;
	long messages, recipients;
	long *sent, *refused;	/* per day of the period (processes only), else NULL */
};

struct report_breakdown {
	struct report_line *v;
	size_t n;
};

struct report_outage {
	time_t start, end;	/* end 0: still going at the end of the period */
};

struct report {
	time_t since, until;		/* inclusive */
	mgday first_day;
	int ndays;			/* London days in the period */
	char *title;			/* "December 2026", "2026-12-01 to 2026-12-07" */
	time_t made;			/* when built (the verification's time) */
	struct report_breakdown process, org, outcome, reason;
	long messages, recipients;	/* totals */
	struct lq_incident *incidents;	/* every incident of the log */
	size_t nincidents;
	long opened, actions, still_open;	/* in the period, at its end */
	struct lq_mode *modes;		/* changes in the period */
	size_t nmodes;
	struct report_outage *outages;
	size_t noutages;
	int verify_rc;			/* sendlog_verify(): 0 intact, 1 tampered, -1 unreadable
					   or not yet checked */
	char verify_what[512];
	char head[SENDLOG_HEAD_LEN + 1];	/* sendlog_head(): sequence number and chain value */
	long long rows;			/* the chain's last row (sendlog_check.last) */
};

int report_build(struct sendlog *sl, time_t since, time_t until, const char *title, time_t now,
    struct report **out, char *err, size_t errlen);
/* Verifies the chain (sendlog_verify()) and records the result and the head at now. */
void report_verify(struct report *r, struct sendlog *sl, time_t now);
void report_write(const struct report *r, enum report_format f, FILE *fp);
void report_free(struct report *r);

#endif
