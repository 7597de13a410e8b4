/*
 * report_int - what report.c shares with its writers (report_out.c for
 * table, CSV and JSON; report_html.c for the printable page).
 */
#ifndef MG_REPORT_INT_H
#define MG_REPORT_INT_H

#include "report.h"

void report_write_table(const struct report *r, FILE *fp);
void report_write_csv(const struct report *r, FILE *fp);
void report_write_json(const struct report *r, FILE *fp);
void report_write_html(const struct report *r, FILE *fp);

/* 1 when the incident was opened (its first action) within the period. */
int report_incident_opened(const struct report *r, const struct lq_incident *in);
/* The actions of an incident that fall in the period. */
long report_incident_actions(const struct report *r, const struct lq_incident *in);
/* 1 when the incident existed and was not closed at the period's end. */
int report_incident_open_at_end(const struct report *r, const struct lq_incident *in);
/* The verification as one line: "verified intact at T" or what is wrong. */
void report_verify_line(const struct report *r, char *out, size_t len);
/* "refused" in the chart: what mailgate did not send on its judgement. */
int report_is_refused(const char *outcome);

#endif
