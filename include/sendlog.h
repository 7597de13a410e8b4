/*
 * sendlog - the send log: a three-month, tamper-evident record, in SQLite
 * in state_dir, of where and when every form went, of mode changes, policy
 * loads, purges and incidents.
 *
 * Rows are chained: chain = SHA-256(previous chain || the row's canonical
 * bytes), and each chain value is signed with an Ed25519 key that only the
 * owner of state_dir can read (made on first use, state_dir/sign.key; the
 * public half is sign.pub). Persons are stored only as HMAC-SHA256 of the
 * 8-character NINO stem under a key derived (HKDF) from log_key_file, so
 * compliance staff who may read that key can look people up and verify the
 * log, but cannot forge it. Purging old rows records an anchor (the chain
 * value of the last removed row, signed) from which verification starts.
 *
 *	struct sendlog *sl;
 *	if (sendlog_open(dir, key, keylen, SENDLOG_WRITE, &sl, err, sizeof err) < 0) ...
 *	sendlog_add(sl, &row);   ...   sendlog_close(sl);
 *
 * Writers are the daemon and the owner of state_dir (mailgatectl mode,
 * incident, purge); readers open with SENDLOG_READ.
 */
#ifndef MG_SENDLOG_H
#define MG_SENDLOG_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "nino.h"

#define SENDLOG_READ 0x0
#define SENDLOG_WRITE 0x1	/* create and write; needs the signing key */
#define SENDLOG_NOSYNC 0x2	/* benchmarks only: no fsync */

struct sendlog;

/* A row; absent values NULL (numbers: records < 0 absent). */
struct sendlog_row {
	time_t time;
	const char *kind;		/* message, mode, policy, purge, incident */
	const char *direction;		/* out | forward */
	const char *process;
	const char *recipient;
	const char *rclass;		/* department | subcontractor | internal | unknown */
	const char *org;
	const char *outcome;		/* sent rejected held clerical failed uncertain */
	int records;
	const char *message_id;
	const char *reasons;		/* codes separated by spaces */
	const char *submitted_by;
	const char *policy_version;
	const char *detail;		/* mode, incident action, purge count, ... */
	const struct nino_stem *persons;
	size_t npersons;
};

int sendlog_open(const char *state_dir, const unsigned char *key, size_t keylen, int flags,
    struct sendlog **out, char *err, size_t errlen);
void sendlog_close(struct sendlog *sl);

/* Appends one row (chained, signed) durably. 0 or -1 with err. */
int sendlog_add(struct sendlog *sl, const struct sendlog_row *row, char *err, size_t errlen);
/* Appends n rows in one transaction: a message's rows, one per recipient, all or none. */
int sendlog_add_rows(struct sendlog *sl, const struct sendlog_row *rows, size_t n, char *err,
    size_t errlen);

/*
 * Appends a row and sets a state value (not purged, not chained: the
 * current mode, for instance) in one transaction, so the log and the state
 * never disagree. sendlog_state_get() returns a malloc'd value or NULL.
 */
int sendlog_add_state(struct sendlog *sl, const struct sendlog_row *row, const char *key,
    const char *value, char *err, size_t errlen);
char *sendlog_state_get(struct sendlog *sl, const char *key);

/*
 * The durable intent to send, written before the SMTP transaction starts
 * (the daemon's guard against sending twice): sendlog_intent() returns its
 * id; sendlog_intent_progress() marks how far the transaction got
 * ("data" once DATA began); sendlog_intent_done() closes it. After a
 * crash, sendlog_intents_open() lists those never closed.
 */
long long sendlog_intent(struct sendlog *sl, const char *message_id, char *err, size_t errlen);
int sendlog_intent_progress(struct sendlog *sl, long long id, const char *stage);
int sendlog_intent_done(struct sendlog *sl, long long id);
struct sendlog_intent {
	long long id;
	char *message_id;
	char *stage;
	time_t time;
};
int sendlog_intents_open(struct sendlog *sl, struct sendlog_intent **out, size_t *n);
void sendlog_intents_free(struct sendlog_intent *v, size_t n);
/* 1 when the log has a sent row for this Message-ID, 0 when not, -1 on error. */
int sendlog_was_sent(struct sendlog *sl, const char *message_id);

/* The current chain head, hex (64 characters and NUL). */
int sendlog_head(struct sendlog *sl, char out[65]);
/*
 * Verifies the whole chain and every signature; with head, also that the
 * current head is head. 0 intact; 1 with the first bad row described in
 * what; -1 when the log cannot be read.
 */
int sendlog_verify(struct sendlog *sl, const char *head, char *what, size_t whatlen);

/* The first moment that is kept: now in UTC minus months, day clamped. */
time_t sendlog_cutoff(time_t now, int months);
/* Removes the rows before the cutoff (keeping the chain verifiable); logs itself. */
int sendlog_purge(struct sendlog *sl, time_t now, int months, const char *who, size_t *removed,
    char *err, size_t errlen);

/* HMAC of a stem under the log's person key, hex. */
void sendlog_person(struct sendlog *sl, const char stem[NINO_STEM_LEN], char out[65]);

/* The SQLite handle, for logquery (read-only use; no command touches it). */
struct sqlite3 *sendlog_db(struct sendlog *sl);

/* "YYYY-MM-DDTHH:MM:SSZ" */
void sendlog_time(time_t t, char out[21]);
/* Parses YYYY-MM-DD (as start or end of day) or ISO 8601 with Z or an offset. */
int sendlog_parse_time(const char *s, int end_of_day, time_t *out);

#endif
