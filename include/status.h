/*
 * status - the daemon's state for "mailgatectl status": a small text file,
 * state_dir/status, rewritten atomically (temporary file, fsync, rename) by
 * the daemon after each pass and every few seconds of a long one, and read
 * by mailgatectl. The file is padded to a whole 4 KiB so that, when the disk
 * is full, it can be rewritten in place and still tell the truth. One "key<TAB>value"
 * line per item; "waiting<TAB>UID<TAB>NEXT<TAB>LABEL<TAB>REPLY" once per message
 * left in Outbox. Times are seconds since the epoch; values never hold a
 * tab or a line break (status_set_text replaces them).
 *
 *	struct status st; status_init(&st); ... status_write(dir, &st, err, n);
 *	status_read(dir, &st, err, n); ... status_free(&st);
 */
#ifndef MG_STATUS_H
#define MG_STATUS_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define STATUS_FILE "status"

struct status_wait {
	unsigned uid;
	time_t next;		/* next try; 0 unknown */
	char label[320];	/* "<Message-ID> standard subject"; "" */
	char reply[256];	/* last server reply; "" */
};

struct status {
	time_t updated;		/* when the daemon wrote it */
	pid_t pid;
	int interval;		/* seconds between passes (poll_interval) */
	char policy_version[65];
	time_t policy_loaded;
	time_t imap_ok, smtp_ok;	/* last good contact; 0 never */
	time_t imap_fail, smtp_fail;	/* last failure; 0 never */
	char imap_error[256], smtp_error[256];
	time_t log_fail;	/* since when the send log refuses writes; 0 it does not */
	char log_error[256];
	int busy;		/* 1 while a pass is under way (rewritten as it goes) */
	/* the Outbox pass under way, or the last one: when, how many listed, treated, sent */
	time_t pass_started;
	long pass_total, pass_done, pass_sent;
	long held;		/* messages in Held; -1 unknown */
	time_t outage_since;	/* the open outage's first failure; 0 none */
	char outage_server[8];	/* "imap" or "smtp"; "" */
	char permits_ending[256];	/* permits ending within 30 days, "SUB/PROCESS DATE ..."; "" */
	/* INBOX: messages forwarded, moved to Review, reports deleted since the daemon started */
	unsigned long in_forwarded, in_reviewed, in_deleted;
	long in_waiting;	/* left in INBOX by the last pass; -1 unknown */
	struct status_wait *waiting;
	size_t nwaiting;
};

void status_init(struct status *st);
void status_free(struct status *st);
/* Copies s into dst (size n), tabs and line breaks made spaces. */
void status_set_text(char *dst, size_t n, const char *s);
void status_add_waiting(struct status *st, unsigned uid, time_t next, const char *label,
    const char *reply);
/* 0 ok, -1 with err. */
int status_write(const char *state_dir, const struct status *st, char *err, size_t errlen);
/* 0 ok, -1 with err ("no status: the daemon has not run"). */
int status_read(const char *state_dir, struct status *st, char *err, size_t errlen);

#endif
