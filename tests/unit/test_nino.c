/*
 * test_nino - unit tests of the NINO scanner: the prefix rules, every
 * separator in every gap, numbers without suffix, context words, Unicode
 * neighbours, the set, nino_parse, and a differential test against a slow
 * reference written from the interface's words, on random strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nino.h"

/* Scans exactly strlen(s) bytes from a heap copy with no NUL after it, so
 * that ASan catches any read past the end. */
static size_t
scan_n(const char *s, size_t len, unsigned flags, struct nino_set *set, struct nino_tally *t)
{
	char *copy = malloc(len ? len : 1);
	size_t n;

	assert_non_null(copy);
	memcpy(copy, s, len);
	n = nino_scan_tally(copy, len, flags, set, t);
	free(copy);
	return n;
}

static size_t
scan(const char *s)
{
	return scan_n(s, strlen(s), 0, NULL, NULL);
}

static size_t
scanf_(const char *s, unsigned flags)
{
	return scan_n(s, strlen(s), flags, NULL, NULL);
}

/* One match expected; returns its stem in a static buffer. */
static const char *
scan_one(const char *s, int *suffixed)
{
	static char stem[NINO_STEM_LEN + 1];
	struct nino_set set;
	struct nino_tally t = { 0, 0 };

	nino_set_init(&set);
	assert_int_equal(scan_n(s, strlen(s), 0, &set, &t), 1);
	assert_int_equal(set.n, 1);
	memcpy(stem, set.v[0].s, sizeof stem);
	*suffixed = t.suffixed == 1;
	nino_set_free(&set);
	return stem;
}

/* ---- prefixes ---- */

static void
test_banned_first(void **state)
{
	const char *p;
	char buf[32];

	(void)state;
	for (p = "DFIQUV"; *p; p++) {
		snprintf(buf, sizeof buf, "%cA123456C", *p);
		assert_int_equal(nino_prefix_ok(*p, 'A'), 0);
		assert_int_equal(nino_prefix_ok(*p | 0x20, 'a'), 0);
		assert_int_equal(scan(buf), 0);
		snprintf(buf, sizeof buf, "%ca 12 34 56 c", *p | 0x20);
		assert_int_equal(scan(buf), 0);
	}
}

static void
test_banned_second(void **state)
{
	const char *p;
	char buf[32];

	(void)state;
	for (p = "DFIOQUV"; *p; p++) {
		snprintf(buf, sizeof buf, "A%c123456C", *p);
		assert_int_equal(nino_prefix_ok('A', *p), 0);
		assert_int_equal(scan(buf), 0);
		snprintf(buf, sizeof buf, "a%c 12 34 56 c", *p | 0x20);
		assert_int_equal(scan(buf), 0);
	}
}

static void
test_banned_prefixes(void **state)
{
	static const char *banned[] = { "BG", "GB", "KN", "NK", "NT", "TN", "ZZ" };
	char buf[32];
	size_t k;

	(void)state;
	for (k = 0; k < sizeof banned / sizeof banned[0]; k++) {
		assert_int_equal(nino_prefix_ok(banned[k][0], banned[k][1]), 0);
		assert_int_equal(nino_prefix_ok(banned[k][0] | 0x20, banned[k][1]), 0);
		snprintf(buf, sizeof buf, "%s123456C", banned[k]);
		assert_int_equal(scan(buf), 0);
		snprintf(buf, sizeof buf, "%c%c 12 34 56", banned[k][0] | 0x20, banned[k][1] | 0x20);
		assert_int_equal(scan(buf), 0);
	}
}

