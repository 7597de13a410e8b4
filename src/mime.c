/*
 * mime - analyses one raw message for the rules: decoded headers,
 * recipients, the texts where form fields are read, the parts that cannot
 * be inspected, and every participant record anywhere. See include/mime.h.
 *
 * libetpan parses the MIME structure; mailgate checks what libetpan lets
 * pass silently (a header line it stopped at, a header it could not parse,
 * a header given twice, a multipart never closed, base64 that is not) and
 * calls that malformed-message: nothing that cannot be read completely is
 * judged. Only call mime_analyse() on untrusted bytes inside the worker.
 */
#include "mime.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libetpan/libetpan.h>

#include "csv.h"
#include "mime_int.h"
#include "office.h"

struct ma_image {
	char *cid;
	char *desc;
};

struct ma {
	const struct mime_limits *lim;
	struct mime_result *r;
	unsigned parts;
	size_t decoded;
	int malformed;
	struct sbuf cids;		/* every cid: referenced from HTML, one per line */
	struct ma_image *imgs;		/* images that are decoration only if referenced */
	size_t nimgs;
	char *body_plain, *body_html;
	size_t plain_len, html_len;
	unsigned anon;			/* numbering of attachments without a name */
};

void
mime_limits_default(struct mime_limits *lim, size_t max_message_bytes)
{
	lim->max_message_bytes = max_message_bytes;
	lim->max_depth = 8;
	lim->max_parts = 256;
	lim->max_decoded = max_message_bytes > SIZE_MAX / 4 ? SIZE_MAX : 4 * max_message_bytes;
	lim->zip_max_entries = 1000;
	lim->zip_max_total = 50u << 20;
	lim->zip_max_ratio = 100;
}

void
mime_result_init(struct mime_result *r)
{
	memset(r, 0, sizeof(*r));
	nino_set_init(&r->records);
}

static void
mime_free_texts(struct mime_text *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(t[i].name);
		free(t[i].text);
	}
	free(t);
}

void
mime_result_free(struct mime_result *r)
{
	free(r->detail);
	free(r->subject);
	free(r->message_id);
	free(r->from);
	strv_free(r->rcpts, r->nrcpts);
	free(r->body.name);
	free(r->body.text);
	mime_free_texts(r->docs, r->ndocs);
	mime_free_texts(r->csvs, r->ncsvs);
	strv_free(r->uninspectable, r->nuninspectable);
	nino_set_free(&r->records);
	mime_result_init(r);
}

/* The first reason wins; later ones would only describe the consequences. */
static void
ma_malformed(struct ma *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
ma_malformed(struct ma *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (a->malformed)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = xstrdup("the message cannot be read");
	va_end(ap);
	a->malformed = 1;
	free(a->r->detail);
	a->r->detail = s;
}

static void
ma_scan(struct ma *a, const char *text, size_t len, unsigned flags)
{
	nino_scan(text, len, flags, &a->r->records);
}

static void
ma_add_text(struct mime_text **v, size_t *n, const char *name, char *text, size_t len)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n].name = name ? xstrdup(name) : NULL;
	(*v)[*n].text = text;
	(*v)[*n].len = len;
	(*n)++;
}

static void
ma_uninspectable(struct ma *a, const char *name, const char *what)
{
	a->r->uninspectable = xreallocarray(a->r->uninspectable, a->r->nuninspectable + 1,
	    sizeof(char *));
	a->r->uninspectable[a->r->nuninspectable++] = xasprintf("%s (%s)", name, what);
}

/* --- addresses and headers --- */

static void
ma_add_rcpt(struct ma *a, const char *addr)
{
	struct mime_result *r = a->r;
	char *l;
	size_t i;

	if (addr == NULL || *addr == '\0')
		return;
	l = ascii_lower(xstrdup(addr));
	for (i = 0; i < r->nrcpts; i++)
		if (strcmp(r->rcpts[i], l) == 0) {
			free(l);
			return;
		}
	r->rcpts = xreallocarray(r->rcpts, r->nrcpts + 1, sizeof(char *));
	r->rcpts[r->nrcpts++] = l;
}

static void
ma_mailbox_list(struct ma *a, struct mailimf_mailbox_list *ml)
{
	clistiter *it;

	if (ml == NULL || ml->mb_list == NULL)
		return;
	for (it = clist_begin(ml->mb_list); it; it = clist_next(it)) {
		struct mailimf_mailbox *mb = clist_content(it);

		ma_add_rcpt(a, mb->mb_addr_spec);
	}
}

static void
ma_address_list(struct ma *a, struct mailimf_address_list *al)
{
	clistiter *it;

	if (al == NULL || al->ad_list == NULL)
		return;
	for (it = clist_begin(al->ad_list); it; it = clist_next(it)) {
		struct mailimf_address *ad = clist_content(it);

		if (ad->ad_type == MAILIMF_ADDRESS_MAILBOX)
			ma_add_rcpt(a, ad->ad_data.ad_mailbox->mb_addr_spec);
		else if (ad->ad_type == MAILIMF_ADDRESS_GROUP)
			ma_mailbox_list(a, ad->ad_data.ad_group->grp_mb_list);
	}
}

