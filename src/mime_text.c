/*
 * mime_text - turns a decoded part into searchable UTF-8 text: charset
 * conversion (declared, or by byte-order mark), invisible characters
 * removed, format=flowed undone, HTML rendered and RTF reduced to text.
 * Each converter is one linear pass; nothing here allocates more than a
 * small multiple of its input. See src/mime_int.h.
 */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <libetpan/libetpan.h>
#include <uninorm.h>

#include "mime_int.h"

static size_t mt_ascii_span(const char *s, size_t len);

/*
 * UTF-8 is valid when each run of non-ASCII bytes is (an ASCII byte is a
 * whole character and never part of another): the ASCII between is passed
 * over sixteen bytes at a time.
 */
int
mt_valid_utf8(const char *s, size_t len)
{
	size_t i = 0, j;

	while ((i += mt_ascii_span(s + i, len - i)) < len) {
		for (j = i + 1; j < len && (unsigned char)s[j] >= 0x80; j++)
			;
		if (!utf8_valid(s + i, j - i))
			return 0;
		i = j;
	}
	return 1;
}


static void
mt_cp1252(const char *in, size_t len, struct sbuf *out)
{
	sbuf_add_cp1252(out, in, len);
}

static void
mt_utf16(const unsigned char *p, size_t len, int be, struct sbuf *out)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		uint32_t u = be ? ((uint32_t)p[i] << 8 | p[i + 1]) : ((uint32_t)p[i + 1] << 8 | p[i]);

		if (u >= 0xD800 && u <= 0xDBFF && i + 3 < len) {
			uint32_t lo = be ? ((uint32_t)p[i + 2] << 8 | p[i + 3]) :
			    ((uint32_t)p[i + 3] << 8 | p[i + 2]);

			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
				i += 2;
			}
		}
		sbuf_add_utf8(out, u);
	}
}

/* UTF-32 read here, not by iconv: the worker's sandbox cannot load gconv modules. */
static void
mt_utf32(const unsigned char *p, size_t len, int be, struct sbuf *out)
{
	size_t i;

	for (i = 0; i + 3 < len; i += 4) {
		uint32_t u = be ? ((uint32_t)p[i] << 24 | (uint32_t)p[i + 1] << 16 |
		    (uint32_t)p[i + 2] << 8 | p[i + 3]) : ((uint32_t)p[i + 3] << 24 |
		    (uint32_t)p[i + 2] << 16 | (uint32_t)p[i + 1] << 8 | p[i]);

		sbuf_add_utf8(out, u);
	}
}

static int
mt_cs(const char *cs, const char *name)
{
	return cs && ascii_strcasecmp(cs, name) == 0;
}

/* Any other charset goes through iconv; what iconv cannot read is kept as Windows-1252. */
static void
mt_iconv(const char *in, size_t len, const char *cs, struct sbuf *out)
{
	iconv_t cd = iconv_open("UTF-8", cs);
	char buf[4096];

	if (cd == (iconv_t)-1) {
		mt_cp1252(in, len, out);
		return;
	}
	while (len > 0) {
		char *ip = (char *)in, *op = buf;
		size_t il = len, ol = sizeof(buf);
		size_t r = iconv(cd, &ip, &il, &op, &ol);

		sbuf_add(out, buf, (size_t)(op - buf));
		if (r == (size_t)-1 && ip == in && op == buf) {
			/* an invalid or incomplete byte: show it as U+FFFD and go on */
			sbuf_add_utf8(out, 0xFFFD);
			ip++;
			il--;
		}
		in = ip;
		len = il;
	}
	iconv_close(cd);
}

/*
 * UTF-16 without a byte-order mark: a NUL in every other byte (at least
 * eight pairs, and no NUL on the other side). 1 little-endian, 2 big-endian.
 */
static int
mt_nul_pairs(const unsigned char *u, size_t len)
{
	size_t i, even = 0, odd = 0;

	/* without a NUL among the bytes counted, neither side can have enough */
	if (len < 16 || memchr(u, '\0', len < 4096 ? len : 4096) == NULL)
		return 0;
	for (i = 0; i + 1 < len && i < 4096; i += 2) {
		even += u[i] == 0;
		odd += u[i + 1] == 0;
	}
	if (odd >= (i / 2) * 3 / 4 && even == 0)
		return 1;
	if (even >= (i / 2) * 3 / 4 && odd == 0)
		return 2;
	return 0;
}

int
mt_is_utf16(const char *in, size_t len, const char *charset)
{
	const unsigned char *u = (const unsigned char *)in;

	if (len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF)))
		return 1;
	if (mt_cs(charset, "utf-16le") || mt_cs(charset, "utf-16") || mt_cs(charset, "utf-16be"))
		return 1;
	/* text in these has NULs too, and iconv reads it */
	if (mt_cs(charset, "utf-32") || mt_cs(charset, "utf-32le") || mt_cs(charset, "utf-32be") ||
	    mt_cs(charset, "ucs-2") || mt_cs(charset, "ucs-4"))
		return 1;
	return mt_nul_pairs(u, len) != 0;
}

int
mt_utf8_as_is(const char *in, size_t len, const char *charset)
{
	const unsigned char *u = (const unsigned char *)in;

	/* no byte-order mark (UTF-8's is dropped), no wide text by label or by NULs */
	if ((len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) ||
	    (len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) ||
	    (len >= 4 && memcmp(u, "\0\0\xFE\xFF", 4) == 0) || mt_is_utf16(in, len, charset))
		return 0;
	if (!(charset == NULL || mt_cs(charset, "us-ascii") || mt_cs(charset, "utf-8") ||
	    mt_cs(charset, "utf8") || mt_cs(charset, "iso-8859-1") || mt_cs(charset, "latin1") ||
	    mt_cs(charset, "windows-1252") || mt_cs(charset, "cp1252")))
		return 0;
	return mt_valid_utf8(in, len);
}

