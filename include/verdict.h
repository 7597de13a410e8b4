/*
 * verdict - the outbound rules, judged, and the one table of reason codes.
 *
 * Every code mailgate can give a caseworker, compliance staff or a script
 * lives in verdict_codes[] (code, words for people, what to do); nothing
 * else spells them. verdict_judge() is pure: it takes the policy, the
 * analysed message and the judging day, and fills a struct verdict with the
 * recipients classified and every failing rule in the interface's order.
 * The printers give the human form and the JSON of the interface.
 */
#ifndef MG_VERDICT_H
#define MG_VERDICT_H

#include <stddef.h>
#include <stdio.h>

#include "mgdate.h"
#include "mime.h"
#include "policy.h"
#include "util.h"

/* In the order reasons are reported. */
enum vcode {
	VC_MALFORMED_MESSAGE,
	VC_MESSAGE_TOO_LARGE,
	VC_UNKNOWN_PROCESS,
	VC_NO_RECIPIENT,
	VC_TOO_MANY_RECIPIENTS,
	VC_RECIPIENT_NOT_APPROVED,
	VC_OFFSHORE_RECIPIENT,
	VC_PERSONAL_DATA_IN_SUBJECT,
	VC_TOO_MANY_RECORDS,
	VC_NO_RECORD,
	VC_TEMPLATE_INCOMPLETE,
	VC_UNINSPECTABLE_ATTACHMENT,
	/* warnings */
	VC_LATE_NOTICE,
	/* daemon-only outcomes */
	VC_NOT_NORMAL_MODE,
	VC_ALREADY_SENT,
	VC_SMTP_PERMANENT,
	VC_UNCERTAIN,
	VC_ALREADY_CLERICAL,	/* its Message-ID has a clerical copy (waiting or done) */
	/* inbound review reasons (interface "Inbound mail") */
	VC_NOT_FROM_DEPARTMENT,
	VC_UNKNOWN_PARTICIPANT,
	VC_WRONG_DETAILS,
	VC_NOT_ENTITLED,
	VC_REVIEW_ROUTE,
	VC_UNMATCHED_REPORT,	/* a delivery report of no failed send mailgate logged */
	VC_COUNT
};

struct vcode_info {
	const char *code;	/* "recipient-not-approved" */
	const char *words;	/* what it means, for a caseworker */
	const char *todo;	/* what to do about it */
	int warning;		/* 1 for warning codes */
};

const struct vcode_info *vcode_info(enum vcode c);
/* -1 when the text is not a code. */
int vcode_from_name(const char *name);

struct vreason {
	enum vcode code;
	char *detail;
	long rcpt;		/* index into rcpts of the recipient it is about; -1 message-wide */
};

struct vrcpt {
	char *address;		/* lower case */
	enum rcpt_class cls;
	const char *org;	/* owned by the policy; NULL */
	int allowed;
};

struct verdict {
	int accept;
	const struct policy_process *process;	/* NULL for unknown-process */
	const struct policy_form *form;
	size_t records;
	struct vrcpt *rcpts;
	size_t nrcpts;
	struct vreason *reasons;
	size_t nreasons;
	struct vreason *warnings;
	size_t nwarnings;
};

void verdict_init(struct verdict *v);
void verdict_free(struct verdict *v);

/*
 * The size rule, decided here only (check-message, the daemon and the
 * worker's caller all ask it): a message whose size with CRLF line endings
 * (mime_crlf_size) is over the policy's max-message-bytes is too large;
 * equal passes. verdict_judge() applies it to msg->size before anything else.
 */
int verdict_size_exceeds(const struct policy *p, size_t crlf_size);
/*
 * Fills an initialised result for a message that is not analysed because
 * verdict_size_exceeds() said so: status MIME_TOO_LARGE and its size.
 */
void verdict_too_large_result(size_t crlf_size, struct mime_result *out);

/* Judges msg under policy p on day. v must be initialised. */
void verdict_judge(const struct policy *p, const struct mime_result *msg, mgday day,
    struct verdict *v);

/* Adds a reason (for daemon-only outcomes); detail may be NULL. */
void verdict_add(struct verdict *v, enum vcode code, const char *detail);

/* "accept PROCESS" / "reject PROCESS|-" and one "CODE: detail" line each. */
void verdict_print_human(const struct verdict *v, FILE *fp);
/* Exactly one JSON object and a newline. */
void verdict_print_json(const struct verdict *v, FILE *fp);
/* Space-separated codes of reasons then warnings (for headers and the log). */
void verdict_codes(const struct verdict *v, struct sbuf *out);

#endif
