/*
 * outbound - the workflow for one message of the Outbox (interface
 * "Folders and sending"), over the message's journey (journey.h): size
 * first, analyse in the worker, judge, read the mode, check the log for an
 * earlier send, judge again, rewrite the headers, make the intent durable,
 * send to exactly the judged recipients, then file the message in Sent,
 * Rejected or Held (or leave it for a retry), put the notice beside it and
 * log the outcome with the journey's step, all of a message's rows in one
 * transaction. Every attempt on a Message-ID resumes where its journey
 * stopped, so a failure at any step, with or without a restart, never
 * sends twice and never loses a message; outbound_recover() settles the
 * journeys whose message left the Outbox.
 *
 * The mailbox and the submission server are reached through the two
 * operation tables below, which the daemon fills from its imap and smtp
 * sessions (and the unit tests from fakes that fail on demand); outbound
 * itself does no network I/O and holds no global state. Every function
 * fails closed: when the policy cannot be evaluated, the log cannot be
 * written or the mailbox cannot be changed, nothing is sent and the message
 * stays in the Outbox.
 *
 *	struct ob_env e = { cfg, policy, worker, log, journeys, &backoff, &mail, &smtp, ... };
 *	outbound_recover(&e);
 *	r = outbound_message(&e, &item);	per item of mail.list()
 */
#ifndef MG_OUTBOUND_H
#define MG_OUTBOUND_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "backoff.h"
#include "config.h"
#include "journey.h"
#include "policy.h"
#include "sendlog.h"
#include "worker.h"

/* What an SMTP transaction came to. */
enum ob_send {
	OB_SEND_OK,		/* 250 after the end of DATA */
	OB_SEND_PERM,		/* 5xx at MAIL, RCPT or DATA: nothing sent (RSET) */
	OB_SEND_TEMP,		/* 4xx, or no connection, before the end of DATA */
	OB_SEND_UNCERTAIN	/* the connection broke after DATA began */
};

/* A message of a folder, as the list shows it. */
struct ob_item {
	uint32_t uid;
	uint32_t size;		/* RFC822.SIZE: the server's count, CRLF line endings */
};

/* The mailbox of the designated inbox; every call 0 ok, -1 failed (connection). */
struct ob_mail {
	void *ctx;
	/* Messages of folder not flagged \Deleted whose INTERNALDATE <= before, by UID. */
	int (*list)(void *ctx, const char *folder, time_t before, struct ob_item **items,
	    size_t *n);
	/* The whole message (size: what the list said, a hint for the deadline). */
	int (*fetch)(void *ctx, const char *folder, uint32_t uid, size_t size, char **data,
	    size_t *len);
	/*
	 * Optional (NULL: fetch): the whole message in a new memfd sealed by
	 * msgfd_seal() (msgfd.h), *fd the caller's to close; the message is
	 * then never in the daemon's heap (issue 12, item 4).
	 */
	int (*fetch_fd)(void *ctx, const char *folder, uint32_t uid, size_t size, int *fd,
	    size_t *len);
	/* Only its header section (for a message too large to fetch). */
	int (*fetch_header)(void *ctx, const char *folder, uint32_t uid, char **data, size_t *len);
	int (*append)(void *ctx, const char *folder, const char *data, size_t len);
	/* Moves uid of from to folder to (MOVE, or COPY + \Deleted + UID EXPUNGE). */
	int (*move)(void *ctx, const char *from, uint32_t uid, const char *to);
	/* Removes uid from folder (\Deleted + UID EXPUNGE). */
	int (*remove)(void *ctx, const char *folder, uint32_t uid);
	/* The same for n UIDs at once (one STORE and one UID EXPUNGE of the set). */
	int (*remove_set)(void *ctx, const char *folder, const uint32_t *uids, size_t n);
	/* UIDs in folder whose header field has value; 0 ok (n may be 0). */
	int (*search)(void *ctx, const char *folder, const char *field, const char *value,
	    uint32_t **uids, size_t *n);
	/*
	 * Optional (NULL: append alone): append_start begins appending data on
	 * another session and returns at once, -1 when it cannot (append is
	 * used instead); data stays the caller's until append_wait, which waits
	 * for it: 0 appended, -1 failed or not known. At most one outstanding;
	 * actx is their context.
	 */
	void *actx;
	int (*append_start)(void *actx, const char *folder, const char *data, size_t len);
	int (*append_wait)(void *actx);
};

/*
 * The submission server. progress(pctx) is called once just before the
 * DATA command: when it fails the transaction must stop there (OB_SEND_TEMP).
 * waiting(pctx), when not NULL, is called once the data has been sent,
 * before the server's answer to it is read: the caller's own work (the next
 * message fetched for the worker) then runs while the server takes the
 * message. reply receives the server's last words (one line).
 */
struct ob_smtp {
	void *ctx;
	enum ob_send (*send)(void *ctx, const char *from, char *const *rcpts, size_t nrcpts,
	    const char *data, size_t len, int (*progress)(void *pctx),
	    void (*waiting)(void *pctx), void *pctx, char *reply, size_t replylen);
	/* For the log line, after a send: "host[ip]:port tls=TLSv1.3"; NULL op: none. */
	void (*relay)(void *ctx, char *buf, size_t n);
};

/*
 * Sent messages whose Outbox copies are removed together (one STORE and
 * one EXPUNGE for up to OB_BATCH of them): their journeys stay at LOGGED
 * until the removal, so a crash before it only repeats the removal. The
 * caller owns it and calls outbound_flush() at the end of each pass.
 */
