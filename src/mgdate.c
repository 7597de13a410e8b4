/*
 * mgdate - calendar days as integers (days since 1970-01-01, proleptic
 * Gregorian); see include/mgdate.h.
 *
 * "Today" is judged in Europe/London, whose offset is computed from the UK
 * summer-time rule (last Sunday of March to last Sunday of October, 01:00
 * UTC) rather than from TZ and the tz database: the daemon runs sandboxed,
 * possibly without zoneinfo, and setting TZ would be process-global state.
 */
#include "mgdate.h"

#include <string.h>


static int
mgdate_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
mgdate_days_in_month(int y, int m)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m < 1 || m > 12)
		return 0;
	return dim[m - 1] + (m == 2 && mgdate_is_leap(y));
}

/* Days from 1970-01-01 to y-m-d, by counting 400-year eras from March. */
static mgday
mgdate_civil(int y, int m, int d)
{
	long yy = y - (m <= 2);
	long era = (yy >= 0 ? yy : yy - 399) / 400;
	long yoe = yy - era * 400;
	long mp = (m + 9) % 12;
	long doy = (153 * mp + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return (mgday)(era * 146097 + doe - 719468);
}

int
mgday_from_ymd(int y, int m, int d, mgday *out)
{
	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > mgdate_days_in_month(y, m))
		return 0;
	*out = mgdate_civil(y, m, d);
	return 1;
}

void
mgday_to_ymd(mgday day, int *y, int *m, int *d)
{
	long z = (long)day + 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	long mm = mp < 10 ? mp + 3 : mp - 9;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)mm;
	*y = (int)(yoe + era * 400 + (mm <= 2));
}

/* Reads exactly n digits. */
static int
mgdate_digits(const char **s, int n, int *out)
{
	int v = 0;

	while (n-- > 0) {
		if (**s < '0' || **s > '9')
			return 0;
		v = v * 10 + (*(*s)++ - '0');
	}
	*out = v;
	return 1;
}

/* Reads one or two digits. */
static int
mgdate_digits12(const char **s, int *out)
{
	if (**s < '0' || **s > '9')
		return 0;
	*out = *(*s)++ - '0';
	if (**s >= '0' && **s <= '9')
		*out = *out * 10 + (*(*s)++ - '0');
	return 1;
}

int
mgday_parse_iso(const char *s, mgday *out)
{
	int y, m, d;

	if (!mgdate_digits(&s, 4, &y) || *s++ != '-' || !mgdate_digits(&s, 2, &m) ||
	    *s++ != '-' || !mgdate_digits(&s, 2, &d) || *s != '\0')
		return 0;
	return mgday_from_ymd(y, m, d, out);
}

int
mgday_parse_form(const char *s, mgday *out)
{
	const char *p = s;
	int y, m, d;

	if (mgday_parse_iso(s, out))
		return 1;
	if (!mgdate_digits12(&p, &d) || *p++ != '/' || !mgdate_digits12(&p, &m) ||
	    *p++ != '/' || !mgdate_digits(&p, 4, &y) || *p != '\0')
		return 0;
	return mgday_from_ymd(y, m, d, out);
}

void
mgday_format(mgday day, char out[11])
{
	int y, m, d;

	mgday_to_ymd(day, &y, &m, &d);
	y = y < 0 ? 0 : y % 10000;
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
}

mgday
mgday_from_time(time_t t)
{
	long long s = (long long)t;

	return (mgday)(s >= 0 ? s / 86400 : -((-s + 86399) / 86400));
}

/* The last Sunday of month m in year y, at 01:00 UTC, in seconds. */
static long long
mgdate_last_sunday_0100(int y, int m)
{
	mgday last = mgdate_civil(y, m, mgdate_days_in_month(y, m));
	/* 1970-01-01 was a Thursday: weekday 0 = Sunday is (day + 4) % 7. */
	long wd = (((long)last + 4) % 7 + 7) % 7;

	return ((long long)(last - wd)) * 86400 + 3600;
}

int
mgdate_london_offset(time_t t)
{
	int y, m, d;

	mgday_to_ymd(mgday_from_time(t), &y, &m, &d);
	return (long long)t >= mgdate_last_sunday_0100(y, 3) &&
	    (long long)t < mgdate_last_sunday_0100(y, 10) ? 3600 : 0;
}

mgday
mgday_today_london(time_t now)
{
	return mgday_from_time(now + mgdate_london_offset(now));
}

time_t
mgdate_london_to_utc(time_t wall)
{
	/* in the repeated hour of October this reads the first (BST) one */
	return mgdate_london_offset(wall - 3600) ? wall - 3600 : wall;
}

time_t
mgday_london_start(mgday d)
{
	return mgdate_london_to_utc((time_t)d * 86400);
}

/* "YYYY-MM-DD HH:MM:SS" of t read as UTC into out[20]. */
static void
mgdate_wall(long long t, char out[20])
{
	mgday day = mgday_from_time((time_t)t);
	long long sod = t - (long long)day * 86400;

	mgday_format(day, out);
	out[10] = ' ';
	out[11] = (char)('0' + sod / 36000);
	out[12] = (char)('0' + sod / 3600 % 10);
	out[13] = ':';
	out[14] = (char)('0' + sod % 3600 / 600);
	out[15] = (char)('0' + sod % 3600 / 60 % 10);
	out[16] = ':';
	out[17] = (char)('0' + sod % 60 / 10);
	out[18] = (char)('0' + sod % 10);
	out[19] = '\0';
}

void
mgdate_utc_format(time_t t, char out[20])
{
	mgdate_wall((long long)t, out);
}

void
mgdate_london_format(time_t t, char out[26])
{
	int off = mgdate_london_offset(t);

	mgdate_wall((long long)t + off, out);
	memcpy(out + 19, off ? "+01:00" : "+00:00", 7);
}