static int
ma_blank(const char *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return 0;
	return 1;
}

/* Headers libetpan must have parsed: a raw one it did not is malformed. */
static void
ma_check_parsed(struct ma *a, const struct mh_block *raw, struct mailimf_fields *f)
{
	static const struct { const char *name; int type; } need[] = {
		{ "From", MAILIMF_FIELD_FROM }, { "To", MAILIMF_FIELD_TO }, { "Cc", MAILIMF_FIELD_CC },
		{ "Bcc", MAILIMF_FIELD_BCC }, { "Subject", MAILIMF_FIELD_SUBJECT },
	};
	clistiter *it;
	size_t i;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		const char *v = mh_get(raw, need[i].name);
		int found = 0;

		if (v == NULL || (ma_blank(v) && need[i].type != MAILIMF_FIELD_SUBJECT))
			continue;
		for (it = f && f->fld_list ? clist_begin(f->fld_list) : NULL; it; it = clist_next(it))
			if (((struct mailimf_field *)clist_content(it))->fld_type == need[i].type)
				found = 1;
		if (!found)
			ma_malformed(a, "the %s header cannot be read", need[i].name);
	}
}

static void
ma_top_fields(struct ma *a, const struct mh_block *raw, struct mailimf_fields *f)
{
	const char *mid;
	clistiter *it;

	ma_check_parsed(a, raw, f);
	for (it = f && f->fld_list ? clist_begin(f->fld_list) : NULL; it; it = clist_next(it)) {
		struct mailimf_field *fld = clist_content(it);

		switch (fld->fld_type) {
		case MAILIMF_FIELD_FROM:
			if (a->r->from == NULL && fld->fld_data.fld_from->frm_mb_list &&
			    fld->fld_data.fld_from->frm_mb_list->mb_list &&
			    clist_begin(fld->fld_data.fld_from->frm_mb_list->mb_list)) {
				struct mailimf_mailbox *mb = clist_content(
				    clist_begin(fld->fld_data.fld_from->frm_mb_list->mb_list));

				if (mb->mb_addr_spec)
					a->r->from = ascii_lower(xstrdup(mb->mb_addr_spec));
			}
			break;
		case MAILIMF_FIELD_TO:
			ma_address_list(a, fld->fld_data.fld_to->to_addr_list);
			break;
		case MAILIMF_FIELD_CC:
			ma_address_list(a, fld->fld_data.fld_cc->cc_addr_list);
			break;
		case MAILIMF_FIELD_BCC:
			ma_address_list(a, fld->fld_data.fld_bcc->bcc_addr_list);
			break;
		default:
			break;
		}
	}
	if ((mid = mh_get(raw, "Message-ID")) != NULL) {
		char *m = str_trim(xstrdup(mid));
		size_t n = strlen(m);

		if (n >= 2 && m[0] == '<' && m[n - 1] == '>') {
			memmove(m, m + 1, n - 2);
			m[n - 2] = '\0';
		}
		a->r->message_id = m;
	}
}

/* Every searched header, decoded; the subject also on its own. */
static void
ma_scan_headers(struct ma *a, const struct mh_block *raw, int top)
{
	size_t i;

	for (i = 0; i < raw->n; i++) {
		char *dec;

		if (mh_not_searched(raw->v[i].name))
			continue;
		dec = mh_decode(raw->v[i].value);
		ma_scan(a, dec, strlen(dec), 0);
		if (top && ascii_strcasecmp(raw->v[i].name, "Subject") == 0 && a->r->subject == NULL) {
			struct nino_set s;

			nino_set_init(&s);
			nino_scan(dec, strlen(dec), 0, &s);
			a->r->subject_records = (int)s.n;
			nino_set_free(&s);
			a->r->subject = str_trim(dec);
			continue;
		}
		free(dec);
	}
}

/* Top-level header rules: lines libetpan would skip, duplicates, Content-Type. */
static void
ma_check_block(struct ma *a, const struct mh_block *raw)
{
	static const char *once[] = { "From", "To", "Cc", "Bcc", "Subject", "Message-ID",
		"MIME-Version", "Content-Type", "Content-Transfer-Encoding" };
	const char *ct;
	size_t i;

	if (raw->bad_line)
		ma_malformed(a, "header line %ld cannot be read", raw->bad_line);
	for (i = 0; i < sizeof(once) / sizeof(once[0]); i++)
		if (mh_count(raw, once[i]) > 1)
			ma_malformed(a, "the %s header appears more than once", once[i]);
	if ((ct = mh_get(raw, "Content-Type")) != NULL) {
		struct mailmime_content *c = NULL;
		size_t idx = 0;

		if (mailmime_content_parse(ct, strlen(ct), &idx, &c) != MAILIMF_NO_ERROR)
			ma_malformed(a, "the Content-Type header cannot be read");
		else
			mailmime_content_free(c);
	}
}

/* --- parts --- */