static void
test_allowed_prefixes(void **state)
{
	int a, b, n = 0, suffixed;
	char buf[32];

	(void)state;
	for (a = 'A'; a <= 'Z'; a++)
		for (b = 'A'; b <= 'Z'; b++) {
			int ok = nino_prefix_ok(a, b);
			char pair[3] = { (char)a, (char)b, '\0' };
			int want = strchr("DFIQUV", a) == NULL && strchr("DFIOQUV", b) == NULL &&
			    strstr("BG GB KN NK NT TN ZZ", pair) == NULL;

			assert_int_equal(ok, want);
			assert_int_equal(ok, nino_prefix_ok(a | 0x20, b));
			assert_int_equal(ok, nino_prefix_ok(a, b | 0x20));
			n += ok;
			snprintf(buf, sizeof buf, "%c%c123456D", a, b | 0x20);
			assert_int_equal(scan(buf), (size_t)ok);
		}
	assert_int_equal(n, 373);	/* 20 x 19 - 7 */
	assert_string_equal(scan_one("HN123456A", &suffixed), "HN123456");
	assert_true(suffixed);
	assert_string_equal(scan_one("hn 65 43 21 b", &suffixed), "HN654321");
	assert_true(suffixed);
	assert_string_equal(scan_one("Cr000001c", &suffixed), "CR000001");
	assert_int_equal(nino_prefix_ok('1', 'A'), 0);
	assert_int_equal(nino_prefix_ok('A', 0xC3), 0);
	assert_int_equal(nino_prefix_ok(-1, 'A'), 0);
	assert_int_equal(scan("AB123456C"), 1);
	assert_int_equal(scan("AB123456E"), 0);
	assert_int_equal(scan("AB1234567C"), 0);
	assert_int_equal(scan("AB12345C"), 0);
	assert_int_equal(scan("XAB123456C"), 0);
	assert_int_equal(scan("AB123456CD"), 0);
	assert_int_equal(scan("ABC123456C"), 0);
}

/* ---- layout ---- */

static void
test_separators(void **state)
{
	static const char *seps[] = { " ", "\t", "-", "\xC2\xA0" };
	char buf[64];
	size_t s, gap;
	int suffixed;

	(void)state;
	for (s = 0; s < 4; s++)
		for (gap = 0; gap < 4; gap++) {
			snprintf(buf, sizeof buf, "x AB%s12%s34%s56%sC x",
			    gap == 0 ? seps[s] : "", gap == 1 ? seps[s] : "",
			    gap == 2 ? seps[s] : "", gap == 3 ? seps[s] : "");
			assert_string_equal(scan_one(buf, &suffixed), "AB123456");
			assert_true(suffixed);
			/* Two in a row end the number. */
			snprintf(buf, sizeof buf, "x AB%s12%s34%s56%sC x",
			    gap == 0 ? " -" : "", gap == 1 ? "\t\t" : "",
			    gap == 2 ? "\xC2\xA0 " : "", gap == 3 ? "--" : "");
			assert_int_equal(scan(buf), 0);
		}
	/* Mixed freely. */
	assert_string_equal(scan_one("AB-12 34\t56\xC2\xA0" "d", &suffixed), "AB123456");
	assert_true(suffixed);
	assert_string_equal(scan_one("ab 12-34 56 d", &suffixed), "AB123456");
	assert_true(suffixed);
	/* A doubled separator before the suffix leaves a suffix-less number,
	 * which counts when an inner gap holds a separator. */
	assert_string_equal(scan_one("AB 123456  C", &suffixed), "AB123456");
	assert_false(suffixed);
	assert_int_equal(scan("AB123456  C"), 0);
	/* Other dashes and spaces are not separators. */
	assert_int_equal(scan("AB\xE2\x80\x93" "123456C"), 0);
	assert_int_equal(scan("AB_123456C"), 0);
	assert_int_equal(scan("AB\n123456C"), 0);
}

static void
test_suffixless(void **state)
{
	int suffixed;

	(void)state;
	assert_int_equal(scan("AB123456"), 0);
	assert_int_equal(scan("ref AB123456 here"), 0);
	assert_string_equal(scan_one("AB 12 34 56 E", &suffixed), "AB123456");
	assert_false(suffixed);
	assert_string_equal(scan_one("AB12-3456", &suffixed), "AB123456");
	assert_int_equal(scan("AB123456 E"), 0);
	assert_int_equal(scan("AB123456 CX"), 0);
	assert_int_equal(scan("AB123456E"), 0);
	assert_int_equal(scanf_("AB123456", NINO_CONTEXT), 1);
	assert_int_equal(scanf_("AB123456E", NINO_CONTEXT), 0);
	assert_int_equal(scanf_("AB123456 E", NINO_CONTEXT), 1);
	/* A suffix letter followed by a letter: suffix-less if it stands alone. */
	assert_string_equal(scan_one("AB 12 34 56 CE", &suffixed), "AB123456");
	assert_false(suffixed);
	/* ... and the next number may start right there. */
	assert_int_equal(scan("AB 12 34 56 CE123456A"), 2);
}

