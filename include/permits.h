/*
 * permits - which sub-contractors' permits end soon, and which are in force
 * on a day (interface "Outages, clerical mode and suspension", last item;
 * "mailgatectl policy show"). Pure, over a loaded policy.
 *
 *	struct sbuf b; sbuf_init(&b);
 *	if (permits_ending(pol, mgday_today_london(now), 30, &b) > 0) ... warn with b.data
 */
#ifndef MG_PERMITS_H
#define MG_PERMITS_H

#include <stddef.h>
#include <stdio.h>

#include "mgdate.h"
#include "policy.h"
#include "util.h"

#define PERMITS_WARN_DAYS 30

/*
 * The permits in force on today that end within days (inclusive), as
 * "SUBCONTRACTOR/PROCESS until YYYY-MM-DD" joined by ", " onto out; how many.
 */
size_t permits_ending(const struct policy *p, mgday today, int days, struct sbuf *out);

/* 1 when the permit is in force on day. */
int permits_in_force(const struct policy_permit *pm, mgday day);

/*
 * "policy show": for day, each process (or only process_id) with its
 * forms, the department inboxes and the sub-contractors permitted with the
 * permit's dates. 0, or -1 when process_id names no process.
 */
int permits_show(const struct policy *p, mgday day, const char *process_id, FILE *fp);

#endif
