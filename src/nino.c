/*
 * nino - the scanner of National Insurance numbers (see include/nino.h for
 * the rules). mailgate's hot path: one pass, no regex library.
 *
 *	n = nino_scan(text, len, flags, &set);
 *	nino_parse("ab 12 34 56 c", 1, stem);
 *
 * How it is fast: every number holds two ASCII letters that no ASCII letter
 * or digit precedes, then a gap of 0, 1 or 2 bytes (a separator; U+00A0 is
 * two), then two ASCII digits. The scan classifies 64 bytes at a time into
 * bit masks of digits and letters (AVX2 when the CPU has it, chosen at run
 * time; else SSE2, the x86-64 baseline; plain C elsewhere) and combines them
 * with shifts into the positions where that shape occurs. Most blocks have
 * none and cost a few instructions; only the positions found are verified,
 * forwards and backwards, by the exact rules, and context words are looked
 * for only on a line holding a suffix-less number without separators.
 *
 * Decisions the interface leaves open, taken here:
 * - A number without a suffix has three gaps (after the prefix, between the
 *   pairs); "a gap holds a separator" means one of those. The separator
 *   after the sixth digit belongs to the suffix gap, and there is no suffix.
 * - Context words are whole words; the words of "NI number", "NI no" and
 *   "National Insurance" may be parted by any run of space, tab or U+00A0.
 * - Invalid UTF-8 next to a number is not a letter or digit.
 * - A number without a suffix does not count where a separator and a digit
 *   follow its sixth digit: the digits go on, as in an ISO date after a
 *   two-letter word ("on 2026-11-20") or a form code before a telephone
 *   number ("WP08 0251 348 3086"), which the rules as written would count
 *   and which would fail every ordinary completed form.
 */
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__) && !defined(NINO_NO_DISPATCH)
#define NINO_DISPATCH 1
#include <immintrin.h>
#endif

#include "nino.h"
#include "nino_unicode.h"

/* A number found at some start, before the rules on suffix-less ones. */
struct nino_match {
	size_t end;		/* one past its last byte */
	int suffixed;		/* has a valid suffix */
	int has_sep;		/* one of the three inner gaps holds a separator */
	char stem[NINO_STEM_LEN + 1];
};

/* The scan's state: which line's context words are known. */
struct nino_scanner {
	const unsigned char *t;
	size_t len;
	unsigned flags;
	struct nino_set *set;
	struct nino_tally tally;
	size_t count;
	size_t resume;		/* where the last number counted ends */
	size_t ctx_lo, ctx_hi;	/* line [lo, hi) whose answer is ctx_val */
	int ctx_val;		/* -1: no line known yet */
};

/* ---- characters ---- */

static inline int
nino_ascii_digit(unsigned c)
{
	return c - '0' < 10;
}

static inline int
nino_ascii_letter(unsigned c)
{
	return (c | 0x20) - 'a' < 26;
}

static inline int
nino_ascii_alnum(unsigned c)
{
	return nino_ascii_digit(c) || nino_ascii_letter(c);
}

int
nino_uc_alnum(uint32_t cp)
{
	size_t lo = 0, hi = nino_uc_nranges;

	if (cp < 0x80)
		return nino_ascii_alnum(cp);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < nino_uc_ranges[mid][0])
			hi = mid;
		else if (cp > nino_uc_ranges[mid][1])
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

/*
 * Decodes one well-formed UTF-8 sequence at t[i] (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF). Returns its length and sets *cp,
 * or 0 when the bytes there are not one.
 */