void
mt_to_utf8(const char *in, size_t len, const char *charset, struct sbuf *out)
{
	const unsigned char *u = (const unsigned char *)in;
	int pairs;

	if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
		in += 3;
		len -= 3;
		charset = "utf-8";
	} else if (len >= 4 && (memcmp(u, "\xFF\xFE\0\0", 4) == 0 || memcmp(u, "\0\0\xFE\xFF", 4) == 0)) {
		/* the UTF-32 byte-order marks, before UTF-16's that the first one starts with */
		mt_utf32(u + 4, len - 4, u[0] == 0, out);
		return;
	} else if (len >= 2 && u[0] == 0xFF && u[1] == 0xFE) {
		mt_utf16(u + 2, len - 2, 0, out);
		return;
	} else if (len >= 2 && u[0] == 0xFE && u[1] == 0xFF) {
		mt_utf16(u + 2, len - 2, 1, out);
		return;
	}
	if (mt_cs(charset, "utf-16le") || mt_cs(charset, "utf-16")) {
		mt_utf16(u, len, 0, out);
		return;
	}
	if (mt_cs(charset, "utf-16be") || mt_cs(charset, "ucs-2")) {
		mt_utf16(u, len, 1, out);
		return;
	}
	if (mt_cs(charset, "utf-32") || mt_cs(charset, "utf-32le") || mt_cs(charset, "utf-32be") ||
	    mt_cs(charset, "ucs-4")) {
		int be = mt_cs(charset, "utf-32be") || mt_cs(charset, "ucs-4");

		/* a BOM decides, as for UTF-16 */
		if (len >= 4 && memcmp(u, "\xFF\xFE\0\0", 4) == 0)
			be = 0, u += 4, len -= 4;
		else if (len >= 4 && memcmp(u, "\0\0\xFE\xFF", 4) == 0)
			be = 1, u += 4, len -= 4;
		mt_utf32(u, len, be, out);
		return;
	}
	/* whatever the label says, a NUL in every other byte is UTF-16 */
	if ((pairs = mt_nul_pairs(u, len)) != 0) {
		mt_utf16(u, len, pairs == 2, out);
		return;
	}
	if (charset == NULL || mt_cs(charset, "us-ascii") || mt_cs(charset, "utf-8") ||
	    mt_cs(charset, "utf8") || mt_cs(charset, "iso-8859-1") || mt_cs(charset, "latin1") ||
	    mt_cs(charset, "windows-1252") || mt_cs(charset, "cp1252")) {
		if (mt_valid_utf8(in, len))
			sbuf_add(out, in, len);
		else
			mt_cp1252(in, len, out);
		return;
	}
	mt_iconv(in, len, charset, out);
}

/* How many bytes at s are ASCII, sixteen or eight at a time: most mail text is. */
static size_t
mt_ascii_span(const char *s, size_t len)
{
	size_t i = 0;

#if defined(__SSE2__)
	for (; len - i >= 16; i += 16) {
		/* the mask of the bytes' top bits: the non-ASCII ones */
		int m = _mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s + i)));

		if (m != 0)
			return i + (size_t)__builtin_ctz((unsigned)m);
	}
#endif
	for (; len - i >= 8; i += 8) {
		uint64_t w;

		memcpy(&w, s + i, 8);
		if (w & 0x8080808080808080ull)
			break;
	}
	while (i < len && (unsigned char)s[i] < 0x80)
		i++;
	return i;
}

/* The value of a base64 letter, or -1 for anything else (padding included). */
static int
mt_b64(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

char *
mt_base64_decode(const char *in, size_t len, size_t *outlen)
{
	char *out = xmalloc(len / 4 * 3 + 3);
	unsigned v[4] = { 0, 0, 0, 0 };
	size_t i, o = 0;
	int k = 0;

	for (i = 0; i < len; i++) {
		int x = mt_b64((unsigned char)in[i]);

		if (x < 0)
			continue;	/* white space, '=' anywhere, what is not base64 */
		v[k++] = (unsigned)x;
		if (k == 4) {
			out[o++] = (char)(v[0] << 2 | v[1] >> 4);
			out[o++] = (char)(v[1] << 4 | v[2] >> 2);
			out[o++] = (char)(v[2] << 6 | v[3]);
			v[1] = v[2] = v[3] = 0;
			k = 0;
		}
	}
	/* a short last group gives what its letters hold; one letter alone gives one byte */
	if (k > 0)
		out[o++] = (char)(v[0] << 2 | v[1] >> 4);
	if (k == 3)
		out[o++] = (char)(v[1] << 4 | v[2] >> 2);
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* A hex digit's value; anything else counts 0, as in libetpan's to_char(). */
static unsigned
mt_qp_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 0;
}

/* How many bytes at p are neither '=', CR nor LF, sixteen at a time: most of a QP line. */
static size_t
mt_qp_plain(const unsigned char *p, size_t len)
{
	size_t i = 0;

#if defined(__SSE2__)
	const __m128i eq = _mm_set1_epi8('='), cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');

	for (; len - i >= 16; i += 16) {
		__m128i w = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		int m = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(w, eq),
		    _mm_cmpeq_epi8(w, cr)), _mm_cmpeq_epi8(w, lf)));

		if (m != 0)
			return i + (size_t)__builtin_ctz((unsigned)m);
	}
#endif
	while (i < len && p[i] != '=' && p[i] != '\r' && p[i] != '\n')
		i++;
	return i;
}

