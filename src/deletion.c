/*
 * deletion - the request to delete a misdirected record, drafted and sent;
 * see include/deletion.h.
 */
#include "deletion.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fill.h"
#include "outbound.h"
#include "rewrite.h"
#include "sendlog.h"
#include "smtp.h"

#define DL_MAX_TEMPLATE 65536

static void dl_crlf(const char *s, struct sbuf *out)
{
	char prev = '\0';

	for (; *s; prev = *s++) {
		if (*s == '\n' && prev != '\r')
			sbuf_addc(out, '\r');
		sbuf_addc(out, *s);
	}
}

int deletion_build(const char *template_dir, const struct policy *pol, const char *message_id,
    const char *recipient, time_t sent_at, time_t now, struct sbuf *out, char **id, char *err,
    size_t errlen)
{
	char *path = xasprintf("%s/notice-deletion-request.txt", template_dir), *t;
	char sent[21], today[21], date[64], *mid = xasprintf("<%s>", message_id), hex[65];
	const struct fill_field kv[] = { { "message_id", mid }, { "date_sent", sent },
		{ "designated_inbox", pol->designated_address }, { "today", today }, { NULL, NULL } };
	const char *dom = strrchr(pol->designated_address, '@');
	unsigned char md[32];
	unsigned int mdlen = 0;
	struct sbuf body;
	size_t len;
	int rc;

	*id = NULL;
	sendlog_time(sent_at, sent);
	sendlog_time(now, today);
	if ((t = file_read(path, DL_MAX_TEMPLATE, &len)) == NULL) {
		snprintf(err, errlen, "%s: error: %s", path, strerror(errno));
		free(path);
		free(mid);
		return -1;
	}
	sbuf_init(&body);
	rc = fill_text(t, path, kv, &body, err, errlen);
	free(t);
	free(path);
	if (rc == 0) {
		/* one request per misdirected message and recipient: the same id each time */
		char *seed = xasprintf("deletion-request %s %s", message_id, recipient);

		EVP_Digest(seed, strlen(seed), md, &mdlen, EVP_sha256(), NULL);
		free(seed);
		hex_encode(md, 16, hex);
		*id = xasprintf("deletion-%s%s", hex, dom ? dom : "@invalid");
		rewrite_date(now, date, sizeof(date));
		sbuf_adds(out, "From: ");
		rewrite_add_mailbox(out, pol->designated_name, pol->designated_address);
		sbuf_printf(out, "\r\nTo: %s\r\n", recipient);
		rewrite_add_text_field(out, "Subject", "Request to delete a record sent in error",
		    "\r\n");
		sbuf_printf(out, "Date: %s\r\nMessage-ID: <%s>\r\nReferences: %s\r\n"
		    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: 8bit\r\n\r\n", date, *id, mid);
		dl_crlf(body.data ? body.data : "", out);
	}
	sbuf_free(&body);
	free(mid);
	return rc;
}

static int dl_progress(void *pctx)
{
	(void)pctx;
	return 0;
}

int deletion_send(const struct config *cfg, const struct policy *pol, const char *message_id,
    const char *recipient, time_t sent_at, time_t now, char *id, size_t idlen, char *err,
    size_t errlen)
{
	static volatile sig_atomic_t never;
	struct smtp_session *s;
	struct ob_smtp ops;
	struct sbuf msg;
	char *pw, *mid = NULL, reply[512], *rcpts[1];
	size_t pwlen = 0;
	enum ob_send r;

	if (!outbound_addr_ok(recipient)) {
		snprintf(err, errlen, "incident: error: the recipient address is not usable");
		return -1;
	}
	sbuf_init(&msg);
	if (deletion_build(cfg->template_dir, pol, message_id, recipient, sent_at, now, &msg, &mid,
	    err, errlen) < 0) {
		sbuf_free(&msg);
		return -1;
	}
	/* as the daemon: a password only with an smtp_user (loopback labs may have none) */
	pw = cfg->smtp_user ? config_read_secret(cfg->smtp_password_file, 1, &pwlen, err, errlen) :
	    xstrdup("");
	if (pw == NULL) {
		sbuf_free(&msg);
		free(mid);
		return -1;
	}
	s = smtp_new(cfg, pw, &never);
	smtp_ops(s, &ops);
	rcpts[0] = (char *)recipient;
	reply[0] = '\0';
	r = ops.send(ops.ctx, pol->designated_address, rcpts, 1, msg.data, msg.len, dl_progress,
	    NULL, NULL, reply, sizeof(reply));
	if (r != OB_SEND_OK && smtp_take(s, err, errlen) != 1)
		snprintf(err, errlen, "smtp %s: not sent: %s", cfg->smtp_host,
		    reply[0] ? reply : "no reply");
	smtp_free(s);
	explicit_bzero(pw, pwlen);
	free(pw);
	snprintf(id, idlen, "%s", mid);
	free(mid);
	sbuf_free(&msg);
	return r == OB_SEND_OK ? 0 : -1;
}
