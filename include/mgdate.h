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
/*
 * Europe/London from the UK summer-time rule (BST from 01:00 UTC on the
 * last Sunday of March to 01:00 UTC on the last Sunday of October),
 * computed here: no TZ and no zoneinfo needed, which a sandbox may lack.
 */
/* The London day of a moment ("today" for the policy's rules). */
mgday mgday_today_london(time_t now);
/* London's offset from UTC at a moment, in seconds: 0 or 3600. */
int mgdate_london_offset(time_t t);
/* The first second of London day d, as a UTC moment (the last is the next start - 1). */
time_t mgday_london_start(mgday d);
/* A London wall-clock reading (seconds since 1970 as if UTC) as a UTC moment. */
time_t mgdate_london_to_utc(time_t wall);
/* Writes "YYYY-MM-DD HH:MM:SS+01:00" (London time with its offset) into out[26]. */
void mgdate_london_format(time_t t, char out[26]);
/* Writes "YYYY-MM-DD HH:MM:SS" (UTC) into out[20]. */
void mgdate_utc_format(time_t t, char out[20]);
/* The UTC day of a time. */
mgday mgday_from_time(time_t t);
/* Days in month m of year y. */
int mgdate_days_in_month(int y, int m);

#endif
