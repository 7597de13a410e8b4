/*
 * smtp - the daemon's session with the submission server over libetpan and
 * the tls transport: EHLO, STARTTLS (never skipped), AUTH, and a send to
 * all recipients or none (RSET on any refusal), with its outcome told
 * exactly: sent, temporary, permanent or uncertain. See include/smtp.h.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <libetpan/libetpan.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "smtp.h"
#include "outbound.h"
#include "tls.h"
#include "util.h"

/* ---- SMTP ------------------------------------------------------------ */

struct smtp_session {
	const struct config *cfg;
	const char *password;
	mailsmtp *smtp;
	int state;		/* -1 untried, 0 a session worked, 1 failed */
	struct tls_clock clock;
	char err[512];
};

struct smtp_session *smtp_new(const struct config *cfg, const char *password,
    volatile sig_atomic_t *stop)
{
	struct smtp_session *s = xcalloc(1, sizeof(*s));

	s->cfg = cfg;
	s->password = password;
	s->state = -1;
	tls_clock_init(&s->clock, stop);
	return s;
}

/* Every command has the whole of command_timeout, more for a large message. */
static void smtp_arm(struct smtp_session *s, size_t bytes)
{
	tls_clock_arm(&s->clock, s->cfg->command_timeout + (int)(bytes / (256 * 1024)));
}

void smtp_disconnect(struct smtp_session *s)
{
	if (s == NULL || s->smtp == NULL)
		return;
	smtp_arm(s, 0);
	if (s->smtp->stream != NULL)
		mailsmtp_quit(s->smtp);
	if (s->smtp->stream != NULL) {
		mailstream_close(s->smtp->stream);
		s->smtp->stream = NULL;
	}
	mailsmtp_free(s->smtp);
	s->smtp = NULL;
}

static void smtp_kill(struct smtp_session *s)
{
	if (s->smtp == NULL)
		return;
	if (s->smtp->stream != NULL) {
		mailstream_close(s->smtp->stream);
		s->smtp->stream = NULL;
	}
	mailsmtp_free(s->smtp);
	s->smtp = NULL;
}

/*
 * The connection broke mid-transaction. A server that stopped answering
 * (the deadline passed, or SIGTERM) counts as failed for the rest of the
 * pass; one that closed the connection is tried again for the next message.
 */
static void smtp_lost(struct smtp_session *s)
{
	const char *why = tls_clock_why(&s->clock);

	snprintf(s->err, sizeof(s->err), "%s: connection lost: %s", s->cfg->smtp_host,
	    why ? why : "closed by the server");
	smtp_kill(s);
	if (why != NULL)
		s->state = 1;
}

void smtp_free(struct smtp_session *s)
{
	if (s == NULL)
		return;
	smtp_disconnect(s);
	free(s);
}

int smtp_take(struct smtp_session *s, char *err, size_t errlen)
{
	int st = s->state;

	if (st == 1)
		snprintf(err, errlen, "%s", s->err);
	s->state = -1;
	return st;
}

