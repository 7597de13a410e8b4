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

/* The cleaning path of the text (mime_int.h) for a value already in UTF-8. */
static char *
mh_clean(const char *utf8, size_t len)
{
	struct sbuf b;

	sbuf_init(&b);
	mt_clean(utf8, len, "utf-8", MT_REFS, &b);
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

/* Base64 or Q bytes of one encoded word (RFC 2047 4.1, 4.2) appended to raw; -1 if bad. */
static int
mh_word_bytes(const char *t, size_t n, int b, struct sbuf *raw)
{
	size_t i, idx = 0, len = 0;
	char *res = NULL;

	if (b) {
		if (mailmime_part_parse(t, n, &idx, MAILMIME_MECHANISM_BASE64, &res, &len) !=
		    MAILIMF_NO_ERROR)
			return -1;
		sbuf_add(raw, res, len);
		mmap_string_unref(res);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (t[i] == '_')
			sbuf_addc(raw, ' ');
		else if (t[i] == '=' && i + 2 < n && mh_hex((unsigned char)t[i + 1]) >= 0 &&
		    mh_hex((unsigned char)t[i + 2]) >= 0) {
			sbuf_addc(raw, (char)(mh_hex((unsigned char)t[i + 1]) * 16 +
			    mh_hex((unsigned char)t[i + 2])));
			i += 2;
		} else
			sbuf_addc(raw, t[i]);
	}
	return 0;
}

/*
 * One encoded word "=?charset[*lang]?B|Q?text?=" at p, decoded to UTF-8 in
 * out through the charset conversion of the text (so UTF-16 and UTF-32 words
 * read as they do in a body). Returns its length, or 0 when p is not one.
 */
static size_t
mh_word(const char *p, struct sbuf *out)
{
	const char *cs = p + 2, *q1, *q2, *end;
	struct sbuf raw;
	char *charset;
	int b;

	if (strncmp(p, "=?", 2) != 0)
		return 0;
	q1 = strchr(cs, '?');
	if (q1 == NULL || q1 == cs ||
	    ((q1[1] | 0x20) != 'b' && (q1[1] | 0x20) != 'q') || q1[2] != '?')
		return 0;
	b = (q1[1] | 0x20) == 'b';
	q2 = q1 + 3;
	if ((end = strstr(q2, "?=")) == NULL || memchr(p, ' ', (size_t)(end - p)) != NULL)
		return 0;
	charset = xstrndup(cs, (size_t)(q1 - cs));
	if (strchr(charset, '*'))
		*strchr(charset, '*') = '\0';
	sbuf_init(&raw);
	if (mh_word_bytes(q2, (size_t)(end - q2), b, &raw) < 0) {
		sbuf_free(&raw);
		free(charset);
		return 0;
	}
	mt_to_utf8(raw.data ? raw.data : "", raw.len, charset, out);
	sbuf_free(&raw);
	free(charset);
	return (size_t)(end + 2 - p);
}

char *
mh_decode(const char *raw)
{
	struct sbuf b, plain;
	const char *p = raw;
	int last_word = 0;
	char *r;

	sbuf_init(&b);
	sbuf_init(&plain);
	while (*p) {
		size_t n = mh_word(p, &b);
		const char *ws = p;

		if (n > 0) {
			p += n;
			last_word = 1;
			continue;
		}
		/* white space between two encoded words is not part of the text */
		while (*ws == ' ' || *ws == '\t' || *ws == '\r' || *ws == '\n')
			ws++;
		if (last_word && ws > p && mh_word(ws, &plain) > 0) {
			sbuf_reset(&plain);
			p = ws;
			continue;
		}
		last_word = 0;
		for (ws = p + 1; *ws && strncmp(ws, "=?", 2) != 0; ws++)
			;
		/* raw 8-bit text: UTF-8 when it is, else Windows-1252 */
		mt_to_utf8(p, (size_t)(ws - p), NULL, &b);
		p = ws;
	}
	sbuf_free(&plain);
	r = mh_clean(b.data ? b.data : "", b.len);
	sbuf_free(&b);
	return r;
}

/* Appends the %xx-decoded bytes of s (an RFC 2231 extended value). */
static void
mh_unpercent(const char *s, struct sbuf *raw)
{
	const char *p;

	for (p = s; *p; p++) {
		if (*p == '%' && mh_hex((unsigned char)p[1]) >= 0 && mh_hex((unsigned char)p[2]) >= 0) {
			sbuf_addc(raw, (char)(mh_hex((unsigned char)p[1]) * 16 + mh_hex((unsigned char)p[2])));
			p += 2;
		} else {
			sbuf_addc(raw, *p);
		}
	}
}

char *
mh_decode_2231(const char *value)
{
	const struct mh_section one = { 0, 1, value };

	return mh_join_2231(&one, 1);
}

/*
 * Sections in number order, stable: a merge sort of our own, because glibc's
 * qsort asks sysinfo() for large arrays, which the worker's seccomp forbids.
 */
static void
mh_sort_sections(struct mh_section *v, size_t n)
{
	struct mh_section *tmp = xreallocarray(NULL, n ? n : 1, sizeof(*tmp));
	size_t w, i;

	for (w = 1; w < n; w *= 2) {
		for (i = 0; i < n; i += 2 * w) {
			size_t a = i, m = i + w < n ? i + w : n, b = m, e = i + 2 * w < n ? i + 2 * w : n, k = i;

			while (a < m || b < e)
				tmp[k++] = b >= e || (a < m && v[a].num <= v[b].num) ? v[a++] : v[b++];
		}
		memcpy(v, tmp, n * sizeof(*v));
	}
	free(tmp);
}

char *
mh_join_2231(const struct mh_section *in, size_t n)
{
	struct mh_section *v = xreallocarray(NULL, n ? n : 1, sizeof(*v));
	struct sbuf raw, out;
	char *cs = NULL, *r;
	size_t i;

	memcpy(v, in, n * sizeof(*v));
	mh_sort_sections(v, n);
	sbuf_init(&raw);
	for (i = 0; i < n; i++) {
		const char *val = v[i].value, *q1, *q2;

		/* only the first section names the charset (charset'language'value) */
		if (i == 0 && v[i].encoded && (q1 = strchr(val, '\'')) != NULL &&
		    (q2 = strchr(q1 + 1, '\'')) != NULL) {
			cs = xstrndup(val, (size_t)(q1 - val));
			val = q2 + 1;
		}
		if (v[i].encoded)
			mh_unpercent(val, &raw);
		else
			sbuf_adds(&raw, val);
	}
	sbuf_init(&out);
	mt_to_utf8(raw.data ? raw.data : "", raw.len, cs && *cs ? cs : NULL, &out);
	r = mh_clean(out.data ? out.data : "", out.len);
	free(cs);
	free(v);
	sbuf_free(&raw);
	sbuf_free(&out);
	return r;
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