char *
mt_qp_decode(const char *in, size_t len, unsigned char next, size_t *outlen)
{
	/* each byte gives at most two ("\n" gives CRLF); the unused end is given back */
	char *out = xreallocarray(NULL, len + 1, 2);
	const unsigned char *p = (const unsigned char *)in, *end = p + len;
	size_t o = 0;

	while (p < end) {
		const unsigned char *run = p;

		/* the bytes that stand for themselves go as one run */
		p += mt_qp_plain(p, (size_t)(end - p));
		memcpy(out + o, run, (size_t)(p - run));
		o += (size_t)(p - run);
		if (p == end)
			break;
		if (*p == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
			p++;
		} else if (*p == '\r') {
			if (end - p == 1)
				break;		/* a CR at the very end is dropped */
			out[o++] = '\r';
			out[o++] = '\n';
			p += p[1] == '\n' ? 2 : 1;
		} else if (end - p == 1) {
			out[o++] = '=';		/* a lone '=' at the end stays */
			p++;
		} else if (p[1] == '\n') {
			p += 2;			/* soft line break */
		} else if (p[1] == '\r') {
			if (end - p == 2)
				break;		/* "=\r" at the end: both dropped */
			p += p[2] == '\n' ? 3 : 2;
		} else if (end - p == 2) {
			/*
			 * "=X" at the end: libetpan counts X twice, so it gives X
			 * and the byte after the part ("==" gives "=="); next is
			 * that byte.
			 */
			out[o++] = (char)p[1];
			out[o++] = p[1] == '=' ? '=' : (char)next;
			break;
		} else {
			out[o++] = (char)(mt_qp_hex(p[1]) << 4 | mt_qp_hex(p[2]));
			p += 3;
		}
	}
	out = xrealloc(out, o + 1);
	out[o] = '\0';
	*outlen = o;
	return out;
}

size_t
mt_strip_invisible(char *s, size_t len)
{
	unsigned char *p = (unsigned char *)s;
	size_t r = 0, w = 0;

	/* every character removed starts with one of these bytes */
	if (!memchr(s, 0xC2, len) && !memchr(s, 0xE2, len) && !memchr(s, 0xEF, len))
		return len;

	while (r < len) {
		size_t a = mt_ascii_span(s + r, len - r);

		/* none of them is ASCII: the ASCII between moves as a block */
		if (a > 0) {
			if (w != r)
				memmove(p + w, p + r, a);
			w += a;
			r += a;
			continue;
		}
		if (p[r] == 0xC2 && r + 1 < len && p[r + 1] == 0xAD) {
			r += 2;
			continue;
		}
		if (p[r] == 0xE2 && r + 2 < len && p[r + 1] == 0x80 && p[r + 2] >= 0x8B &&
		    p[r + 2] <= 0x8D) {
			r += 3;
			continue;
		}
		if (p[r] == 0xE2 && r + 2 < len && p[r + 1] == 0x81 && p[r + 2] == 0xA0) {
			r += 3;
			continue;
		}
		if (p[r] == 0xEF && r + 2 < len && p[r + 1] == 0xBB && p[r + 2] == 0xBF) {
			r += 3;
			continue;
		}
		p[w++] = p[r++];
	}
	if (w < len)
		s[w] = '\0';
	return w;
}

/* U+0000 shows as nothing, so it must not part a number either (UTF-16 text can hold it). */
static size_t
mt_strip_nul(char *s, size_t len)
{
	size_t r, w = 0;

	for (r = 0; r < len; r++)
		if (s[r] != '\0')
			s[w++] = s[r];
	s[w] = '\0';
	return w;
}

/* Invalid UTF-8 (a lone surrogate from UTF-16, say) becomes U+FFFD, so NFKC can run. */
static void
mt_repair_utf8(struct sbuf *b)
{
	struct sbuf o;
	size_t i = 0, n;

	if (mt_valid_utf8(b->data ? b->data : "", b->len))
		return;
	sbuf_init(&o);
	while (i < b->len) {
		for (n = 1; n <= 4 && i + n <= b->len; n++)
			if (utf8_valid(b->data + i, n))
				break;
		if (n <= 4 && i + n <= b->len) {
			sbuf_add(&o, b->data + i, n);
			i += n;
		} else {
			sbuf_add_utf8(&o, 0xFFFD);
			i++;
		}
	}
	sbuf_free(b);
	*b = o;
}

static int
mt_all_ascii(const char *s, size_t len)
{
	return mt_ascii_span(s, len) == len;
}

/*
 * The dashes the rules take as separators (U+2010-U+2013, U+2212) become
 * '-': NFKC leaves them, and the scanner's fast path expects separators of
 * at most two bytes. In place; returns the new length.
 */
static size_t
mt_fold_dashes(char *s, size_t len)
{
	unsigned char *p = (unsigned char *)s;
	size_t r = 0, w = 0;

	if (!memchr(s, 0xE2, len))
		return len;
	while (r < len) {
		if (p[r] == 0xE2 && r + 2 < len && ((p[r + 1] == 0x80 && p[r + 2] >= 0x90 &&
		    p[r + 2] <= 0x93) || (p[r + 1] == 0x88 && p[r + 2] == 0x92))) {
			p[w++] = '-';
			r += 3;
			continue;
		}
		p[w++] = p[r++];
	}
	if (w < len)
		s[w] = '\0';
	return w;
}

/* NFKC of one piece, appended; a small result stays on the stack. */
static void
mt_nfkc_piece(const char *s, size_t len, struct sbuf *out)
{
	uint8_t buf[512], *n;
	size_t nlen = sizeof(buf);

	n = u8_normalize(UNINORM_NFKC, (const uint8_t *)s, len, buf, &nlen);
	if (n == NULL && errno == ENOMEM)
		xmalloc(SIZE_MAX);	/* reports and exits as every allocation failure does */
	if (n == NULL)
		util_panic("NFKC of repaired UTF-8 failed: %s", strerror(errno));
	sbuf_add(out, n, nlen);
	if (n != buf)
		free(n);
}

/*
 * NFKC by pieces, the same bytes as NFKC of the whole text: an ASCII
 * character is its own NFKC and a normalization boundary (never the second
 * of a composition pair), so only each run of non-ASCII characters, with
 * the ASCII character before it (a combining mark may compose with it),
 * goes through u8_normalize; the ASCII between is copied. Mail text is
 * mostly ASCII with an odd no-break space, which made whole-text NFKC two
 * thirds of the analysis.
 */