static int smtp_open(struct smtp_session *s)
{
	const struct config *cfg = s->cfg;
	const char *host = cfg->smtp_host;
	SSL *ssl = NULL;
	int fd, r;

	fd = tls_connect(host, cfg->smtp_port, &s->clock, s->err, sizeof(s->err));
	if (fd < 0)
		goto fail;
	if (cfg->smtp_tls == TLSM_IMPLICIT &&
	    (ssl = tls_handshake(cfg, host, fd, &s->clock, s->err, sizeof(s->err))) == NULL) {
		close(fd);
		goto fail;
	}
	s->smtp = mailsmtp_new(0, NULL);
	tls_clock_arm(&s->clock, TLS_CONNECT_TIMEOUT);
	r = mailsmtp_connect(s->smtp, tls_stream(fd, ssl, &s->clock));
	if (r != MAILSMTP_NO_ERROR) {
		snprintf(s->err, sizeof(s->err), "%s:%d: no SMTP greeting%s%s", host, cfg->smtp_port,
		    s->clock.fired == TLS_CLOCK_EXPIRED ? " within 10 s" : "",
		    s->clock.fired == TLS_CLOCK_EXPIRED && cfg->smtp_tls != TLSM_IMPLICIT ?
		    " (a TLS port? port 465 wants smtp_tls = implicit)" : "");
		goto fail;
	}
	smtp_arm(s, 0);
	r = mailesmtp_ehlo(s->smtp);
	if (r != MAILSMTP_NO_ERROR) {
		snprintf(s->err, sizeof(s->err), "%s: EHLO refused", host);
		goto fail;
	}
	if (cfg->smtp_tls == TLSM_STARTTLS) {
		if (!(s->smtp->esmtp & MAILSMTP_ESMTP_STARTTLS)) {
			snprintf(s->err, sizeof(s->err), "%s: STARTTLS not offered", host);
			goto fail;
		}
		r = mailesmtp_starttls(s->smtp);
		if (r == MAILSMTP_ERROR_SSL) {
			snprintf(s->err, sizeof(s->err), "%s: data injected before TLS", host);
			goto fail;
		}
		if (r != MAILSMTP_NO_ERROR) {
			snprintf(s->err, sizeof(s->err), "%s: STARTTLS failed (%d)", host, r);
			goto fail;
		}
		if (tls_upgrade(cfg, host, s->smtp->stream, s->err, sizeof(s->err)) < 0)
			goto fail;
		if (mailesmtp_ehlo(s->smtp) != MAILSMTP_NO_ERROR) {
			snprintf(s->err, sizeof(s->err), "%s: EHLO after STARTTLS refused", host);
			goto fail;
		}
	}
	if (cfg->smtp_user != NULL) {
		int type = (s->smtp->auth & MAILSMTP_AUTH_PLAIN) ? MAILSMTP_AUTH_PLAIN :
		    MAILSMTP_AUTH_LOGIN;

		r = mailsmtp_auth_type(s->smtp, cfg->smtp_user, s->password, type);
		if (r != MAILSMTP_NO_ERROR) {
			snprintf(s->err, sizeof(s->err), "%s: SMTP AUTH as %s refused (%d)", host,
			    cfg->smtp_user, r);
			goto fail;
		}
	}
	return 0;
fail:
	smtp_kill(s);
	s->state = 1;
	return -1;
}

