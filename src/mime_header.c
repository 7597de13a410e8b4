/*
 * mime_header - reads a raw header block the way the rules need it: every
 * field with its unfolded value and line, the first line that is not a
 * header line (libetpan stops there silently and reads the rest as body),
 * RFC 2047 and RFC 2231 decoding. See src/mime_int.h.
 */
#include <stdlib.h>
#include <string.h>

#include <libetpan/libetpan.h>

#include "mime_int.h"

static int
mh_name_char(unsigned char c)
{
	return c > 32 && c < 127 && c != ':';
}

void
mh_parse(const char *buf, size_t len, struct mh_block *out)
{
	size_t i = 0, line = 0, cap = 0;
	struct sbuf val;

	memset(out, 0, sizeof(*out));
	sbuf_init(&val);
	while (i < len) {
		size_t start = i, end, name_end;

		while (i < len && buf[i] != '\n')
			i++;
		end = i;
		i = i < len ? i + 1 : i;
		line++;
		if (end > start && buf[end - 1] == '\r')
			end--;
		if (end == start)	/* the blank line ends the block */
			break;
		if (buf[start] == ' ' || buf[start] == '\t') {
			if (out->n == 0) {
				if (!out->bad_line)
					out->bad_line = (long)line;
				continue;
			}
			/* unfold: the line break goes, the white space stays */
			{
				struct mh_field *f = &out->v[out->n - 1];
				char *nv = xasprintf("%s%.*s", f->value, (int)(end - start), buf + start);

				free(f->value);
				f->value = nv;
			}
			continue;
		}
		for (name_end = start; name_end < end && mh_name_char((unsigned char)buf[name_end]);
		    name_end++)
			;
		if (name_end == start || name_end >= end || buf[name_end] != ':') {
			/* allow white space before the colon ("Subject : x"), as RFC 822 did */
			size_t k = name_end;

			while (k < end && (buf[k] == ' ' || buf[k] == '\t'))
				k++;
			if (name_end == start || k >= end || buf[k] != ':') {
				if (!out->bad_line)
					out->bad_line = (long)line;
				continue;
			}
		}
		if (out->n == cap) {
			cap = cap ? cap * 2 : 32;
			out->v = xreallocarray(out->v, cap, sizeof(*out->v));
		}
		{
			const char *v = memchr(buf + name_end, ':', end - name_end) + 1;

			out->v[out->n].name = xstrndup(buf + start, name_end - start);
			out->v[out->n].value = xstrndup(v, (size_t)(buf + end - v));
			out->v[out->n].line = line;
			out->n++;
		}
	}
	out->end = i;
	sbuf_free(&val);
}

void
mh_free(struct mh_block *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->v[i].name);
		free(b->v[i].value);
	}
	free(b->v);
	memset(b, 0, sizeof(*b));
}

size_t
mh_count(const struct mh_block *b, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < b->n; i++)
		if (ascii_strcasecmp(b->v[i].name, name) == 0)
			n++;
	return n;
}

const char *
mh_get(const struct mh_block *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (ascii_strcasecmp(b->v[i].name, name) == 0)
			return b->v[i].value;
	return NULL;
}

char *
mh_decode(const char *raw)
{
	size_t idx = 0, len = strlen(raw);
	char *out = NULL, *r;
	struct sbuf b;

	if (mailmime_encoded_phrase_parse(mt_valid_utf8(raw, len) ? "utf-8" : "iso-8859-1",
	    raw, len, &idx, "utf-8", &out) == MAILIMF_NO_ERROR && out != NULL) {
		r = xstrdup(out);
		free(out);
		if (mt_valid_utf8(r, strlen(r)))
			return r;
		free(r);
	}
	sbuf_init(&b);
	mt_to_utf8(raw, len, NULL, &b);
	return sbuf_steal(&b, NULL);
}

static int
mh_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

char *
mh_decode_2231(const char *value)
{
	const char *q1 = strchr(value, '\''), *q2 = q1 ? strchr(q1 + 1, '\'') : NULL, *p;
	struct sbuf raw, out;
	char *cs;

	if (q2 == NULL)
		return xstrdup(value);
	sbuf_init(&raw);
	for (p = q2 + 1; *p; p++) {
		if (*p == '%' && mh_hex((unsigned char)p[1]) >= 0 && mh_hex((unsigned char)p[2]) >= 0) {
			sbuf_addc(&raw, (char)(mh_hex((unsigned char)p[1]) * 16 + mh_hex((unsigned char)p[2])));
			p += 2;
		} else {
			sbuf_addc(&raw, *p);
		}
	}
	cs = xstrndup(value, (size_t)(q1 - value));
	sbuf_init(&out);
	mt_to_utf8(raw.data ? raw.data : "", raw.len, *cs ? cs : NULL, &out);
	free(cs);
	sbuf_free(&raw);
	return sbuf_steal(&out, NULL);
}

int
mh_not_searched(const char *name)
{
	static const char *skip[] = { "message-id", "in-reply-to", "references", "received",
		"dkim-signature", "authentication-results", "thread-index" };
	size_t i;

	if (ascii_strncasecmp(name, "arc-", 4) == 0)
		return 1;
	for (i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (ascii_strcasecmp(name, skip[i]) == 0)
			return 1;
	return 0;
}
