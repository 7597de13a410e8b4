/*
 * dsn - the per-recipient fields of a delivery report (RFC 3464 section
 * 2.3): who, what was done (Action), the status code and the server's
 * words, read from the text of its message/delivery-status part as the
 * sandboxed analysis hands it back (mime.h, struct mime_report). Pure: no
 * I/O, bounded work, any bytes in; what cannot be read is left out, never
 * guessed (an unreadable Action is DSN_OTHER, so nothing unreadable counts
 * as a bounce).
 *
 *	struct dsn d;
 *	if (dsn_parse(mr->report.status, &d) == 0)
 *		for (i = 0; i < d.n; i++) if (dsn_is_bounce(&d.v[i])) ...
 *	dsn_free(&d);
 *	const char *orig = dsn_original_id(&mr->report);
 */
#ifndef MG_DSN_H
#define MG_DSN_H

#include <stddef.h>

#include "mime.h"

#define DSN_MAX_RCPTS 256	/* recipient blocks read; the rest are ignored */
#define DSN_MAX_DIAG 300	/* bytes of a Diagnostic-Code kept */

enum dsn_action { DSN_FAILED, DSN_DELAYED, DSN_DELIVERED, DSN_RELAYED, DSN_EXPANDED, DSN_OTHER };

struct dsn_rcpt {
	char *recipient;	/* Final-Recipient, else Original-Recipient: an address, lower case */
	enum dsn_action action;
	char status[12];	/* "5.1.1", "5.1.10"; "" when absent or not a status code */
	char *diagnostic;	/* Diagnostic-Code without its type, one line; NULL */
};

struct dsn {
	struct dsn_rcpt *v;	/* one per distinct recipient, in the report's order */
	size_t n;
};

/*
 * Reads the fields. 0 with at least one recipient block that names an
 * address; -1 when text is NULL or names none (d is then empty).
 */
int dsn_parse(const char *text, struct dsn *d);
void dsn_free(struct dsn *d);

/* A recipient the report says mail could not be delivered to (Action: failed). */
int dsn_is_bounce(const struct dsn_rcpt *r);

/* The Message-ID the report is about: the returned message's, else In-Reply-To's; NULL. */
const char *dsn_original_id(const struct mime_report *rep);

const char *dsn_action_name(enum dsn_action a);

#endif
