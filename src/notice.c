/*
 * notice - builds the caseworker's notice (see notice.h). The body is
 * 8-bit UTF-8 text wrapped at 72 columns on spaces; notices are appended
 * over IMAP, never sent, so no transfer encoding is needed beyond that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "notice.h"
#include "rewrite.h"
#include "util.h"

#define NOTICE_WRAP 72

const char *notice_kind_name(enum notice_kind k)
{
	switch (k) {
	case NOTICE_REJECTED:
		return "rejected";
	case NOTICE_HELD:
		return "held";
	case NOTICE_WARNING:
		return "warning";
	}
	return "rejected";
}

static const char *notice_subject_prefix(enum notice_kind k)
{
	switch (k) {
	case NOTICE_HELD:
		return "Held: ";
	case NOTICE_WARNING:
		return "Sent with warning: ";
	case NOTICE_REJECTED:
		break;
	}
	return "Not sent: ";
}

static const char *notice_intro(enum notice_kind k)
{
	switch (k) {
	case NOTICE_HELD:
		return "Your message was not sent. It is held in the Held folder until an "
		    "administrator decides what happens to it.";
	case NOTICE_WARNING:
		return "Your message was sent, but with the warning below.";
	case NOTICE_REJECTED:
		break;
	}
	return "Your message was not sent. It has been moved to the Rejected folder.";
}

void notice_reason_set(struct notice_reason *r, enum vcode c, const char *detail)
{
	const struct vcode_info *vi = vcode_info(c);

	r->code = vi ? vi->code : "unknown";
	r->words = vi ? vi->words : "";
	r->todo = vi ? vi->todo : "";
	r->detail = detail;
}

char *notice_id(enum notice_kind k, const char *message_id, const char *address)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	const char *at = address ? strrchr(address, '@') : NULL;
	char *seed = xasprintf("%s\n%s", notice_kind_name(k), message_id ? message_id : "");

	if (EVP_Digest(seed, strlen(seed), md, &mdlen, EVP_sha256(), NULL) != 1)
		mdlen = 0;
	free(seed);
	hex_encode(md, mdlen > 16 ? 16 : mdlen, hex);
	return ascii_lower(xasprintf("notice-%s@%s", hex, at ? at + 1 : "localhost"));
}

/* Appends text wrapped on spaces at NOTICE_WRAP columns, each line ended with CRLF. */
static void notice_wrap(struct sbuf *b, const char *text)
{
	char *t = xstrdup(text ? text : ""), *p, *w, *save = NULL;
	size_t col = 0;

	for (p = t; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	for (w = strtok_r(t, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
		size_t n = strlen(w);

		if (col > 0 && col + 1 + n > NOTICE_WRAP) {
			sbuf_adds(b, "\r\n");
			col = 0;
		}
		if (col > 0) {
			sbuf_addc(b, ' ');
			col++;
		}
		sbuf_adds(b, w);
		col += n;
	}
	if (col > 0)
		sbuf_adds(b, "\r\n");
	free(t);
}

/* Message-IDs from outside are put in headers only when they are a plain token. */
static int notice_id_ok(const char *id)
{
	const char *p;

	if (id == NULL || *id == '\0' || strlen(id) > 900)
		return 0;
	for (p = id; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '<' || *p == '>')
			return 0;
	return 1;
}

void notice_build(const struct notice *n, struct sbuf *out)
{
	char date[64], *subj, *own;
	struct sbuf codes;
	size_t i;
	int idok = notice_id_ok(n->message_id);

	rewrite_date(n->now, date, sizeof(date));
	sbuf_adds(out, "From: ");
	rewrite_add_mailbox(out, "mailgate", n->address);
	sbuf_printf(out, "\r\nTo: <%s>\r\n", n->address);
	subj = xasprintf("%s%s", notice_subject_prefix(n->kind), n->subject ? n->subject : "");
	rewrite_add_text_field(out, "Subject", subj, "\r\n");
	free(subj);
	sbuf_printf(out, "Date: %s\r\n", date);
	own = notice_id(n->kind, idok ? n->message_id : "", n->address);
	sbuf_printf(out, "Message-ID: <%s>\r\n", own);
	free(own);
	if (idok) {
		sbuf_printf(out, "In-Reply-To: <%s>\r\n", n->message_id);
		sbuf_printf(out, "References: <%s>\r\n", n->message_id);
	}
	sbuf_adds(out, "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "Auto-Submitted: auto-generated\r\n");
	sbuf_printf(out, "X-Mailgate-Notice: %s\r\n", notice_kind_name(n->kind));
	sbuf_init(&codes);
	for (i = 0; i < n->nreasons; i++) {
		if (i > 0)
			sbuf_addc(&codes, ' ');
		sbuf_adds(&codes, n->reasons[i].code);
	}
	rewrite_add_text_field(out, "X-Mailgate-Reasons", codes.data ? codes.data : "", "\r\n");
	sbuf_free(&codes);
	sbuf_printf(out, "X-Mailgate-Message-ID: <%s>\r\n", idok ? n->message_id : "");
	sbuf_adds(out, "\r\n");
	notice_wrap(out, notice_intro(n->kind));
	for (i = 0; i < n->nreasons; i++) {
		const struct notice_reason *r = &n->reasons[i];

		sbuf_adds(out, "\r\n");
		notice_wrap(out, r->words);
		if (r->detail != NULL && r->detail[0] != '\0')
			notice_wrap(out, r->detail);
		if (r->todo != NULL && r->todo[0] != '\0') {
			char *t = xasprintf("What to do: %s", r->todo);

			notice_wrap(out, t);
			free(t);
		}
	}
}
