/*
 * util - checked allocation, a growable byte buffer and ASCII helpers.
 *
 * See include/util.h. Allocation failure prints one line and exits 70:
 * mailgate's programs cannot do anything sensible without memory, and an
 * exit leaves every message where it was (Outbox), which is the safe place.
 */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
util_oom(void)
{
	static const char msg[] = "mailgate: out of memory\n";

	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	exit(70);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		util_oom();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		util_oom();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		util_oom();
	return q;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		util_oom();
	return xrealloc(p, n * size);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX)
		util_oom();
	p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		util_oom();
	va_end(ap);
	return s;
}

void
sbuf_init(struct sbuf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void
sbuf_free(struct sbuf *b)
{
	free(b->data);
	sbuf_init(b);
}

void
sbuf_reset(struct sbuf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static void
sbuf_grow(struct sbuf *b, size_t more)
{
	size_t need, cap;

	if (more > SIZE_MAX - b->len - 1)
		util_oom();
	need = b->len + more + 1;
	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void
sbuf_reserve(struct sbuf *b, size_t more)
{
	sbuf_grow(b, more);
}

void
sbuf_add(struct sbuf *b, const void *p, size_t n)
{
	sbuf_grow(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
sbuf_addc(struct sbuf *b, char c)
{
	sbuf_add(b, &c, 1);
}

void
sbuf_adds(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

void
sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	char small[256];
	int n;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		util_oom();
	if ((size_t)n < sizeof(small)) {
		sbuf_add(b, small, (size_t)n);
	} else {
		sbuf_grow(b, (size_t)n);
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
		b->len += (size_t)n;
	}
	va_end(ap2);
}

void
sbuf_add_utf8(struct sbuf *b, uint32_t cp)
{
	char u[4];

	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		sbuf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		sbuf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		sbuf_add(b, u, 3);
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		sbuf_add(b, u, 4);
	}
}

char *
sbuf_steal(struct sbuf *b, size_t *len)
{
	char *p;

	if (b->data == NULL)
		sbuf_grow(b, 0), b->data[0] = '\0';
	p = b->data;
	if (len)
		*len = b->len;
	sbuf_init(b);
	return p;
}

void
sbuf_adopt(struct sbuf *b, char *data, size_t len)
{
	b->data = data;
	b->len = len;
	b->cap = len + 1;
}

static const uint16_t util_cp1252_hi[32] = { 0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026,
	0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD,
	0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
	0x0153, 0xFFFD, 0x017E, 0x0178 };

/* Latin-1 labels are Windows-1252 in practice (as browsers read them). */
void
sbuf_add_cp1252(struct sbuf *out, const char *in, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c < 0x80)
			sbuf_addc(out, (char)c);
		else if (c < 0xA0)
			sbuf_add_utf8(out, util_cp1252_hi[c - 0x80]);
		else
			sbuf_add_utf8(out, c);
	}
}

int
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		size_t k, j;

		/* ASCII eight bytes at a time: most mail is ASCII */
		while (end - p >= 8) {
			uint64_t w;

			memcpy(&w, p, 8);
			if (w & 0x8080808080808080ull)
				break;
			p += 8;
		}
		if (p >= end)
			break;
		if (*p < 0x80) {
			p++;
			continue;
		}
		k = (*p >= 0xC2 && *p <= 0xDF) ? 1 : (*p >= 0xE0 && *p <= 0xEF) ? 2 :
		    (*p >= 0xF0 && *p <= 0xF4) ? 3 : 0;
		if (k == 0 || (size_t)(end - p) <= k)
			return 0;
		for (j = 1; j <= k; j++)
			if ((p[j] & 0xC0) != 0x80)
				return 0;
		p += k + 1;
	}
	return 1;
}

void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int
ascii_tolower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

int
ascii_strcasecmp(const char *a, const char *b)
{
	int ca, cb;

	do {
		ca = ascii_tolower((unsigned char)*a++);
		cb = ascii_tolower((unsigned char)*b++);
	} while (ca == cb && ca != 0);
	return ca - cb;
}

int
ascii_strncasecmp(const char *a, const char *b, size_t n)
{
	int ca = 0, cb = 0;

	while (n-- > 0) {
		ca = ascii_tolower((unsigned char)*a++);
		cb = ascii_tolower((unsigned char)*b++);
		if (ca != cb || ca == 0)
			break;
	}
	return ca - cb;
}

char *
ascii_lower(char *s)
{
	char *p;

	for (p = s; *p; p++)
		*p = (char)ascii_tolower((unsigned char)*p);
	return s;
}

static int
util_isspace(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

char *
str_trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && util_isspace((unsigned char)s[n - 1]))
		n--;
	while (i < n && util_isspace((unsigned char)s[i]))
		i++;
	memmove(s, s + i, n - i);
	s[n - i] = '\0';
	return s;
}

char *
str_collapse_ws(char *s)
{
	const unsigned char *r = (const unsigned char *)s;
	char *w = s;
	int pending = 0;

	while (*r) {
		size_t skip = 0;

		if (util_isspace(*r))
			skip = 1;
		else if (r[0] == 0xC2 && r[1] == 0xA0)
			skip = 2;
		if (skip) {
			pending = (w != s);
			r += skip;
			continue;
		}
		if (pending)
			*w++ = ' ';
		pending = 0;
		*w++ = (char)*r++;
	}
	*w = '\0';
	return s;
}

char *
file_read(const char *path, size_t max, size_t *len)
{
	struct sbuf b;
	char buf[65536];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	sbuf_init(&b);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > max) {
			errno = EFBIG;
			goto fail;
		}
		sbuf_add(&b, buf, (size_t)n);
	}
	close(fd);
	return sbuf_steal(&b, len);
fail:
	{
		int e = errno;

		close(fd);
		sbuf_free(&b);
		errno = e;
	}
	return NULL;
}

void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void
json_add_string(struct sbuf *b, const char *s)
{
	const unsigned char *p;

	if (s == NULL) {
		sbuf_adds(b, "null");
		return;
	}
	sbuf_addc(b, '"');
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			sbuf_adds(b, "\\\"");
			break;
		case '\\':
			sbuf_adds(b, "\\\\");
			break;
		case '\n':
			sbuf_adds(b, "\\n");
			break;
		case '\r':
			sbuf_adds(b, "\\r");
			break;
		case '\t':
			sbuf_adds(b, "\\t");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				sbuf_printf(b, "\\u%04x", *p);
			else
				sbuf_addc(b, (char)*p);
		}
	}
	sbuf_addc(b, '"');
}

void
util_panic(const char *fmt, ...)
{
	va_list ap;

	fputs("mailgate: internal error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