static char *
ma_type(struct mailmime_content *ct)
{
	const char *type = "application";

	if (ct == NULL || ct->ct_type == NULL)
		return xstrdup("text/plain");
	if (ct->ct_type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE) {
		switch (ct->ct_type->tp_data.tp_discrete_type->dt_type) {
		case MAILMIME_DISCRETE_TYPE_TEXT: type = "text"; break;
		case MAILMIME_DISCRETE_TYPE_IMAGE: type = "image"; break;
		case MAILMIME_DISCRETE_TYPE_AUDIO: type = "audio"; break;
		case MAILMIME_DISCRETE_TYPE_VIDEO: type = "video"; break;
		case MAILMIME_DISCRETE_TYPE_APPLICATION: type = "application"; break;
		default:
			type = ct->ct_type->tp_data.tp_discrete_type->dt_extension ?
			    ct->ct_type->tp_data.tp_discrete_type->dt_extension : "application";
		}
	} else if (ct->ct_type->tp_data.tp_composite_type) {
		switch (ct->ct_type->tp_data.tp_composite_type->ct_type) {
		case MAILMIME_COMPOSITE_TYPE_MESSAGE: type = "message"; break;
		case MAILMIME_COMPOSITE_TYPE_MULTIPART: type = "multipart"; break;
		default:
			type = ct->ct_type->tp_data.tp_composite_type->ct_token ?
			    ct->ct_type->tp_data.tp_composite_type->ct_token : "multipart";
		}
	}
	return ascii_lower(xasprintf("%s/%s", type, ct->ct_subtype ? ct->ct_subtype : ""));
}

/* A parameter from a clist of mailmime_parameter, RFC 2231 and 2047 decoded. */
static char *
ma_param(clist *params, const char *want)
{
	size_t wl = strlen(want);
	clistiter *it;

	for (it = params ? clist_begin(params) : NULL; it; it = clist_next(it)) {
		struct mailmime_parameter *p = clist_content(it);

		if (p->pa_name == NULL || p->pa_value == NULL)
			continue;
		if (ascii_strcasecmp(p->pa_name, want) == 0)
			return mh_decode(p->pa_value);
		if (ascii_strncasecmp(p->pa_name, want, wl) == 0 &&
		    (strcmp(p->pa_name + wl, "*") == 0 || strcmp(p->pa_name + wl, "*0*") == 0))
			return mh_decode_2231(p->pa_value);
	}
	return NULL;
}

static char *
ma_disp_param(struct mailmime_disposition *d, const char *want)
{
	size_t wl = strlen(want);
	clistiter *it;

	for (it = d && d->dsp_parms ? clist_begin(d->dsp_parms) : NULL; it; it = clist_next(it)) {
		struct mailmime_disposition_parm *p = clist_content(it);

		if (p->pa_type == MAILMIME_DISPOSITION_PARM_FILENAME && strcmp(want, "filename") == 0 &&
		    p->pa_data.pa_filename)
			return mh_decode(p->pa_data.pa_filename);
		if (p->pa_type == MAILMIME_DISPOSITION_PARM_PARAMETER && p->pa_data.pa_parameter &&
		    p->pa_data.pa_parameter->pa_name &&
		    ascii_strncasecmp(p->pa_data.pa_parameter->pa_name, want, wl) == 0 &&
		    (strcmp(p->pa_data.pa_parameter->pa_name + wl, "*") == 0 ||
		    strcmp(p->pa_data.pa_parameter->pa_name + wl, "*0*") == 0))
			return mh_decode_2231(p->pa_data.pa_parameter->pa_value);
	}
	return NULL;
}

static int
ma_base64_clean(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '+' || c == '/' || c == '=' || c == '\r' || c == '\n' || c == ' ' || c == '\t'))
			return 0;
	}
	return 1;
}

enum ma_kind { MK_TEXT, MK_HTML, MK_RTF, MK_OFFICE, MK_IMAGE, MK_MESSAGE, MK_OTHER };

static int
ma_has(const char *d, size_t n, const char *magic, size_t ml)
{
	return n >= ml && memcmp(d, magic, ml) == 0;
}

static int
ma_ends(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, m = strlen(suffix);

	return n >= m && ascii_strcasecmp(s + n - m, suffix) == 0;
}

