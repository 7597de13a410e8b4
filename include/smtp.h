/*
 * smtp - the daemon's session with the submission server, presented to the
 * outbound workflow as its sending operation table (outbound.h).
 */
#ifndef MG_SMTP_H
#define MG_SMTP_H

#include <signal.h>
#include <stddef.h>

#include "config.h"
#include "outbound.h"

struct smtp_session;

/*
 * The SMTP side connects on first use. After a connection, TLS, login or
 * time-out failure every further send of the pass is refused at once
 * (OB_SEND_TEMP) until smtp_take() is called: one time-out, not one per
 * message. Each command has command_timeout seconds in all; *stop
 * (SIGTERM) ends a wait within a quarter second.
 */
struct smtp_session *smtp_new(const struct config *cfg, const char *password,
    volatile sig_atomic_t *stop);
void smtp_free(struct smtp_session *s);
void smtp_ops(struct smtp_session *s, struct ob_smtp *ops);
/* Closes the session (between passes, so a long wait holds no connection). */
void smtp_disconnect(struct smtp_session *s);
/*
 * Connection-level state since the last call of smtp_take(): 1 a
 * connection, TLS or login failed (err filled), 0 a session worked, -1
 * nothing was tried. Resets it.
 */
int smtp_take(struct smtp_session *s, char *err, size_t errlen);

/*
 * Connects, verifies TLS, says EHLO and logs in, then quits: no message is
 * sent (mailgatectl check-servers). 0 ok, -1 with err.
 */
int smtp_check(struct smtp_session *s, char *err, size_t errlen);

#endif