static size_t
nino_utf8_decode(const unsigned char *t, size_t len, size_t i, uint32_t *cp)
{
	unsigned c = t[i];
	size_t n, k;
	uint32_t v, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2; v = c & 0x1F; min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3; v = c & 0x0F; min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4; v = c & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (len - i < n)
		return 0;
	for (k = 1; k < n; k++) {
		if ((t[i + k] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (t[i + k] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

/* Whether the character ending just before t[i] is a letter or digit. */
static int
nino_alnum_before(const unsigned char *t, size_t len, size_t i)
{
	uint32_t cp;
	size_t k, j;

	if (i == 0)
		return 0;
	if (t[i - 1] < 0x80)
		return nino_ascii_alnum(t[i - 1]);
	/* Find the lead byte within 3 continuation bytes; the sequence must
	 * end exactly at i - 1 to be the character before. */
	for (k = 1; k <= 4 && k <= i; k++) {
		j = i - k;
		if ((t[j] & 0xC0) != 0x80)
			return nino_utf8_decode(t, len, j, &cp) == k && nino_uc_alnum(cp);
	}
	return 0;
}

/* Whether the character starting at t[i] is a letter or digit. */
static int
nino_alnum_at(const unsigned char *t, size_t len, size_t i)
{
	uint32_t cp;

	if (i >= len)
		return 0;
	if (t[i] < 0x80)
		return nino_ascii_alnum(t[i]);
	return nino_utf8_decode(t, len, i, &cp) != 0 && nino_uc_alnum(cp);
}

/* Length of the separator at t[i]: 1 (space, tab, '-'), 2 (U+00A0) or 0. */
static inline size_t
nino_sep_len(const unsigned char *t, size_t len, size_t i)
{
	if (i >= len)
		return 0;
	if (t[i] == ' ' || t[i] == '\t' || t[i] == '-')
		return 1;
	if (t[i] == 0xC2 && i + 1 < len && t[i + 1] == 0xA0)
		return 2;
	return 0;
}

/* Length of a run of horizontal white space (space, tab, U+00A0) at t[i]. */
static size_t
nino_hspace_run(const unsigned char *t, size_t len, size_t i)
{
	size_t j = i;

	for (;;) {
		if (j < len && (t[j] == ' ' || t[j] == '\t'))
			j++;
		else if (j + 1 < len && t[j] == 0xC2 && t[j + 1] == 0xA0)
			j += 2;
		else
			return j - i;
	}
}

/* ---- the number ---- */

/*
 * Allowed second letters for each first letter, bit (letter - 'A'): the
 * rules of nino.h spelled out (first not DFIQUV; second not DFIOQUV; not
 * BG GB KN NK NT TN ZZ). test_nino checks the table against the rules.
 */
#define NINO_L(c) (1u << ((c) - 'A'))
#define NINO_SECOND (0x3FFFFFFu & ~(NINO_L('D') | NINO_L('F') | NINO_L('I') | NINO_L('O') | \
	NINO_L('Q') | NINO_L('U') | NINO_L('V')))
static const uint32_t nino_second[26] = {
	['A' - 'A'] = NINO_SECOND,
	['B' - 'A'] = NINO_SECOND & ~NINO_L('G'),
	['C' - 'A'] = NINO_SECOND,
	['E' - 'A'] = NINO_SECOND,
	['G' - 'A'] = NINO_SECOND & ~NINO_L('B'),
	['H' - 'A'] = NINO_SECOND,
	['J' - 'A'] = NINO_SECOND,
	['K' - 'A'] = NINO_SECOND & ~NINO_L('N'),
	['L' - 'A'] = NINO_SECOND,
	['M' - 'A'] = NINO_SECOND,
	['N' - 'A'] = NINO_SECOND & ~(NINO_L('K') | NINO_L('T')),
	['O' - 'A'] = NINO_SECOND,
	['P' - 'A'] = NINO_SECOND,
	['R' - 'A'] = NINO_SECOND,
	['S' - 'A'] = NINO_SECOND,
	['T' - 'A'] = NINO_SECOND & ~NINO_L('N'),
	['W' - 'A'] = NINO_SECOND,
	['X' - 'A'] = NINO_SECOND,
	['Y' - 'A'] = NINO_SECOND,
	['Z' - 'A'] = NINO_SECOND & ~NINO_L('Z'),
};

int
nino_prefix_ok(int a, int b)
{
	unsigned x = (unsigned)a, y = (unsigned)b;

	if (x > 0x7F || y > 0x7F || !nino_ascii_letter(x) || !nino_ascii_letter(y))
		return 0;
	return (nino_second[(x | 0x20) - 'a'] >> ((y | 0x20) - 'a')) & 1;
}

/*
 * The number whose first prefix letter is t[s], if any, by the layout rules
 * and the right-hand neighbour; the left-hand one is the caller's. Prefers
 * the suffixed reading; falls back to ending at the sixth digit.
 */
static int
nino_match_at(const unsigned char *t, size_t len, size_t s, struct nino_match *m)
{
	size_t p = s, q, n, end6;
	int g;

	if (len - s < 8 || !nino_prefix_ok(t[s], t[s + 1]))
		return 0;
	m->has_sep = 0;
	m->stem[0] = (char)(t[s] & ~0x20);
	m->stem[1] = (char)(t[s + 1] & ~0x20);
	p += 2;
	for (g = 0; g < 3; g++) {
		if ((n = nino_sep_len(t, len, p)) != 0) {
			m->has_sep = 1;
			p += n;
		}
		if (len - p < 2 || !nino_ascii_digit(t[p]) || !nino_ascii_digit(t[p + 1]))
			return 0;
		m->stem[2 + 2 * g] = (char)t[p];
		m->stem[3 + 2 * g] = (char)t[p + 1];
		p += 2;
	}
	m->stem[NINO_STEM_LEN] = '\0';
	end6 = p;
	q = end6 + nino_sep_len(t, len, end6);
	if (q < len && (unsigned)(t[q] | 0x20) - 'a' < 4u && !nino_alnum_at(t, len, q + 1)) {
		m->suffixed = 1;
		m->end = q + 1;
		return 1;
	}
	if (nino_alnum_at(t, len, end6))
		return 0;
	/* the digits plainly go on ("on 2026-11-20", "WP08 0251 348 3086"): no number */
	if ((n = nino_sep_len(t, len, end6)) != 0 && end6 + n < len && nino_ascii_digit(t[end6 + n]))
		return 0;
	m->suffixed = 0;
	m->end = end6;
	return 1;
}

/* ---- context words ---- */

/* Whether t[i..] starts with the lower-case ASCII word w, in any case. */
static int
nino_word_at(const unsigned char *t, size_t len, size_t i, const char *w, size_t *end)
{
	size_t k;

	for (k = 0; w[k] != '\0'; k++)
		if (i + k >= len || (t[i + k] | 0x20) != (unsigned char)w[k])
			return 0;
	*end = i + k;
	return 1;
}

/* Whether a whole context word starts at t[i] (the left edge checked). */
static int
nino_context_at(const unsigned char *t, size_t len, size_t i)
{
	size_t e, sp;

	if (nino_word_at(t, len, i, "nino", &e)) {
		if (e < len && (t[e] | 0x20) == 's')
			e++;
		return !nino_alnum_at(t, len, e);
	}
	if (nino_word_at(t, len, i, "ni", &e)) {
		if ((sp = nino_hspace_run(t, len, e)) == 0)
			return 0;
		e += sp;
		if (nino_word_at(t, len, e, "number", &i) && !nino_alnum_at(t, len, i))
			return 1;
		return nino_word_at(t, len, e, "no", &i) && !nino_alnum_at(t, len, i);
	}
	if (nino_word_at(t, len, i, "national", &e)) {
		if ((sp = nino_hspace_run(t, len, e)) == 0)
			return 0;
		return nino_word_at(t, len, e + sp, "insurance", &i) && !nino_alnum_at(t, len, i);
	}
	return 0;
}

/* Whether the line [lo, hi) holds a context word. */
static int
nino_line_has_context(const unsigned char *t, size_t len, size_t lo, size_t hi)
{
	size_t i;

	for (i = lo; i < hi; i++) {
		if ((t[i] | 0x20) != 'n')
			continue;
		if (!nino_alnum_before(t, len, i) && nino_context_at(t, hi, i))
			return 1;
	}
	return 0;
}

/*
 * Whether the line holding t[s] holds a context word; one answer per line,
 * and lines are met in order, so each is read at most once. (One loop for
 * both line ends: memchr for LF alone would read to the end of a text
 * whose lines end with CR, for every line.)
 */
static int
nino_context_line(struct nino_scanner *sc, size_t s)
{
	const unsigned char *t = sc->t;
	size_t lo = s, hi = s;

	if (sc->ctx_val >= 0 && s >= sc->ctx_lo && s < sc->ctx_hi)
		return sc->ctx_val;
	while (lo > 0 && t[lo - 1] != '\n' && t[lo - 1] != '\r')
		lo--;
	while (hi < sc->len && t[hi] != '\n' && t[hi] != '\r')
		hi++;
	sc->ctx_lo = lo;
	sc->ctx_hi = hi;
	sc->ctx_val = nino_line_has_context(t, sc->len, lo, hi);
	return sc->ctx_val;
}

/* ---- the scan ---- */

/*
 * Verifies the candidate whose first digit pair ends at t[j]; returns the
 * end of the number counted there, or 0.
 */
static size_t
nino_candidate(struct nino_scanner *sc, size_t j)
{
	const unsigned char *t = sc->t;
	struct nino_match m;
	size_t g = j - 2, s;

	/* The gap between the prefix and the digits decides where it starts. */
	if (nino_ascii_letter(t[g]))
		s = g - 1;
	else if (t[g] == ' ' || t[g] == '\t' || t[g] == '-')
		s = g - 2;
	else if (t[g] == 0xA0 && t[g - 1] == 0xC2)
		s = g - 3;
	else
		return 0;
	if (nino_alnum_before(t, sc->len, s) || !nino_match_at(t, sc->len, s, &m))
		return 0;
	if (!m.suffixed && !m.has_sep && !(sc->flags & NINO_CONTEXT) &&
	    !nino_context_line(sc, s))
		return 0;
	if (m.suffixed)
		sc->tally.suffixed++;
	else
		sc->tally.bare++;
	sc->count++;
	if (sc->set != NULL)
		nino_set_add(sc->set, m.stem);
	return m.end;
}

/*
 * Candidates in a 64-byte block from its masks of ASCII digits d and letters
 * l (bit i: byte i), and those of the block before (*pd, *pl, updated): bit
 * j set where a digit pair ends at j, 2, 3 or 4 bytes after a letter pair
 * that no ASCII letter or digit precedes. Every number's first digit pair
 * is one; only these are verified.
 */
static inline uint64_t
nino_candidates(uint64_t d, uint64_t l, uint64_t *pd, uint64_t *pl)
{
	uint64_t dd, an, pan, p2, pp2;

	dd = d & ((d << 1) | (*pd >> 63));
	an = l | d;
	pan = *pl | *pd;
	p2 = l & ((l << 1) | (*pl >> 63)) & ~((an << 2) | (pan >> 62));
	pp2 = *pl & (*pl << 1) & ~(pan << 2);
	*pd = d;
	*pl = l;
	return dd & ((p2 << 2 | pp2 >> 62) | (p2 << 3 | pp2 >> 61) | (p2 << 4 | pp2 >> 60));
}

/* Verifies the candidates of the block at offset o. */
static __attribute__((noinline)) void
nino_verify(struct nino_scanner *sc, size_t o, uint64_t cand)
{
	size_t j, e;

	while (cand != 0) {
		j = o + (size_t)__builtin_ctzll(cand);
		cand &= cand - 1;
		if (j < sc->resume)
			continue;	/* inside a number already counted */
		if ((e = nino_candidate(sc, j)) != 0)
			sc->resume = e;
	}
}

/*
 * The 64-byte classification: a byte b is in [lo, lo + n) when
 * b + (0x80 - lo) < -128 + n as a signed byte (b | 0x20 for letters).
 */
#if defined(__SSE2__)
#define NINO_RANGE16(v, lo, n) (uint16_t)_mm_movemask_epi8(_mm_cmplt_epi8( \
	_mm_add_epi8((v), _mm_set1_epi8((char)(0x80 - (lo)))), _mm_set1_epi8((char)(-128 + (n)))))

static inline void
nino_masks_sse2(const unsigned char *t, uint64_t *d, uint64_t *l)
{
	const __m128i low = _mm_set1_epi8(0x20);
	uint64_t md = 0, ml = 0;
	int k;

	for (k = 0; k < 4; k++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(t + 16 * k));

		md |= (uint64_t)NINO_RANGE16(v, '0', 10) << (16 * k);
		ml |= (uint64_t)NINO_RANGE16(_mm_or_si128(v, low), 'a', 26) << (16 * k);
	}
	*d = md;
	*l = ml;
}
#endif