/* Content first, then the declared type, then the file name. */
static enum ma_kind
ma_sniff(const char *d, size_t n, const char *type, const char *name, const char **what)
{
	int utf16 = n >= 2 && ((d[0] == '\xFF' && d[1] == '\xFE') || (d[0] == '\xFE' && d[1] == '\xFF'));

	*what = type;
	if (ma_has(d, n, "%PDF-", 5))
		return *what = "application/pdf", MK_OTHER;
	if (ma_has(d, n, "PK\x03\x04", 4))
		return office_sniff(d, n) == OFFICE_OTHER_ZIP || office_sniff(d, n) == OFFICE_NONE ?
		    (*what = "archive", MK_OTHER) : MK_OFFICE;
	if (ma_has(d, n, "GIF8", 4) || ma_has(d, n, "\x89PNG", 4) || ma_has(d, n, "\xFF\xD8\xFF", 3) ||
	    ma_has(d, n, "II*\0", 4) || ma_has(d, n, "MM\0*", 4))
		return MK_IMAGE;
	if (ma_has(d, n, "\xD0\xCF\x11\xE0", 4))
		return *what = "old Office or Outlook file", MK_OTHER;
	if (ma_has(d, n, "\x1F\x8B", 2) || ma_has(d, n, "7z\xBC\xAF", 4) || ma_has(d, n, "Rar!", 4) ||
	    ma_has(d, n, "BZh", 3) || ma_has(d, n, "\xFD" "7zXZ", 5))
		return *what = "archive", MK_OTHER;
	if (ma_has(d, n, "\x78\x9F\x3E\x22", 4) || strcmp(type, "application/ms-tnef") == 0)
		return *what = "winmail.dat", MK_OTHER;
	if (ma_has(d, n, "-----BEGIN PGP", 14) || strcmp(type, "application/pkcs7-mime") == 0 ||
	    strcmp(type, "application/x-pkcs7-mime") == 0 || strcmp(type, "application/pgp-encrypted") == 0)
		return *what = "encrypted", MK_OTHER;
	if (ma_has(d, n, "{\\rtf", 5))
		return MK_RTF;
	if (!utf16 && memchr(d, '\0', n) != NULL)
		return strncmp(type, "image/", 6) == 0 ? MK_IMAGE : MK_OTHER;
	if (strcmp(type, "message/rfc822") == 0 || strcmp(type, "message/global") == 0)
		return MK_MESSAGE;
	if (strcmp(type, "text/html") == 0 || ma_ends(name, ".html") || ma_ends(name, ".htm"))
		return MK_HTML;
	if (strcmp(type, "text/rtf") == 0 || strcmp(type, "application/rtf") == 0)
		return MK_RTF;
	if (strncmp(type, "image/", 6) == 0 && n > 0 && !mt_valid_utf8(d, n))
		return MK_IMAGE;
	if (n > 0 && !utf16 && !mt_valid_utf8(d, n) && strncmp(type, "text/", 5) != 0) {
		/* 8-bit bytes that are no text encoding we read by content */
		size_t i, ctl = 0;

		for (i = 0; i < n && i < 4096; i++)
			if ((unsigned char)d[i] < 0x20 && d[i] != '\n' && d[i] != '\r' && d[i] != '\t')
				ctl++;
		if (ctl > 0)
			return MK_OTHER;
	}
	return MK_TEXT;
}

static int
ma_csv_header_names_nino(const char *h)
{
	static const char *words[] = { "nino", "ninos", "ni number", "ni no", "national insurance" };
	char *l = str_collapse_ws(ascii_lower(xstrdup(h)));
	size_t i, n;
	int hit = 0;

	for (i = 0; i < sizeof(words) / sizeof(words[0]) && !hit; i++) {
		const char *p = l;

		n = strlen(words[i]);
		while ((p = strstr(p, words[i])) != NULL) {
			int before = p == l || !(((p[-1] | 0x20) >= 'a' && (p[-1] | 0x20) <= 'z') ||
			    (p[-1] >= '0' && p[-1] <= '9'));
			int after = !(((p[n] | 0x20) >= 'a' && (p[n] | 0x20) <= 'z') ||
			    (p[n] >= '0' && p[n] <= '9'));

			if (before && after) {
				hit = 1;
				break;
			}
			p++;
		}
	}
	free(l);
	return hit;
}

/* Numbers without a suffix count under a column whose header names NINOs. */
static void
ma_scan_csv_columns(struct ma *a, const char *text, size_t len)
{
	struct csv_table t;
	char err[128];
	size_t r, c;

	if (csv_parse(text, len, &t, err, sizeof(err)) < 0)
		return;
	for (c = 0; t.nrows > 1 && c < t.rows[0].ncells; c++) {
		if (!ma_csv_header_names_nino(t.rows[0].cells[c]))
			continue;
		for (r = 1; r < t.nrows; r++)
			if (c < t.rows[r].ncells)
				ma_scan(a, t.rows[r].cells[c], strlen(t.rows[r].cells[c]), NINO_CONTEXT);
	}
	csv_free(&t);
}

static void ma_message(struct ma *a, struct mailmime *m, const char *raw, size_t rawlen,
    unsigned depth, int top);
static void ma_walk(struct ma *a, struct mailmime *m, unsigned depth, int top);

/* A forwarded message given as an encoded single part: parse it again. */
static void
ma_nested_bytes(struct ma *a, const char *d, size_t n, unsigned depth)
{
	struct mailmime *m = NULL;
	const char *why;
	size_t idx = 0;

	if (mime_prefilter(d, n, &why)) {
		ma_malformed(a, "%s", why);
		return;
	}
	if (mailmime_parse(d, n, &idx, &m) != MAILIMF_NO_ERROR || m == NULL) {
		ma_malformed(a, "a forwarded message cannot be parsed");
		return;
	}
	ma_message(a, m, d, n, depth, 0);
	mailmime_free(m);
}

static void
ma_text(struct ma *a, enum ma_kind kind, const char *d, size_t n, const char *charset,
    struct mailmime_content *ct, const char *type, const char *name, int attach, int top)
{
	struct sbuf u, text, extra;
	char *fmt, *delsp, *out;
	size_t len;