static void
test_context_words(void **state)
{
	(void)state;
	assert_int_equal(scan("NINO: AB123456"), 1);
	assert_int_equal(scan("AB123456 is the nino"), 1);
	assert_int_equal(scan("NINOs AB123456, CE654321"), 2);
	assert_int_equal(scan("ninos\tAB123456"), 1);
	assert_int_equal(scan("NINOS AB123456"), 1);
	assert_int_equal(scan("NI number AB123456"), 1);
	assert_int_equal(scan("ni  NUMBER: AB123456"), 1);
	assert_int_equal(scan("NI\xC2\xA0no. AB123456"), 1);
	assert_int_equal(scan("National Insurance AB123456"), 1);
	assert_int_equal(scan("my national insurance's AB123456"), 1);
	assert_int_equal(scan("(NINO)AB123456"), 1);
	/* Whole words only. */
	assert_int_equal(scan("ANINO AB123456"), 0);
	assert_int_equal(scan("NINOX AB123456"), 0);
	assert_int_equal(scan("NINO1 AB123456"), 0);
	assert_int_equal(scan("\xC3\xA9NINO AB123456"), 0);
	assert_int_equal(scan("NI numbers AB123456"), 0);
	assert_int_equal(scan("NI note AB123456"), 0);
	assert_int_equal(scan("NInumber AB123456"), 0);
	assert_int_equal(scan("NI-no AB123456"), 0);
	assert_int_equal(scan("National Insurances AB123456"), 0);
	assert_int_equal(scan("Nationals Insurance AB123456"), 0);
	assert_int_equal(scan("NIN AB123456"), 0);
	/* The same line only: lines end at LF or CR. */
	assert_int_equal(scan("NINO\nAB123456"), 0);
	assert_int_equal(scan("AB123456\r\nNINO"), 0);
	assert_int_equal(scan("NINO\rAB123456"), 0);
	assert_int_equal(scan("x\nNINO AB123456\ny AB654321\nz NINO"), 1);
	assert_int_equal(scan("NINO AB123456 AB654321 CE111111\nHN222222"), 3);
}

static void
test_unicode_neighbours(void **state)
{
	int suffixed;

	(void)state;
	assert_int_equal(scan("\xC3\xA9" "AB123456C"), 0);		/* é */
	assert_int_equal(scan("AB123456C\xC3\xA9"), 0);
	assert_int_equal(scan("\xD0\x96" "AB123456C"), 0);		/* Cyrillic Zhe */
	assert_int_equal(scan("AB 12 34 56 C\xD0\xB6"), 1);		/* suffix-less */
	assert_int_equal(scan("\xD9\xA3" "AB123456C"), 0);		/* Arabic-Indic three */
	assert_int_equal(scan("AB123456C\xD9\xA3"), 0);
	assert_int_equal(scan("\xE4\xB8\xAD" "AB123456C"), 0);	/* CJK */
	assert_int_equal(scan("AB123456C\xE4\xB8\xAD"), 0);
	assert_int_equal(scan("\xF0\x9D\x90\x80" "AB123456C"), 0);	/* math bold A */
	assert_int_equal(scan("\xC2\xB2" "AB123456C"), 0);	/* superscript two: No */
	assert_int_equal(scan("\xE2\x80\x94" "AB123456C\xE2\x80\x94"), 1);	/* em dashes */
	assert_int_equal(scan("\xC2\xAB" "AB123456C\xC2\xBB"), 1);	/* guillemets */
	assert_int_equal(scan("\xF0\x9F\x98\x80" "AB123456C\xF0\x9F\x98\x80"), 1);	/* emoji */
	assert_int_equal(scan("\xCC\x81" "AB123456C"), 1);		/* combining mark: not L/N */
	/* U+00A0 as neighbour and as separator. */
	assert_int_equal(scan("\xC2\xA0" "AB123456C\xC2\xA0"), 1);
	assert_string_equal(scan_one("\xC2\xA0" "AB\xC2\xA0" "123456\xC2\xA0" "C\xC2\xA0", &suffixed),
	    "AB123456");
	assert_true(suffixed);
	assert_int_equal(nino_uc_alnum(0xE9), 1);
	assert_int_equal(nino_uc_alnum(0x663), 1);
	assert_int_equal(nino_uc_alnum(0x4E2D), 1);
	assert_int_equal(nino_uc_alnum(0xA0), 0);
	assert_int_equal(nino_uc_alnum(0x2014), 0);
	assert_int_equal(nino_uc_alnum('_'), 0);
	assert_int_equal(nino_uc_alnum('z'), 1);
	assert_int_equal(nino_uc_alnum(0x10FFFF), 0);
	assert_int_equal(nino_uc_alnum(0x110000), 0);
}

