/*
 * outage - the outage clock and the decisions it drives; see
 * include/outage.h. The state value is
 * "IMAP_FIRST\tSMTP_FIRST\tSTARTED\tSERVER\tWARNED\tNOTIFIED\tCLERICAL",
 * times in seconds since the epoch.
 */
#include "outage.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

#define OG_FIELDS 7

void outage_init(struct outage *o)
{
	memset(o, 0, sizeof(*o));
}

const char *outage_server_name(enum og_server s)
{
	switch (s) {
	case OG_IMAP:
		return "imap";
	case OG_SMTP:
		return "smtp";
	case OG_NSERVERS:
		break;
	}
	return "unknown";
}

void outage_contact(struct outage *o, enum og_server s, int ok, time_t now)
{
	if ((unsigned)s >= OG_NSERVERS)
		return;
	if (ok)
		o->first_fail[s] = 0;
	else if (o->first_fail[s] == 0)
		o->first_fail[s] = now;
}

/* The server failing longest for at least after seconds; OG_NSERVERS none. */
static enum og_server og_failing(const struct outage *o, time_t now, int after)
{
	enum og_server s, found = OG_NSERVERS;

	for (s = OG_IMAP; s < OG_NSERVERS; s++)
		if (o->first_fail[s] != 0 && now - o->first_fail[s] >= after &&
		    (found == OG_NSERVERS || o->first_fail[s] < o->first_fail[found]))
			found = s;
	return found;
}

enum og_event outage_check(struct outage *o, time_t now, int after_seconds)
{
	enum og_server s = og_failing(o, now, after_seconds);

	if (o->started == 0) {
		if (s == OG_NSERVERS)
			return OG_NONE;
		o->started = o->first_fail[s];
		o->server = s;
		o->warned = now;
		o->notified = 0;
		o->clerical = 0;
		return OG_START;
	}
	if (s == OG_NSERVERS) {
		o->started = 0;
		o->warned = 0;
		o->notified = 0;
		o->clerical = 0;
		return OG_END;
	}
	if (now - o->warned >= OUTAGE_REMIND_SECONDS) {
		o->warned = now;
		return OG_REMIND;
	}
	return OG_NONE;
}

int outage_clerical_due(struct outage *o, time_t now, int hours)
{
	if (o->started == 0 || o->clerical || hours < 0 || now - o->started < (time_t)hours * 3600)
		return 0;
	o->clerical = 1;
	return 1;
}

int outage_notice_due(struct outage *o)
{
	if (o->started == 0 || o->notified || o->first_fail[OG_IMAP] != 0 ||
	    o->first_fail[OG_SMTP] == 0)
		return 0;
	o->notified = 1;
	return 1;
}

char *outage_encode(const struct outage *o)
{
	return xasprintf("%lld\t%lld\t%lld\t%d\t%lld\t%d\t%d", (long long)o->first_fail[OG_IMAP],
	    (long long)o->first_fail[OG_SMTP], (long long)o->started, (int)o->server,
	    (long long)o->warned, o->notified, o->clerical);
}

int outage_decode(const char *value, struct outage *o)
{
	long long v[OG_FIELDS];
	const char *p = value;
	char *end;
	int i;

	outage_init(o);
	if (value == NULL)
		return 0;
	for (i = 0; i < OG_FIELDS; i++) {
		errno = 0;
		v[i] = strtoll(p, &end, 10);
		if (errno != 0 || end == p || v[i] < 0 || *end != (i + 1 < OG_FIELDS ? '\t' : '\0'))
			return -1;
		p = end + 1;
	}
	if (v[3] >= OG_NSERVERS || v[5] > 1 || v[6] > 1)
		return -1;
	o->first_fail[OG_IMAP] = (time_t)v[0];
	o->first_fail[OG_SMTP] = (time_t)v[1];
	o->started = (time_t)v[2];
	o->server = (enum og_server)v[3];
	o->warned = (time_t)v[4];
	o->notified = (int)v[5];
	o->clerical = (int)v[6];
	return 0;
}

int outage_changed(const struct outage *a, const struct outage *b)
{
	return a->first_fail[OG_IMAP] != b->first_fail[OG_IMAP] ||
	    a->first_fail[OG_SMTP] != b->first_fail[OG_SMTP] || a->started != b->started ||
	    a->server != b->server || a->warned != b->warned || a->notified != b->notified ||
	    a->clerical != b->clerical;
}

static void og_rfc5322(time_t t, char *out, size_t n)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
		"Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, n, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
	    months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void outage_notice_build(const struct outage *o, const char *address, time_t now,
    struct sbuf *out)
{
	const char *domain = address ? strrchr(address, '@') : NULL;
	char date[40], since[40];
	struct tm tm;

	og_rfc5322(now, date, sizeof(date));
	gmtime_r(&o->started, &tm);
	strftime(since, sizeof(since), "%Y-%m-%d %H:%M UTC", &tm);
	sbuf_printf(out, "From: mailgate <%s>\r\nTo: <%s>\r\nDate: %s\r\n"
	    "Subject: Email is not being sent: the mail server cannot be reached\r\n"
	    "Message-ID: <outage-%lld@%s>\r\nX-Mailgate-Notice: outage\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n", address, address, date,
	    (long long)o->started, domain ? domain + 1 : "localhost");
	sbuf_printf(out, "Since %s mailgate cannot reach the mail server that sends email "
	    "(%s). Messages in the Outbox are not being sent; they stay there and are tried "
	    "again.\r\n\r\nIf this goes on, or is expected to go on, for 48 hours, the "
	    "department must be told and forms go by the clerical route (data sharing "
	    "guidance, paragraph 59); mailgate then holds each message and makes a printable "
	    "copy of its form. Ask your administrator before sending anything urgent another "
	    "way.\r\n", since, outage_server_name(o->server));
}