	sbuf_init(&u);
	sbuf_init(&text);
	sbuf_init(&extra);
	mt_to_utf8(d, n, charset, &u);
	sbuf_addc(&u, '\0');
	u.len = mt_strip_invisible(u.data, u.len - 1);
	if (kind == MK_HTML) {
		mt_html(u.data, u.len, &text, &extra, &a->cids);
	} else if (kind == MK_RTF) {
		mt_rtf(u.data, u.len, &text);
	} else {
		fmt = ma_param(ct ? ct->ct_parameters : NULL, "format");
		delsp = ma_param(ct ? ct->ct_parameters : NULL, "delsp");
		if (fmt && ascii_strcasecmp(fmt, "flowed") == 0)
			mt_unflow(u.data, u.len, delsp && ascii_strcasecmp(delsp, "yes") == 0, &text);
		else
			sbuf_add(&text, u.data, u.len);
		free(fmt);
		free(delsp);
	}
	sbuf_free(&u);
	sbuf_addc(&text, '\0');
	text.len = mt_strip_invisible(text.data, text.len - 1);
	a->decoded += text.len + extra.len;
	if (a->decoded > a->lim->max_decoded)
		ma_malformed(a, "the decoded text is larger than %zu bytes", a->lim->max_decoded);
	ma_scan(a, text.data, text.len, 0);
	if (extra.len)
		ma_scan(a, extra.data, extra.len, 0);
	sbuf_free(&extra);
	out = sbuf_steal(&text, &len);

	if (ma_ends(name, ".csv") || strcmp(type, "text/csv") == 0 ||
	    strcmp(type, "application/csv") == 0 || (attach && csv_sniff(out, len))) {
		ma_scan_csv_columns(a, out, len);
		ma_add_text(&a->r->csvs, &a->r->ncsvs, name, out, len);
		return;
	}
	if (!attach && top && kind != MK_HTML && a->body_plain == NULL && kind == MK_TEXT &&
	    (strcmp(type, "text/plain") == 0 || strncmp(type, "text/", 5) != 0)) {
		a->body_plain = out;
		a->plain_len = len;
		return;
	}
	if (!attach && top && kind == MK_HTML && a->body_html == NULL) {
		a->body_html = out;
		a->html_len = len;
		return;
	}
	if (!attach && top) {
		/* a further inline text: searched, not a form source */
		free(out);
		return;
	}
	ma_add_text(&a->r->docs, &a->r->ndocs, name, out, len);
}

static void
ma_single(struct ma *a, struct mailmime *m, unsigned depth, int top)
{
	struct mailmime_single_fields sf;
	const char *data = NULL, *what;
	char *type, *name, *fname, *decoded = NULL, err[200];
	size_t dlen = 0, len = 0, idx = 0;
	int enc = MAILMIME_MECHANISM_7BIT, attach;
	enum ma_kind kind;

	mailmime_single_fields_init(&sf, m->mm_mime_fields, m->mm_content_type);
	type = ma_type(m->mm_content_type);
	if (strncmp(type, "multipart/", 10) == 0) {
		/* libetpan reads a multipart without a usable boundary as one part */
		ma_malformed(a, "a %s part has no boundary", type);
		free(type);
		return;
	}
	fname = ma_disp_param(sf.fld_disposition, "filename");
	name = ma_param(m->mm_content_type ? m->mm_content_type->ct_parameters : NULL, "name");
	if (fname) {
		free(name);
		name = fname;
	}
	if (name)
		ma_scan(a, name, strlen(name), 0);
	attach = name != NULL || (sf.fld_disposition && sf.fld_disposition->dsp_type &&
	    sf.fld_disposition->dsp_type->dsp_type == MAILMIME_DISPOSITION_TYPE_ATTACHMENT);
	if (name == NULL && attach)
		name = xasprintf("attachment %u", ++a->anon);
	if (sf.fld_encoding)
		enc = sf.fld_encoding->enc_type;
	if (m->mm_data.mm_single && m->mm_data.mm_single->dt_type == MAILMIME_DATA_TEXT) {
		data = m->mm_data.mm_single->dt_data.dt_text.dt_data;
		dlen = m->mm_data.mm_single->dt_data.dt_text.dt_length;
	}
	if (data == NULL)
		data = "", dlen = 0;
	if (enc == MAILMIME_MECHANISM_BASE64 && !ma_base64_clean(data, dlen)) {
		ma_malformed(a, "a base64 part (%s) holds characters that are not base64",
		    name ? name : type);
		goto out;
	}
	if (enc == MAILMIME_MECHANISM_BASE64 || enc == MAILMIME_MECHANISM_QUOTED_PRINTABLE) {
		char *res = NULL;

		if (mailmime_part_parse(data, dlen, &idx, enc, &res, &len) != MAILIMF_NO_ERROR) {
			ma_malformed(a, "the encoding of a part (%s) cannot be decoded", name ? name : type);
			goto out;
		}
		decoded = xmalloc(len + 1);
		memcpy(decoded, res, len);
		decoded[len] = '\0';
		mmap_string_unref(res);
	} else {
		decoded = xstrndup(data, dlen);
		len = dlen;
	}
	a->decoded += len;
	if (a->decoded > a->lim->max_decoded) {
		ma_malformed(a, "the decoded message is larger than %zu bytes", a->lim->max_decoded);
		goto out;
	}
	kind = ma_sniff(decoded, len, type, name, &what);
	switch (kind) {
	case MK_TEXT:
	case MK_HTML:
	case MK_RTF:
		ma_text(a, kind, decoded, len, sf.fld_content_charset, m->mm_content_type, type,
		    name, attach, top);
		break;
	case MK_MESSAGE:
		ma_nested_bytes(a, decoded, len, depth + 1);
		break;
	case MK_OFFICE: {
		struct sbuf t;

		sbuf_init(&t);
		if (office_extract(decoded, len, a->lim, &t, err, sizeof(err)) < 0) {
			ma_uninspectable(a, name ? name : "document", err);
			sbuf_free(&t);
			break;
		}
		a->decoded += t.len;
		ma_scan(a, t.data ? t.data : "", t.len, 0);
		{
			char *txt = sbuf_steal(&t, &len);

			ma_add_text(&a->r->docs, &a->r->ndocs, name ? name : "document", txt, len);
		}
		break;
	}
	case MK_IMAGE:
		if (sf.fld_id) {
			a->imgs = xreallocarray(a->imgs, a->nimgs + 1, sizeof(*a->imgs));
			a->imgs[a->nimgs].cid = xstrdup(sf.fld_id);
			a->imgs[a->nimgs].desc = xasprintf("%s (%s)", name ? name : "image", type);
			a->nimgs++;
		} else {
			ma_uninspectable(a, name ? name : "image", type);
		}
		break;
	case MK_OTHER:
		ma_uninspectable(a, name ? name : "part", what);
		break;
	}
out:
	free(decoded);
	free(type);
	free(name);
}

