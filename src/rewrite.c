/*
 * rewrite - the pre-send header rewrite, on raw bytes (see rewrite.h).
 *
 * The header section is walked field by field (a field is its first line
 * and every continuation line starting with SP or HT); a field is copied,
 * replaced or dropped whole, so that everything not named by the interface
 * stays byte for byte as the caseworker's client wrote it. Added fields use
 * the message's own line ending (that of its first line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "rewrite.h"
#include "util.h"

struct rw_field {
	const char *start;	/* first byte of the field */
	size_t len;		/* through the last line ending */
	const char *name;	/* field name, not terminated */
	size_t namelen;
	const char *value;	/* after the colon */
	size_t valuelen;	/* to the end of the field, line endings included */
};

/* Length of the line at p (through its LF), bounded by end. */
static size_t rw_line_len(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
}

static int rw_line_blank(const char *p, size_t n)
{
	return (n == 1 && p[0] == '\n') || (n == 2 && p[0] == '\r' && p[1] == '\n');
}

/*
 * Finds the header section: *hlen is its length (before the blank line),
 * *body where the blank line starts (len when there is none).
 */
static void rw_split(const char *raw, size_t len, size_t *hlen, size_t *body)
{
	const char *p = raw, *end = raw + len;

	while (p < end) {
		size_t n = rw_line_len(p, end);

		if (rw_line_blank(p, n)) {
			*hlen = (size_t)(p - raw);
			*body = *hlen;
			return;
		}
		p += n;
	}
	*hlen = len;
	*body = len;
}

/* Next field at *pp within [*pp, end); 0 at the end. */
static int rw_next_field(const char **pp, const char *end, struct rw_field *f)
{
	const char *p = *pp, *colon;
	size_t n;

	if (p >= end)
		return 0;
	f->start = p;
	n = rw_line_len(p, end);
	colon = memchr(p, ':', n);
	p += n;
	while (p < end && (*p == ' ' || *p == '\t'))
		p += rw_line_len(p, end);
	f->len = (size_t)(p - f->start);
	if (colon != NULL && f->start[0] != ' ' && f->start[0] != '\t') {
		f->name = f->start;
		f->namelen = (size_t)(colon - f->start);
		while (f->namelen > 0 && (f->name[f->namelen - 1] == ' ' ||
		    f->name[f->namelen - 1] == '\t'))
			f->namelen--;
		f->value = colon + 1;
		f->valuelen = (size_t)(p - f->value);
	} else {
		f->name = NULL;
		f->namelen = 0;
		f->value = NULL;
		f->valuelen = 0;
	}
	*pp = p;
	return 1;
}

static int rw_name_is(const struct rw_field *f, const char *name)
{
	size_t n = strlen(name);

	return f->name != NULL && f->namelen == n && ascii_strncasecmp(f->name, name, n) == 0;
}

