/*
 * notice - the message put beside a rejected, held or warned message for
 * the caseworker (interface "Folders and sending"): text/plain UTF-8, From
 * "mailgate <designated inbox>", Subject "Not sent: S" / "Held: S" / "Sent
 * with warning: S" where S is the matched form's standard subject or "your
 * message" (never the sender's own subject, which may hold personal data),
 * In-Reply-To and References to the original, the X-Mailgate-Notice,
 * X-Mailgate-Reasons and X-Mailgate-Message-ID fields, and one paragraph per
 * reason: the plain words, the detail, what to do.
 *
 * It reads like a short letter: the detail of a reason is rewritten in plain
 * words from the verdict (the form's name instead of its process id, dates
 * written out as "Thursday 26 November 2026", small counts in words). Pure:
 * the caller passes the time and appends the bytes over IMAP.
 *
 *	struct notice_reason r[1]; notice_reason_set(&r[0], VC_NO_RECORD, detail);
 *	struct notice n = { .kind = NOTICE_REJECTED, .address = addr,
 *	    .message_id = msgid, .verdict = &v, .reasons = r, .nreasons = 1, .now = now };
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
	const char *message_id;	/* the original's, without <>; NULL */
	const struct verdict *verdict;	/* its judgement (form, process, counts); NULL */
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

/* "Thursday 26 November 2026" into out. */
void notice_day_words(mgday day, char *out, size_t len);

/* Appends the whole notice, CRLF line endings, to out. */
void notice_build(const struct notice *n, struct sbuf *out);

#endif