/* The closing delimiter must be there: libetpan accepts a multipart cut short. */
static int
ma_closed(struct mailmime *m, const char *boundary)
{
	const char *s = m->mm_mime_start, *p, *end;
	size_t bl = strlen(boundary);

	if (s == NULL)
		return 1;
	end = s + m->mm_length;
	for (p = s; p + bl + 4 <= end; p++) {
		p = memchr(p, '-', (size_t)(end - p));
		if (p == NULL || p + bl + 4 > end)
			return 0;
		if (p[1] == '-' && memcmp(p + 2, boundary, bl) == 0 && p[bl + 2] == '-' &&
		    p[bl + 3] == '-' && (p == s || p[-1] == '\n'))
			return 1;
	}
	return 0;
}

static void
ma_walk(struct ma *a, struct mailmime *m, unsigned depth, int top)
{
	clistiter *it;
	char *type;

	if (m == NULL || a->malformed)
		return;
	if (depth > a->lim->max_depth) {
		ma_malformed(a, "the message is nested more than %u levels deep", a->lim->max_depth);
		return;
	}
	if (++a->parts > a->lim->max_parts) {
		ma_malformed(a, "the message has more than %u parts", a->lim->max_parts);
		return;
	}
	switch (m->mm_type) {
	case MAILMIME_SINGLE:
		ma_single(a, m, depth, top);
		break;
	case MAILMIME_MESSAGE:
		ma_message(a, m, m->mm_mime_start, m->mm_length, depth, 0);
		break;
	case MAILMIME_MULTIPLE: {
		char *boundary = ma_param(m->mm_content_type ? m->mm_content_type->ct_parameters : NULL,
		    "boundary");
		int n = 0;

		type = ma_type(m->mm_content_type);
		if (boundary == NULL || *boundary == '\0')
			ma_malformed(a, "a %s part has no boundary", type);
		else if (!ma_closed(m, boundary))
			ma_malformed(a, "a %s part is not closed", type);
		free(boundary);
		if (strcmp(type, "multipart/encrypted") == 0) {
			ma_uninspectable(a, "encrypted part", type);
			free(type);
			break;
		}
		for (it = m->mm_data.mm_multipart.mm_mp_list ? clist_begin(m->mm_data.mm_multipart.mm_mp_list) : NULL;
		    it && !a->malformed; it = clist_next(it)) {
			/* the signature of multipart/signed is decoration */
			if (strcmp(type, "multipart/signed") == 0 && n++ > 0)
				break;
			ma_walk(a, clist_content(it), depth + 1, top);
		}
		free(type);
		break;
	}
	default:
		break;
	}
}

static void
ma_message(struct ma *a, struct mailmime *m, const char *raw, size_t rawlen, unsigned depth,
    int top)
{
	struct mh_block hb;

	mh_parse(raw ? raw : "", raw ? rawlen : 0, &hb);
	if (top) {
		ma_check_block(a, &hb);
		ma_top_fields(a, &hb, m->mm_data.mm_message.mm_fields);
	} else if (hb.bad_line) {
		ma_malformed(a, "header line %ld of a forwarded message cannot be read", hb.bad_line);
	}
	ma_scan_headers(a, &hb, top);
	mh_free(&hb);
	if (!a->malformed)
		ma_walk(a, m->mm_data.mm_message.mm_msg_mime, depth + 1, top);
}

