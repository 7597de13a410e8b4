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
	const char *start, *end;	/* the bytes libetpan parses (a part's data points in) */
	unsigned parts;
	size_t decoded;
	int malformed;
	struct sbuf cids;		/* every cid: referenced from HTML, one per line */
	struct ma_image *imgs;		/* images that are decoration only if referenced */
	size_t nimgs;
	int in_signature;		/* walking the second part of a multipart/signed */
	const char *where;		/* what is being searched, for the records found there */
	const char *rcpt_raw;		/* the address field being read, as written */
	const char *rcpt_field;		/* its name */
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
	if (r->record_where)
		strv_free(r->record_where, r->records.n);
	nino_set_free(&r->records);
	free(r->report.status);
	free(r->report.orig_id);
	free(r->report.in_reply_to);
	mime_result_init(r);
}

void
mime_result_drop_texts(struct mime_result *r)
{
	free(r->body.text);
	r->body.text = NULL;
	r->body.len = 0;
	mime_free_texts(r->docs, r->ndocs);
	r->docs = NULL;
	r->ndocs = 0;
	mime_free_texts(r->csvs, r->ncsvs);
	r->csvs = NULL;
	r->ncsvs = 0;
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
ma_scan_alike(const char *text, struct nino_set *set)
{
	struct sbuf alike;

	sbuf_init(&alike);
	if (mt_fold_confusables(text, strlen(text), &alike))
		nino_scan(alike.data, alike.len, 0, set);
	sbuf_free(&alike);
}

/* Records in text; where letters of other scripts pass for Latin ones, in the look-alike too. */
static void
ma_scan(struct ma *a, const char *text, size_t len, unsigned flags)
{
	struct sbuf alike;

	struct mime_result *r = a->r;
	size_t before = r->records.n;

	nino_scan(text, len, flags, &r->records);
	sbuf_init(&alike);
	if (mt_fold_confusables(text, len, &alike))
		nino_scan(alike.data, alike.len, flags, &r->records);
	sbuf_free(&alike);
	if (r->records.n == before)
		return;
	/* records are added in first-seen order: the new ones are at the end */
	r->record_where = xreallocarray(r->record_where, r->records.n, sizeof(char *));
	for (; before < r->records.n; before++)
		r->record_where[before] = xstrdup(a->where ? a->where : "the message");
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

static int
ma_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL) || c >= 0x80;
}

/* 1 when s can stand as a local part without quotes (a dot-atom). */
static int
ma_dot_atom(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!(ma_atext((unsigned char)s[i]) || (s[i] == '.' && s[i + 1] != '.')))
			return 0;
	return 1;
}

/* local@domain: a dot-atom or quoted local part, a dot-atom or literal domain. */
static int
ma_addr_valid(const char *addr)
{
	const char *at = strrchr(addr, '@'), *d;
	size_t ln = at ? (size_t)(at - addr) : 0;

	if (at == NULL || ln == 0 || at[1] == '\0')
		return 0;
	if (!(ln >= 2 && addr[0] == '"' && addr[ln - 1] == '"') && !ma_dot_atom(addr, ln))
		return 0;
	d = at + 1;
	if (*d == '[')
		return d[strlen(d) - 1] == ']' && strpbrk(d + 1, "[\\ \t") == NULL;
	for (; *d; d++)
		if (!((*d | 0x20) >= 'a' && (*d | 0x20) <= 'z') && !(*d >= '0' && *d <= '9') &&
		    *d != '.' && *d != '-' && (unsigned char)*d < 0x80)
			return 0;
	return at[1] != '.' && at[strlen(at) - 1] != '.' && strstr(at, "..") == NULL;
}

/*
 * The RFC 5321 form of an addr-spec, lower case: a quoted local part that
 * needs no quoting is the plain one ("whp"@x is whp@x); nothing else changes.
 */
static char *
ma_canonical_addr(const char *addr)
{
	const char *at = strrchr(addr, '@');
	size_t ln = at ? (size_t)(at - addr) : 0, i;
	struct sbuf u;

	if (at == NULL || ln < 2 || addr[0] != '"' || addr[ln - 1] != '"')
		return ascii_lower(xstrdup(addr));
	sbuf_init(&u);
	for (i = 1; i + 1 < ln; i++) {
		if (addr[i] == '\\' && i + 2 < ln)
			i++;
		sbuf_addc(&u, addr[i]);
	}
	if (!ma_dot_atom(u.data ? u.data : "", u.len)) {
		sbuf_free(&u);
		return ascii_lower(xstrdup(addr));
	}
	sbuf_adds(&u, at);
	return ascii_lower(sbuf_steal(&u, NULL));
}

