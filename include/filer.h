/*
 * filer - appends to a folder on a second IMAP session, in a thread of its
 * own, so that the copy of one sent message goes to Sent while the daemon's
 * session fetches, judges and sends the next (issue 12). It fills the
 * optional append_start/append_wait pair of outbound's mailbox table; the
 * session is lent for one pass and is touched by no one else meanwhile.
 *
 *	struct filer *f = filer_new();		(NULL: appends stay synchronous)
 *	filer_lend(f, &second_session_ops);	each pass
 *	mail.actx = f; mail.append_start = filer_start; mail.append_wait = filer_wait;
 *	...	outbound_flush(&e);  filer_lend(f, NULL);
 *	filer_free(f);
 *
 * One job at a time. After a failed job every start is refused (-1, the
 * caller appends itself) until the next filer_lend(), so a broken second
 * session costs one failure per pass, not one per message.
 */
#ifndef MG_FILER_H
#define MG_FILER_H

#include <stddef.h>

#include "outbound.h"

struct filer;

/* Starts the thread (all signals blocked in it); NULL when it cannot. */
struct filer *filer_new(void);
/* Waits for an outstanding job, then stops the thread. NULL is ignored. */
void filer_free(struct filer *f);
/* The session for the jobs to come (its append op), or NULL: none; waits for a job first. */
void filer_lend(struct filer *f, const struct ob_mail *ops);
/* append_start of outbound.h: 0 started, -1 not (none lent, a job outstanding, failed before). */
int filer_start(void *f, const char *folder, const char *data, size_t len);
/* append_wait of outbound.h: 0 appended, -1 failed (or no job: an internal error, said on stderr). */
int filer_wait(void *f);

#endif
