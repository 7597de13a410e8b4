/*
 * mgdate - calendar days without time zones, as every rule of the policy is
 * judged on a day ("permit dates are inclusive", "5 calendar days").
 *
 * A day is the number of days since 1970-01-01 (proleptic Gregorian), so
 * comparisons and differences are plain integer arithmetic. MGDAY_NONE
 * marks an absent date (an open-ended permit).
 */
#ifndef MG_MGDATE_H
#define MG_MGDATE_H

#include <stdint.h>
#include <time.h>

typedef int32_t mgday;
#define MGDAY_NONE INT32_MIN

/* 1 and *out set for a real calendar day, else 0. */
int mgday_from_ymd(int y, int m, int d, mgday *out);
void mgday_to_ymd(mgday day, int *y, int *m, int *d);
/* Strict YYYY-MM-DD (the whole string); 1 ok, 0 invalid. */
int mgday_parse_iso(const char *s, mgday *out);
/* YYYY-MM-DD or D/M/YYYY (day and month one or two digits); 1 ok, 0 invalid. */
int mgday_parse_form(const char *s, mgday *out);
/* Writes YYYY-MM-DD into out[11]. */
void mgday_format(mgday day, char out[11]);
/* Today in Europe/London, by the UK summer-time rule computed here (no zoneinfo needed). */
mgday mgday_today_london(time_t now);
/* The UTC day of a time. */
mgday mgday_from_time(time_t t);
/* Days in month m of year y. */
int mgdate_days_in_month(int y, int m);

#endif
