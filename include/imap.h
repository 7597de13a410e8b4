/*
 * imap - the daemon's session with the designated inbox, presented to the
 * outbound workflow as its mailbox operation table (outbound.h).
 *
 *	struct dnet_imap *im; char err[512];
 *	if (dnet_imap_open(cfg, password, &im, err, sizeof err) < 0) ... retry later
 *	dnet_imap_ops(im, &mail);  outbound_message(...);  dnet_imap_wait(im, ...);
 *	dnet_imap_close(im);
 */
#ifndef MG_IMAP_H
#define MG_IMAP_H

#include <signal.h>
#include <stddef.h>

#include "config.h"
#include "outbound.h"

struct dnet_imap;

/*
 * Connects, verifies TLS, logs in, creates and subscribes the missing
 * folders. 0 ok, -1 with a one-line error naming the host and the reason.
 */
int dnet_imap_open(const struct config *cfg, const char *password, struct dnet_imap **out,
    char *err, size_t errlen);
void dnet_imap_close(struct dnet_imap *im);
void dnet_imap_ops(struct dnet_imap *im, struct ob_mail *ops);
/* The last error of the session (after an op returned -1). */
const char *dnet_imap_error(const struct dnet_imap *im);
/* Messages in folder (not \Deleted); -1 on failure. */
long dnet_imap_count(struct dnet_imap *im, const char *folder);
/*
 * Waits up to seconds for a change in folder: IDLE where the server offers
 * it, else sleeps. Returns early (0) when *stop becomes non-zero. 1 something
 * changed (or may have), 0 timed out, -1 the connection broke.
 */
int dnet_imap_wait(struct dnet_imap *im, const char *folder, int seconds,
    volatile sig_atomic_t *stop);

#endif
