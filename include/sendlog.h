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
 * incident, purge). The live database, its WAL and SHM are theirs alone
 * (0600): a reader able to open them could take SQLite's locks and stop the
 * daemon. Readers open the published copy (SENDLOG_READ | SENDLOG_COPY):
 * state_dir/sendlog-copy.db, made by sendlog_publish() with VACUUM INTO,
 * fsync and an atomic rename, mode 0640 in state_dir's group, opened
 * immutable (no locks, no -shm). A writer that added rows publishes the
 * copy when it closes; the daemon also after each pass and every minute.
 *
 * Heads: the head is the row count's sequence number (16 hex digits) and
 * that row's chain value (64), SENDLOG_HEAD_LEN hex digits in all. The
 * daemon writes it signed to the journal ("log head: HEAD signature SIG",
 * sendlog_head_line()); sendlog_verify() checks that a recorded head is
 * still in the chain and counts the rows after it, so removing the newest
 * rows, rolling the log back or replacing it is seen. The verifying key is
 * pinned outside state_dir (sendlog_pin_key(): a PEM file or its
 * "sha256:" fingerprint), so whoever owns state_dir cannot replace log and
 * key together.
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
#define SENDLOG_COPY 0x4	/* with SENDLOG_READ: the readers' published copy */

#define SENDLOG_COPY_NAME "sendlog-copy.db"
#define SENDLOG_HEAD_LEN 80	/* hex digits: 16 of the sequence number, 64 of the chain value */
#define SENDLOG_FPR_LEN 71	/* "sha256:" and 64 hex digits */

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
	const char *outcome;		/* sent rejected held uncertain (mailgated writes these) */
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
 * One transaction around rows and the records other modules keep in the
 * same database (journey, state): sendlog_add_rows() inside it joins it.
 * sendlog_commit() rolls back when the commit fails. 0 or -1 with err.
 */
int sendlog_begin(struct sendlog *sl, char *err, size_t errlen);
int sendlog_commit(struct sendlog *sl, char *err, size_t errlen);
void sendlog_rollback(struct sendlog *sl);
/*
 * Group commit: a transaction begun with sendlog_begin_grouped() (and ended
 * by sendlog_commit()) survives a crash of the process once committed (it
 * is in the WAL) but reaches the disk only with the next plain commit or
 * sendlog_sync(), so that a batch of them costs one fsync. Only for records
 * whose loss on a power failure the journeys' recovery rebuilds, or that
 * are synced before anything outside depends on them (journey.h says
 * which). 0 or -1 with err, as sendlog_begin().
 */
int sendlog_begin_grouped(struct sendlog *sl, char *err, size_t errlen);
/* Makes every grouped commit durable (one fdatasync of the WAL). 0 or -1 with err. */
int sendlog_sync(struct sendlog *sl, char *err, size_t errlen);
/* The database's last error, "DIR/sendlog.db: words". */
void sendlog_db_error(struct sendlog *sl, char *err, size_t errlen);

/* 1 when the log has a sent row for this Message-ID, 0 when not, -1 on error. */
int sendlog_was_sent(struct sendlog *sl, const char *message_id);

/* What the log says of one outbound send (direction out, outcome sent). */
struct sendlog_sent {
	char *process, *rclass, *org;	/* NULL when absent */
	int records;
};

/*
 * The sent row of message_id to recipient (any case): 1 found (out filled;
 * sendlog_sent_free), 0 none, -1 on error. A delivery report's recipients
 * are believed only where this says they were sent to.
 */
int sendlog_sent_to(struct sendlog *sl, const char *message_id, const char *recipient,
    struct sendlog_sent *out);
void sendlog_sent_free(struct sendlog_sent *s);

/* 1 when an outbound row of message_id to recipient has outcome (bounced: logged once), 0, -1. */
int sendlog_has_outcome(struct sendlog *sl, const char *message_id, const char *recipient,
    const char *outcome);

/* The current head (SENDLOG_HEAD_LEN hex digits and NUL). 0, or -1 when the log cannot be read. */
int sendlog_head(struct sendlog *sl, char out[SENDLOG_HEAD_LEN + 1]);
/*
 * A head as given: SENDLOG_HEAD_LEN hex digits, or 64 (a bare chain value
 * recorded by older versions: *seq is then -1). 0, or -1 when malformed.
 */
int sendlog_head_parse(const char *s, long long *seq, char chain[65]);
/* The journal's line for head, signed (writers only): "log head: HEAD signature SIG". */
int sendlog_head_line(struct sendlog *sl, const char *head, char *out, size_t outlen);
/*
 * Finds a head line in line (a journal or exported line) into head: 1 its
 * signature is the log key's, 0 it is not (forged), -1 no head line here.
 */
