/*
 * journey - the one durable record of a message's way through mailgate,
 * in both directions (Outbox sends, INBOX forwards): Postfix's queue file.
 *
 * Every attempt on a Message-ID first asks journey_find() where the last
 * attempt stopped, and resumes from there; a step with an effect outside
 * (a transaction reaching DATA, a copy filed, rows logged) is preceded or
 * followed by a durable stage, so that after any failure, with or without
 * a restart, no step that happened is repeated and none is skipped:
 *
 *	(none) -> INTENT -> DATA -> ACCEPTED -> LOGGED -> DONE
 *	          |  |        +-> LOGGED (uncertain, smtp-permanent)
 *	          |  +-> LOGGED (smtp-permanent at MAIL or RCPT; judged again: rejected, held)
 *	          +---- DATA (a 4xx to DATA or to the data: nothing was sent, try again)
 *	(none) -> LOGGED (rejected, held, clerical: nothing left the building;
 *	                  a delivery report's bounced rows, then the report deleted)
 *	INTENT -> DONE (the message left its folder before it was sent)
 *
 * Stages before INTENT (picked up, judged) are not written: nothing outside
 * has happened yet, so a crash there only repeats the judging. A transition
 * the table does not allow is an internal error: it is refused, logged by
 * the caller, and the message stays where it is (fail closed).
 *
 * The records live in the send log's database (table journey), so that the
 * LOGGED stage and a message's log rows are written in one transaction; the
 * fate and the verdict code are stored by name (journey_open() names those
 * of older tables, which stored numbers), and a record whose names no
 * program knows is unreadable: journey_find() and journey_list_open() fail
 * rather than guess. When
 * the database refuses a write that records something that already happened
 * outside (ACCEPTED after a 250, DONE), the handle keeps it in memory and
 * journey_find() returns it, so a running daemon never forgets a 250; the
 * next successful write of that record stores it.
 *
 * The copy in Sent is appended between ACCEPTED and LOGGED and has no stage
 * of its own: a journey resumed at ACCEPTED looks for it in Sent before
 * appending. DONE may be written lazily (journey_done_lazy): it joins the
 * next write's transaction, since a journey found at LOGGED whose message
 * has left its folder is simply closed. Both save an fsync per message
 * without weakening "durable before DATA"; so does the group commit below,
 * which leaves one fsync per message (DATA) and one per batch of removals.
 *
 *	struct journeys *js;
 *	journey_open(log, &js, err, sizeof err);
 *	struct journey j;
 *	if (journey_find(js, JR_OUT, msgid, &j) == 0) journey_new(&j, JR_OUT, msgid);
 *	journey_advance(js, &j, JR_INTENT, JF_PENDING, err, sizeof err);
 *	...   journey_clear(&j);   journey_close(js);
 */
#ifndef MG_JOURNEY_H
#define MG_JOURNEY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sendlog.h"

enum jr_dir { JR_OUT, JR_IN };

enum jr_stage {
	JR_NONE,	/* nothing durable yet */
	JR_INTENT,	/* about to start the SMTP transaction */
	JR_DATA,	/* the DATA command is about to be sent */
	JR_ACCEPTED,	/* the server said 250 after the data */
	JR_LOGGED,	/* the outcome's rows are in the send log (a sent copy is in Sent) */
	JR_DONE,	/* the message has left the watched folder; nothing more to do */
	JR_NSTAGES
};

/* What the message came to; decided at the stage that decides it. */
enum jr_fate {
	JF_PENDING,		/* not decided (INTENT, DATA; DONE from INTENT: never sent) */
	JF_SENT,
	JF_REJECTED,		/* by policy */
	JF_HELD,		/* not-normal-mode, already-sent, clerical ... (code says which) */
	JF_UNCERTAIN,		/* the connection broke after DATA began */
	JF_SMTP_PERMANENT,	/* a 5xx: nothing was sent */
	JF_FORWARDED,		/* inbound: forwarded to the entitled inbox(es) */
	JF_REVIEW,		/* inbound: left in Review */
	JF_CLERICAL,		/* clerical or suspended mode: held, a clerical copy made */
	JF_BOUNCED,		/* inbound: a delivery report's bounced rows logged */
	JF_NFATES
};

struct journey {
	long long id;		/* 0 until the first durable stage */
	enum jr_dir dir;
	char *message_id;
	enum jr_stage stage;
	enum jr_fate fate;
	int code;		/* the verdict code behind a held or review fate (enum vcode); -1 */
	time_t date;		/* the Date the rewrite added: the bytes sent can be made again */
	long day;		/* the judging day (mgday) */
	uint32_t uid;		/* where it was last seen in its folder */
	char *reply;		/* the server's last words; NULL */
	time_t updated;
};

struct journeys;

/* Opens the journey records of an open, writable send log (creating the table). */
int journey_open(struct sendlog *log, struct journeys **out, char *err, size_t errlen);
void journey_close(struct journeys *js);

/* A fresh record (stage NONE), owning a copy of message_id. */
void journey_new(struct journey *j, enum jr_dir dir, const char *message_id);
void journey_clear(struct journey *j);

/* The open record (stage not DONE) of this message: 1 found (j filled), 0 none, -1 error. */
int journey_find(struct journeys *js, enum jr_dir dir, const char *message_id, struct journey *j);

/* Every open record of a direction with stage >= from, oldest first; -1 error. */
int journey_list_open(struct journeys *js, enum jr_dir dir, enum jr_stage from,
    struct journey **v, size_t *n);
void journey_list_free(struct journey *v, size_t n);

/*
 * Moves j to stage to with fate (JF_PENDING keeps the fate it has),
 * durably. 0 done; -1 refused (err: the transition is not in the table, an
 * internal error) or not written (err: the database's words). j is updated
 * only when the step counts as taken (see above).
 */
int journey_advance(struct journeys *js, struct journey *j, enum jr_stage to, enum jr_fate fate,
    char *err, size_t errlen);

/* The same to LOGGED, with the outcome's log rows in the same transaction. */
int journey_log(struct journeys *js, struct journey *j, enum jr_fate fate,
    const struct sendlog_row *rows, size_t nrows, char *err, size_t errlen);

/* 1 when the table allows from -> to for fate (pure; the tests walk it). */
int journey_allowed(enum jr_stage from, enum jr_stage to, enum jr_fate fate);

/*
 * LOGGED -> DONE without a transaction of its own: written with the next
 * write of any journey, or by journey_sync(). 0, or -1 refused (err).
 */
int journey_done_lazy(struct journeys *js, struct journey *j, char *err, size_t errlen);

/*
 * Writes what memory holds (steps the database refused, lazy DONEs);
 * 0 all written, -1 not yet.
 */
int journey_sync(struct journeys *js);

/*
 * Group commit. Every step survives a crash of the process once it
 * returns; against a power failure only DATA and a LOGGED of any fate but
 * sent or forwarded are on the disk at once (1 from this rule). The others
 * reach it with the next of those, or with journey_sync_disk(), which the
 * caller runs before it deletes sent messages or forwarded originals.
 */
int journey_needs_sync(enum jr_stage to, enum jr_fate fate);
int journey_sync_disk(struct journeys *js, char *err, size_t errlen);

/* Records removed that were done before cutoff (the log's retention). */
int journey_purge(struct journeys *js, time_t cutoff);

const char *journey_stage_name(enum jr_stage s);
const char *journey_fate_name(enum jr_fate f);

#endif
