/*
 * outage - when the servers have been unreachable long enough to call it an
 * outage, and what follows from it (interface "Outages, clerical mode and
 * suspension", seed ¶58-59). Pure: the daemon feeds it every contact with
 * a server and the time, and acts on the events it returns (log rows, the
 * mode, journal lines, the INBOX notice); the record it keeps is encoded
 * into the daemon's state (state.h) so that a restart during an outage
 * keeps the time of the first failure.
 *
 *	struct outage o;
 *	outage_decode(saved, &o);                 saved: NULL when never stored
 *	outage_contact(&o, OG_SMTP, ok, now);     after every connect/TLS/login
 *	switch (outage_check(&o, now, cfg->outage_after_seconds)) { case OG_START: ... }
 *	if (outage_clerical_due(&o, now, pol->clerical_after_hours)) ... enter clerical
 *	value = outage_encode(&o);                store when it changed
 */
#ifndef MG_OUTAGE_H
#define MG_OUTAGE_H

#include <time.h>

enum og_server { OG_IMAP, OG_SMTP, OG_NSERVERS };

struct outage {
	time_t first_fail[OG_NSERVERS];	/* first failure since the last good contact; 0 none */
	time_t started;			/* the outage's first failure; 0 no outage */
	enum og_server server;		/* the server whose failures started it */
	time_t warned;			/* the last journal line about it */
	int notified;			/* the INBOX notice was given for this outage */
	int clerical;			/* clerical mode was entered for this outage */
};

/* What outage_check() found. */
enum og_event {
	OG_NONE,	/* nothing new */
	OG_START,	/* an outage begins (log row, journal err) */
	OG_REMIND,	/* it lasts: the daily journal line is due */
	OG_END		/* the first good contact ended it (log row) */
};

#define OUTAGE_REMIND_SECONDS 86400

void outage_init(struct outage *o);
/* Records a contact: ok 1 good (connect, TLS and login worked), 0 failed. */
void outage_contact(struct outage *o, enum og_server s, int ok, time_t now);
/*
 * The event due at now; updates started/warned as the event is reported.
 * An outage is when a server has failed every attempt for after seconds;
 * it ends when no server has.
 */
enum og_event outage_check(struct outage *o, time_t now, int after_seconds);
/* 1 once when the outage has lasted hours (clerical-after-hours): enter clerical. */
int outage_clerical_due(struct outage *o, time_t now, int hours);
/* 1 once per outage when IMAP works but SMTP does not: put the notice in INBOX. */
int outage_notice_due(struct outage *o);
const char *outage_server_name(enum og_server s);

/*
 * The notice put into INBOX (X-Mailgate-Notice: outage) so that staff see in
 * their mail client that nothing can be sent; CRLF line endings, appended to out.
 */
struct sbuf;
void outage_notice_build(const struct outage *o, const char *address, time_t now,
    struct sbuf *out);

/* The state value (malloc'd) and back; decode: 0, -1 malformed (o reset). */
char *outage_encode(const struct outage *o);
int outage_decode(const char *value, struct outage *o);
/* 1 when the two records differ (the state needs writing). */
int outage_changed(const struct outage *a, const struct outage *b);

#endif
