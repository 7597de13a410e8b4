/*
 * mime_tree - the tree libetpan's mailmime_parse() builds, built with the
 * delimiter search done by memchr() instead of a byte at a time. libetpan's
 * scan for the next "\n--boundary" is a third of the analysis of a 50 KB
 * message (bench/RESULTS.md); the rest of its multipart reading (preamble,
 * transport padding, the close delimiter, the default types, the fields of
 * each part) is kept as libetpan 1.9.4 does it, quirks included, and every
 * node is made by libetpan's own constructors and parsers, so mime.c walks
 * and frees the same struct mailmime. tests/unit/test_mime_tree.c compares
 * the two trees node by node on the corpus and on mutated messages.
 *
 * One difference is deliberate: where no "--" starts a line of a multipart
 * body, libetpan 1.9.4's preamble length wraps below zero (fixed upstream
 * later); here that preamble is empty. mime.c never reads it: such a body
 * has no close delimiter, so the message is malformed before its preamble
 * is searched.
 *
 * Call: mtree_parse(msg, len, &tree) as mailmime_parse(msg, len, &idx, &tree)
 * with idx 0; free the tree with mailmime_free().
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "mime_int.h"

/* What a part without Content-Type is: libetpan's two defaults. */
enum mtr_default { MTR_TEXT_PLAIN, MTR_MESSAGE };

static int mtr_part(const char *msg, size_t len, size_t *idx, enum mtr_default dflt,
    struct mailmime_content *ct, struct mailmime_fields *mf, struct mailmime **out);

/* Past a run of white space (libetpan's transport padding), if any. */
static void
mtr_skip_lwsp(const char *msg, size_t len, size_t *idx)
{
	while (*idx < len && (msg[*idx] == ' ' || msg[*idx] == '\t'))
		(*idx)++;
}

/* After a part, white space and one line break are skipped if they are all there. */
static void
mtr_next(const char *msg, size_t len, size_t *idx)
{
	size_t i = *idx;

	mtr_skip_lwsp(msg, len, &i);
	if (i < len && msg[i] == '\r')
		i++;
	if (i < len && msg[i] == '\n')
		*idx = i + 1;
}

static void
mtr_free_list(clist *list)
{
	clistiter *it;

	for (it = clist_begin(list); it; it = clist_next(it))
		mailmime_free(clist_content(it));
	clist_free(list);
}

/*
 * The preamble's search for a "--" at the start of a line, as libetpan's
 * state machine reads it: after a line break, one byte that is not '-' or
 * a break still leaves the next byte at a line start, and a break straight
 * after "\n-" does not. States: at a line start (L0), its first '-' (L1),
 * inside a line (IN), after CR, after LF, a '-' after a break (D).
 */
enum mtr_pre { MTR_L0, MTR_L1, MTR_IN, MTR_CR, MTR_LF, MTR_D, MTR_DONE };

static enum mtr_pre
mtr_pre_step(enum mtr_pre s, char c)
{
	switch (s) {
	case MTR_L0:
		return c == '-' ? MTR_L1 : c == '\r' ? MTR_CR : c == '\n' ? MTR_LF : MTR_IN;
	case MTR_L1:
		return c == '-' ? MTR_DONE : c == '\r' ? MTR_CR : c == '\n' ? MTR_LF : MTR_IN;
	case MTR_IN:
		return c == '\r' ? MTR_CR : c == '\n' ? MTR_LF : MTR_IN;
	case MTR_CR:
	case MTR_LF:
		return c == '-' ? MTR_D : c == '\r' ? MTR_CR : c == '\n' ? MTR_LF : MTR_L0;
	case MTR_D:
		return c == '-' ? MTR_DONE : MTR_IN;
	case MTR_DONE:
		break;
	}
	util_panic("mtr_pre_step: state %d", (int)s);
}

/* Past the next "--" at a line start; at_line_start for the first byte. */
static int
mtr_preamble(const char *msg, size_t len, size_t *idx, int at_line_start)
{
	enum mtr_pre s = at_line_start ? MTR_L0 : MTR_IN;
	size_t i = *idx;

	while (s != MTR_DONE) {
		if (i >= len)
			return MAILIMF_ERROR_PARSE;
		s = mtr_pre_step(s, msg[i++]);
	}
	*idx = i;
	return MAILIMF_NO_ERROR;
}