/* Size with CRLF line endings: a bare LF counts as two bytes. */
static size_t
ma_crlf_size(const char *msg, size_t len)
{
	size_t n = len, i;
	const char *p = msg;

	while ((p = memchr(p, '\n', len - (size_t)(p - msg))) != NULL) {
		i = (size_t)(p - msg);
		if (i == 0 || msg[i - 1] != '\r')
			n++;
		p++;
		if ((size_t)(p - msg) >= len)
			break;
	}
	return n;
}

static int
ma_cid_referenced(const struct sbuf *cids, const char *cid)
{
	char *c = xstrdup(cid);
	size_t n = strlen(c);
	const char *p;
	int hit = 0;

	if (n >= 2 && c[0] == '<' && c[n - 1] == '>') {
		memmove(c, c + 1, n - 2);
		c[n - 2] = '\0';
		n -= 2;
	}
	for (p = cids->data; p && *p && !hit; ) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		hit = l == n && ascii_strncasecmp(p, c, n) == 0;
		p = e ? e + 1 : p + l;
	}
	free(c);
	return hit;
}

int
mime_analyse(const char *msg, size_t len, const struct mime_limits *lim, struct mime_result *out)
{
	struct mailmime *m = NULL;
	const char *why;
	struct ma a;
	size_t idx = 0, i;

	memset(&a, 0, sizeof(a));
	a.lim = lim;
	a.r = out;
	sbuf_init(&a.cids);
	out->size = ma_crlf_size(msg, len);
	if (out->size > lim->max_message_bytes) {
		out->status = MIME_TOO_LARGE;
		out->detail = xasprintf("the message is %zu bytes; the limit is %zu", out->size,
		    lim->max_message_bytes);
		return 0;
	}
	if (mime_prefilter(msg, len, &why)) {
		ma_malformed(&a, "%s", why);
		goto done;
	}
	if (mailmime_parse(msg, len, &idx, &m) != MAILIMF_NO_ERROR || m == NULL) {
		ma_malformed(&a, "the message structure cannot be parsed");
		goto done;
	}
	ma_message(&a, m, msg, len, 0, 1);
	mailmime_free(m);
done:
	for (i = 0; i < a.nimgs; i++) {
		if (!a.malformed && !ma_cid_referenced(&a.cids, a.imgs[i].cid)) {
			out->uninspectable = xreallocarray(out->uninspectable, out->nuninspectable + 1,
			    sizeof(char *));
			out->uninspectable[out->nuninspectable++] = a.imgs[i].desc;
		} else {
			free(a.imgs[i].desc);
		}
		free(a.imgs[i].cid);
	}
	free(a.imgs);
	sbuf_free(&a.cids);
	if (a.body_plain) {
		out->body.text = a.body_plain;
		out->body.len = a.plain_len;
		free(a.body_html);
	} else if (a.body_html) {
		out->body.text = a.body_html;
		out->body.len = a.html_len;
	}
	if (a.malformed) {
		char *detail = out->detail;

		out->detail = NULL;
		mime_result_free(out);
		out->status = MIME_MALFORMED;
		out->detail = detail;
		out->size = ma_crlf_size(msg, len);
	}
	return 0;
}

/* --- the pre-filter for Debian libetpan 1.9.4's boundary crash --- */

/*
 * libetpan 1.9.4 overflows a heap buffer when a boundary's unquoted value
 * starts with '"', which only a quoted value beginning with the quoted
 * pair \" can give. The whole message is searched, whatever header or part
 * holds it and however the header name is spaced: a false alarm only makes
 * a message that quotes such text malformed, the safe direction.
 */