static void
mt_nfkc(const char *s, size_t len, struct sbuf *out)
{
	size_t i = 0;

	while (i < len) {
		size_t run = i + mt_ascii_span(s + i, len - i), start, end;

		if (run == len) {
			sbuf_add(out, s + i, len - i);
			return;
		}
		start = run > i ? run - 1 : run;
		sbuf_add(out, s + i, start - i);
		for (end = run; end < len && (unsigned char)s[end] >= 0x80; end++)
			;
		if (end - run == 2 && (unsigned char)s[run] == 0xC2 && (unsigned char)s[run + 1] == 0xA0) {
			/* a lone no-break space (HTML's &nbsp;) between ASCII: NFKC makes it U+0020 */
			sbuf_add(out, s + start, run - start);
			sbuf_addc(out, ' ');
		} else {
			mt_nfkc_piece(s + start, end - start, out);
		}
		i = end;
	}
}

/*
 * The fold of a text whose only non-ASCII characters are no-break spaces
 * with ASCII on both sides (HTML's &nbsp;, the usual case), in place: each
 * is U+0020, as NFKC makes it, and nothing else changes (valid UTF-8, no
 * invisible character, no dash). 0, untouched, for any other text.
 */
static int
mt_fold_nbsp(struct sbuf *b)
{
	char *s = b->data;
	size_t len = b->len, r = 0, w = 0;

	/* only checked first: a text that is not of this kind is left as it was */
	while (r < len) {
		r += mt_ascii_span(s + r, len - r);
		if (r == len)
			break;
		if (len - r < 2 || (unsigned char)s[r] != 0xC2 || (unsigned char)s[r + 1] != 0xA0 ||
		    (len - r > 2 && (unsigned char)s[r + 2] >= 0x80))
			return 0;
		r += 2;
	}
	for (r = 0; r < len; ) {
		size_t a = mt_ascii_span(s + r, len - r);

		if (w != r)
			memmove(s + w, s + r, a);
		w += a;
		r += a;
		if (r < len) {
			s[w++] = ' ';
			r += 2;
		}
	}
	s[w] = '\0';
	b->len = w;
	return 1;
}

void
mt_fold(struct sbuf *b)
{
	struct sbuf n;

	if (b->len && memchr(b->data, '\0', b->len))
		b->len = mt_strip_nul(b->data, b->len);
	if (b->len == 0 || mt_all_ascii(b->data, b->len) || mt_fold_nbsp(b))
		return;
	mt_repair_utf8(b);
	/* deleted before NFKC, so what they parted composes as it will be read */
	b->len = mt_strip_invisible(b->data, b->len);
	if (b->len == 0)
		return;
	sbuf_init(&n);
	mt_nfkc(b->data, b->len, &n);
	sbuf_addc(&n, '\0');
	n.len--;
	sbuf_free(b);
	*b = n;
	b->len = mt_fold_dashes(b->data, b->len);
}

void
mt_clean(const char *in, size_t len, const char *charset, unsigned flags, struct sbuf *out)
{
	struct sbuf u;

	sbuf_init(&u);
	mt_to_utf8(in, len, charset, &u);
	if (flags & MT_REFS) {
		mt_decode_refs(u.data ? u.data : "", u.len, out);
		sbuf_free(&u);
	} else {
		sbuf_free(out);
		*out = u;
	}
	mt_fold(out);
}

void
mt_unflow(const char *in, size_t len, int delsp, struct sbuf *out)
{
	size_t i = 0;

	while (i < len) {
		size_t start = i, end, next;

		while (i < len && in[i] != '\n')
			i++;
		end = i;
		next = i < len ? i + 1 : i;
		if (end > start && in[end - 1] == '\r')
			end--;
		/* space-stuffing (RFC 3676 4.4) */
		if (end > start && in[start] == ' ')
			start++;
		if (end > start && in[end - 1] == ' ' && !(end - start == 3 &&
		    memcmp(in + start, "-- ", 3) == 0)) {
			sbuf_add(out, in + start, end - start - (delsp ? 1 : 0));
		} else {
			sbuf_add(out, in + start, end - start);
			sbuf_addc(out, '\n');
		}
		i = next;
	}
}

/* --- HTML --- */

/* With their lengths: looked up for every '&' of a text. */
#define MT_ENT(s, cp) { s, sizeof(s) - 1, cp }
static const struct { const char *name; size_t n; uint32_t cp; } mt_entities[] = {
	MT_ENT("nbsp", 0xA0), MT_ENT("amp", '&'), MT_ENT("lt", '<'), MT_ENT("gt", '>'),
	MT_ENT("quot", '"'), MT_ENT("apos", '\''), MT_ENT("shy", 0xAD), MT_ENT("ndash", 0x2013),
	MT_ENT("mdash", 0x2014), MT_ENT("lsquo", 0x2018), MT_ENT("rsquo", 0x2019),
	MT_ENT("ldquo", 0x201C), MT_ENT("rdquo", 0x201D), MT_ENT("hellip", 0x2026),
	MT_ENT("bull", 0x2022), MT_ENT("middot", 0xB7), MT_ENT("pound", 0xA3),
	MT_ENT("euro", 0x20AC), MT_ENT("copy", 0xA9), MT_ENT("reg", 0xAE), MT_ENT("deg", 0xB0),
	MT_ENT("eacute", 0xE9), MT_ENT("egrave", 0xE8), MT_ENT("aacute", 0xE1),
	MT_ENT("agrave", 0xE0), MT_ENT("oacute", 0xF3), MT_ENT("iacute", 0xED),
	MT_ENT("uacute", 0xFA), MT_ENT("ccedil", 0xE7), MT_ENT("ouml", 0xF6), MT_ENT("uuml", 0xFC),
	MT_ENT("auml", 0xE4), MT_ENT("Eacute", 0xC9), MT_ENT("zwsp", 0x200B), MT_ENT("zwj", 0x200D),
	MT_ENT("zwnj", 0x200C), MT_ENT("ensp", 0x2002), MT_ENT("emsp", 0x2003),
	MT_ENT("thinsp", 0x2009), MT_ENT("tab", '\t'), MT_ENT("NewLine", '\n'),
	MT_ENT("hyphen", 0x2010), MT_ENT("dash", 0x2010), MT_ENT("minus", 0x2212),
};
#undef MT_ENT