/* The boundary at idx, with at least one byte after it (libetpan's test). */
static int
mtr_boundary(const char *msg, size_t len, size_t *idx, const char *b, size_t bl)
{
	if (*idx + bl >= len || memcmp(msg + *idx, b, bl) != 0)
		return MAILIMF_ERROR_PARSE;
	*idx += bl;
	return MAILIMF_NO_ERROR;
}

/*
 * A body part up to the next "\n--boundary": the data before it less its
 * line break, idx past the boundary. Without one the data runs to the last
 * "\n-" (or the end) and idx to the end. An empty part is a parse error.
 */
static int
mtr_dash2(const char *msg, size_t len, size_t *idx, const char *b, size_t bl,
    const char **res, size_t *rlen)
{
	size_t begin = *idx, end = len, cur = len, q = *idx;
	const char *nl;

	while (q < len && (nl = memchr(msg + q, '\n', len - q)) != NULL) {
		size_t p = (size_t)(nl - msg);

		if (p + 1 < len && msg[p + 1] == '-') {
			end = p + 1;
			if (p + 2 < len && msg[p + 2] == '-' && p + 3 + bl < len &&
			    memcmp(msg + p + 3, b, bl) == 0) {
				cur = p + 3 + bl;
				break;
			}
		}
		q = p + 1;
	}
	if (end > begin && msg[end - 1] == '\r') {
		end--;
	} else if (end > begin && msg[end - 1] == '\n') {
		end--;
		if (end > begin && msg[end - 1] == '\r')
			end--;
	}
	if (end == begin)
		return MAILIMF_ERROR_PARSE;
	*res = msg + begin;
	*rlen = end - begin;
	*idx = cur;
	return MAILIMF_NO_ERROR;
}

/*
 * After "--boundary", the close delimiter's "--": then white space and one
 * more byte (the line break, or whatever stands there) are taken, and at
 * the end of the data one byte past it, as libetpan does.
 */
static int
mtr_close_delim(const char *msg, size_t len, size_t *idx)
{
	size_t i = *idx;

	if (i + 1 >= len || msg[i] != '-' || msg[i + 1] != '-')
		return MAILIMF_ERROR_PARSE;
	i += 2;
	mtr_skip_lwsp(msg, len, &i);
	*idx = i < len && msg[i] == '\r' ? i + 2 : i + 1;
	return MAILIMF_NO_ERROR;
}

/*
 * How a part ends: a delimiter line ("--boundary", white space, a line
 * break), or, for the last part, the close delimiter or the end of the data.
 */
enum mtr_end { MTR_DELIM_LINE, MTR_CLOSE };

/* The part from *idx to the first "\n--boundary" that ends it as end says. */
static int
mtr_part_data(const char *msg, size_t len, size_t *idx, const char *b, size_t bl,
    enum mtr_end how, const char **res, size_t *rlen)
{
	size_t cur = *idx;
	const char *d, *end = msg + cur;
	size_t dn;
	int r;

	for (;;) {
		if ((r = mtr_dash2(msg, len, &cur, b, bl, &d, &dn)) != MAILIMF_NO_ERROR)
			return r;
		end = d + dn;
		if (how == MTR_DELIM_LINE) {
			mtr_skip_lwsp(msg, len, &cur);
			if (mailimf_crlf_parse(msg, len, &cur) == MAILIMF_NO_ERROR)
				break;
		} else if (cur >= len || mtr_close_delim(msg, len, &cur) == MAILIMF_NO_ERROR) {
			break;
		}
	}
	*res = msg + *idx;
	*rlen = (size_t)(end - (msg + *idx));
	*idx = cur;
	return MAILIMF_NO_ERROR;
}

