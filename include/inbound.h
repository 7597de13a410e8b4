/*
 * inbound - the department's mail in INBOX (interface "Inbound mail", seed
 * ¶47, ¶53, ¶56, ¶57, ¶61-63): judged with the same analysis and verdict as
 * outbound mail, then routed by its process's inbound="..." to the holder's
 * inbox, the internal inboxes or Review.
 *
 * inbound_judge() is pure: it takes the policy, the analysed message, the
 * judging day, whether the mode is normal, and the caseload (through its
 * operation table), and decides, one small rule after another in the
 * interface's order, what becomes of the message. inbound_message() is the
 * workflow over the message's journey (direction JR_IN, journey.h): the
 * intent durable before MAIL FROM, DATA before DATA, ACCEPTED after the
 * 250, the forward rows logged with LOGGED in one transaction, DONE after
 * the original is deleted from INBOX; Review messages get a notice beside
 * them (a draft to the Performance Manager for unknown-participant and
 * wrong-details). It reaches the mailbox and the submission server only
 * through outbound's operation tables (outbound.h), so a failure at any step
 * never forwards twice and never deletes an original that was not forwarded.
 *
 *	struct ib_env e = { &ob_env, &caseload_ops };
 *	for each item of mail.list(INBOX): inbound_message(&e, &item);
 */
#ifndef MG_INBOUND_H
#define MG_INBOUND_H

#include <stddef.h>

#include "caseload.h"
#include "mgdate.h"
#include "mime.h"
#include "outbound.h"
#include "policy.h"
#include "verdict.h"

#define IB_MAX_TO 16	/* inboxes a forward may go to (a holder's or the internal ones) */

/* Where the caseload is read: 1 held (hit filled), 0 not held, -1 unreadable. */
struct ib_caseload {
	void *ctx;
	int (*lookup)(void *ctx, const char stem[NINO_STEM_LEN], const char *surname,
	    struct cl_hit *hit);
};

enum ib_action {
	IB_FORWARD,		/* to dec.to[] */
	IB_REVIEW,		/* moved to Review with a notice; dec.code says why */
	IB_SUSPEND,		/* the department's suspension notice: suspended, then Review */
	IB_REINTRODUCE,		/* its re-introduction notice: logged, then Review */
	IB_REPORT		/* a delivery report (RFC 3464): matched with the send log */
};

struct ib_decision {
	enum ib_action action;
	enum vcode code;		/* why it is in Review; VC_COUNT otherwise */
	char detail[256];		/* no personal data */
	int draft;			/* the notice is a draft to the Performance Manager */
	const struct policy_process *process;	/* NULL when unknown */
	const struct policy_form *form;
	const char *to[IB_MAX_TO];	/* owned by the policy, lower case */
	size_t nto;
	enum rcpt_class cls;		/* of the inboxes forwarded to */
	const char *org;		/* sub-contractor id; NULL for internal */
};

/*
 * Decides what becomes of an inbound message. mode_normal: 1 normal, 0 not.
 * 0 decided; -1 the caseload could not be read (leave the message for later).
 */
int inbound_judge(const struct policy *p, const struct mime_result *mr, mgday day,
    int mode_normal, const struct ib_caseload *cl, struct ib_decision *dec);

/* The caseload module as the operation table (ctx: a struct caseload). */
int inbound_caseload_lookup(void *ctx, const char stem[NINO_STEM_LEN], const char *surname,
    struct cl_hit *hit);

struct ib_env {
	struct ob_env *ob;		/* cfg, policy, worker, log, journeys, mailbox, smtp, ... */
	const struct ib_caseload *caseload;
};

/*
 * Settles the open inbound journeys whose message is no longer in INBOX
 * (removed by hand; present ones are resumed message by message): one at
 * INTENT is closed, nothing having gone; one at DATA is logged uncertain
 * (the forward may have gone); one at ACCEPTED is logged forwarded, its
 * recipients unknown (the original that named them is gone); one at LOGGED
 * is closed. It never sends. Call before the pass, with items the INBOX
 * list. 0, or IB_MAILBOX_FAILED / IB_LOG_FAILED.
 */
int inbound_recover(struct ib_env *e, const struct ob_item *items, size_t n);

/* What became of one message of INBOX. */
enum ib_outcome {
	IB_FORWARDED,		/* forwarded and logged, then deleted from INBOX */
	IB_REVIEWED,		/* moved to Review with its notice */
	IB_DELETED,		/* a delivery report acted on (bounced rows, notice), deleted */
	IB_WAITING,		/* left in INBOX for another try (4xx, backoff, fail closed) */
	IB_IGNORED,		/* mailgate's own notice to staff: theirs to delete */
	IB_MAILBOX_FAILED,	/* the mailbox failed: reconnect and try again */
	IB_LOG_FAILED		/* the send log refused a write (or the caseload a read) */
};

/* Treats one message of INBOX (cfg->inbox_folder). */
enum ib_outcome inbound_message(struct ib_env *e, const struct ob_item *it);

#endif