static void smtp_reply(mailsmtp *smtp, char *reply, size_t n)
{
	char *p;
	size_t len;

	snprintf(reply, n, "%d %s", smtp->response_code, smtp->response ? smtp->response : "");
	for (p = reply; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	for (len = strlen(reply); len > 0 && reply[len - 1] == ' '; len--)
		reply[len - 1] = '\0';
}

static enum ob_send smtp_code(int code)
{
	return code >= 500 && code < 600 ? OB_SEND_PERM : OB_SEND_TEMP;
}

/*
 * One reply, all its lines, read off the stream by us (libetpan has no
 * reader for pipelined replies): its code, 0 when the connection broke or
 * the reply is not SMTP; its last line in reply.
 */
static int smtp_read_reply(struct smtp_session *s, MMAPString *buf, char *reply, size_t n)
{
	const char *line;
	char *p;

	for (;;) {
		smtp_arm(s, 0);
		line = mailstream_read_line_remove_eol(s->smtp->stream, buf);
		if (line == NULL || strlen(line) < 3 || line[0] < '2' || line[0] > '5' ||
		    line[1] < '0' || line[1] > '9' || line[2] < '0' || line[2] > '9' ||
		    (line[3] != '\0' && line[3] != ' ' && line[3] != '-'))
			return 0;
		if (line[3] != '-')
			break;
	}
	snprintf(reply, n, "%s", line);
	for (p = reply; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

/*
 * MAIL, every RCPT and DATA in one write (RFC 2920, when the server offers
 * PIPELINING: DATA may end a group); progress() runs while their replies
 * travel, so the DATA stage's fsync costs no round trip of its own, and no
 * byte of the data leaves before it is durable. All recipients or none: the
 * first refusal is the answer. A 354 that must not be used (a recipient
 * refused, or the log not written) leaves the server waiting for data that
 * would be delivered to whoever it accepted: the connection is dropped
 * instead, which discards the transaction (RFC 5321 3.3), and the next
 * message opens a new one. OB_SEND_OK means the server waits for the data.
 */
static enum ob_send smtp_envelope_pipelined(struct smtp_session *s, const char *from,
    char *const *rcpts, size_t nrcpts, int (*progress)(void *pctx), void *pctx,
    char *reply, size_t replylen)
{
	struct sbuf cmd;
	MMAPString *buf;
	char line[512];
	enum ob_send res = OB_SEND_OK;
	size_t i;
	int code, ok, first = 0;

	sbuf_init(&cmd);
	sbuf_printf(&cmd, "MAIL FROM:<%s>\r\n", from);
	for (i = 0; i < nrcpts; i++)
		sbuf_printf(&cmd, "RCPT TO:<%s>\r\n", rcpts[i]);
	sbuf_adds(&cmd, "DATA\r\n");
	smtp_arm(s, 0);
	ok = mailstream_write(s->smtp->stream, cmd.data, cmd.len) == (ssize_t)cmd.len &&
	    mailstream_flush(s->smtp->stream) == 0;
	sbuf_free(&cmd);
	if (!ok) {
		smtp_lost(s);
		return OB_SEND_TEMP;
	}
	ok = progress(pctx) == 0;
	buf = mmap_string_new("");
	for (i = 0; i <= nrcpts + 1; i++) {
		code = smtp_read_reply(s, buf, line, sizeof(line));
		if (code == 0) {
			mmap_string_free(buf);
			snprintf(reply, replylen, "connection lost before DATA");
			smtp_lost(s);
			return OB_SEND_TEMP;
		}
		/* MAIL and RCPT want 2xx, DATA 354 */
		if (!first && (i <= nrcpts ? code / 100 != 2 : code != 354)) {
			first = 1;
			snprintf(reply, replylen, "%s", line);
			res = smtp_code(code);
		}
	}
	mmap_string_free(buf);
	if (res == OB_SEND_OK && !ok) {
		snprintf(reply, replylen, "send log write failed before DATA");
		res = OB_SEND_TEMP;
	}
	if (res != OB_SEND_OK && code == 354) {
		smtp_kill(s);	/* in data mode: RSET or QUIT would be data */
	} else if (res != OB_SEND_OK) {
		smtp_arm(s, 0);
		mailsmtp_reset(s->smtp);
	}
	return res;
}

/* MAIL, then each RCPT, a round trip each; then progress(). OB_SEND_OK: go on to DATA. */
static enum ob_send smtp_envelope(struct smtp_session *s, const char *from, char *const *rcpts,
    size_t nrcpts, int (*progress)(void *pctx), void *pctx, char *reply, size_t replylen)
{
	size_t i;
	int r;

	smtp_arm(s, 0);
	r = mailesmtp_mail(s->smtp, from, 0, NULL);
	if (r != MAILSMTP_NO_ERROR) {
		smtp_reply(s->smtp, reply, replylen);
		if (s->smtp->response_code == 0) {
			smtp_lost(s);
			return OB_SEND_TEMP;
		}
		mailsmtp_reset(s->smtp);
		return smtp_code(s->smtp->response_code);
	}
	for (i = 0; i < nrcpts; i++) {
		smtp_arm(s, 0);
		r = mailesmtp_rcpt(s->smtp, rcpts[i], 0, NULL);
		if (r != MAILSMTP_NO_ERROR) {
			/* all recipients or none */
			int code = s->smtp->response_code;

			smtp_reply(s->smtp, reply, replylen);
			if (code == 0) {
				smtp_lost(s);
				return OB_SEND_TEMP;
			}
			smtp_arm(s, 0);
			mailsmtp_reset(s->smtp);
			return smtp_code(code);
		}
	}
	if (progress(pctx) < 0) {
		smtp_arm(s, 0);
		mailsmtp_reset(s->smtp);
		snprintf(reply, replylen, "send log write failed before DATA");
		return OB_SEND_TEMP;
	}
	return OB_SEND_OK;
}

/*
 * The data, dot-stuffed and ended by libetpan's writer, then waiting(pctx)
 * while the server takes it, then its answer read by us (libetpan's
 * mailsmtp_data_message() would hold the wait). 250: sent; no answer:
 * uncertain, since the server may have taken it.
 */
static enum ob_send smtp_data(struct smtp_session *s, const char *data, size_t len,
    void (*waiting)(void *pctx), void *pctx, char *reply, size_t replylen)
{
	MMAPString *buf;
	int code = 0;

	/* libetpan appends CRLF.CRLF itself: one trailing CRLF less keeps the bytes */
	if (len >= 2 && data[len - 2] == '\r' && data[len - 1] == '\n')
		len -= 2;
	smtp_arm(s, len);
	if (mailstream_send_data(s->smtp->stream, data, len, 0, NULL) == 0 &&
	    mailstream_flush(s->smtp->stream) == 0) {
		if (waiting != NULL)
			waiting(pctx);
		buf = mmap_string_new("");
		code = smtp_read_reply(s, buf, reply, replylen);
		mmap_string_free(buf);
	}
	if (code == 250)
		return OB_SEND_OK;
	if (code == 0) {
		smtp_lost(s);
		snprintf(reply, replylen, "connection lost after DATA began: %s",
		    tls_clock_why(&s->clock) ? tls_clock_why(&s->clock) : "closed by the server");
		return OB_SEND_UNCERTAIN;
	}
	return smtp_code(code);
}

static enum ob_send smtp_send(void *ctx, const char *from, char *const *rcpts, size_t nrcpts,
    const char *data, size_t len, int (*progress)(void *pctx), void (*waiting)(void *pctx),
    void *pctx, char *reply, size_t replylen)
{
	struct smtp_session *s = ctx;
	enum ob_send env;
	int r;

	reply[0] = '\0';
	if (s->state == 1) {
		/* the server failed once this pass: the rest waits, without a time-out each */
		snprintf(reply, replylen, "%s", s->err);
		return OB_SEND_TEMP;
	}
	if (s->smtp == NULL && smtp_open(s) < 0) {
		snprintf(reply, replylen, "%s", s->err);
		return OB_SEND_TEMP;
	}
	s->state = 0;
	if (s->smtp->esmtp & MAILSMTP_ESMTP_PIPELINING) {
		env = smtp_envelope_pipelined(s, from, rcpts, nrcpts, progress, pctx, reply,
		    replylen);
		if (env != OB_SEND_OK)
			return env;
		return smtp_data(s, data, len, waiting, pctx, reply, replylen);
	}
	env = smtp_envelope(s, from, rcpts, nrcpts, progress, pctx, reply, replylen);
	if (env != OB_SEND_OK)
		return env;
	smtp_arm(s, 0);
	r = mailsmtp_data(s->smtp);
	if (r != MAILSMTP_NO_ERROR) {
		int code = s->smtp->response_code;

		smtp_reply(s->smtp, reply, replylen);
		if (code == 0) {
			smtp_lost(s);
			return OB_SEND_UNCERTAIN;
		}
		mailsmtp_reset(s->smtp);
		return smtp_code(code);
	}
	return smtp_data(s, data, len, waiting, pctx, reply, replylen);
}

int smtp_check(struct smtp_session *s, char *err, size_t errlen)
{
	if (s->smtp == NULL && smtp_open(s) < 0) {
		snprintf(err, errlen, "%s", s->err);
		return -1;
	}
	smtp_disconnect(s);
	return 0;
}

static void smtp_relay(void *ctx, char *buf, size_t n)
{
	struct smtp_session *s = ctx;
	char peer[80], version[32];

	tls_describe(s->smtp ? s->smtp->stream : NULL, peer, sizeof(peer), version,
	    sizeof(version));
	if (peer[0] == '\0')
		snprintf(buf, n, "relay=%s tls=none", s->cfg->smtp_host);
	else
		snprintf(buf, n, "relay=%s[%s tls=%s", s->cfg->smtp_host, peer, version);
}

void smtp_ops(struct smtp_session *s, struct ob_smtp *ops)
{
	ops->ctx = s;
	ops->send = smtp_send;
	ops->relay = smtp_relay;
}

