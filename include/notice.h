/*
 * notice - the message put beside a rejected, held or warned message for
 * the caseworker (interface "Folders and sending"): text/plain UTF-8, From
 * "mailgate <designated inbox>", Subject "Not sent: S" / "Held: S" / "Sent
 * with warning: S", In-Reply-To and References to the original, the
 * X-Mailgate-Notice, X-Mailgate-Reasons and X-Mailgate-Message-ID fields,
 * and one paragraph per reason: the plain words, the detail, what to do.
 * Pure: the caller passes the time and appends the bytes over IMAP.
 *
 *	struct notice_reason r[1]; notice_reason_set(&r[0], VC_NO_RECORD, detail);
 *	struct notice n = { NOTICE_REJECTED, addr, subject, msgid, r, 1, now };
 *	notice_build(&n, &buf);
 */
#ifndef MG_NOTICE_H
#define MG_NOTICE_H

#include <stddef.h>
#include <time.h>

#include "util.h"
#include "verdict.h"

enum notice_kind { NOTICE_REJECTED, NOTICE_HELD, NOTICE_WARNING };

struct notice_reason {
	const char *code;	/* "no-record" */
	const char *words;	/* for the caseworker */
	const char *todo;	/* what to do */
	const char *detail;	/* this message's detail; NULL */
};

struct notice {
	enum notice_kind kind;
	const char *address;	/* the designated inbox */
	const char *subject;	/* the original's, UTF-8; NULL */
	const char *message_id;	/* the original's, without <>; NULL */
	const struct notice_reason *reasons;
	size_t nreasons;
	time_t now;
};

/* "rejected", "held", "warning". */
const char *notice_kind_name(enum notice_kind k);

/* Fills r from verdict's table; detail is borrowed. */
void notice_reason_set(struct notice_reason *r, enum vcode c, const char *detail);

/*
 * The notice's own Message-ID (no <>), derived from the kind and the
 * original's Message-ID, so a restart builds the same one. malloc'd.
 */
char *notice_id(enum notice_kind k, const char *message_id, const char *address);

/* Appends the whole notice, CRLF line endings, to out. */
void notice_build(const struct notice *n, struct sbuf *out);

#endif