int
mime_prefilter(const char *msg, size_t len, const char **detail)
{
	const char *p = msg, *end = msg + len, *hit;

	/* find the quoted pair first (fast), then look back for "boundary =" */
	while ((hit = memmem(p, (size_t)(end - p), "\"\\\"", 3)) != NULL) {
		const char *q = hit;

		while (q > msg && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r' || q[-1] == '\n'))
			q--;
		if (q > msg && q[-1] == '=') {
			q--;
			while (q > msg && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r' || q[-1] == '\n'))
				q--;
			if (q - msg >= 8 && ascii_strncasecmp(q - 8, "boundary", 8) == 0) {
				*detail = "a boundary parameter this parser cannot read safely";
				return 1;
			}
		}
		p = hit + 1;
	}
	return 0;
}

/* --- result encoding for the worker pipe --- */

static void
enc_u64(struct sbuf *b, uint64_t v)
{
	unsigned char x[8];
	int i;

	for (i = 0; i < 8; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	sbuf_add(b, x, 8);
}

static void
enc_str(struct sbuf *b, const char *s, size_t n)
{
	if (s == NULL) {
		enc_u64(b, UINT64_MAX);
		return;
	}
	enc_u64(b, n);
	sbuf_add(b, s, n);
}

static void
enc_texts(struct sbuf *b, const struct mime_text *t, size_t n)
{
	size_t i;

	enc_u64(b, n);
	for (i = 0; i < n; i++) {
		enc_str(b, t[i].name, t[i].name ? strlen(t[i].name) : 0);
		enc_str(b, t[i].text, t[i].len);
	}
}

static void
enc_strv(struct sbuf *b, char *const *v, size_t n)
{
	size_t i;

	enc_u64(b, n);
	for (i = 0; i < n; i++)
		enc_str(b, v[i], strlen(v[i]));
}

#define MIME_ENC_MAGIC 0x4d47524531ULL	/* "MGRE1" */

void
mime_result_encode(const struct mime_result *r, struct sbuf *out)
{
	size_t i;

	enc_u64(out, MIME_ENC_MAGIC);
	enc_u64(out, (uint64_t)r->status);
	enc_str(out, r->detail, r->detail ? strlen(r->detail) : 0);
	enc_u64(out, r->size);
	enc_str(out, r->subject, r->subject ? strlen(r->subject) : 0);
	enc_str(out, r->message_id, r->message_id ? strlen(r->message_id) : 0);
	enc_str(out, r->from, r->from ? strlen(r->from) : 0);
	enc_strv(out, r->rcpts, r->nrcpts);
	enc_str(out, r->body.text, r->body.len);
	enc_texts(out, r->docs, r->ndocs);
	enc_texts(out, r->csvs, r->ncsvs);
	enc_strv(out, r->uninspectable, r->nuninspectable);
	enc_u64(out, r->records.n);
	for (i = 0; i < r->records.n; i++)
		sbuf_add(out, r->records.v[i].s, NINO_STEM_LEN);
	enc_u64(out, (uint64_t)r->subject_records);
}

struct dec {
	const unsigned char *p, *end;
	int bad;
};

static uint64_t
dec_u64(struct dec *d)
{
	uint64_t v = 0;
	int i;

	if (d->bad || d->end - d->p < 8) {
		d->bad = 1;
		return 0;
	}
	for (i = 0; i < 8; i++)
		v |= (uint64_t)d->p[i] << (8 * i);
	d->p += 8;
	return v;
}

static char *
dec_str(struct dec *d, size_t *len)
{
	uint64_t n = dec_u64(d);
	char *s;

	if (d->bad || n == UINT64_MAX)
		return NULL;
	if (n > (uint64_t)(d->end - d->p)) {
		d->bad = 1;
		return NULL;
	}
	s = xstrndup((const char *)d->p, (size_t)n);
	d->p += n;
	if (len)
		*len = (size_t)n;
	return s;
}

/* A count that the remaining bytes could hold (each item takes at least 8). */
static size_t
dec_count(struct dec *d)
{
	uint64_t n = dec_u64(d);

	if (n > (uint64_t)(d->end - d->p) / 8) {
		d->bad = 1;
		return 0;
	}
	return (size_t)n;
}

static void
dec_texts(struct dec *d, struct mime_text **v, size_t *n)
{
	size_t i, c = dec_count(d);

	*v = c ? xcalloc(c, sizeof(**v)) : NULL;
	*n = 0;
	for (i = 0; i < c && !d->bad; i++) {
		(*v)[i].name = dec_str(d, NULL);
		(*v)[i].text = dec_str(d, &(*v)[i].len);
		if ((*v)[i].text == NULL)
			d->bad = 1;
		*n = i + 1;
	}
}

static void
dec_strv(struct dec *d, char ***v, size_t *n)
{
	size_t i, c = dec_count(d);

	*v = c ? xcalloc(c, sizeof(**v)) : NULL;
	*n = 0;
	for (i = 0; i < c && !d->bad; i++) {
		(*v)[i] = dec_str(d, NULL);
		if ((*v)[i] == NULL)
			d->bad = 1;
		else
			*n = i + 1;
	}
}

int
mime_result_decode(const char *buf, size_t len, struct mime_result *out)
{
	struct dec d = { (const unsigned char *)buf, (const unsigned char *)buf + len, 0 };
	size_t i, n;
	uint64_t st;

	mime_result_init(out);
	if (dec_u64(&d) != MIME_ENC_MAGIC)
		return -1;
	st = dec_u64(&d);
	out->status = st == MIME_MALFORMED ? MIME_MALFORMED : st == MIME_TOO_LARGE ? MIME_TOO_LARGE : MIME_OK;
	if (st > MIME_TOO_LARGE)
		d.bad = 1;
	out->detail = dec_str(&d, NULL);
	out->size = (size_t)dec_u64(&d);
	out->subject = dec_str(&d, NULL);
	out->message_id = dec_str(&d, NULL);
	out->from = dec_str(&d, NULL);
	dec_strv(&d, &out->rcpts, &out->nrcpts);
	out->body.text = dec_str(&d, &out->body.len);
	dec_texts(&d, &out->docs, &out->ndocs);
	dec_texts(&d, &out->csvs, &out->ncsvs);
	dec_strv(&d, &out->uninspectable, &out->nuninspectable);
	n = dec_count(&d);
	for (i = 0; i < n && !d.bad; i++) {
		if (d.end - d.p < NINO_STEM_LEN) {
			d.bad = 1;
			break;
		}
		nino_set_add(&out->records, (const char *)d.p);
		d.p += NINO_STEM_LEN;
	}
	out->subject_records = (int)dec_u64(&d);
	if (d.bad || d.p != d.end) {
		mime_result_free(out);
		return -1;
	}
	return 0;
}
