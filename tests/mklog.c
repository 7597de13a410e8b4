/*
 * mklog - writes the sample send log the report tests and the README's
 * picture use, through the sendlog and mode APIs as the daemon and
 * mailgatectl would: December 2026 (GMT) with several processes, outcomes,
 * reasons, incidents, an outage and a clerical spell; rows at the edges of
 * London days and months under BST and GMT; and one message whose
 * Message-ID carries a terminal escape and a spreadsheet formula.
 *
 *	mklog STATE_DIR LOG_KEY_FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "mode.h"
#include "sendlog.h"

/* A recipient "address class org" (org "-" for none). */
struct mk_msg {
	const char *time, *process, *outcome, *reasons, *mid, *stem;
	const char *rcpts[3][3];
};

#define MK_HOSTILE "=HYPERLINK(\"http://evil.example\")\x1b]0;owned\x07@p"

static const struct mk_msg mk_msgs[] = {
	{ "2026-06-30T23:30:00Z", "exit-report", "sent", NULL, "s03@provider.example", "AB123456",
	  { { "jcp.whp@dwp.example", "department", "DWP" } } },
	{ "2026-07-15T22:30:00Z", "exit-report", "sent", NULL, "s01@provider.example", "AB123456",
	  { { "jcp.whp@dwp.example", "department", "DWP" } } },
	{ "2026-07-31T23:30:00Z", "exit-report", "sent", NULL, "s02@provider.example", NULL,
	  { { "jcp.whp@dwp.example", "department", "DWP" } } },
	{ "2026-11-30T23:59:59Z", "exit-report", "sent", NULL, "n01@provider.example", NULL,
	  { { "jcp.whp@dwp.example", "department", "DWP" } } },
	{ "2026-12-01T09:00:00Z", "exit-report", "sent", NULL, "d01@provider.example", "CE123456",
	  { { "jcp.whp@dwp.example", "department", "DWP" },
	    { "whp@acme.example", "subcontractor", "acme" } } },
	{ "2026-12-01T10:00:00Z", "change-of-circumstances", "sent", NULL, "D02@Provider.example",
	  "HN010203", { { "whp@acme.example", "subcontractor", "acme" } } },
	{ "2026-12-02T11:00:00Z", "change-of-circumstances", "rejected", "offshore-recipient",
	  "d03@provider.example", "HN010203", { { "whp@faraway.example", "subcontractor",
	  "faraway" } } },
	{ "2026-12-03T14:00:00Z", "employment-business", "sent", "late-notice",
	  "d04@provider.example", NULL, { { "prap.support@dwp.example", "department", "DWP" } } },
	{ "2026-12-07T09:30:00Z", "exit-report", "held", "not-normal-mode", "d05@provider.example",
	  NULL, { { "jcp.whp@dwp.example", "department", "DWP" } } },
	{ "2026-12-08T10:00:00Z", "exit-report", "sent", NULL, "d05@provider.example", NULL,
	  { { "jcp.whp@dwp.example", "department", "DWP" } } },
	{ "2026-12-10T16:00:00Z", "compliance-doubt", "rejected",
	  "too-many-records unknown-recipient", "d06@provider.example", NULL,
	  { { "lmdm.whp@dwp.example", "department", "DWP" },
	    { "stranger@else.example", "unknown", "-" } } },
	{ "2026-12-15T12:00:00Z", "names-and-ninos", "sent", NULL, "d07@provider.example", NULL,
	  { { "referrals@brightpath.example", "subcontractor", "brightpath" },
	    { "whp@acme.example", "subcontractor", "acme" },
	    { "jcp.whp@dwp.example", "department", "DWP" } } },
	{ "2026-12-16T09:00:00Z", "change-of-circumstances", "rejected", "unknown-recipient",
	  MK_HOSTILE, NULL, { { "x@evil.example", "unknown", "-" } } },
	{ "2026-12-31T23:59:59Z", "good-news-story", "sent", NULL, "d08@provider.example", NULL,
	  { { "performance.manager@dwp.example", "department", "DWP" } } },
	{ "2027-01-01T00:00:00Z", "good-news-story", "sent", NULL, "j01@provider.example", NULL,
	  { { "performance.manager@dwp.example", "department", "DWP" } } },
};

/* Incident actions and mode changes, in time order with the messages above. */
struct mk_event {
	const char *time, *mid, *rcpt, *action, *note;	/* mid NULL: a mode change */
	enum mg_mode mode;
};