/* Decodes one entity at s (after '&'); returns bytes consumed or 0. */
static size_t
mt_entity(const char *s, const char *end, uint32_t *cp)
{
	const char *p = s;
	size_t n = 0, i;

	if (p < end && *p == '#') {
		uint32_t v = 0;
		int hex = 0, digits = 0;

		p++;
		if (p < end && (*p == 'x' || *p == 'X')) {
			hex = 1;
			p++;
		}
		for (; p < end && digits < 8; p++, digits++) {
			int c = (unsigned char)*p, d;

			if (c >= '0' && c <= '9')
				d = c - '0';
			else if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
				d = (c | 0x20) - 'a' + 10;
			else
				break;
			v = v * (hex ? 16 : 10) + (uint32_t)d;
		}
		if (digits == 0)
			return 0;
		if (p < end && *p == ';')
			p++;
		*cp = v == 0 || v > 0x10FFFF ? 0xFFFD : v;
		return (size_t)(p - s);
	}
	/* the name: up to 15 letters and digits, compared where it stands */
	while (p < end && n < 15 && ((unsigned)((*p | 0x20) - 'a') < 26 ||
	    (unsigned)(*p - '0') < 10))
		n++, p++;
	if (n == 0)
		return 0;
	for (i = 0; i < sizeof(mt_entities) / sizeof(mt_entities[0]); i++) {
		size_t k;

		if (mt_entities[i].n != n)
			continue;
		for (k = 0; k < n && mt_entities[i].name[k] == s[k]; k++)
			;
		if (k == n) {
			*cp = mt_entities[i].cp;
			if (p < end && *p == ';')
				p++;
			return (size_t)(p - s);
		}
	}
	return 0;
}

/*
 * sbuf_add() and sbuf_add_utf8() without the calls, for the renderer's
 * many short appends (a word, an entity, a line break): the same bytes.
 */
static inline void
mt_put(struct sbuf *b, const char *p, size_t n)
{
	if (b->cap - b->len <= n)
		sbuf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static inline void
mt_put_utf8(struct sbuf *b, uint32_t cp)
{
	char u[4];

	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		u[0] = (char)cp;
		mt_put(b, u, 1);
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		mt_put(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		mt_put(b, u, 3);
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		mt_put(b, u, 4);
	}
}

void
mt_decode_refs(const char *in, size_t len, struct sbuf *out)
{
	const char *s = in, *end = in + len, *amp;

	if (len > 0)
		sbuf_reserve(out, len);	/* decoded, a reference is never longer than written */
	while (s < end && (amp = memchr(s, '&', (size_t)(end - s))) != NULL) {
		uint32_t cp;
		size_t n;

		mt_put(out, s, (size_t)(amp - s));
		if ((n = mt_entity(amp + 1, end, &cp)) > 0) {
			mt_put_utf8(out, cp);
			s = amp + 1 + n;
		} else {
			mt_put(out, "&", 1);
			s = amp + 1;
		}
	}
	if (s < end)
		mt_put(out, s, (size_t)(end - s));
}

static int
mt_html_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/*
 * What ends a run of text: 1 a reference, 2 white space (when collapsed);
 * 4 a tag's name; 8 an attribute's name.
 */
static const unsigned char mt_html_stop[256] = {
	['&'] = 1, [' '] = 2 | 4 | 8, ['\t'] = 2 | 4 | 8, ['\n'] = 2 | 4 | 8, ['\r'] = 2 | 4 | 8,
	['\f'] = 2, ['/'] = 4 | 8, ['='] = 8,
};

/* Appends text with entities decoded; collapse folds white space as HTML does. */
static void
mt_html_text(const char *s, const char *end, struct sbuf *out, int collapse, int *space)
{
	unsigned stop = collapse ? 3 : 1;

	while (s < end) {
		const char *run;
		uint32_t cp;
		size_t n;

		if (*s == '&' && (n = mt_entity(s + 1, end, &cp)) > 0) {
			mt_put_utf8(out, cp);
			*space = 0;
			s += n + 1;
			continue;
		}
		if (collapse && mt_html_space(*s)) {
			if (!*space && out->len && out->data[out->len - 1] != '\n')
				mt_put(out, " ", 1);
			*space = 1;
			s++;
			continue;
		}
		/*
		 * The characters up to the next entity or space go as one run,
		 * and so does a single ' ' between two others: collapsing
		 * writes it as it stands.
		 */
		for (run = s + 1; run < end; run++) {
			unsigned k = mt_html_stop[(unsigned char)*run] & stop;

			if (k == 0)
				continue;
			if (k == 2 && *run == ' ' && run + 1 < end && !mt_html_space(run[1]))
				continue;
			break;
		}
		mt_put(out, s, (size_t)(run - s));
		s = run;
		*space = 0;
	}
}

static int
mt_tag_is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && ascii_strncasecmp(name, want, n) == 0;
}

/* What a tag does to the text; a row (tr, table) is a block too. */
enum mt_tag { MT_T_OTHER, MT_T_BLOCK, MT_T_ROW, MT_T_CELL, MT_T_SCRIPT, MT_T_STYLE, MT_T_IMG };

