/*
 * nino - finds UK National Insurance numbers (participant records) in
 * decoded UTF-8 text. The hot path of mailgate: no regex library, one pass.
 *
 * The rules are the interface's ("What counts as a record"): two prefix
 * letters (first not D F I Q U V; second not D F I O Q U V; never BG GB KN
 * NK NT TN ZZ), six digits, suffix A-D, any case. Each of the four gaps
 * (after the prefix, between the digit pairs, before the suffix) holds zero
 * or one separator: space, tab, U+00A0 or '-'; two in a row end the number.
 * The other separators of the interface (U+2000-U+200A, U+202F, U+205F,
 * U+3000 and the dashes U+2010-U+2013, U+2212) reach the scanner as ' ' and
 * '-': mime's cleaning path (NFKC, then the dashes) folds every searched
 * text first.
 * A number without a valid suffix counts when a gap holds a separator, when
 * a context word (NINO, NINOs, NI number, NI no, National Insurance; any
 * case, whole words) stands on the same line, or when the caller says the
 * text stands under a NINO column (NINO_CONTEXT). A number counts only where
 * the characters just before and after it are not Unicode letters or digits.
 * A person is the prefix plus the six digits (the "stem"), upper-cased.
 * Where the interface is silent: a number without suffix has three gaps
 * (the one before a suffix needs a suffix), so `AB123456 E` needs context;
 * the words of a two-word context phrase may be parted by any run of space,
 * tab or U+00A0; "letters or digits" are Unicode L* and N*; invalid UTF-8
 * is neither.
 *
 * Usage:
 *	struct nino_set s; nino_set_init(&s);
 *	nino_scan(text, len, 0, &s);	   any number of texts
 *	s.n is the number of distinct persons; nino_set_free(&s);
 *
 * nino_parse() accepts one number typed by a person (log query --nino, the
 * template's nino fields): the whole string must be one number.
 */
#ifndef MG_NINO_H
#define MG_NINO_H

#include <stddef.h>
#include <stdint.h>

#define NINO_STEM_LEN 8

/* The text is known to stand under a CSV column whose header names NINOs. */
#define NINO_CONTEXT 0x1

struct nino_stem {
	char s[NINO_STEM_LEN + 1];	/* "AB123456" */
};

/*
 * A set of distinct stems, in first-seen order. idx is a private hash index
 * (slot holds position + 1) so that adding stays O(1) on hostile input;
 * a zeroed struct is a valid empty set.
 */
struct nino_set {
	struct nino_stem *v;
	size_t n, cap;
	uint32_t *idx;
	size_t idx_cap;
};

void nino_set_init(struct nino_set *set);
void nino_set_free(struct nino_set *set);
/* 1 added, 0 already present. */
int nino_set_add(struct nino_set *set, const char stem[NINO_STEM_LEN]);
int nino_set_has(const struct nino_set *set, const char stem[NINO_STEM_LEN]);
/* Adds every stem of src to dst. */
void nino_set_merge(struct nino_set *dst, const struct nino_set *src);

/*
 * Scans len bytes of UTF-8 text (not necessarily NUL-terminated; invalid
 * UTF-8 is tolerated) and adds each person found to set (set may be NULL).
 * Returns the number of occurrences found (not distinct persons).
 */
size_t nino_scan(const char *text, size_t len, unsigned flags, struct nino_set *set);

/* Occurrences by kind: with a valid suffix, and without one (counted by rule). */
struct nino_tally {
	size_t suffixed, bare;
};

/* nino_scan, also adding the occurrences by kind to *tally (may be NULL). */
size_t nino_scan_tally(const char *text, size_t len, unsigned flags, struct nino_set *set,
    struct nino_tally *tally);

/*
 * Parses a whole string as one number, in any layout the scanner accepts
 * (surrounding white space ignored). With require_suffix, a valid suffix
 * A-D must be present. Returns 1 and the stem, 0 if it is not a number.
 */
int nino_parse(const char *s, int require_suffix, char stem[NINO_STEM_LEN + 1]);

/* 1 when the two letters form an allowed prefix (any case). */
int nino_prefix_ok(int a, int b);

/*
 * 1 when code point cp is a Unicode letter (L*) or number (N*): what may not
 * touch a number, and what makes a context word whole.
 */
int nino_uc_alnum(uint32_t cp);

#endif