static void
test_invalid_utf8(void **state)
{
	(void)state;
	assert_int_equal(scan("\xC3" "AB123456C"), 1);		/* lead, no continuation */
	assert_int_equal(scan("\xA9" "AB123456C"), 1);		/* stray continuation */
	assert_int_equal(scan("\xC1\x81" "AB123456C"), 1);		/* overlong 'A' */
	assert_int_equal(scan("\xE0\x81\x81" "AB123456C"), 1);	/* overlong */
	assert_int_equal(scan("\xED\xA0\x80" "AB123456C"), 1);	/* surrogate */
	assert_int_equal(scan("\xF4\x90\x80\x80" "AB123456C"), 1);	/* above U+10FFFF */
	assert_int_equal(scan("\xFF" "AB123456C\xFE"), 1);
	assert_int_equal(scan("\xC3\xA9\xA9" "AB123456C"), 1);	/* é then a stray byte */
	assert_int_equal(scan("AB123456C\xC3"), 1);		/* truncated at the end */
	assert_int_equal(scan("AB123456C\xE4\xB8"), 1);
	assert_int_equal(scan("AB123456C\xC2"), 1);		/* half a no-break space */
	assert_int_equal(scan("AB\xC2" "123456C"), 0);
	assert_int_equal(scan("AB\xA0" "123456C"), 0);
	assert_int_equal(scan("\xE4\xB8\xAD\xAD" "AB123456C"), 1);
}

static void
test_truncated(void **state)
{
	static const char full[] = "AB 12 34 56 C";
	size_t n;

	(void)state;
	/* Every prefix of the text: only the suffix-less and full forms count. */
	for (n = 0; n <= sizeof full - 1; n++) {
		assert_int_equal(scan_n(full, n, 0, NULL, NULL), n >= 11 ? 1 : 0);
	}
	assert_int_equal(scan_n("AB123456C", 8, 0, NULL, NULL), 0);
	assert_int_equal(scan_n("AB123456C", 8, NINO_CONTEXT, NULL, NULL), 1);
	assert_int_equal(scan_n("AB12345", 7, NINO_CONTEXT, NULL, NULL), 0);
	assert_int_equal(scan_n("AB123456\xC2\xA0", 9, NINO_CONTEXT, NULL, NULL), 1);
	assert_int_equal(scan_n("", 0, 0, NULL, NULL), 0);
}

/* Many short lines ending in CR only: context words per line, in linear time
 * (a quadratic search for line ends would make this test take minutes). */