/* Fields the interface removes before sending. */
static int rw_removed(const struct rw_field *f)
{
	static const char *const names[] = { "Sender", "Reply-To", "Bcc", "Return-Path",
	    "Disposition-Notification-To", "Return-Receipt-To" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (rw_name_is(f, names[i]))
			return 1;
	return f->name != NULL && f->namelen >= 7 && ascii_strncasecmp(f->name, "Resent-", 7) == 0;
}

static const char *rw_eol(const char *raw, size_t len)
{
	const char *nl = memchr(raw, '\n', len);

	return (nl != NULL && nl > raw && nl[-1] == '\r') ? "\r\n" : (nl != NULL ? "\n" : "\r\n");
}

char *rewrite_header_value(const char *raw, size_t len, const char *name)
{
	size_t hlen, body, i;
	const char *p = raw;
	struct rw_field f;
	struct sbuf b;

	rw_split(raw, len, &hlen, &body);
	while (rw_next_field(&p, raw + hlen, &f)) {
		if (!rw_name_is(&f, name))
			continue;
		sbuf_init(&b);
		for (i = 0; i < f.valuelen; i++)
			if (f.value[i] != '\r' && f.value[i] != '\n')
				sbuf_addc(&b, f.value[i]);
		sbuf_adds(&b, "");
		str_trim(b.data);
		return sbuf_steal(&b, NULL);
	}
	return NULL;
}

char *rewrite_message_id(const char *raw, size_t len)
{
	char *v = rewrite_header_value(raw, len, "Message-ID"), *lt, *gt, *id;

	if (v == NULL)
		return NULL;
	lt = strchr(v, '<');
	gt = lt ? strchr(lt, '>') : NULL;
	if (lt != NULL && gt != NULL)
		id = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	else
		id = xstrdup(v);
	free(v);
	str_trim(id);
	if (id[0] == '\0' || strpbrk(id, " \t<>") != NULL) {
		free(id);
		return NULL;
	}
	return id;
}

char *rewrite_derived_id(const char *raw, size_t len, const char *address)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	const char *at = address ? strrchr(address, '@') : NULL;
	char *id;

	if (at == NULL || at[1] == '\0')
		return NULL;
	if (EVP_Digest(raw, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		return NULL;
	hex_encode(md, mdlen, hex);
	id = xasprintf("%s@%s", hex, at + 1);
	return ascii_lower(id);
}

void rewrite_date(time_t t, char *buf, size_t n)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mons[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
	    "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, n, "%s, %d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
	    mons[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int rw_plain_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* RFC 2047 B-encoded words of at most 45 bytes each, never splitting a UTF-8 sequence. */
static void rw_add_encoded(struct sbuf *b, const char *s, const char *eol)
{
	size_t len = strlen(s), off = 0;
	unsigned char enc[64];

	while (off < len) {
		size_t n = len - off > 45 ? 45 : len - off;

		while (n > 1 && off + n < len && ((unsigned char)s[off + n] & 0xc0) == 0x80)
			n--;
		EVP_EncodeBlock(enc, (const unsigned char *)s + off, (int)n);
		if (off > 0)
			sbuf_printf(b, "%s ", eol);
		sbuf_printf(b, "=?UTF-8?B?%s?=", (const char *)enc);
		off += n;
	}
}

/* Control characters (CR, LF, NUL, TAB...) become spaces: a header value is one line. */
static char *rw_clean(const char *s)
{
	char *c = xstrdup(s ? s : ""), *p;

	for (p = c; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return c;
}

void rewrite_add_text_field(struct sbuf *b, const char *name, const char *value,
    const char *eol)
{
	char *v = rw_clean(value), *w, *save = NULL;
	size_t col;

	sbuf_printf(b, "%s:", name);
	if (!rw_plain_ascii(v)) {
		sbuf_addc(b, ' ');
		rw_add_encoded(b, v, eol);
		sbuf_adds(b, eol);
		free(v);
		return;
	}
	col = strlen(name) + 1;
	for (w = strtok_r(v, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
		if (col > 1 && col + 1 + strlen(w) > 78) {
			sbuf_adds(b, eol);
			col = 0;
		}
		sbuf_addc(b, ' ');
		sbuf_adds(b, w);
		col += 1 + strlen(w);
	}
	sbuf_adds(b, eol);
	free(v);
}

static int rw_atext_phrase(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr(" !#$%&'*+-/=?^_`{|}~", *s)))
			return 0;
	return 1;
}

void rewrite_add_mailbox(struct sbuf *b, const char *name, const char *address)
{
	char *n = rw_clean(name), *p;

	str_trim(n);
	if (n[0] == '\0') {
		sbuf_printf(b, "<%s>", address);
	} else if (!rw_plain_ascii(n)) {
		rw_add_encoded(b, n, "\r\n");
		sbuf_printf(b, " <%s>", address);
	} else if (rw_atext_phrase(n)) {
		sbuf_printf(b, "%s <%s>", n, address);
	} else {
		sbuf_addc(b, '"');
		for (p = n; *p; p++) {
			if (*p == '"' || *p == '\\')
				sbuf_addc(b, '\\');
			sbuf_addc(b, *p);
		}
		sbuf_printf(b, "\" <%s>", address);
	}
	free(n);
}

/*
 * The rewrite; with bodyp the body is not copied: *bodyp says where it
 * starts in raw (len when there is none: out then ends with its line end).
 */
static int rw_rewrite(const char *raw, size_t len, const char *address, const char *name,
    time_t now, struct sbuf *out, char **msgid, size_t *bodyp)
{
	size_t hlen, body;
	const char *p = raw, *eol = rw_eol(raw, len);
	struct rw_field f;
	int have_from = 0, have_date = 0, derived = 0;
	char *id, date[64];
	struct sbuf mbox;

	*msgid = NULL;
	if (address == NULL || strchr(address, '@') == NULL)
		return -1;
	rw_split(raw, len, &hlen, &body);
	if (hlen == 0)
		return -1;
	id = rewrite_message_id(raw, len);
	if (id == NULL) {
		/* an empty or unusable Message-ID is replaced, never doubled */
		id = rewrite_derived_id(raw, len, address);
		if (id == NULL)
			return -1;
		derived = 1;
	}
	sbuf_init(&mbox);
	rewrite_add_mailbox(&mbox, name, address);
	if (strcmp(eol, "\r\n") != 0) {
		/* encoded words in the display name were folded with CRLF */
		struct sbuf t;
		size_t i;

		sbuf_init(&t);
		for (i = 0; i < mbox.len; i++)
			if (mbox.data[i] != '\r')
				sbuf_addc(&t, mbox.data[i]);
		sbuf_free(&mbox);
		mbox = t;
	}
	/* the message once, not a doubling buffer that copies it on each growth */
	sbuf_reserve(out, (bodyp ? hlen : len) + strlen(mbox.data) + 512);
	while (rw_next_field(&p, raw + hlen, &f)) {
		if (rw_name_is(&f, "From")) {
			if (!have_from)
				sbuf_printf(out, "From: %s%s", mbox.data, eol);
			have_from = 1;
			continue;
		}
		if (rw_removed(&f) || (derived && rw_name_is(&f, "Message-ID")))
			continue;
		if (rw_name_is(&f, "Date"))
			have_date = 1;
		sbuf_add(out, f.start, f.len);
		/* a header section without a final line ending still needs one */
		if (f.len > 0 && f.start[f.len - 1] != '\n')
			sbuf_adds(out, eol);
	}
	if (!have_from)
		sbuf_printf(out, "From: %s%s", mbox.data, eol);
	sbuf_free(&mbox);
	if (!have_date) {
		rewrite_date(now, date, sizeof(date));
		sbuf_printf(out, "Date: %s%s", date, eol);
	}
	if (derived)
		sbuf_printf(out, "Message-ID: <%s>%s", id, eol);
	if (body >= len)
		sbuf_adds(out, eol);
	else if (bodyp == NULL)
		sbuf_add(out, raw + body, len - body);
	if (bodyp != NULL)
		*bodyp = body < len ? body : len;
	*msgid = id;
	return 0;
}

int rewrite_message(const char *raw, size_t len, const char *address, const char *name,
    time_t now, struct sbuf *out, char **msgid)
{
	return rw_rewrite(raw, len, address, name, now, out, msgid, NULL);
}

int rewrite_message_head(const char *raw, size_t len, const char *address, const char *name,
    time_t now, struct sbuf *out, char **msgid, size_t *body)
{
	return rw_rewrite(raw, len, address, name, now, out, msgid, body);
}

int rewrite_message_owned(char **raw, size_t *len, const char *address, const char *name,
    time_t now, char **msgid)
{
	struct sbuf hdr;
	size_t body, rest, total;
	char *buf = *raw;

	sbuf_init(&hdr);
	if (rw_rewrite(*raw, *len, address, name, now, &hdr, msgid, &body) < 0) {
		sbuf_free(&hdr);
		return -1;
	}
	rest = *len - body;
	total = hdr.len + rest;
	/* the body moves within its own buffer (a large one is remapped, not copied) */
	if (hdr.len > body) {
		buf = xrealloc(buf, total + 1);
		memmove(buf + hdr.len, buf + body, rest);
	} else {
		memmove(buf + hdr.len, buf + body, rest);
		buf = xrealloc(buf, total + 1);
	}
	memcpy(buf, hdr.data, hdr.len);
	buf[total] = '\0';
	sbuf_free(&hdr);
	*raw = buf;
	*len = total;
	return 0;
}