#define OB_BATCH 32
struct ob_batch {
	const char *folder;	/* where the messages are; NULL: the Outbox */
	uint32_t uids[OB_BATCH];
	struct journey j[OB_BATCH];
	size_t n;
};

/*
 * A sent message whose copy is being appended to Sent (mail->append_start)
 * while the next message is judged and sent: it is finished (LOGGED, its
 * removal batched) when the next sent message reaches its 250, or by
 * outbound_flush(). The order of its durable stages is unchanged: ACCEPTED
 * before the append, the append before LOGGED. The caller owns it, zeroed.
 */
struct ob_msg;
struct ob_filing {
	struct ob_msg *m;
};

/*
 * Look-ahead: the message after this one in the pass is fetched and
 * handed to the worker while this one's data is with the server (the
 * send's waiting hook), so that it is analysed meanwhile; outbound_message() on it collects
 * that analysis instead of fetching again. Read-only: nothing durable is
 * written for it. The caller owns it, zeroed, sets next before each
 * outbound_message() (NULL for the last) and calls outbound_flush(), which
 * drops an analysis nobody came for.
 */
struct ob_ahead {
	const struct ob_item *next;
	uint32_t uid;		/* fetched and submitted; 0 none */
	int fd;			/* its sealed memfd (msgfd.h) while uid is not 0 */
	size_t len;
};

struct ob_env {
	const struct config *cfg;
	const struct policy *pol;
	const char *policy_version;	/* for the log; NULL */
	struct worker_pool *worker;
	struct sendlog *log;
	struct journeys *jr;
	struct backoff_tab *backoff;
	struct ob_batch *batch;		/* NULL: each sent copy removed at once */
	struct ob_filing *filing;	/* NULL: each copy appended before the next message */
	struct ob_ahead *ahead;		/* NULL: each message fetched and analysed in turn */
	struct ob_mail *mail;
	struct ob_smtp *smtp;
	/* The mode (enum mg_mode, mode.h) before each message; -1 unknown. */
	int (*mode)(void *ctx);
	void *mode_ctx;
	time_t (*now)(void);
	/* One line per outcome ("<6>..."), no personal data; NULL: stderr. */
	void (*logline)(void *ctx, int prio, const char *line);
	void *log_ctx;
};

/* What happened to one message. */
enum ob_outcome {
	OB_SENT, OB_REJECTED, OB_HELD,
	OB_LEFT,		/* left in Outbox for a retry (4xx, backoff, fail closed) */
	OB_SKIPPED,		/* waiting for its backoff */
	OB_MAILBOX_FAILED,	/* the mailbox failed: reconnect and try again */
	OB_LOG_FAILED		/* the send log refused a write: stop sending, retry later */
};

/* Treats one message of the Outbox. */
enum ob_outcome outbound_message(struct ob_env *e, const struct ob_item *it);

/*
 * Settles the open journeys whose message is no longer in the Outbox
 * (present: the pass resumes them message by message): one that never
 * reached DATA is closed; one whose copy is in Sent gets its sent rows; one
 * whose fate is unknown is logged uncertain. Also writes what the journey
 * memory holds. Call at the start of every pass, with items the Outbox
 * list. 0, or OB_MAILBOX_FAILED / OB_LOG_FAILED as above.
 */
int outbound_recover(struct ob_env *e, const struct ob_item *items, size_t n);

/*
 * The look-ahead and the batch, for a pass over another folder too (the
 * inbound pass over INBOX, inbound.h): outbound_ahead_start(), called while
 * cur's data is with the server, fetches e->ahead->next from folder into a
 * sealed memfd and hands it to the worker (best effort; key_prefix makes
 * its backoff key: "" for the Outbox, "in:" for INBOX). outbound_obtain()
 * gives its memfd (msgfd.h; *fd the caller's to close) already handed to
 * the worker, whose analysis the caller collects (worker_pool_collect):
 * from the look-ahead when it holds it, else fetched and submitted now; 0,
 * -1 the mailbox failed, -2 the worker could not start, -3 no memfd (said).
 * outbound_batch() adds a LOGGED journey (its rows a grouped commit) whose
 * message uid is removed with the batch from e->batch->folder; when the
 * batch is full it is flushed: 0, or what outbound_flush() says.
 */
void outbound_ahead_start(struct ob_env *e, const char *folder, const char *key_prefix,
    const struct ob_item *cur);
int outbound_obtain(struct ob_env *e, const char *folder, const struct ob_item *it, int *fd,
    size_t *len);
int outbound_batch(struct ob_env *e, uint32_t uid, const struct journey *j);
/*
 * How the worker's next child should wait (worker.h): WORKER_READY_NEXT
 * while the pass has a message after this one, WORKER_READY_IDLE at its end.
 */
enum worker_ready outbound_ready(const struct ob_env *e);
/*
 * One line to the journal (e->logline, else stderr), its controls escaped
 * as safeout_term() does: a Message-ID or a server's words never reach it raw.
 */
void outbound_say_line(struct ob_env *e, int prio, const char *line);

/*
 * Drops an unused look-ahead and finishes the message in e->filing, then
 * removes the batched messages from the batch's folder and closes their
 * journeys. 0, or OB_MAILBOX_FAILED / OB_LOG_FAILED (the journeys stay at
 * ACCEPTED or LOGGED: the next pass finishes them).
 */
int outbound_flush(struct ob_env *e);

/* 1 when an envelope address is safe to hand to SMTP (no CR, LF, NUL, <>, spaces; bounded). */
int outbound_addr_ok(const char *addr);

#endif