/* Where the preamble ends and the first part starts; *pre_len is the preamble's length. */
static size_t
mtr_first_part(const char *msg, size_t len, size_t begin, const char *b, size_t bl,
    size_t *pre_len)
{
	size_t cur = begin, pend = begin, part;

	if (mtr_preamble(msg, len, &cur, 1) == MAILIMF_NO_ERROR) {
		for (;;) {
			pend = cur;
			if (mtr_boundary(msg, len, &cur, b, bl) == MAILIMF_NO_ERROR)
				break;
			if (mtr_preamble(msg, len, &cur, 0) != MAILIMF_NO_ERROR)
				break;
		}
	}
	/* the "--" off, then one line break (libetpan 1.9.4 wraps here when none was found) */
	if (pend >= begin + 2) {
		pend -= 2;
		if (pend != begin && msg[pend - 1] == '\n') {
			pend--;
			if (pend > begin && msg[pend - 1] == '\r')
				pend--;
		} else if (pend != begin && msg[pend - 1] == '\r') {
			pend--;
		}
		*pre_len = pend - begin;
	} else {
		*pre_len = 0;
	}
	part = cur;
	for (;;) {
		mtr_skip_lwsp(msg, len, &cur);
		if (mailimf_crlf_parse(msg, len, &cur) != MAILIMF_NO_ERROR)
			break;
		part = cur;
	}
	return part;
}

/* The fields of a body part's header, as MIME fields. */
static int
mtr_part_fields(const char *d, size_t dn, size_t *bp, struct mailmime_fields **mf)
{
	struct mailimf_fields *fields = NULL;
	int r;

	r = mailimf_optional_fields_parse(d, dn, bp, &fields);
	if (r != MAILIMF_NO_ERROR && r != MAILIMF_ERROR_PARSE)
		return r;
	r = mailimf_crlf_parse(d, dn, bp);
	if (r != MAILIMF_NO_ERROR && r != MAILIMF_ERROR_PARSE) {
		if (fields)
			mailimf_fields_free(fields);
		return r;
	}
	*mf = NULL;
	if (fields == NULL)
		return MAILIMF_NO_ERROR;
	r = mailmime_fields_parse(fields, mf);
	mailimf_fields_free(fields);
	return r == MAILIMF_ERROR_PARSE ? MAILIMF_NO_ERROR : r;
}

static struct mailmime_data *
mtr_text(const char *msg, size_t begin, size_t n)
{
	return n ? mailmime_data_new(MAILMIME_DATA_TEXT, MAILMIME_MECHANISM_8BIT, 1,
	    msg + begin, n, NULL) : NULL;
}

/* A multipart body: its parts in *list, its preamble and epilogue. */
static int
mtr_multipart(const char *msg, size_t len, size_t begin, const char *b,
    enum mtr_default dflt, clist **list, struct mailmime_data **pre,
    struct mailmime_data **epi)
{
	size_t bl = strlen(b), pre_len, cur, epi_begin = len;
	int last = 0, r = MAILIMF_NO_ERROR;

	cur = mtr_first_part(msg, len, begin, b, bl, &pre_len);
	if ((*list = clist_new()) == NULL)
		return MAILIMF_ERROR_MEMORY;
	while (!last) {
		struct mailmime_fields *mf = NULL;
		struct mailmime *bp_mime;
		const char *d;
		size_t dn, bp = 0;

		r = mtr_part_data(msg, len, &cur, b, bl, MTR_DELIM_LINE, &d, &dn);
		if (r == MAILIMF_ERROR_PARSE && (r = mtr_part_data(msg, len, &cur, b, bl, MTR_CLOSE,
		    &d, &dn)) == MAILIMF_NO_ERROR)
			last = 1;
		if (r != MAILIMF_NO_ERROR)
			goto fail;
		if ((r = mtr_part_fields(d, dn, &bp, &mf)) != MAILIMF_NO_ERROR)
			goto fail;
		r = mtr_part(d, dn, &bp, dflt, NULL, mf, &bp_mime);
		if (r != MAILIMF_NO_ERROR) {
			if (mf)
				mailmime_fields_free(mf);
			goto fail;
		}
		if (clist_append(*list, bp_mime) < 0) {
			mailmime_free(bp_mime);
			r = MAILIMF_ERROR_MEMORY;
			goto fail;
		}
		mtr_next(msg, len, &cur);
	}
	mtr_skip_lwsp(msg, len, &cur);
	if (mailimf_crlf_parse(msg, len, &cur) == MAILIMF_NO_ERROR)
		epi_begin = cur;
	*pre = mtr_text(msg, begin, pre_len);
	*epi = mtr_text(msg, epi_begin, len - epi_begin);
	if ((pre_len && *pre == NULL) || (len > epi_begin && *epi == NULL)) {
		r = MAILIMF_ERROR_MEMORY;
		goto fail;
	}
	return MAILIMF_NO_ERROR;
fail:
	if (*pre)
		mailmime_data_free(*pre);
	if (*epi)
		mailmime_data_free(*epi);
	*pre = *epi = NULL;
	mtr_free_list(*list);
	*list = NULL;
	return r;
}

