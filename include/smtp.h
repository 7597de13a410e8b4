/*
 * smtp - the daemon's session with the submission server, presented to the
 * outbound workflow as its sending operation table (outbound.h).
 */
#ifndef MG_SMTP_H
#define MG_SMTP_H

#include <stddef.h>

#include "config.h"
#include "outbound.h"

struct dnet_smtp;

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
