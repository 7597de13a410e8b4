/*
 * safeout - escaping for terminals and spreadsheets; see include/safeout.h.
 */
#include <string.h>

#include "safeout.h"

/* Length of the valid UTF-8 sequence at s (1 to 4), 0 when invalid. */
static size_t
safeout_utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* overlong three- and four-byte forms, surrogates, beyond U+10FFFF */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return n;
}

static void
safeout_hex(struct sbuf *b, unsigned char c)
{
	sbuf_printf(b, "\\x%02x", c);
}

void
safeout_term(struct sbuf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	if (s == NULL)
		return;
	while (*s) {
		n = safeout_utf8_len(s);
		if (n == 0) {
			safeout_hex(b, *s++);
		} else if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0) {
			/* a C1 control: the terminal would act on it */
			safeout_hex(b, s[0]);
			safeout_hex(b, s[1]);
			s += 2;
		} else if (n == 1 && (*s < 0x20 || *s == 0x7f)) {
			safeout_hex(b, *s++);
		} else if (*s == '\\') {
			sbuf_adds(b, "\\\\");
			s++;
		} else {
			sbuf_add(b, s, n);
			s += n;
		}
	}
}

char *
safeout_term_dup(const char *s)
{
	struct sbuf b;

	if (s == NULL)
		return NULL;
	sbuf_init(&b);
	safeout_term(&b, s);
	return sbuf_steal(&b, NULL);
}

int
safeout_csv_is_formula(const char *s)
{
	return s != NULL && *s != '\0' && strchr("=+-@\t\r", *s) != NULL;
}

/* Appends s with its controls (but CR and LF, which the quoting keeps) as \xNN. */
static void
safeout_csv_text(struct sbuf *b, const char *str, int quoted)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		size_t n = safeout_utf8_len(s);

		if (n == 0 || (n == 1 && ((*s < 0x20 && *s != '\r' && *s != '\n') || *s == 0x7f))) {
			safeout_hex(b, *s++);
		} else if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0) {
			safeout_hex(b, s[0]);
			safeout_hex(b, s[1]);
			s += 2;
		} else {
			if (quoted && *s == '"')
				sbuf_addc(b, '"');
			sbuf_add(b, s, n);
			s += n;
		}
	}
}

void
safeout_csv(struct sbuf *b, const char *s)
{
	int formula = safeout_csv_is_formula(s), quoted;

	if (s == NULL)
		return;
	quoted = strpbrk(s, ",\"\r\n") != NULL;
	if (quoted)
		sbuf_addc(b, '"');
	if (formula)
		sbuf_addc(b, '\'');
	safeout_csv_text(b, s, quoted);
	if (quoted)
		sbuf_addc(b, '"');
}

size_t
safeout_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}