static void
ma_add_rcpt(struct ma *a, const char *addr)
{
	struct mime_result *r = a->r;
	char *l;
	size_t i;

	if (addr == NULL || *addr == '\0')
		return;
	if (addr[0] == '"' && a->rcpt_raw && memmem(a->rcpt_raw, strlen(a->rcpt_raw), addr,
	    (size_t)(strrchr(addr, '"') - addr + 1)) == NULL) {
		/* libetpan drops white space inside a quoted local part: not the address written */
		ma_malformed(a, "an address of the %s header cannot be read exactly", a->rcpt_field);
		return;
	}
	l = ma_canonical_addr(addr);
	if (!ma_addr_valid(l)) {
		/* libetpan's obsolete syntax glues words together ("a@b.examplejunk<") */
		ma_malformed(a, "an address of the %s header cannot be read exactly", a->rcpt_field);
		free(l);
		return;
	}
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

/*
 * Drops obsolete source routes (RFC 5322 4.4: "<@relay,@relay2:user@host>")
 * outside quoted strings and comments: the route is not part of the address,
 * and libetpan cannot parse it.
 */
static char *
ma_drop_routes(const char *v)
{
	struct sbuf b;
	int quoted = 0, comment = 0;
	const char *p;

	sbuf_init(&b);
	for (p = v; *p; p++) {
		if (*p == '\\' && (quoted || comment) && p[1]) {
			sbuf_add(&b, p, 2);
			p++;
			continue;
		}
		if (!comment && *p == '"')
			quoted = !quoted;
		else if (!quoted && *p == '(')
			comment++;
		else if (!quoted && *p == ')' && comment)
			comment--;
		sbuf_addc(&b, *p);
		if (!quoted && !comment && *p == '<') {
			const char *q = p + 1, *colon;

			while (*q == ' ' || *q == '\t')
				q++;
			colon = strpbrk(q, ":>");
			if (*q == '@' && colon && *colon == ':')
				p = colon;
		}
	}
	return sbuf_steal(&b, NULL);
}

/* To, Cc or Bcc as written: every address, routes dropped; malformed when unreadable. */
static void
ma_rcpt_field(struct ma *a, const struct mh_block *raw, const char *name)
{
	struct mailimf_address_list *al = NULL;
	const char *v = mh_get(raw, name);
	size_t idx = 0;
	char *clean;

	if (v == NULL)
		return;
	clean = ma_drop_routes(v);
	a->rcpt_raw = clean;
	a->rcpt_field = name;
	if (ma_blank(clean)) {
		a->rcpt_raw = NULL;
		free(clean);
		return;
	}
	/* the whole value must be addresses: a list libetpan stops reading is not one */
	if (mailimf_address_list_parse(clean, strlen(clean), &idx, &al) == MAILIMF_NO_ERROR) {
		/* trailing white space or comments; a failure leaves idx short: malformed */
		(void)mailimf_cfws_parse(clean, strlen(clean), &idx);
		if (idx == strlen(clean))
			ma_address_list(a, al);
		mailimf_address_list_free(al);
	}
	if (idx != strlen(clean))
		ma_malformed(a, "the %s header cannot be read", name);
	a->rcpt_raw = NULL;
	free(clean);
}

/* Headers libetpan must have parsed: a raw one it did not is malformed (To, Cc, Bcc: below). */
static void
ma_check_parsed(struct ma *a, const struct mh_block *raw, struct mailimf_fields *f)
{
	static const struct { const char *name; int type; } need[] = {
		{ "From", MAILIMF_FIELD_FROM }, { "Subject", MAILIMF_FIELD_SUBJECT },
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

static char *ma_type(struct mailmime_content *ct);
static char *ma_param(struct mailmime_content *ct, const char *want);

/*
 * The msg-id a field names, without <>: the first <...> of the value (last:
 * the last one, as References ends with the parent), else the value trimmed.
 * NULL when there is none.
 */
static char *
ma_msgid(const char *v, int last)
{
	const char *lt = NULL, *p, *gt;
	char *t;
	size_t i;

	for (p = v; p && (p = strchr(p, '<')) != NULL; p++) {
		if (strchr(p, '>') == NULL)
			break;
		lt = p;
		if (!last)
			break;
	}
	if (lt != NULL) {
		gt = strchr(lt, '>');
		t = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	} else {
		t = str_trim(xstrdup(v));
	}
	/* printable, no space: a hostile report's id never carries a line break onward */
	for (i = 0; t[i]; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f || t[i] == '<')
			break;
	if (t[0] == '\0' || t[i] != '\0' || i > 250) {
		free(t);
		return NULL;
	}
	return t;
}

/* RFC 3464: the top part is multipart/report with report-type delivery-status. */
static void
ma_report_kind(struct ma *a, struct mailmime *body)
{
	char *type, *rt;

	if (body == NULL || body->mm_type != MAILMIME_MULTIPLE)
		return;
	type = ma_type(body->mm_content_type);
	rt = strcmp(type, "multipart/report") == 0 ? ma_param(body->mm_content_type,
	    "report-type") : NULL;
	a->r->report.is_dsn = rt != NULL && (ascii_strcasecmp(rt, "delivery-status") == 0 ||
	    ascii_strcasecmp(rt, "global-delivery-status") == 0);
	free(rt);
	free(type);
}

/* A part of the report itself: its status fields, or the returned message's headers. */
#define MA_REPORT_MAX (64u << 10)
static void
ma_report_part(struct ma *a, const char *type, const char *d, size_t n, unsigned depth)
{
	struct mh_block hb;
	const char *mid;

	if (!a->r->report.is_dsn || depth != 2)
		return;
	if (a->r->report.status == NULL && (strcmp(type, "message/delivery-status") == 0 ||
	    strcmp(type, "message/global-delivery-status") == 0)) {
		a->r->report.status = xstrndup(d, n < MA_REPORT_MAX ? n : MA_REPORT_MAX);
		return;
	}
	if (a->r->report.orig_id == NULL && (strcmp(type, "text/rfc822-headers") == 0 ||
	    strcmp(type, "message/global-headers") == 0)) {
		mh_parse(d, n, &hb);
		if ((mid = mh_get(&hb, "Message-ID")) != NULL)
			a->r->report.orig_id = ma_msgid(mid, 0);
		mh_free(&hb);
	}
}

static void
ma_top_fields(struct ma *a, const struct mh_block *raw, struct mailimf_fields *f)
{
	const char *mid;
	clistiter *it;

	ma_check_parsed(a, raw, f);
	ma_rcpt_field(a, raw, "To");
	ma_rcpt_field(a, raw, "Cc");
	ma_rcpt_field(a, raw, "Bcc");
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
	if (a->r->report.is_dsn && (mid = mh_get(raw, "In-Reply-To")) != NULL)
		a->r->report.in_reply_to = ma_msgid(mid, 0);
	if (a->r->report.is_dsn && a->r->report.in_reply_to == NULL &&
	    (mid = mh_get(raw, "References")) != NULL)
		a->r->report.in_reply_to = ma_msgid(mid, 1);
}

/* Every searched header, decoded; the subject also on its own. */
static void
ma_scan_headers(struct ma *a, const struct mh_block *raw, int top, const char *where)
{
	size_t i;

	a->where = where;
	for (i = 0; i < raw->n; i++) {
		char *dec;

		if (mh_not_searched(raw->v[i].name))
			continue;
		dec = mh_decode(raw->v[i].value);
		if (top && ascii_strcasecmp(raw->v[i].name, "Subject") == 0)
			a->where = "the Subject";
		ma_scan(a, dec, strlen(dec), 0);
		a->where = where;
		if (top && ascii_strcasecmp(raw->v[i].name, "Subject") == 0 && a->r->subject == NULL) {
			struct nino_set s;

			nino_set_init(&s);
			nino_scan(dec, strlen(dec), 0, &s);
			ma_scan_alike(dec, &s);
			a->r->subject_records = (int)s.n;
			nino_set_free(&s);
			a->r->subject = str_trim(dec);
			continue;
		}
		free(dec);
	}
}

/* Only the five transfer encodings of RFC 2045 can be undone; anything else is malformed. */
static void
ma_check_cte(struct ma *a, const struct mh_block *raw, const char *where)
{
	static const char *known[] = { "7bit", "8bit", "binary", "quoted-printable", "base64" };
	const char *v = mh_get(raw, "Content-Transfer-Encoding");
	char *t;
	size_t i;

	if (v == NULL)
		return;
	t = str_trim(xstrdup(v));
	if (*t == '\0') {
		free(t);	/* an empty field says nothing: 7bit, as when absent */
		return;
	}
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (ascii_strcasecmp(t, known[i]) == 0)
			break;
	if (i == sizeof(known) / sizeof(known[0]))
		ma_malformed(a, "the transfer encoding \"%.40s\" of %s cannot be decoded", t, where);
	free(t);
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
	ma_check_cte(a, raw, "the message");
	if ((ct = mh_get(raw, "Content-Type")) != NULL) {
		struct mailmime_content *c = NULL;
		size_t idx = 0;

		if (mailmime_content_parse(ct, strlen(ct), &idx, &c) != MAILIMF_NO_ERROR)
			ma_malformed(a, "the Content-Type header cannot be read");
		else
			mailmime_content_free(c);
	}
}

/* A part's or a forwarded message's header block: read completely, no MIME field twice. */
static void
ma_check_part_block(struct ma *a, const struct mh_block *raw, const char *where)
{
	static const char *once[] = { "Content-Type", "Content-Transfer-Encoding",
		"Content-Disposition" };
	size_t i;

	if (raw->bad_line)
		ma_malformed(a, "header line %ld of %s cannot be read", raw->bad_line, where);
	for (i = 0; i < sizeof(once) / sizeof(once[0]); i++)
		if (mh_count(raw, once[i]) > 1)
			ma_malformed(a, "the %s header of %s appears more than once", once[i], where);
	ma_check_cte(a, raw, where);
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

/* A parameter as written: name (sections included, "filename*1*") and value. */
struct ma_pv {
	const char *name, *value;
};

static size_t
ma_ct_params(struct mailmime_content *ct, struct ma_pv **out)
{
	clistiter *it;
	size_t n = 0;

	*out = NULL;
	for (it = ct && ct->ct_parameters ? clist_begin(ct->ct_parameters) : NULL; it;
	    it = clist_next(it)) {
		struct mailmime_parameter *p = clist_content(it);

		if (p->pa_name == NULL || p->pa_value == NULL)
			continue;
		*out = xreallocarray(*out, n + 1, sizeof(**out));
		(*out)[n].name = p->pa_name;
		(*out)[n++].value = p->pa_value;
	}
	return n;
}

static size_t
ma_disp_params(struct mailmime_disposition *d, struct ma_pv **out)
{
	clistiter *it;
	size_t n = 0;

	*out = NULL;
	for (it = d && d->dsp_parms ? clist_begin(d->dsp_parms) : NULL; it; it = clist_next(it)) {
		struct mailmime_disposition_parm *p = clist_content(it);
		const char *name = NULL, *value = NULL;

		if (p->pa_type == MAILMIME_DISPOSITION_PARM_FILENAME) {
			name = "filename";
			value = p->pa_data.pa_filename;
		} else if (p->pa_type == MAILMIME_DISPOSITION_PARM_PARAMETER && p->pa_data.pa_parameter) {
			name = p->pa_data.pa_parameter->pa_name;
			value = p->pa_data.pa_parameter->pa_value;
		}
		if (name == NULL || value == NULL)
			continue;
		*out = xreallocarray(*out, n + 1, sizeof(**out));
		(*out)[n].name = name;
		(*out)[n++].value = value;
	}
	return n;
}

/* NAME*N, NAME*N* or NAME* after the base name: 1 with the section, else 0. */
static int
ma_section(const char *rest, struct mh_section *sec)
{
	char *e;

	if (*rest != '*')
		return 0;
	rest++;
	if (*rest == '\0') {
		sec->num = 0;
		sec->encoded = 1;
		return 1;
	}
	if (*rest < '0' || *rest > '9')
		return 0;
	sec->num = strtoul(rest, &e, 10);
	sec->encoded = *e == '*';
	return e[sec->encoded] == '\0';
}

/*
 * The value of parameter want, decoded and cleaned: RFC 2231 sections
 * joined in number order over a plain NAME=; NULL when absent.
 */
static char *
ma_pv_get(const struct ma_pv *pv, size_t n, const char *want)
{
	size_t wl = strlen(want), i, nsec = 0;
	struct mh_section *secs = NULL, sec;
	const char *plain = NULL;
	char *r;

	for (i = 0; i < n; i++) {
		if (ascii_strncasecmp(pv[i].name, want, wl) != 0)
			continue;
		if (pv[i].name[wl] == '\0' && plain == NULL)
			plain = pv[i].value;
		else if (ma_section(pv[i].name + wl, &sec)) {
			sec.value = pv[i].value;
			secs = xreallocarray(secs, nsec + 1, sizeof(*secs));
			secs[nsec++] = sec;
		}
	}
	r = nsec ? mh_join_2231(secs, nsec) : plain ? mh_decode(plain) : NULL;
	free(secs);
	return r;
}

/* Every parameter is searched: each base name joined, and each plain value too. */
static void
ma_scan_params(struct ma *a, const struct ma_pv *pv, size_t n)
{
	size_t i, j, bl;

	for (i = 0; i < n; i++) {
		const char *star = strchr(pv[i].name, '*');
		char *base, *v;

		bl = star ? (size_t)(star - pv[i].name) : strlen(pv[i].name);
		for (j = 0; j < i; j++)
			if (ascii_strncasecmp(pv[j].name, pv[i].name, bl) == 0 &&
			    (pv[j].name[bl] == '\0' || pv[j].name[bl] == '*'))
				break;
		if (j < i)
			continue;	/* this base name was searched already */
		base = xstrndup(pv[i].name, bl);
		if ((v = ma_pv_get(pv, n, base)) != NULL)
			ma_scan(a, v, strlen(v), 0);
		free(v);
		for (j = i; j < n; j++)
			if (ascii_strcasecmp(pv[j].name, base) == 0 && (v = mh_decode(pv[j].value))) {
				ma_scan(a, v, strlen(v), 0);
				free(v);
			}
		free(base);
	}
}

static char *
ma_param(struct mailmime_content *ct, const char *want)
{
	struct ma_pv *pv;
	size_t n = ma_ct_params(ct, &pv);
	char *r = ma_pv_get(pv, n, want);

	free(pv);
	return r;
}

/* The boundary exactly as libetpan takes it: the plain parameter, undecoded. */
static char *
ma_boundary(struct mailmime_content *ct)
{
	struct ma_pv *pv;
	size_t n = ma_ct_params(ct, &pv), i;
	char *r = NULL;

	for (i = 0; i < n && r == NULL; i++)
		if (ascii_strcasecmp(pv[i].name, "boundary") == 0)
			r = xstrdup(pv[i].value);
	free(pv);
	return r;
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

enum ma_kind { MK_TEXT, MK_HTML, MK_RTF, MK_OFFICE, MK_IMAGE, MK_MESSAGE, MK_OTHER, MK_DECORATION };

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
ma_sniff(const char *d, size_t n, const char *type, const char *name, const char *charset,
    const char **what)
{
	int utf16 = mt_is_utf16(d, n, charset);

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
	/* a fragment or a pointer: what it stands for cannot be read here */
	if (strcmp(type, "message/partial") == 0 || strcmp(type, "message/external-body") == 0)
		return *what = "part of a message sent elsewhere", MK_OTHER;
	if (strcmp(type, "text/html") == 0 || ma_ends(name, ".html") || ma_ends(name, ".htm"))
		return MK_HTML;
	if (strcmp(type, "text/rtf") == 0 || strcmp(type, "application/rtf") == 0)
		return MK_RTF;
	if (strncmp(type, "image/", 6) == 0 && n > 0 && !mt_valid_utf8(d, n))
		return MK_IMAGE;
	if (n > 0 && !utf16 && strncmp(type, "text/", 5) != 0 && !mt_valid_utf8(d, n)) {
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
	const char *why, *saved[2];

	if (mime_prefilter(d, n, &why)) {
		ma_malformed(a, "%s", why);
		return;
	}
	if (mtree_parse(d, n, &m) != MAILIMF_NO_ERROR || m == NULL) {
		ma_malformed(a, "a forwarded message cannot be parsed");
		return;
	}
	saved[0] = a->start;
	saved[1] = a->end;
	a->start = d;
	a->end = d + n;
	ma_message(a, m, d, n, depth, 0);
	a->start = saved[0];
	a->end = saved[1];
	mailmime_free(m);
}

/* What a single part is, as its headers say. */
struct ma_part {
	char *type;			/* lower case "type/subtype" */
	char *name;			/* file name, or NULL */
	const char *charset;		/* declared; owned by libetpan */
	struct mailmime_content *ct;
	int attach, top;
};

/* Searches text, counts it against the decoded limit; 1 when it is too much. */
static int
ma_search(struct ma *a, const char *text, size_t len)
{
	a->decoded += len;
	if (a->decoded > a->lim->max_decoded) {
		ma_malformed(a, "the decoded text is larger than %zu bytes", a->lim->max_decoded);
		return 1;
	}
	ma_scan(a, text, len, 0);
	return 0;
}

/* Renders or unflows a part's UTF-8 into text; what is searched but not read goes to extra. */
static void
ma_render(struct ma *a, enum ma_kind kind, const char *u, size_t ulen, const struct ma_part *p,
    struct sbuf *text, struct sbuf *extra)
{
	struct sbuf t;
	char *fmt, *delsp;

	if (kind == MK_HTML) {
		mt_html(u, ulen, text, extra, &a->cids);
		/* and the source itself: whatever hides between tags is searched too */
		mt_decode_refs(u, ulen, extra);
		return;
	}
	if (kind == MK_RTF) {
		mt_rtf(u, ulen, text);
		return;
	}
	fmt = ma_param(p->ct, "format");
	delsp = ma_param(p->ct, "delsp");
	sbuf_init(&t);
	if (fmt && ascii_strcasecmp(fmt, "flowed") == 0)
		mt_unflow(u, ulen, delsp && ascii_strcasecmp(delsp, "yes") == 0, &t);
	else
		sbuf_add(&t, u, ulen);
	free(fmt);
	free(delsp);
	mt_decode_refs(t.data ? t.data : "", t.len, text);
	sbuf_free(&t);
}

/* Where a decoded text goes: the list's CSV, the body, or a document. */
static void
ma_file_text(struct ma *a, enum ma_kind kind, char *out, size_t len, const struct ma_part *p)
{
	const char *type = p->type;

	if (ma_ends(p->name, ".csv") || strcmp(type, "text/csv") == 0 ||
	    strcmp(type, "application/csv") == 0 || (p->attach && csv_sniff(out, len))) {
		ma_scan_csv_columns(a, out, len);
		ma_add_text(&a->r->csvs, &a->r->ncsvs, p->name, out, len);
		return;
	}
	if (!p->attach && p->top && a->body_plain == NULL && kind == MK_TEXT &&
	    (strcmp(type, "text/plain") == 0 || strncmp(type, "text/", 5) != 0)) {
		a->body_plain = out;
		a->plain_len = len;
		return;
	}
	if (!p->attach && p->top && kind == MK_HTML && a->body_html == NULL) {
		a->body_html = out;
		a->html_len = len;
		return;
	}
	if (!p->attach && p->top) {
		/* a further inline text: searched, not a form source */
		free(out);
		return;
	}
	ma_add_text(&a->r->docs, &a->r->ndocs, p->name, out, len);
}

/*
 * 1 when ma_render() would give plain text's bytes back unchanged: UTF-8
 * already, not format=flowed, no '&' for a reference to start with.
 */
static int
ma_plain_as_is(enum ma_kind kind, const char *d, size_t n, const struct ma_part *p)
{
	char *fmt;
	int flowed;

	if (kind != MK_TEXT || memchr(d, '&', n) != NULL || !mt_utf8_as_is(d, n, p->charset))
		return 0;
	fmt = ma_param(p->ct, "format");
	flowed = fmt && ascii_strcasecmp(fmt, "flowed") == 0;
	free(fmt);
	return !flowed;
}

/*
 * A text part: converted, rendered, folded, searched and filed. *own, the
 * malloc'd buffer holding d if any, is taken over when the text needs no
 * conversion or rendering: the decoded part is then the text itself, with
 * no copy made (a 7 MB attachment is held once, not four times).
 */
static void
ma_text(struct ma *a, enum ma_kind kind, const char *d, size_t n, char **own,
    const struct ma_part *p)
{
	struct sbuf u, text, extra;
	const char *what;
	char *out;
	size_t len;

	sbuf_init(&u);
	sbuf_init(&text);
	sbuf_init(&extra);
	if (ma_plain_as_is(kind, d, n, p)) {
		sbuf_adopt(&text, *own ? *own : xstrndup(d, n), n);
		*own = NULL;
	} else if (mt_utf8_as_is(d, n, p->charset)) {
		/* UTF-8 already: rendered from the decoded bytes, not from a copy of them */
		ma_render(a, kind, d, n, p, &text, &extra);
	} else {
		mt_to_utf8(d, n, p->charset, &u);
		sbuf_addc(&u, '\0');
		u.len--;
		ma_render(a, kind, u.data, u.len, p, &text, &extra);
		sbuf_free(&u);
	}
	mt_fold(&text);
	mt_fold(&extra);
	out = sbuf_steal(&text, &len);
	if (extra.len && ma_search(a, extra.data, extra.len)) {
		sbuf_free(&extra);
		free(out);
		return;
	}
	sbuf_free(&extra);
	if (ma_search(a, out, len)) {
		free(out);
		return;
	}
	if (mt_embedded_file(out, len, &what))
		ma_uninspectable(a, p->name ? p->name : "message text", what);
	ma_file_text(a, kind, out, len, p);
}

/*
 * The bytes of a part after its transfer encoding is undone; NULL when
 * malformed. Decoded bytes are malloc'd, NUL-terminated and also left in
 * *own for the caller to free or hand on; bytes without a transfer
 * encoding are the message's own, read in place (*own NULL).
 */
static const char *
ma_decode_part(struct ma *a, struct mailmime *m, const struct mailmime_single_fields *sf,
    const struct ma_part *p, size_t *len, char **own)
{
	const char *data = "", *label = p->name ? p->name : p->type;
	int enc = sf->fld_encoding ? sf->fld_encoding->enc_type : MAILMIME_MECHANISM_7BIT;
	size_t dlen = 0;

	*own = NULL;
	if (m->mm_data.mm_single && m->mm_data.mm_single->dt_type == MAILMIME_DATA_TEXT) {
		data = m->mm_data.mm_single->dt_data.dt_text.dt_data;
		dlen = m->mm_data.mm_single->dt_data.dt_text.dt_length;
	}
	if (enc == MAILMIME_MECHANISM_TOKEN) {
		ma_malformed(a, "a part (%s) has a transfer encoding that cannot be decoded", label);
		return NULL;
	}
	if (enc == MAILMIME_MECHANISM_BASE64 && !ma_base64_clean(data, dlen)) {
		ma_malformed(a, "a base64 part (%s) holds characters that are not base64", label);
		return NULL;
	}
	if (enc == MAILMIME_MECHANISM_BASE64)
		return *own = mt_base64_decode(data, dlen, len);	/* one copy, no libetpan's too */
	if (enc != MAILMIME_MECHANISM_QUOTED_PRINTABLE) {
		*len = dlen;
		return data;
	}
	/*
	 * libetpan's decoder reads the byte after the part: read here only
	 * inside the parsed bytes; past them it is the NUL the worker puts there
	 */
	return *own = mt_qp_decode(data, dlen, data >= a->start && data + dlen < a->end ?
	    (unsigned char)data[dlen] : 0, len);	/* one copy, no libetpan's too */
}

/* A detached signature by content: OpenPGP armour or a PKCS#7 signedData. */
static int
ma_is_signature(const char *d, size_t n)
{
	static const char signed_data[] = "\x06\x09\x2A\x86\x48\x86\xF7\x0D\x01\x07\x02";

	while (n > 0 && (*d == ' ' || *d == '\r' || *d == '\n' || *d == '\t'))
		d++, n--;
	if (ma_has(d, n, "-----BEGIN PGP SIGNATURE-----", 29))
		return 1;
	return n > 16 && (unsigned char)d[0] == 0x30 &&
	    memmem(d, n < 64 ? n : 64, signed_data, sizeof(signed_data) - 1) != NULL;
}

static void
ma_office(struct ma *a, const char *d, size_t n, const struct ma_part *p)
{
	struct sbuf t, extra;
	char err[200], *txt;
	size_t len;

	sbuf_init(&t);
	sbuf_init(&extra);
	if (office_extract(d, n, a->lim, &t, &extra, err, sizeof(err)) < 0) {
		ma_uninspectable(a, p->name ? p->name : "document", err);
		sbuf_free(&t);
		sbuf_free(&extra);
		return;
	}
	mt_fold(&t);
	mt_fold(&extra);
	txt = sbuf_steal(&t, &len);
	if ((extra.len && ma_search(a, extra.data, extra.len)) || ma_search(a, txt, len)) {
		sbuf_free(&extra);
		free(txt);
		return;
	}
	sbuf_free(&extra);
	ma_add_text(&a->r->docs, &a->r->ndocs, p->name ? p->name : "document", txt, len);
}

static void
ma_image(struct ma *a, const struct mailmime_single_fields *sf, const struct ma_part *p)
{
	if (sf->fld_id == NULL) {
		ma_uninspectable(a, p->name ? p->name : "image", p->type);
		return;
	}
	a->imgs = xreallocarray(a->imgs, a->nimgs + 1, sizeof(*a->imgs));
	a->imgs[a->nimgs].cid = xstrdup(sf->fld_id);
	a->imgs[a->nimgs].desc = xasprintf("%s (%s)", p->name ? p->name : "image", p->type);
	a->nimgs++;
}

/* Type, file name (name= and filename=, every parameter searched) and disposition. */
static void
ma_describe(struct ma *a, struct mailmime *m, const struct mailmime_single_fields *sf,
    int top, struct ma_part *p)
{
	struct ma_pv *pv;
	size_t n;
	char *fname;

	memset(p, 0, sizeof(*p));
	p->type = ma_type(m->mm_content_type);
	p->ct = m->mm_content_type;
	p->charset = sf->fld_content_charset;
	p->top = top;
	a->where = m->mm_parent_type == MAILMIME_MULTIPLE ? "the headers of a body part" :
	    "the message's headers";
	n = ma_ct_params(m->mm_content_type, &pv);
	ma_scan_params(a, pv, n);
	p->name = ma_pv_get(pv, n, "name");
	free(pv);
	n = ma_disp_params(sf->fld_disposition, &pv);
	ma_scan_params(a, pv, n);
	fname = ma_pv_get(pv, n, "filename");
	free(pv);
	if (fname) {
		free(p->name);
		p->name = fname;
	}
	p->attach = p->name != NULL || (sf->fld_disposition && sf->fld_disposition->dsp_type &&
	    sf->fld_disposition->dsp_type->dsp_type == MAILMIME_DISPOSITION_TYPE_ATTACHMENT);
	if (p->name == NULL && p->attach)
		p->name = xasprintf("attachment %u", ++a->anon);
}

static void
ma_single(struct ma *a, struct mailmime *m, unsigned depth, int top)
{
	struct mailmime_single_fields sf;
	const char *what, *decoded;
	struct ma_part p;
	char *own = NULL;
	size_t len = 0;
	enum ma_kind kind;

	mailmime_single_fields_init(&sf, m->mm_mime_fields, m->mm_content_type);
	ma_describe(a, m, &sf, top, &p);
	if (strncmp(p.type, "multipart/", 10) == 0) {
		/* libetpan reads a multipart without a usable boundary as one part */
		ma_malformed(a, "a %s part has no boundary", p.type);
		goto out;
	}
	if ((decoded = ma_decode_part(a, m, &sf, &p, &len, &own)) == NULL)
		goto out;
	a->decoded += len;
	if (a->decoded > a->lim->max_decoded) {
		ma_malformed(a, "the decoded message is larger than %zu bytes", a->lim->max_decoded);
		goto out;
	}
	ma_report_part(a, p.type, decoded, len, depth);
	kind = a->in_signature && ma_is_signature(decoded, len) ? MK_DECORATION :
	    ma_sniff(decoded, len, p.type, p.name, p.charset, &what);
	if (own == NULL && (kind == MK_MESSAGE || kind == MK_OFFICE))
		decoded = own = xstrndup(decoded, len);	/* parsed again: a NUL after it, as before */
	switch (kind) {
	case MK_TEXT:
	case MK_HTML:
	case MK_RTF:
		a->where = p.name ? p.name : p.top && a->body_plain == NULL && a->body_html == NULL ?
		    "the body" : "a text part";
		ma_text(a, kind, decoded, len, &own, &p);
		break;
	case MK_MESSAGE:
		ma_nested_bytes(a, decoded, len, depth + 1);
		break;
	case MK_OFFICE:
		a->where = p.name ? p.name : "a document";
		ma_office(a, decoded, len, &p);
		break;
	case MK_IMAGE:
		ma_image(a, &sf, &p);
		break;
	case MK_OTHER:
		ma_uninspectable(a, p.name ? p.name : "part", what);
		break;
	case MK_DECORATION:
		break;
	}
out:
	free(own);
	a->where = NULL;	/* it may have been p.name */
	free(p.type);
	free(p.name);
}

/*
 * The closing delimiter must be there: libetpan accepts a multipart cut
 * short. Returns the first byte after the closing delimiter line (the
 * epilogue), or NULL when there is none.
 */
static const char *
ma_closed(struct mailmime *m, const char *boundary)
{
	const char *s = m->mm_mime_start, *p, *end;
	size_t bl = strlen(boundary);

	if (s == NULL)
		return NULL;
	end = s + m->mm_length;
	for (p = s; p + bl + 4 <= end; p++) {
		p = memchr(p, '-', (size_t)(end - p));
		if (p == NULL || p + bl + 4 > end)
			return NULL;
		if (p[1] == '-' && memcmp(p + 2, boundary, bl) == 0 && p[bl + 2] == '-' &&
		    p[bl + 3] == '-' && (p == s || p[-1] == '\n')) {
			p = memchr(p, '\n', (size_t)(end - p));
			return p ? p + 1 : end;
		}
	}
	return NULL;
}

/* The preamble and epilogue are sent too: searched as text. */
static void
ma_scan_around(struct ma *a, struct mailmime *m, const char *epilogue)
{
	struct mailmime_data *pre = m->mm_data.mm_multipart.mm_preamble;
	const char *end = m->mm_mime_start + m->mm_length, *what;
	struct sbuf t;

	sbuf_init(&t);
	if (pre && pre->dt_type == MAILMIME_DATA_TEXT && pre->dt_data.dt_text.dt_data)
		mt_clean(pre->dt_data.dt_text.dt_data, pre->dt_data.dt_text.dt_length, NULL, MT_REFS, &t);
	if (epilogue && epilogue < end) {
		sbuf_addc(&t, '\n');
		mt_clean(epilogue, (size_t)(end - epilogue), NULL, MT_REFS, &t);
	}
	if (t.len && !ma_search(a, t.data, t.len) && mt_embedded_file(t.data, t.len, &what))
		ma_uninspectable(a, "text around the parts", what);
	sbuf_free(&t);
}

static void
ma_multipart(struct ma *a, struct mailmime *m, unsigned depth, int top)
{
	char *boundary = ma_boundary(m->mm_content_type), *type = ma_type(m->mm_content_type);
	const char *epilogue = NULL;
	clistiter *it;
	int n = 0;

	if (boundary == NULL || *boundary == '\0')
		ma_malformed(a, "a %s part has no boundary", type);
	else if ((epilogue = ma_closed(m, boundary)) == NULL)
		ma_malformed(a, "a %s part is not closed", type);
	free(boundary);
	if (!a->malformed) {
		a->where = "the text around the parts";
		ma_scan_around(a, m, epilogue);
	}
	if (strcmp(type, "multipart/encrypted") == 0) {
		ma_uninspectable(a, "encrypted part", type);
		free(type);
		return;
	}
	for (it = m->mm_data.mm_multipart.mm_mp_list ? clist_begin(m->mm_data.mm_multipart.mm_mp_list) :
	    NULL; it && !a->malformed; it = clist_next(it)) {
		/* the signature of multipart/signed is decoration if it is a signature */
		int was = a->in_signature;

		if (strcmp(type, "multipart/signed") == 0 && n++ > 0)
			a->in_signature = 1;
		ma_walk(a, clist_content(it), depth + 1, top);
		a->in_signature = was;
	}
	free(type);
}

/* Every parameter of a multipart's or a message part's Content-Type and Content-Disposition. */
static void
ma_scan_part_params(struct ma *a, struct mailmime *m)
{
	struct mailmime_single_fields sf;
	struct ma_pv *pv;
	size_t n;

	mailmime_single_fields_init(&sf, m->mm_mime_fields, m->mm_content_type);
	a->where = m->mm_parent_type == MAILMIME_MULTIPLE ? "the headers of a body part" :
	    "the message's headers";
	n = ma_ct_params(m->mm_content_type, &pv);
	ma_scan_params(a, pv, n);
	free(pv);
	n = ma_disp_params(sf.fld_disposition, &pv);
	ma_scan_params(a, pv, n);
	free(pv);
}

/* The header block of a body part: read completely, no field twice, every field searched. */
static void
ma_part_block(struct ma *a, struct mailmime *m)
{
	struct mh_block hb;

	if (m->mm_parent_type != MAILMIME_MULTIPLE || m->mm_mime_start == NULL)
		return;
	mh_parse(m->mm_mime_start, m->mm_length, &hb);
	ma_check_part_block(a, &hb, "a body part");
	ma_scan_headers(a, &hb, 0, "the headers of a body part");
	mh_free(&hb);
}

static void
ma_walk(struct ma *a, struct mailmime *m, unsigned depth, int top)
{
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
	ma_part_block(a, m);
	if (m->mm_type != MAILMIME_SINGLE)
		ma_scan_part_params(a, m);	/* a single part's are read with its file name */
	if (a->malformed)
		return;
	switch (m->mm_type) {
	case MAILMIME_SINGLE:
		ma_single(a, m, depth, top);
		break;
	case MAILMIME_MESSAGE:
		/* the forwarded message starts after this part's own header block */
		if (m->mm_body && m->mm_body->dt_type == MAILMIME_DATA_TEXT)
			ma_message(a, m, m->mm_body->dt_data.dt_text.dt_data,
			    m->mm_body->dt_data.dt_text.dt_length, depth, 0);
		else
			ma_message(a, m, m->mm_mime_start, m->mm_length, depth, 0);
		break;
	case MAILMIME_MULTIPLE:
		ma_multipart(a, m, depth, top);
		break;
	default:
		util_panic("libetpan gave a MIME part of type %d", m->mm_type);
	}
}

static void
ma_message(struct ma *a, struct mailmime *m, const char *raw, size_t rawlen, unsigned depth,
    int top)
{
	struct mh_block hb;

	mh_parse(raw ? raw : "", raw ? rawlen : 0, &hb);
	if (top) {
		ma_report_kind(a, m->mm_data.mm_message.mm_msg_mime);
		ma_check_block(a, &hb);
		ma_top_fields(a, &hb, m->mm_data.mm_message.mm_fields);
	} else {
		ma_check_part_block(a, &hb, "a forwarded message");
		/* the message a report returns: a part of it (2), or such a part encoded (3) */
		if (a->r->report.is_dsn && a->r->report.orig_id == NULL && (depth == 2 ||
		    depth == 3) && mh_get(&hb, "Message-ID") != NULL)
			a->r->report.orig_id = ma_msgid(mh_get(&hb, "Message-ID"), 0);
	}
	ma_scan_headers(a, &hb, top, top ? "the message's headers" : "a forwarded message");
	mh_free(&hb);
	if (!a->malformed)
		ma_walk(a, m->mm_data.mm_message.mm_msg_mime, depth + 1, top);
}

size_t
mime_crlf_size(const char *msg, size_t len)
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
	size_t i;

	memset(&a, 0, sizeof(a));
	a.lim = lim;
	a.r = out;
	a.start = msg;
	a.end = msg + len;
	sbuf_init(&a.cids);
	out->size = mime_crlf_size(msg, len);
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
	if (mtree_parse(msg, len, &m) != MAILIMF_NO_ERROR || m == NULL) {
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
		out->size = mime_crlf_size(msg, len);
	}
	return 0;
}
