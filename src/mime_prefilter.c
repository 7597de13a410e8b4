/*
 * mime_prefilter - stops the messages Debian's libetpan 1.9.4 cannot parse
 * safely, before mailmime_parse() sees them (libetpan-notes 6.3).
 *
 * mailmime_extract_boundary() removes the quotes of a boundary value that
 * starts with '"' by copying strlen - 2 bytes: a value of exactly '"' is a
 * negative-size strncpy (heap overflow, SIGSEGV). The value it sees is what
 * mailmime_content_parse() makes of the field, whatever the spelling:
 * quoted pairs, comments, folding, white space or comments before the
 * colon. So the pre-filter does not look for a spelling: every place in the
 * message where a field named Content-Type could start (any part, any
 * depth, also in text that only looks like a header: a false alarm makes a
 * message malformed, the safe direction) is read by libetpan's own CFWS and
 * Content-Type parsers, on the value as written and as RFC 2047 decodes it
 * (mailmime_field_parse() reads the decoded one), and a parameter libetpan
 * would take as the boundary whose value starts with '"' stops the message. Forwarded messages that
 * are encoded come through here again once decoded (mime.c).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <libetpan/libetpan.h>

#include "mime.h"
#include "util.h"

/* End of the field whose value starts at p: the line break not followed by WSP. */
static size_t
mp_field_end(const char *msg, size_t len, size_t p)
{
	while (p < len) {
		const char *nl = memchr(msg + p, '\n', len - p);

		if (nl == NULL)
			return len;
		p = (size_t)(nl - msg) + 1;
		if (p >= len || (msg[p] != ' ' && msg[p] != '\t'))
			return p;
	}
	return len;
}

/*
 * Skips what may stand between a field name and its colon: libetpan's CFWS,
 * and, more leniently than libetpan (a false alarm is the safe side), any
 * further run of white space and comments.
 */
static size_t
mp_skip_cfws(const char *msg, size_t len, size_t idx)
{
	size_t before;

	do {
		before = idx;
		if (mailimf_cfws_parse(msg, len, &idx) != MAILIMF_NO_ERROR)
			idx = before;
		while (idx < len && (msg[idx] == ' ' || msg[idx] == '\t' || msg[idx] == '\r' ||
		    msg[idx] == '\n'))
			idx++;
	} while (idx != before && idx < len);
	return idx;
}

/* 1 when the name is "boundary", white space after it allowed (a tab is a token byte to libetpan). */
static int
mp_is_boundary(const char *name)
{
	size_t n = strlen(name);

	while (n > 0 && (name[n - 1] == ' ' || name[n - 1] == '\t'))
		n--;
	return n == 8 && ascii_strncasecmp(name, "boundary", 8) == 0;
}

/* 1 when a boundary parameter of this value, as libetpan's Content-Type parser reads it, starts with '"'. */
static int
mp_content_bad(const char *v, size_t n)
{
	struct mailmime_content *ct = NULL;
	size_t idx = 0;
	clistiter *it;
	int bad = 0;

	if (mailmime_content_parse(v, n, &idx, &ct) != MAILIMF_NO_ERROR || ct == NULL)
		return 0;	/* no Content-Type at all: libetpan has no boundary to extract */
	for (it = ct->ct_parameters ? clist_begin(ct->ct_parameters) : NULL; it; it = clist_next(it)) {
		struct mailmime_parameter *p = clist_content(it);

		/* the test of mailmime_extract_boundary(), name and value as it reads them */
		if (p->pa_name && mp_is_boundary(p->pa_name) && p->pa_value && p->pa_value[0] == '"')
			bad = 1;
	}
	mailmime_content_free(ct);
	return bad;
}

/*
 * mailmime_field_parse() gives the Content-Type parser the value after
 * RFC 2047 decoding (which also makes white space plain spaces) when that
 * decoding succeeds: both readings are tried.
 */
static int
mp_value_bad(const char *v, size_t n)
{
	char *dec = NULL;
	size_t idx = 0;
	int bad = mp_content_bad(v, n);

	if (!bad && mailmime_encoded_phrase_parse("us-ascii", v, n, &idx, "utf-8", &dec) ==
	    MAILIMF_NO_ERROR && dec != NULL)
		bad = mp_content_bad(dec, strlen(dec));
	free(dec);
	return bad;
}

int
mime_prefilter(const char *msg, size_t len, const char **detail)
{
	static const char name[] = "content-type";
	const size_t nl = sizeof(name) - 1;
	const char *dash = msg, *stop = msg + len;
	size_t i;

	/* every place the name starts has its '-' seven bytes on: memchr finds those */
	while ((dash = memchr(dash, '-', (size_t)(stop - dash))) != NULL) {
		size_t idx, end;

		i = (size_t)(dash - msg);
		dash++;
		if (i < 7)
			continue;
		i -= 7;
		if (i + nl >= len)
			break;
		if (ascii_strncasecmp(msg + i, name, nl) != 0)
			continue;
		/* the field's colon may follow comments and folded white space */
		idx = mp_skip_cfws(msg, len, i + nl);
		if (idx >= len || msg[idx] != ':')
			continue;
		idx++;
		end = mp_field_end(msg, len, idx);
		if (mp_value_bad(msg + idx, end - idx)) {
			*detail = "a boundary parameter this parser cannot read safely";
			return 1;
		}
	}
	return 0;
}