/* The tags that shape the text, by the length of their names. */
struct mt_tagname {
	char s[11];
	enum mt_tag kind;
};
static const struct mt_tagname mt_tags1[] = { { "p", MT_T_BLOCK } };
static const struct mt_tagname mt_tags2[] = {
	{ "br", MT_T_BLOCK }, { "li", MT_T_BLOCK }, { "tr", MT_T_ROW }, { "td", MT_T_CELL },
	{ "th", MT_T_CELL }, { "h1", MT_T_BLOCK }, { "h2", MT_T_BLOCK }, { "h3", MT_T_BLOCK },
	{ "h4", MT_T_BLOCK }, { "h5", MT_T_BLOCK }, { "h6", MT_T_BLOCK }, { "ul", MT_T_BLOCK },
	{ "ol", MT_T_BLOCK }, { "hr", MT_T_BLOCK }, { "dt", MT_T_BLOCK }, { "dd", MT_T_BLOCK },
};
static const struct mt_tagname mt_tags3[] = {
	{ "div", MT_T_BLOCK }, { "pre", MT_T_BLOCK }, { "img", MT_T_IMG },
};
static const struct mt_tagname mt_tags4[] = { { "body", MT_T_BLOCK } };
static const struct mt_tagname mt_tags5[] = {
	{ "table", MT_T_ROW }, { "title", MT_T_BLOCK }, { "style", MT_T_STYLE },
};
static const struct mt_tagname mt_tags6[] = {
	{ "header", MT_T_BLOCK }, { "footer", MT_T_BLOCK }, { "script", MT_T_SCRIPT },
};
static const struct mt_tagname mt_tags7[] = {
	{ "section", MT_T_BLOCK }, { "article", MT_T_BLOCK }, { "address", MT_T_BLOCK },
};
static const struct mt_tagname mt_tags10[] = { { "blockquote", MT_T_BLOCK } };
#define MT_TAGS(v) { v, sizeof(v) / sizeof(v[0]) }
static const struct { const struct mt_tagname *v; size_t n; } mt_tags_by_len[] = {
	{ NULL, 0 }, MT_TAGS(mt_tags1), MT_TAGS(mt_tags2), MT_TAGS(mt_tags3), MT_TAGS(mt_tags4),
	MT_TAGS(mt_tags5), MT_TAGS(mt_tags6), MT_TAGS(mt_tags7), { NULL, 0 }, { NULL, 0 },
	MT_TAGS(mt_tags10),
};
#undef MT_TAGS

/* The kind of the tag named by n bytes at name, in any case: one look-up per tag. */
static enum mt_tag
mt_tag_kind(const char *name, size_t n)
{
	const struct mt_tagname *v;
	size_t i, k;

	if (n >= sizeof(mt_tags_by_len) / sizeof(mt_tags_by_len[0]))
		return MT_T_OTHER;
	for (v = mt_tags_by_len[n].v, i = 0; i < mt_tags_by_len[n].n; i++) {
		for (k = 0; k < n; k++) {
			char c = name[k];

			if ((c >= 'A' && c <= 'Z' ? (char)(c + 'a' - 'A') : c) != v[i].s[k])
				break;
		}
		if (k == n)
			return v[i].kind;
	}
	return MT_T_OTHER;
}

static void
mt_newline(struct sbuf *out)
{
	while (out->len && out->data[out->len - 1] == ' ')
		out->data[--out->len] = '\0';
	if (out->len && out->data[out->len - 1] != '\n')
		sbuf_addc(out, '\n');
}

static int
mt_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * A data: URI of a text type (text, JSON, XML; none given is text/plain)
 * decoded into extra: its bytes are sent. Others are decoration, as images.
 */
static void
mt_data_uri(const char *v, const char *ve, struct sbuf *extra)
{
	const char *comma = memchr(v, ',', (size_t)(ve - v)), *mt = v + 5, *p;
	struct sbuf raw;
	size_t mlen;
	int b64;

	if (comma == NULL)
		return;
	mlen = (size_t)(comma - mt);
	if (!(mlen == 0 || *mt == ';' || ascii_strncasecmp(mt, "text/", 5) == 0 ||
	    ascii_strncasecmp(mt, "application/json", 16) == 0 ||
	    ascii_strncasecmp(mt, "application/xml", 15) == 0))
		return;
	b64 = mlen >= 7 && ascii_strncasecmp(comma - 7, ";base64", 7) == 0;
	sbuf_init(&raw);
	if (b64) {
		size_t idx = 0, len = 0;
		char *res = NULL;

		if (mailmime_part_parse(comma + 1, (size_t)(ve - comma - 1), &idx,
		    MAILMIME_MECHANISM_BASE64, &res, &len) == MAILIMF_NO_ERROR) {
			sbuf_add(&raw, res, len);
			mmap_string_unref(res);
		}
	} else {
		for (p = comma + 1; p < ve; p++) {
			if (*p == '%' && p + 2 < ve && mt_hexval((unsigned char)p[1]) >= 0 &&
			    mt_hexval((unsigned char)p[2]) >= 0) {
				sbuf_addc(&raw, (char)(mt_hexval((unsigned char)p[1]) * 16 +
				    mt_hexval((unsigned char)p[2])));
				p += 2;
			} else {
				sbuf_addc(&raw, *p);
			}
		}
	}
	mt_to_utf8(raw.data ? raw.data : "", raw.len, NULL, extra);
	sbuf_addc(extra, '\n');
	sbuf_free(&raw);
}

/* Reads the attributes of a tag between p and end: values to extra, img cid: to cids. */
static void
mt_html_attrs(const char *p, const char *end, int is_img, struct sbuf *extra, struct sbuf *cids)
{
	while (p < end) {
		const char *an, *v = NULL, *ve = NULL;
		size_t anl;

		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '/'))
			p++;
		an = p;
		while (p < end && !(mt_html_stop[(unsigned char)*p] & 8))
			p++;
		anl = (size_t)(p - an);
		if (anl == 0) {
			p++;
			continue;
		}
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p == '=') {
			p++;
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			if (p < end && (*p == '"' || *p == '\'')) {
				char q = *p++;

				v = p;
				if ((p = memchr(p, q, (size_t)(end - p))) == NULL)
					p = end;
				ve = p;
				if (p < end)
					p++;
			} else {
				v = p;
				while (p < end && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
					p++;
				ve = p;
			}
		}
		if (v == NULL)
			continue;
		{
			/* every attribute value is sent, so every one is searched */
			int sp = 0;

			mt_html_text(v, ve, extra, 1, &sp);
			mt_put(extra, "\n", 1);
			if (ve - v > 5 && (*v | 0x20) == 'd' && ascii_strncasecmp(v, "data:", 5) == 0)
				mt_data_uri(v, ve, extra);
		}
		if (is_img && mt_tag_is(an, anl, "src") && ve - v > 4 &&
		    ascii_strncasecmp(v, "cid:", 4) == 0) {
			sbuf_add(cids, v + 4, (size_t)(ve - v - 4));
			sbuf_addc(cids, '\n');
		}
	}
}