static const struct mk_event mk_events[] = {
	{ "2026-11-30T12:00:00Z", "n01@provider.example", "jcp.whp@dwp.example", "alerted", NULL,
	  MODE_NORMAL },
	{ "2026-12-02T09:00:00Z", "d02@provider.example", "whp@acme.example", "alerted", NULL,
	  MODE_NORMAL },
	{ "2026-12-02T10:00:00Z", "d02@provider.example", "whp@acme.example", "deletion-requested",
	  "asked by phone", MODE_NORMAL },
	{ "2026-12-04T15:00:00Z", "d02@provider.example", "whp@acme.example", "deletion-confirmed",
	  "confirmed in writing", MODE_NORMAL },
	{ "2026-12-05T08:00:00Z", NULL, "mailgated", NULL, "IMAP server unreachable since 07:55",
	  MODE_OUTAGE },
	{ "2026-12-05T11:00:00Z", NULL, "mailgated", NULL, "contact with the servers again",
	  MODE_NORMAL },
	{ "2026-12-05T12:00:00Z", "n01@provider.example", "jcp.whp@dwp.example", "note",
	  "DWP says it was forwarded internally", MODE_NORMAL },
	{ "2026-12-07T09:00:00Z", NULL, "alice", NULL, "provider mail server maintenance",
	  MODE_CLERICAL },
	{ "2026-12-07T17:00:00Z", NULL, "alice", NULL, "told WHP enquiries by phone, ref 12",
	  MODE_NORMAL },
	{ "2026-12-16T10:00:00Z", "d07@provider.example", "referrals@brightpath.example", "alerted",
	  NULL, MODE_NORMAL },
};

static int
mk_message(struct sendlog *sl, const struct mk_msg *m, char *err, size_t errlen)
{
	struct sendlog_row rows[3];
	struct nino_stem p;
	size_t n = 0, i;
	time_t t;

	if (!sendlog_parse_time(m->time, 0, &t))
		return snprintf(err, errlen, "mklog: bad time %s", m->time), -1;
	if (m->stem)
		memcpy(p.s, m->stem, NINO_STEM_LEN + 1);
	for (i = 0; i < 3 && m->rcpts[i][0]; i++, n++) {
		memset(&rows[i], 0, sizeof(rows[i]));
		rows[i].time = t;
		rows[i].kind = "message";
		rows[i].direction = "out";
		rows[i].process = m->process;
		rows[i].recipient = m->rcpts[i][0];
		rows[i].rclass = m->rcpts[i][1];
		rows[i].org = strcmp(m->rcpts[i][2], "-") ? m->rcpts[i][2] : NULL;
		rows[i].outcome = m->outcome;
		rows[i].records = m->stem ? 1 : 0;
		rows[i].message_id = m->mid;
		rows[i].reasons = m->reasons;
		rows[i].submitted_by = "caseworker@provider.example";
		rows[i].policy_version = "1ec8f437698e6128";
		rows[i].persons = m->stem ? &p : NULL;
		rows[i].npersons = m->stem ? 1 : 0;
	}
	return sendlog_add_rows(sl, rows, n, err, errlen);
}

static int
mk_event(struct sendlog *sl, const struct mk_event *e, char *err, size_t errlen)
{
	struct sendlog_row r;
	char detail[256];
	time_t t;

	if (!sendlog_parse_time(e->time, 0, &t))
		return snprintf(err, errlen, "mklog: bad time %s", e->time), -1;
	if (e->mid == NULL)
		return mode_set(sl, e->mode, e->note, e->rcpt, t, err, errlen);
	if (e->note)
		snprintf(detail, sizeof(detail), "%s: %s", e->action, e->note);
	else
		snprintf(detail, sizeof(detail), "%s", e->action);
	memset(&r, 0, sizeof(r));
	r.time = t;
	r.kind = "incident";
	r.records = -1;
	r.message_id = e->mid;
	r.recipient = e->rcpt;
	r.outcome = e->action;
	r.submitted_by = "alice";
	r.detail = detail;
	return sendlog_add(sl, &r, err, errlen);
}

int
main(int argc, char **argv)
{
	size_t nm = sizeof(mk_msgs) / sizeof(mk_msgs[0]), ne = sizeof(mk_events) / sizeof(mk_events[0]);
	size_t i = 0, j = 0, keylen;
	struct sendlog *sl;
	unsigned char *key;
	char err[512];
	time_t a, b;

	if (argc != 3) {
		fprintf(stderr, "usage: mklog STATE_DIR LOG_KEY_FILE\n");
		return 2;
	}
	key = (unsigned char *)config_read_secret(argv[2], 32, &keylen, err, sizeof(err));
	if (key == NULL || sendlog_open(argv[1], key, keylen, SENDLOG_WRITE, &sl, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "mklog: %s\n", err);
		return 2;
	}
	free(key);
	/* messages and events merged by time, as they would have been written */
	while (i < nm || j < ne) {
		int rc;

		sendlog_parse_time(i < nm ? mk_msgs[i].time : "9999-12-31", 0, &a);
		sendlog_parse_time(j < ne ? mk_events[j].time : "9999-12-31", 0, &b);
		rc = a <= b ? mk_message(sl, &mk_msgs[i++], err, sizeof(err)) :
		    mk_event(sl, &mk_events[j++], err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "mklog: %s\n", err);
			sendlog_close(sl);
			return 2;
		}
	}
	sendlog_close(sl);
	return 0;
}