static inline void
nino_masks_c(const unsigned char *t, uint64_t *d, uint64_t *l)
{
	uint64_t md = 0, ml = 0;
	int k;

	for (k = 0; k < 64; k++) {
		md |= (uint64_t)nino_ascii_digit(t[k]) << k;
		ml |= (uint64_t)nino_ascii_letter(t[k]) << k;
	}
	*d = md;
	*l = ml;
}

/* Scans the whole 64-byte blocks of the text; returns where they end. */
#if defined(__SSE2__)
#define nino_masks nino_masks_sse2
#else
#define nino_masks nino_masks_c
#endif
static size_t
nino_blocks(struct nino_scanner *sc, uint64_t *pdp, uint64_t *plp)
{
	const unsigned char *t = sc->t;
	size_t o, n = sc->len & ~(size_t)63;
	uint64_t d, l, cand, pd = *pdp, pl = *plp;

	for (o = 0; o < n; o += 64) {
		nino_masks(t + o, &d, &l);
		if ((cand = nino_candidates(d, l, &pd, &pl)) != 0)
			nino_verify(sc, o, cand);
	}
	*pdp = pd;
	*plp = pl;
	return o;
}

/*
 * Wider vectors where the CPU has them (chosen at run time, so the build
 * stays baseline x86-64): the same masks, 32 or 64 bytes per instruction.
 */