/* libetpan's remove_unparsed_mime_headers(): the MIME fields leave the message's fields. */
static void
mtr_drop_mime_fields(struct mailimf_fields *fields)
{
	static const char *const mime[] = { "Type", "Transfer-Encoding", "ID", "Description",
		"Disposition", "Language" };
	clistiter *it = clist_begin(fields->fld_list);

	while (it) {
		struct mailimf_field *f = clist_content(it);
		const char *name;
		int drop = 0;
		size_t i;

		if (f->fld_type != MAILIMF_FIELD_OPTIONAL_FIELD) {
			it = clist_next(it);
			continue;
		}
		name = f->fld_data.fld_optional_field->fld_name;
		if (strncasecmp(name, "Content-", 8) == 0) {
			for (i = 0; i < sizeof(mime) / sizeof(mime[0]); i++)
				drop |= strcasecmp(name + 8, mime[i]) == 0;
		} else {
			drop = strcasecmp(name, "MIME-Version") == 0;
		}
		if (drop) {
			it = clist_delete(fields->fld_list, it);
			mailimf_field_free(f);
		} else {
			it = clist_next(it);
		}
	}
}

/* A message/rfc822 body: its header fields and its own tree. */
static int
mtr_message(const char *msg, size_t len, size_t cur, struct mailimf_fields **fields,
    struct mailmime **sub)
{
	struct mailmime_fields *smf = NULL;
	int r;

	*fields = NULL;
	*sub = NULL;
	r = mailimf_envelope_and_optional_fields_parse(msg, len, &cur, fields);
	if (r != MAILIMF_NO_ERROR && r != MAILIMF_ERROR_PARSE)
		return r;
	r = mailimf_crlf_parse(msg, len, &cur);
	if (r == MAILIMF_NO_ERROR || r == MAILIMF_ERROR_PARSE)
		r = *fields ? mailmime_fields_parse(*fields, &smf) : MAILIMF_NO_ERROR;
	if (r != MAILIMF_NO_ERROR && r != MAILIMF_ERROR_PARSE) {
		if (*fields)
			mailimf_fields_free(*fields);
		*fields = NULL;
		return r;
	}
	if (*fields)
		mtr_drop_mime_fields(*fields);
	r = mtr_part(msg, len, &cur, MTR_TEXT_PLAIN, NULL, smf, sub);
	if (r != MAILIMF_NO_ERROR) {
		if (smf)
			mailmime_fields_free(smf);
		*sub = NULL;
		if (r != MAILIMF_ERROR_PARSE) {
			if (*fields)
				mailimf_fields_free(*fields);
			*fields = NULL;
			return r;
		}
	}
	return MAILIMF_NO_ERROR;
}

/* The Content-Type out of the MIME fields (libetpan detaches it), or NULL. */
static struct mailmime_content *
mtr_take_type(struct mailmime_fields *mf)
{
	clistiter *it;

	for (it = mf ? clist_begin(mf->fld_list) : NULL; it; it = clist_next(it)) {
		struct mailmime_field *f = clist_content(it);

		if (f->fld_type == MAILMIME_FIELD_TYPE) {
			struct mailmime_content *ct = f->fld_data.fld_content;

			f->fld_data.fld_content = NULL;
			clist_delete(mf->fld_list, it);
			mailmime_field_free(f);
			return ct;
		}
	}
	return NULL;
}

/*
 * One entity from idx to len: libetpan's mailmime_parse_with_default().
 * ct (or the one in mf) is the part's type and always consumed; mf goes
 * into the node on success and stays the caller's on failure.
 */