static void
test_many_lines(void **state)
{
	const size_t lines = 200000;
	size_t k, len = 0;
	char *buf = malloc(lines * 16);
	struct nino_set set;

	(void)state;
	assert_non_null(buf);
	for (k = 0; k < lines; k++)
		len += (size_t)sprintf(buf + len, k % 2 ? "AB%06zu\r" : "nino AB%06zu\r", k);
	nino_set_init(&set);
	assert_int_equal(nino_scan(buf, len, 0, &set), lines / 2);
	assert_string_equal(set.v[1].s, "AB000002");
	assert_int_equal(nino_scan(buf, len, NINO_CONTEXT, NULL), lines);
	nino_set_free(&set);
	free(buf);
}

/* Numbers at every alignment around the 64-byte blocks. */
static void
test_alignment(void **state)
{
	static const char *forms[] = { "AB123456C", "AB 12 34 56 C", ("AB\xC2\xA0" "123456C"),
	    "AB-123456", "AB\t12 34 56" };
	char buf[300];
	size_t k, f, at;

	(void)state;
	for (f = 0; f < sizeof forms / sizeof forms[0]; f++)
		for (at = 0; at < 200; at++) {
			for (k = 0; k < at; k++)
				buf[k] = (k % 7 == 3) ? '9' : (k % 2 ? ' ' : '.');
			if (at > 0)
				buf[at - 1] = ' ';
			strcpy(buf + at, forms[f]);
			strcat(buf, "; 7.");
			assert_int_equal(scan(buf), 1);
			if (at > 0) {
				buf[at - 1] = 'x';
				assert_int_equal(scan(buf), 0);
			}
		}
}

static void
test_dedup(void **state)
{
	struct nino_set set, other;
	struct nino_tally t = { 0, 0 };
	const char *s = "AB123456C, AB 12 34 56 D; ab-12-34-56-a\nCE 11 22 33\nab123456";
	char stem[NINO_STEM_LEN + 1];
	size_t i;

	(void)state;
	nino_set_init(&set);
	assert_int_equal(scan_n(s, strlen(s), 0, &set, &t), 4);
	assert_int_equal(t.suffixed, 3);
	assert_int_equal(t.bare, 1);
	assert_int_equal(set.n, 2);
	assert_string_equal(set.v[0].s, "AB123456");
	assert_string_equal(set.v[1].s, "CE112233");
	assert_true(nino_set_has(&set, "AB123456"));
	assert_false(nino_set_has(&set, "AB123457"));
	/* Many distinct stems: the index grows and keeps order. */
	nino_set_init(&other);
	for (i = 0; i < 20000; i++) {
		snprintf(stem, sizeof stem, "HN%06zu", i);
		assert_int_equal(nino_set_add(&other, stem), 1);
	}
	assert_int_equal(nino_set_add(&other, "HN000042"), 0);
	nino_set_merge(&set, &other);
	nino_set_merge(&set, &other);
	assert_int_equal(set.n, 20002);
	assert_string_equal(set.v[2].s, "HN000000");
	assert_string_equal(set.v[20001].s, "HN019999");
	nino_set_free(&other);
	nino_set_free(&set);
	assert_int_equal(set.n, 0);
	/* A zeroed set is a valid empty set. */
	memset(&other, 0, sizeof other);
	assert_false(nino_set_has(&other, "AB123456"));
	assert_int_equal(nino_set_add(&other, "AB123456"), 1);
	nino_set_free(&other);
}

static void
test_parse(void **state)
{
	char stem[NINO_STEM_LEN + 1];

	(void)state;
	assert_int_equal(nino_parse("AB123456C", 1, stem), 1);
	assert_string_equal(stem, "AB123456");
	assert_int_equal(nino_parse("  ab 12-34\t56\xC2\xA0" "d \n", 1, stem), 1);
	assert_string_equal(stem, "AB123456");
	assert_int_equal(nino_parse("\xC2\xA0HN 00 00 01\xC2\xA0", 0, stem), 1);
	assert_string_equal(stem, "HN000001");
	assert_int_equal(nino_parse("HN000001", 0, stem), 1);
	assert_int_equal(nino_parse("HN000001", 1, stem), 0);
	assert_int_equal(nino_parse("HN000001 E", 0, stem), 0);
	assert_int_equal(nino_parse("AB123456E", 0, stem), 0);
	assert_int_equal(nino_parse("AB123456CD", 0, stem), 0);
	assert_int_equal(nino_parse("AB123456C x", 1, stem), 0);
	assert_int_equal(nino_parse("x AB123456C", 1, stem), 0);
	assert_int_equal(nino_parse("AB  123456C", 1, stem), 0);
	assert_int_equal(nino_parse("AB123456  C", 1, stem), 0);
	assert_int_equal(nino_parse("QQ123456C", 1, stem), 0);
	assert_int_equal(nino_parse("TN123456C", 1, stem), 0);
	assert_int_equal(nino_parse("AB12345C", 1, stem), 0);
	assert_int_equal(nino_parse("", 0, stem), 0);
	assert_int_equal(nino_parse("   ", 0, stem), 0);
	assert_int_equal(nino_parse("AB", 0, stem), 0);
}