/*
 * The contents of a script or style element, up to its close tag: not
 * shown, but sent, so searched. Returns where the text goes on.
 */
static const char *
mt_html_raw(const char *p, const char *end, const char *name, size_t nl, struct sbuf *extra)
{
	const char *q = p, *gt;
	int space = 0;

	while (q < end) {
		q = memchr(q, '<', (size_t)(end - q));
		if (q == NULL || (size_t)(end - q) < nl + 2) {
			q = end;
			break;
		}
		if (q[1] == '/' && ascii_strncasecmp(q + 2, name, nl) == 0)
			break;
		q++;
	}
	mt_html_text(p, q, extra, 0, &space);
	sbuf_addc(extra, '\n');
	gt = q < end ? memchr(q, '>', (size_t)(end - q)) : NULL;
	return gt ? gt + 1 : end;
}

void
mt_html(const char *in, size_t len, struct sbuf *text, struct sbuf *extra, struct sbuf *cids)
{
	const char *p = in, *end = in + len;
	int space = 0, cells = 0, incell = 0;

	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p)), *gt, *name;
		enum mt_tag kind;
		size_t nl;
		int closing;

		if (lt == NULL) {
			mt_html_text(p, end, text, 1, &space);
			break;
		}
		mt_html_text(p, lt, text, 1, &space);
		if (lt + 4 <= end && memcmp(lt, "<!--", 4) == 0) {
			const char *ce = lt + 4;

			while (ce + 3 <= end && memcmp(ce, "-->", 3) != 0)
				ce++;
			mt_html_text(lt + 4, ce < end ? ce : end, extra, 0, &space);
			sbuf_addc(extra, '\n');
			p = ce + 3 <= end ? ce + 3 : end;
			continue;
		}
		gt = memchr(lt, '>', (size_t)(end - lt));
		if (gt == NULL)
			break;
		closing = lt + 1 < gt && lt[1] == '/';
		name = lt + 1 + closing;
		for (nl = 0; name + nl < gt && !(mt_html_stop[(unsigned char)name[nl]] & 4); nl++)
			;
		p = gt + 1;
		kind = mt_tag_kind(name, nl);
		if (!closing && (kind == MT_T_SCRIPT || kind == MT_T_STYLE)) {
			p = mt_html_raw(p, end, name, nl, extra);
			continue;
		}
		if (!closing)
			mt_html_attrs(name + nl, gt, kind == MT_T_IMG, extra, cids);
		if (kind == MT_T_CELL) {
			incell = !closing;
			if (!closing) {
				if (cells++ > 0) {
					while (text->len && text->data[text->len - 1] == ' ')
						text->data[--text->len] = '\0';
					sbuf_adds(text, ": ");
				}
				space = 1;
			}
			continue;
		}
		if (kind == MT_T_ROW) {
			cells = 0;
			incell = 0;
		}
		if (incell && (kind == MT_T_BLOCK || kind == MT_T_ROW)) {
			/* a paragraph inside a cell does not end the row's line */
			if (!space && text->len && text->data[text->len - 1] != ' ')
				sbuf_addc(text, ' ');
			space = 1;
		} else if (kind == MT_T_BLOCK || kind == MT_T_ROW) {
			mt_newline(text);
			space = 1;
		}
	}
	mt_newline(text);
}

/* --- letters that pass for Latin ones --- */

/*
 * Cyrillic and Greek letters that look like the Latin letters of a number
 * (confusables of Unicode TR 39 for A-Z; NFKC keeps them apart): a
 * "СЕ 65 43 21 А" reads as a number to a person, so it is searched as one.
 */
static const struct { uint16_t cp; char latin; } mt_confusables[] = {
	{ 0x0391, 'A' }, { 0x0392, 'B' }, { 0x0395, 'E' }, { 0x0396, 'Z' }, { 0x0397, 'H' },
	{ 0x0399, 'I' }, { 0x039A, 'K' }, { 0x039C, 'M' }, { 0x039D, 'N' }, { 0x039F, 'O' },
	{ 0x03A1, 'P' }, { 0x03A4, 'T' }, { 0x03A5, 'Y' }, { 0x03A7, 'X' }, { 0x03BF, 'o' },
	{ 0x0405, 'S' }, { 0x0406, 'I' }, { 0x0408, 'J' }, { 0x0410, 'A' }, { 0x0412, 'B' },
	{ 0x0415, 'E' }, { 0x041A, 'K' }, { 0x041C, 'M' }, { 0x041D, 'H' }, { 0x041E, 'O' },
	{ 0x0420, 'P' }, { 0x0421, 'C' }, { 0x0422, 'T' }, { 0x0423, 'Y' }, { 0x0425, 'X' },
	{ 0x0430, 'a' }, { 0x0435, 'e' }, { 0x043E, 'o' }, { 0x0440, 'p' }, { 0x0441, 'c' },
	{ 0x0443, 'y' }, { 0x0445, 'x' }, { 0x0455, 's' }, { 0x0456, 'i' }, { 0x0458, 'j' },
};

int
mt_fold_confusables(const char *in, size_t len, struct sbuf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, k;
	int changed = 0;

	if (!memchr(in, 0xCE, len) && !memchr(in, 0xCF, len) && !memchr(in, 0xD0, len) &&
	    !memchr(in, 0xD1, len))
		return 0;
	while (i < len) {
		if (i + 1 < len && p[i] >= 0xCE && p[i] <= 0xD1 && (p[i + 1] & 0xC0) == 0x80) {
			uint32_t cp = ((uint32_t)(p[i] & 0x1F) << 6) | (p[i + 1] & 0x3F);

			for (k = 0; k < sizeof(mt_confusables) / sizeof(mt_confusables[0]); k++)
				if (mt_confusables[k].cp == cp)
					break;
			if (k < sizeof(mt_confusables) / sizeof(mt_confusables[0])) {
				sbuf_addc(out, mt_confusables[k].latin);
				changed = 1;
				i += 2;
				continue;
			}
		}
		sbuf_addc(out, in[i++]);
	}
	return changed;
}