static int
mtr_part(const char *msg, size_t len, size_t *idx, enum mtr_default dflt,
    struct mailmime_content *ct, struct mailmime_fields *mf, struct mailmime **out)
{
	struct mailmime_data *body, *pre = NULL, *epi = NULL;
	struct mailimf_fields *fields = NULL;
	struct mailmime *sub = NULL, *m;
	clist *list = NULL;
	char *boundary = NULL;
	int type, enc, r;

	if (ct == NULL)
		ct = mtr_take_type(mf);
	if (ct == NULL)
		ct = dflt == MTR_TEXT_PLAIN ? mailmime_get_content_text() :
		    mailmime_get_content_message();
	if (ct == NULL)
		return MAILIMF_ERROR_MEMORY;
	if (ct->ct_type->tp_type != MAILMIME_TYPE_COMPOSITE_TYPE) {
		type = MAILMIME_SINGLE;
	} else if (ct->ct_type->tp_data.tp_composite_type->ct_type ==
	    MAILMIME_COMPOSITE_TYPE_MULTIPART) {
		boundary = mailmime_extract_boundary(ct);
		type = boundary ? MAILMIME_MULTIPLE : MAILMIME_SINGLE;
	} else if (ct->ct_type->tp_data.tp_composite_type->ct_type ==
	    MAILMIME_COMPOSITE_TYPE_MESSAGE) {
		type = strcasecmp(ct->ct_subtype, "rfc822") == 0 ? MAILMIME_MESSAGE : MAILMIME_SINGLE;
	} else {
		mailmime_content_free(ct);
		return MAILIMF_ERROR_INVAL;
	}
	enc = mf ? mailmime_transfer_encoding_get(mf) : MAILMIME_MECHANISM_8BIT;
	if (type == MAILMIME_MESSAGE && (enc == MAILMIME_MECHANISM_QUOTED_PRINTABLE ||
	    enc == MAILMIME_MECHANISM_BASE64))
		type = MAILMIME_SINGLE;
	body = mailmime_data_new(MAILMIME_DATA_TEXT, enc, 1, msg + *idx, len - *idx, NULL);
	if (body == NULL) {
		free(boundary);
		mailmime_content_free(ct);
		return MAILIMF_ERROR_MEMORY;
	}
	r = MAILIMF_NO_ERROR;
	if (type == MAILMIME_MESSAGE) {
		r = mtr_message(msg, len, *idx, &fields, &sub);
	} else if (type == MAILMIME_MULTIPLE) {
		r = mtr_multipart(msg, len, *idx, boundary, strcasecmp(ct->ct_subtype, "digest") == 0 ?
		    MTR_MESSAGE : MTR_TEXT_PLAIN, &list, &pre, &epi);
		if (r == MAILIMF_ERROR_PARSE)
			r = (list = clist_new()) ? MAILIMF_NO_ERROR : MAILIMF_ERROR_MEMORY;
	}
	free(boundary);
	if (r != MAILIMF_NO_ERROR)
		goto fail;
	m = mailmime_new(type, msg, len, mf, ct, body, pre, epi, list, fields, sub);
	if (m == NULL) {
		r = MAILIMF_ERROR_MEMORY;
		goto fail;
	}
	*out = m;
	*idx = len;
	return MAILIMF_NO_ERROR;
fail:
	if (pre)
		mailmime_data_free(pre);
	if (epi)
		mailmime_data_free(epi);
	if (sub)
		mailmime_free(sub);
	if (fields)
		mailimf_fields_free(fields);
	if (list)
		mtr_free_list(list);
	mailmime_data_free(body);
	mailmime_content_free(ct);
	return r;
}

int
mtree_parse(const char *msg, size_t len, struct mailmime **out)
{
	struct mailmime_content *ct = mailmime_get_content_message();
	struct mailmime_fields *mf;
	size_t idx = 0;
	int r;

	if (ct == NULL)
		return MAILIMF_ERROR_MEMORY;
	if ((mf = mailmime_fields_new_empty()) == NULL) {
		mailmime_content_free(ct);
		return MAILIMF_ERROR_MEMORY;
	}
	if ((r = mtr_part(msg, len, &idx, MTR_TEXT_PLAIN, ct, mf, out)) != MAILIMF_NO_ERROR)
		mailmime_fields_free(mf);
	return r;
}
