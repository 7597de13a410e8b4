/*
 * mime_int - the pieces of the mime module shared by its files (not part of
 * mailgate's contract): text conversion (mime_text.c), raw header handling
 * (mime_header.c) and the MIME tree (mime_tree.c).
 */
#ifndef MG_MIME_INT_H
#define MG_MIME_INT_H

#include <stddef.h>

#include "util.h"

/* mime_text.c */

/*
 * The one cleaning path for everything searched, header values and text
 * alike (interface "What counts as a record"): mt_clean() converts the bytes
 * to UTF-8 (mt_to_utf8), decodes HTML entities and XML character references
 * with MT_REFS (mt_decode_refs), then folds (mt_fold): NFKC by libunistring
 * and the invisible characters deleted. HTML is rendered between the
 * conversion and the fold, so mt_html() decodes its own entities.
 */
#define MT_REFS 0x1
void mt_clean(const char *in, size_t len, const char *charset, unsigned flags, struct sbuf *out);
/*
 * Converts bytes in a declared charset to UTF-8 into out; a BOM, or a NUL in
 * every other byte (UTF-16 without a BOM), overrides the label.
 */
void mt_to_utf8(const char *in, size_t len, const char *charset, struct sbuf *out);
/* 1 when mt_to_utf8() would append the bytes unchanged (UTF-8 already, no BOM). */
int mt_utf8_as_is(const char *in, size_t len, const char *charset);
/*
 * Base64 decoded the way libetpan's mailmime_part_parse() does (letters
 * only, anything else skipped, '=' included; a short last group gives its
 * whole bytes), into a malloc'd buffer of the decoded size and a NUL:
 * the part's one decoded copy. *outlen is its length.
 */
char *mt_base64_decode(const char *in, size_t len, size_t *outlen);
/*
 * Quoted-printable decoded by libetpan's rules (mailmime_part_parse() of
 * a body, not a header: '_' is itself), into a malloc'd buffer and a NUL:
 * a line break, bare CR or LF included, is CRLF; "=" then a line break is
 * dropped; "=" and any two bytes is their hex value, a byte that is not a
 * hex digit counting 0; a lone "=" at the end stays; a CR or "=CR" at the
 * end is dropped; "=X" at the end gives X then next, the byte after the
 * part, which libetpan reads ("==" gives "=="). *outlen is its length.
 */
char *mt_qp_decode(const char *in, size_t len, unsigned char next, size_t *outlen);
/*
 * 1 when the bytes are wide text: UTF-16 by BOM, by label or by a NUL in
 * every other byte, or labelled UTF-32, UCS-2 or UCS-4.
 */
int mt_is_utf16(const char *in, size_t len, const char *charset);
/* Appends in with every "&name;" entity and "&#N;"/"&#xH;" reference decoded. */
void mt_decode_refs(const char *in, size_t len, struct sbuf *out);
/*
 * U+0000 and the invisible characters deleted, NFKC, then the separator
 * dashes (U+2010-U+2013, U+2212) made '-', in place; invalid UTF-8 becomes
 * U+FFFD.
 * NFKC already makes every separator space of the rules U+0020.
 */
void mt_fold(struct sbuf *b);
/* 1 when the bytes are valid UTF-8. */
int mt_valid_utf8(const char *s, size_t len);
/* Deletes U+00AD, U+200B-U+200D, U+2060 and U+FEFF, in place; returns the new length. */
size_t mt_strip_invisible(char *s, size_t len);
/* Undoes format=flowed (RFC 3676), with DelSp. */
void mt_unflow(const char *in, size_t len, int delsp, struct sbuf *out);
/*
 * Renders HTML to text: block elements end lines, the cells of a table row
 * are joined by ": ", entities decoded, script and style dropped from the
 * text. Every attribute value, comment and script or style content goes
 * to extra (searched, not read as fields); the caller searches the source
 * as well, for CDATA, bogus comments and whatever else stands in a tag.
 * Every "cid:" reference of an img src goes to cids, one per line.
 */
void mt_html(const char *in, size_t len, struct sbuf *text, struct sbuf *extra,
    struct sbuf *cids);
/*
 * Appends in with the Cyrillic and Greek letters that pass for Latin ones
 * made Latin; 1 when any was. For searching only: the text itself is kept.
 */
int mt_fold_confusables(const char *in, size_t len, struct sbuf *out);
/*
 * 1 when the text carries an embedded file (a uuencoded block, "begin NNN
 * name" then "end" or a full 'M' line, or BinHex 4.0); what names it.
 */
int mt_embedded_file(const char *s, size_t len, const char **what);
/* Reduces RTF to its text. */
void mt_rtf(const char *in, size_t len, struct sbuf *out);

/* mime_tree.c */

struct mailmime;
/*
 * The tree of mailmime_parse(msg, len, &idx, out) with idx 0, found with
 * memchr(): the same nodes, made by libetpan (free with mailmime_free()).
 * Returns a MAILIMF_ code as libetpan does.
 */
int mtree_parse(const char *msg, size_t len, struct mailmime **out);

/* mime_header.c */

struct mh_field {
	char *name;		/* as written */
	char *value;		/* unfolded raw value, NUL-terminated */
	size_t line;		/* 1-based line within the block */
};

struct mh_block {
	struct mh_field *v;
	size_t n;
	size_t end;		/* offset just past the blank line (or len) */
	long bad_line;		/* first line that is not a header line, or 0 */
};

/* Splits the header block at the start of buf. */
void mh_parse(const char *buf, size_t len, struct mh_block *out);
void mh_free(struct mh_block *b);
/* How many fields have this name (any case). */
size_t mh_count(const struct mh_block *b, const char *name);
const char *mh_get(const struct mh_block *b, const char *name);
/*
 * RFC 2047 decoding to UTF-8 through the same charset conversion as text
 * (raw 8-bit taken as UTF-8 if valid, else Windows-1252; white space between
 * encoded words dropped), then the cleaning path (mt_clean, MT_REFS): what
 * is searched and what subjects are matched on.
 */
char *mh_decode(const char *raw);
/* RFC 2231 extended parameter value (charset'lang'%xx) to UTF-8, cleaned. */
char *mh_decode_2231(const char *value);

/* One section of an RFC 2231 parameter: NAME*NUM or NAME*NUM* (encoded). */
struct mh_section {
	unsigned long num;
	int encoded;
	const char *value;
};
/* Joins sections in number order, %xx-decodes the encoded ones, cleans. */
char *mh_join_2231(const struct mh_section *v, size_t n);
/* 1 when a header of this name is not searched for records. */
int mh_not_searched(const char *name);

#endif