#if defined(NINO_DISPATCH)
__attribute__((target("avx2"))) static size_t
nino_blocks_avx2(struct nino_scanner *sc, uint64_t *pdp, uint64_t *plp)
{
	const __m256i low = _mm256_set1_epi8(0x20);
	const __m256i bd = _mm256_set1_epi8((char)(0x80 - '0'));
	const __m256i ld = _mm256_set1_epi8((char)(-128 + 10));
	const __m256i bl = _mm256_set1_epi8((char)(0x80 - 'a'));
	const __m256i ll = _mm256_set1_epi8((char)(-128 + 26));
	const unsigned char *t = sc->t;
	size_t o, n = sc->len & ~(size_t)63;
	uint64_t d, l, cand, pd = *pdp, pl = *plp;

	for (o = 0; o < n; o += 64) {
		__m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)(t + o));
		__m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(t + o + 32));

		d = (uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(ld, _mm256_add_epi8(v0, bd))) |
		    (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(ld,
		    _mm256_add_epi8(v1, bd))) << 32;
		l = (uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(ll,
		    _mm256_add_epi8(_mm256_or_si256(v0, low), bl))) |
		    (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(ll,
		    _mm256_add_epi8(_mm256_or_si256(v1, low), bl))) << 32;
		if ((cand = nino_candidates(d, l, &pd, &pl)) != 0)
			nino_verify(sc, o, cand);
	}
	*pdp = pd;
	*plp = pl;
	return o;
}
#endif