/* --- embedded files --- */

static int
mt_line_is(const char *l, size_t n, const char *word)
{
	size_t w = strlen(word);

	while (n > 0 && (l[n - 1] == '\r' || l[n - 1] == ' ' || l[n - 1] == '\t'))
		n--;
	return n == w && memcmp(l, word, w) == 0;
}

/* "begin NNN name" or "begin-base64 NNN name": a uuencode header line. */
static int
mt_uu_begin(const char *l, size_t n)
{
	size_t i = 0, d = 0;

	if (n > 13 && memcmp(l, "begin-base64 ", 13) == 0)
		i = 13;
	else if (n > 6 && memcmp(l, "begin ", 6) == 0)
		i = 6;
	else
		return 0;
	while (i < n && l[i] >= '0' && l[i] <= '7' && d < 5)
		i++, d++;
	return d >= 3 && d <= 4 && i < n && l[i] == ' ' && i + 1 < n && l[i + 1] != ' ';
}

int
mt_embedded_file(const char *s, size_t len, const char **what)
{
	const char *p = s, *end = s + len;
	int begun = 0;
	/* looked for in each line only when the text holds it at all */
	int binhex = memmem(s, len, "(This file must be converted with BinHex", 40) != NULL;

	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t n = e ? (size_t)(e - p) : (size_t)(end - p);

		if (binhex && memmem(p, n, "(This file must be converted with BinHex", 40) != NULL) {
			*what = "BinHex file in the text";
			return 1;
		}
		if (mt_uu_begin(p, n))
			begun = 1;
		else if (begun && (mt_line_is(p, n, "end") || mt_line_is(p, n, "====") ||
		    ((n == 61 || (n == 62 && p[61] == '\r')) && p[0] == 'M'))) {
			*what = "uuencoded file in the text";
			return 1;
		}
		p = e ? e + 1 : end;
	}
	return 0;
}

/* --- RTF --- */

void
mt_rtf(const char *in, size_t len, struct sbuf *out)
{
	/* skip[d] is 1 when group depth d is a destination whose text is not content */
	unsigned char skip[64];
	size_t i = 0;
	int depth = 0, uc = 1, pending_skip = 0;

	memset(skip, 0, sizeof(skip));
	while (i < len) {
		char c = in[i];
		int sk = depth < 64 ? skip[depth] : 1;

		if (c == '{') {
			depth++;
			if (depth < 64)
				skip[depth] = (unsigned char)sk;
			i++;
			continue;
		}
		if (c == '}') {
			if (depth > 0)
				depth--;
			i++;
			continue;
		}
		if (c == '\\' && i + 1 < len) {
			char w[32];
			size_t n = 0;
			long param = 0;
			int has_param = 0, neg = 0;

			i++;
			if (in[i] == '\'' && i + 2 < len) {
				unsigned v = 0;
				int k;

				for (k = 1; k <= 2; k++) {
					char h = in[i + k];

					v = v * 16 + (unsigned)(h >= '0' && h <= '9' ? h - '0' :
					    ((h | 0x20) >= 'a' && (h | 0x20) <= 'f') ? (h | 0x20) - 'a' + 10 : 0);
				}
				if (pending_skip > 0)
					pending_skip--;
				else if (!sk) {
					char ch = (char)v;

					sbuf_add_cp1252(out, &ch, 1);
				}
				i += 3;
				continue;
			}
			if (!((in[i] | 0x20) >= 'a' && (in[i] | 0x20) <= 'z')) {
				if (in[i] == '*' && depth < 64)
					skip[depth] = 1;
				else if (!sk && (in[i] == '\\' || in[i] == '{' || in[i] == '}'))
					sbuf_addc(out, in[i]);
				else if (!sk && in[i] == '~')
					sbuf_add_utf8(out, 0xA0);
				else if (!sk && in[i] == '_')
					sbuf_addc(out, '-');	/* non-breaking hyphen; \- is optional: dropped */
				i++;
				continue;
			}
			while (i < len && n < sizeof(w) - 1 && ((in[i] | 0x20) >= 'a' && (in[i] | 0x20) <= 'z'))
				w[n++] = in[i++];
			w[n] = '\0';
			if (i < len && in[i] == '-') {
				neg = 1;
				i++;
			}
			while (i < len && in[i] >= '0' && in[i] <= '9' && param < 100000000) {
				param = param * 10 + (in[i++] - '0');
				has_param = 1;
			}
			if (neg)
				param = -param;
			if (i < len && in[i] == ' ')
				i++;
			if (strcmp(w, "fonttbl") == 0 || strcmp(w, "colortbl") == 0 ||
			    strcmp(w, "stylesheet") == 0 || strcmp(w, "info") == 0 ||
			    strcmp(w, "pict") == 0 || strcmp(w, "object") == 0 ||
			    strcmp(w, "themedata") == 0 || strcmp(w, "datastore") == 0) {
				if (depth < 64)
					skip[depth] = 1;
			} else if (sk) {
				continue;
			} else if (strcmp(w, "par") == 0 || strcmp(w, "line") == 0 ||
			    strcmp(w, "row") == 0 || strcmp(w, "sect") == 0 || strcmp(w, "page") == 0) {
				sbuf_addc(out, '\n');
			} else if (strcmp(w, "tab") == 0) {
				sbuf_addc(out, '\t');
			} else if (strcmp(w, "cell") == 0) {
				sbuf_adds(out, ": ");
			} else if (strcmp(w, "uc") == 0 && has_param) {
				uc = (int)(param < 0 ? 0 : param > 4 ? 4 : param);
			} else if (strcmp(w, "u") == 0 && has_param) {
				sbuf_add_utf8(out, (uint32_t)(param < 0 ? param + 65536 : param));
				pending_skip = uc;
			}
			continue;
		}
		if (c == '\r' || c == '\n') {
			i++;
			continue;
		}
		if (pending_skip > 0) {
			pending_skip--;
			i++;
			continue;
		}
		if (!sk)
			sbuf_addc(out, c);
		i++;
	}
}
