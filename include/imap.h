/*
 * imap - the daemon's session with the designated inbox, presented to the
 * outbound workflow as its mailbox operation table (outbound.h).
 *
 *	struct imap_session *im; char err[512];
 *	if (imap_open(cfg, password, &term, &im, err, sizeof err) < 0) ... retry later
 *	imap_ops(im, &mail);  outbound_message(...);  imap_wait(im, ...);
 *	imap_close(im);
 */
#ifndef MG_IMAP_H
#define MG_IMAP_H

#include <signal.h>
#include <stddef.h>

#include "config.h"
#include "outbound.h"

struct imap_session;

/*
 * Connects, verifies TLS, logs in, creates and subscribes the missing
 * folders. 0 ok, -1 with a one-line error naming the host and the reason.
 * Every command of the session then has command_timeout seconds in all,
 * and gives up within a quarter second once *stop (SIGTERM) is set.
 */
int imap_open(const struct config *cfg, const char *password, volatile sig_atomic_t *stop,
    struct imap_session **out, char *err, size_t errlen);
void imap_close(struct imap_session *im);
void imap_ops(struct imap_session *im, struct ob_mail *ops);
/* The last error of the session (after an op returned -1). */
const char *imap_error(const struct imap_session *im);
/* Messages in folder (not \Deleted); -1 on failure. */
long imap_count(struct imap_session *im, const char *folder);
/* The same without mailgate's notices (X-Mailgate-Notice): the messages a person decides on. */
long imap_count_messages(struct imap_session *im, const char *folder);
/*
 * Waits up to seconds for a change in folder: IDLE where the server offers
 * it, else sleeps. Returns early (0) when *stop becomes non-zero. 1 something
 * changed (or may have), 0 timed out, -1 the connection broke.
 */
int imap_wait(struct imap_session *im, const char *folder, int seconds,
    volatile sig_atomic_t *stop);
/*
 * The same over two sessions at once (the Outbox on a, INBOX on b, each
 * IDLE on its own connection, one poll() over both sockets); when either
 * lacks IDLE, imap_wait on a alone. 1 something changed, 0 timed out, -1 a
 * broke, -2 b broke.
 */
int imap_wait_two(struct imap_session *a, const char *fa, struct imap_session *b,
    const char *fb, int seconds, volatile sig_atomic_t *stop);

#endif
