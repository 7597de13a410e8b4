/*
 * outbound - the workflow for one message of the Outbox (interface
 * "Folders and sending"): analyse in the worker, judge, read the mode,
 * check the log for an earlier send, judge again, rewrite the headers, log
 * the "sending" intent durably, send to exactly the judged recipients, then
 * file the message in Sent, Rejected or Held (or leave it for a retry), put
 * the notice beside it and log the outcome. outbound_recover() finishes
 * the intents a crash left open.
 *
 * The mailbox and the submission server are reached through the two
 * operation tables below, which the daemon fills from the IMAP and SMTP
 * sessions of net; outbound itself does no network I/O and holds no global
 * state. Every function fails closed: when the policy cannot be evaluated,
 * the log cannot be written or the mailbox cannot be changed, nothing is
 * sent and the message stays in the Outbox.
 *
 *	struct ob_env e = { cfg, policy, worker, log, &backoff, &mail, &smtp, ... };
 *	outbound_recover(&e);
 *	r = outbound_message(&e, uid);	per UID of outbound_list()
 */
#ifndef MG_OUTBOUND_H
#define MG_OUTBOUND_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "backoff.h"
#include "config.h"
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

/* The mailbox of the designated inbox; every call 0 ok, -1 failed (connection). */
struct ob_mail {
	void *ctx;
	/* UIDs of folder not flagged \Deleted whose INTERNALDATE <= before, ascending. */
	int (*list)(void *ctx, const char *folder, time_t before, uint32_t **uids, size_t *n);
	int (*fetch)(void *ctx, const char *folder, uint32_t uid, char **data, size_t *len);
	int (*append)(void *ctx, const char *folder, const char *data, size_t len);
	/* Moves uid of from to folder to (MOVE, or COPY + \Deleted + UID EXPUNGE). */
	int (*move)(void *ctx, const char *from, uint32_t uid, const char *to);
	/* Removes uid from folder (\Deleted + UID EXPUNGE). */
	int (*remove)(void *ctx, const char *folder, uint32_t uid);
	/* UIDs in folder whose header field has value; 0 ok (n may be 0). */
	int (*search)(void *ctx, const char *folder, const char *field, const char *value,
	    uint32_t **uids, size_t *n);
};

/*
 * The submission server. progress(pctx) is called once just before the
 * DATA command: when it fails the transaction must stop there (OB_SEND_TEMP).
 * reply receives the server's last words (one line).
 */
struct ob_smtp {
	void *ctx;
	enum ob_send (*send)(void *ctx, const char *from, char *const *rcpts, size_t nrcpts,
	    const char *data, size_t len, int (*progress)(void *pctx), void *pctx,
	    char *reply, size_t replylen);
};

struct ob_env {
	const struct config *cfg;
	const struct policy *pol;
	const char *policy_version;	/* for the log; NULL */
	struct worker_pool *worker;
	struct sendlog *log;
	struct backoff_tab *backoff;
	struct ob_mail *mail;
	struct ob_smtp *smtp;
	/* 1 normal, 0 not (clerical, suspended, outage), -1 unknown. */
	int (*mode_normal)(void *ctx);
	void *mode_ctx;
	time_t (*now)(void);
	/* One line per outcome ("<6>..."), no personal data; NULL: stderr. */
	void (*logline)(int prio, const char *line);
};

/* What happened to one message. */
enum ob_outcome {
	OB_SENT, OB_REJECTED, OB_HELD,
	OB_LEFT,		/* left in Outbox for a retry (4xx, backoff, fail closed) */
	OB_SKIPPED,		/* waiting for its backoff */
	OB_MAILBOX_FAILED	/* the mailbox failed: reconnect and try again */
};

/* Treats one UID of the Outbox. */
enum ob_outcome outbound_message(struct ob_env *e, uint32_t uid);

/*
 * Finishes every intent a crash left open: a message already in Sent gets
 * its bookkeeping; one whose transaction never reached DATA is left for a
 * normal send; one whose fate is unknown goes to Held as uncertain.
 * 0, or -1 when the mailbox or the log failed (call again later).
 */
int outbound_recover(struct ob_env *e);

/* 1 when an envelope address is safe to hand to SMTP (no CR, LF, NUL, <>, spaces; bounded). */
int outbound_addr_ok(const char *addr);

#endif