int sendlog_head_from_line(struct sendlog *sl, const char *line, char head[SENDLOG_HEAD_LEN + 1]);

/* The verifying key's fingerprint, "sha256:" and hex of SHA-256 over the raw public key. */
int sendlog_key_fingerprint(struct sendlog *sl, char out[SENDLOG_FPR_LEN + 1]);
/*
 * Pins the verifying key: pin is "sha256:HEX" or a PEM public key file
 * outside state_dir (its rows are then checked against that key). 0 the
 * log's key is the pinned one; 1 it is not (what says so: the key was
 * replaced); -1 the pin cannot be used (what says why).
 */
int sendlog_pin_key(struct sendlog *sl, const char *pin, char *what, size_t whatlen);

#define SENDLOG_UNCHECKED 2	/* sendlog_verify(): the head given was purged */
struct sendlog_check {
	long long first;	/* the anchor's row (0: none), the chain starts after it */
	long long last;		/* the last row */
	long long after;	/* rows after the head given; -1 without one */
};
/*
 * Verifies the whole chain, every signature, each value's type and the
 * person index; values are hashed by their byte length. With head (see
 * sendlog_head_parse), also that it is still in the chain. 0 intact (chk
 * filled); 1 with the first bad row or the missing head described in what;
 * SENDLOG_UNCHECKED the head is older than the purge anchor; -1 the log
 * cannot be read or head is malformed (what says which).
 */
int sendlog_verify(struct sendlog *sl, const char *head, struct sendlog_check *chk, char *what,
    size_t whatlen);

/*
 * Publishes the readers' copy (writers only); with line, also the signed
 * line of a head the copy holds, for the journal. 0 or -1 with err.
 */
int sendlog_publish(struct sendlog *sl, char *line, size_t linelen, char *err, size_t errlen);
/* SENDLOG_COPY: when the copy was published (its mtime); 0 otherwise. */
time_t sendlog_copy_time(const struct sendlog *sl);

/* The first moment that is kept: now in UTC minus months, day clamped. */
time_t sendlog_cutoff(time_t now, int months);
/* Removes the rows before the cutoff (keeping the chain verifiable); logs itself. */
int sendlog_purge(struct sendlog *sl, time_t now, int months, const char *who, size_t *removed,
    char *err, size_t errlen);

/* HMAC of a stem under the log's person key, hex. */
void sendlog_person(struct sendlog *sl, const char stem[NINO_STEM_LEN], char out[65]);

/* The SQLite handle: for journey and state, whose tables share the file, and logquery (read-only). */
struct sqlite3 *sendlog_db(struct sendlog *sl);

/*
 * Statements kept prepared on the handle (the daemon's per-message ones):
 * each module names its statements by an enum of its own that indexes its
 * own static table of SQL, so the SQL stays beside the code that binds its
 * parameters and reads its columns; the handle owns the prepared
 * statements and finalizes them when it closes.
 *
 *	static const char *const my_sql[MY_NSTMTS] = { [MY_FIND] = "SELECT ...", ... };
 *	static const struct sendlog_stmts my_stmts = { SENDLOG_STMTS_MINE, MY_NSTMTS, my_sql };
 *	sqlite3_stmt *st = sendlog_stmt(log, &my_stmts, MY_FIND);
 *	if (st == NULL) ... (the reason: sendlog_db_error())
 *	bind, step ...; sendlog_stmt_done(st);
 *
 * sendlog_stmt_done() must end every use, whatever the steps returned: a
 * statement left stepping holds a read transaction open (no WAL
 * checkpoint gets past it, VACUUM INTO and COMMIT refuse), and handing it
 * out again aborts, a caller's bug. It also clears the bindings, so that a
 * parameter not bound is NULL again.
 */
enum sendlog_stmts_owner {
	SENDLOG_STMTS_LOG,	/* sendlog's own */
	SENDLOG_STMTS_JOURNEY,
	SENDLOG_STMTS_STATE,
	SENDLOG_STMTS_MODE,
	SENDLOG_NSTMTS_OWNERS
};
struct sendlog_stmts {
	enum sendlog_stmts_owner owner;
	unsigned n;			/* statements; the owner's enum runs 0 .. n-1 */
	const char *const *sql;		/* n texts, by the owner's enum */
};
struct sqlite3_stmt *sendlog_stmt(struct sendlog *sl, const struct sendlog_stmts *set,
    unsigned id);
void sendlog_stmt_done(struct sqlite3_stmt *st);

/* "YYYY-MM-DDTHH:MM:SSZ" */
void sendlog_time(time_t t, char out[21]);
/* Parses YYYY-MM-DD (as start or end of day) or ISO 8601 with Z or an offset. */
int sendlog_parse_time(const char *s, int end_of_day, time_t *out);

#endif