/* ---- the differential test ---- */

/*
 * The reference: decodes the whole text to code points first (each byte of
 * an ill-formed sequence becomes U+FFFD, Unicode's table 3-7), then applies
 * the interface's sentence at every code point, leftmost first, resuming
 * after each number counted.
 */
struct ref_text {
	uint32_t cp[1024];
	size_t n;
};

static size_t
ref_seq_len(const unsigned char *s, size_t len, size_t i)
{
	unsigned c = s[i];
	size_t n, k;
	unsigned lo = 0x80, hi = 0xBF;

	if (c <= 0x7F)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (i + n > len)
		return 0;
	if (s[i + 1] < lo || s[i + 1] > hi)
		return 0;
	for (k = 2; k < n; k++)
		if (s[i + k] < 0x80 || s[i + k] > 0xBF)
			return 0;
	return n;
}

static void
ref_decode(const char *text, size_t len, struct ref_text *r)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, n, k;

	r->n = 0;
	while (i < len) {
		n = ref_seq_len(s, len, i);
		if (n == 0) {
			r->cp[r->n++] = 0xFFFD;
			i++;
			continue;
		}
		if (n == 1) {
			r->cp[r->n++] = s[i];
		} else {
			uint32_t v = s[i] & (0x7F >> n);

			for (k = 1; k < n; k++)
				v = (v << 6) | (s[i + k] & 0x3F);
			r->cp[r->n++] = v;
		}
		i += n;
	}
}

static int
ref_alnum(const struct ref_text *r, size_t i)
{
	return i < r->n && nino_uc_alnum(r->cp[i]);
}