size_t
nino_scan_tally(const char *text, size_t len, unsigned flags, struct nino_set *set,
    struct nino_tally *tally)
{
	struct nino_scanner sc;
	unsigned char pad[64];
	uint64_t d, l, cand, pd = 0, pl = 0;
	size_t o;

	memset(&sc, 0, sizeof sc);
	sc.t = (const unsigned char *)text;
	sc.len = len;
	sc.flags = flags;
	sc.set = set;
	sc.ctx_val = -1;
#if defined(NINO_DISPATCH)
	if (__builtin_cpu_supports("avx2"))
		o = nino_blocks_avx2(&sc, &pd, &pl);
	else
#endif
		o = nino_blocks(&sc, &pd, &pl);
	if (o < len) {
		/* The tail, zero-padded: NUL is neither letter nor digit. */
		memset(pad, 0, sizeof pad);
		memcpy(pad, sc.t + o, len - o);
		nino_masks_c(pad, &d, &l);
		if ((cand = nino_candidates(d, l, &pd, &pl)) != 0)
			nino_verify(&sc, o, cand);
	}
	if (tally != NULL) {
		tally->suffixed += sc.tally.suffixed;
		tally->bare += sc.tally.bare;
	}
	return sc.count;
}

size_t
nino_scan(const char *text, size_t len, unsigned flags, struct nino_set *set)
{
	return nino_scan_tally(text, len, flags, set, NULL);
}

int
nino_parse(const char *s, int require_suffix, char stem[NINO_STEM_LEN + 1])
{
	const unsigned char *t = (const unsigned char *)s;
	struct nino_match m;
	size_t len = strlen(s), lo = 0, n;

	/* Surrounding white space: ASCII, and U+00A0 as pasted from the web. */
	for (;;) {
		if (lo < len && (t[lo] == ' ' || (t[lo] >= '\t' && t[lo] <= '\r')))
			lo++;
		else if (lo + 1 < len && t[lo] == 0xC2 && t[lo + 1] == 0xA0)
			lo += 2;
		else
			break;
	}
	for (;;) {
		if (len > lo && (t[len - 1] == ' ' || (t[len - 1] >= '\t' && t[len - 1] <= '\r')))
			len--;
		else if (len >= lo + 2 && t[len - 2] == 0xC2 && t[len - 1] == 0xA0)
			len -= 2;
		else
			break;
	}
	n = len - lo;
	if (!nino_match_at(t + lo, n, 0, &m) || m.end != n || (require_suffix && !m.suffixed))
		return 0;
	memcpy(stem, m.stem, NINO_STEM_LEN + 1);
	return 1;
}
