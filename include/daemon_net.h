/*
 * daemon_net - the daemon's sessions with the designated inbox (IMAP) and
 * the submission server (SMTP), built on net's tls/imap/smtp modules, and
 * presented to the outbound workflow as its two operation tables
 * (outbound.h). Everything here is a thin adapter: the protocol work is
 * net's.
 *
 *	struct dnet_imap *im; char err[512];
 *	if (dnet_imap_open(cfg, password, &im, err, sizeof err) < 0) ... retry later
 *	dnet_imap_ops(im, &mail);  outbound_message(...);  dnet_imap_wait(im, ...);
 *	dnet_imap_close(im);
 */
#ifndef MG_DAEMON_NET_H
#define MG_DAEMON_NET_H

#include <signal.h>
#include <stddef.h>

#include "config.h"
#include "outbound.h"

struct dnet_imap;
struct dnet_smtp;

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

/* The SMTP side connects on first use and reconnects after a failure. */
struct dnet_smtp *dnet_smtp_new(const struct config *cfg, const char *password);
void dnet_smtp_free(struct dnet_smtp *s);
void dnet_smtp_ops(struct dnet_smtp *s, struct ob_smtp *ops);
/* Closes the session (between passes, so a long wait holds no connection). */
void dnet_smtp_disconnect(struct dnet_smtp *s);
/*
 * Connection-level state since the last call of dnet_smtp_take(): 1 a
 * connection, TLS or login failed (err filled), 0 a session worked, -1
 * nothing was tried. Resets it.
 */
int dnet_smtp_take(struct dnet_smtp *s, char *err, size_t errlen);

/*
 * Connects, verifies TLS, says EHLO and logs in, then quits: no message is
 * sent (mailgatectl check-servers). 0 ok, -1 with err.
 */
int dnet_smtp_check(struct dnet_smtp *s, char *err, size_t errlen);

#endif