static int
ref_letter(uint32_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int
ref_digit(uint32_t c)
{
	return c >= '0' && c <= '9';
}

static int
ref_sep(uint32_t c)
{
	return c == ' ' || c == '\t' || c == 0xA0 || c == '-';
}

static uint32_t
ref_upper(uint32_t c)
{
	return (c >= 'a' && c <= 'z') ? c - 32 : c;
}

static int
ref_prefix(uint32_t a, uint32_t b)
{
	static const char *pairs = "BG GB KN NK NT TN ZZ";
	char p[3];

	if (!ref_letter(a) || !ref_letter(b))
		return 0;
	a = ref_upper(a);
	b = ref_upper(b);
	if (strchr("DFIQUV", (int)a) || strchr("DFIOQUV", (int)b))
		return 0;
	p[0] = (char)a;
	p[1] = (char)b;
	p[2] = '\0';
	return strstr(pairs, p) == NULL;
}

/* Whether the code points at i spell w (lower case ASCII), any case. */
static int
ref_spells(const struct ref_text *r, size_t i, size_t end, const char *w)
{
	size_t k;

	for (k = 0; w[k]; k++)
		if (i + k >= end || (r->cp[i + k] | 0x20) != (uint32_t)w[k] ||
		    r->cp[i + k] >= 0x80)
			return 0;
	return 1;
}

static int
ref_ws(uint32_t c)
{
	return c == ' ' || c == '\t' || c == 0xA0;
}

/* A context phrase: words parted by runs of white space, whole at both ends. */
static int
ref_phrase(const struct ref_text *r, size_t i, size_t end, const char *w1, const char *w2)
{
	size_t j;

	if (i > 0 && ref_alnum(r, i - 1))
		return 0;
	if (!ref_spells(r, i, end, w1))
		return 0;
	j = i + strlen(w1);
	if (w2 != NULL) {
		if (j >= end || !ref_ws(r->cp[j]))
			return 0;
		while (j < end && ref_ws(r->cp[j]))
			j++;
		if (!ref_spells(r, j, end, w2))
			return 0;
		j += strlen(w2);
	}
	return j >= end || !ref_alnum(r, j);
}

static int
ref_line_context(const struct ref_text *r, size_t at)
{
	size_t lo = at, hi = at, i;

	while (lo > 0 && r->cp[lo - 1] != '\n' && r->cp[lo - 1] != '\r')
		lo--;
	while (hi < r->n && r->cp[hi] != '\n' && r->cp[hi] != '\r')
		hi++;
	for (i = lo; i < hi; i++)
		if (ref_phrase(r, i, hi, "nino", NULL) || ref_phrase(r, i, hi, "ninos", NULL) ||
		    ref_phrase(r, i, hi, "ni", "number") || ref_phrase(r, i, hi, "ni", "no") ||
		    ref_phrase(r, i, hi, "national", "insurance"))
			return 1;
	return 0;
}

static size_t
ref_scan(const char *text, size_t len, unsigned flags, struct nino_set *set,
    struct nino_tally *t)
{
	struct ref_text *r = malloc(sizeof *r);
	size_t i, p, g, count = 0;
	char stem[NINO_STEM_LEN + 1];
	int sep, ok;

	assert_non_null(r);
	assert_true(len <= 1024);
	ref_decode(text, len, r);
	for (i = 0; i + 1 < r->n; i++) {
		if ((i > 0 && ref_alnum(r, i - 1)) || !ref_prefix(r->cp[i], r->cp[i + 1]))
			continue;
		stem[0] = (char)ref_upper(r->cp[i]);
		stem[1] = (char)ref_upper(r->cp[i + 1]);
		p = i + 2;
		sep = 0;
		ok = 1;
		for (g = 0; g < 3 && ok; g++) {
			if (p < r->n && ref_sep(r->cp[p])) {
				sep = 1;
				p++;
			}
			if (p + 1 < r->n && ref_digit(r->cp[p]) && ref_digit(r->cp[p + 1])) {
				stem[2 + 2 * g] = (char)r->cp[p];
				stem[3 + 2 * g] = (char)r->cp[p + 1];
				p += 2;
			} else {
				ok = 0;
			}
		}
		if (!ok)
			continue;
		stem[NINO_STEM_LEN] = '\0';
		/* p is past the sixth digit: a suffix, or the number ends here. */
		g = p < r->n && ref_sep(r->cp[p]) ? p + 1 : p;
		if (g < r->n && ref_upper(r->cp[g]) >= 'A' && ref_upper(r->cp[g]) <= 'D' &&
		    !ref_alnum(r, g + 1)) {
			t->suffixed++;
			p = g + 1;
		} else if (!ref_alnum(r, p) &&
		    !(p + 1 < r->n && ref_sep(r->cp[p]) && ref_digit(r->cp[p + 1])) &&
		    (sep || (flags & NINO_CONTEXT) || ref_line_context(r, i))) {
			t->bare++;
		} else {
			continue;
		}
		count++;
		nino_set_add(set, stem);
		i = p - 1;
	}
	free(r);
	return count;
}

/* A small deterministic generator (xorshift64*), fixed seed. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static void
test_digits_go_on(void **state)
{
	(void)state;
	assert_int_equal(nino_scan("disengaged on 2026-11-20.", 25, 0, NULL), 0);
	assert_int_equal(nino_scan("by 2024-03-12", 13, 0, NULL), 0);
	assert_int_equal(nino_scan("WP08 0251 348 3086", 18, 0, NULL), 0);
	assert_int_equal(nino_scan("NINO on 202611 20", 17, 0, NULL), 0);
	assert_int_equal(nino_scan("AB 12 34 56 E", 13, 0, NULL), 1);
	assert_int_equal(nino_scan("AB 12 34 56, next", 17, 0, NULL), 1);
	assert_int_equal(nino_scan("AB 12 34 56-x", 13, 0, NULL), 1);
	/* a suffixed number followed by digits still counts */
	assert_int_equal(nino_scan("AB 12 34 56 C 12 hours", 22, 0, NULL), 1);
}

static void
test_differential(void **state)
{
	static const char *tok[] = {
		"A", "B", "C", "D", "E", "G", "H", "I", "K", "N", "O", "Q", "T", "U", "V", "Z",
		"a", "b", "c", "d", "n", "z", "AB", "hn", "ZZ", "TN", "NI", "CE", "Qq", "s", "x",
		"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "12", "34", "56", "78", "00",
		"1234", "123456", " ", " ", " ", "\t", "-", "-", "\xC2\xA0", "  ",
		"\xC3\xA9", "\xD0\x96", "\xD9\xA3", "\xE4\xB8\xAD", "\xCC\x81", "\xE2\x80\x94",
		"\n", "\r", ".", ",", "_", ":",
		"NINO", "nino", "NINOs", "NI number", "ni no", "NI\tNo", "National Insurance",
		"national  insurance", "NIN", "numbers",
		"\xC2", "\xA0", "\xFF", "\xE4\xB8", "\xED\xA0\x80",
		"AB123456C", "AB 12 34 56 D", "hn-12-34-56", "AB123456", "CE 123456 E",
	};
	const size_t ntok = sizeof tok / sizeof tok[0];
	uint64_t seed = 0x9E3779B97F4A7C15ull;
	char buf[1024];
	size_t iter, k, len, ntoks, total = 0, bare = 0;

	(void)state;
	for (iter = 0; iter < 300000; iter++) {
		struct nino_set s1, s2;
		struct nino_tally t1 = { 0, 0 }, t2 = { 0, 0 };
		unsigned flags = (rnd(&seed) % 8 == 0) ? NINO_CONTEXT : 0;
		size_t n1, n2;

		ntoks = 1 + rnd(&seed) % (iter % 10 == 0 ? 120 : 30);
		len = 0;
		for (k = 0; k < ntoks; k++) {
			const char *w = tok[rnd(&seed) % ntok];
			size_t wl = strlen(w);

			if (len + wl > sizeof buf)
				break;
			memcpy(buf + len, w, wl);
			len += wl;
		}
		nino_set_init(&s1);
		nino_set_init(&s2);
		n1 = scan_n(buf, len, flags, &s1, &t1);
		n2 = ref_scan(buf, len, flags, &s2, &t2);
		if (n1 != n2 || t1.suffixed != t2.suffixed || s1.n != s2.n) {
			fprintf(stderr, "differs on [%.*s] flags %u: scan %zu (%zu+%zu), ref %zu (%zu+%zu)\n",
			    (int)len, buf, flags, n1, t1.suffixed, t1.bare, n2, t2.suffixed, t2.bare);
			fail();
		}
		for (k = 0; k < s1.n; k++)
			assert_string_equal(s1.v[k].s, s2.v[k].s);
		total += n1;
		bare += t1.bare;
		nino_set_free(&s1);
		nino_set_free(&s2);
	}
	/* The alphabet must really produce numbers of both kinds. */
	print_message("differential: %zu numbers, %zu without suffix\n", total, bare);
	assert_true(total > 20000);
	assert_true(bare > 2000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_banned_first),
		cmocka_unit_test(test_banned_second),
		cmocka_unit_test(test_banned_prefixes),
		cmocka_unit_test(test_allowed_prefixes),
		cmocka_unit_test(test_separators),
		cmocka_unit_test(test_suffixless),
		cmocka_unit_test(test_context_words),
		cmocka_unit_test(test_unicode_neighbours),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_alignment),
		cmocka_unit_test(test_many_lines),
		cmocka_unit_test(test_dedup),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_digits_go_on),
		cmocka_unit_test(test_differential),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
