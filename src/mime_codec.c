/*
 * mime_codec - the byte encoding of a struct mime_result for the pipe
 * between the parser worker and the daemon, and its strict decoder: every
 * length is checked against the bytes left, and the decoded result owns
 * every string. See include/mime.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"

/* --- result encoding for the worker pipe --- */

/* Where the encoding goes: put (NULL to count only), and how long it is so far. */
struct enc {
	mime_put_fn *put;
	void *ctx;
	uint64_t len;
	int failed;
};

static void
enc_add(struct enc *e, const void *p, size_t n)
{
	e->len += n;
	if (e->put && !e->failed && n && e->put(e->ctx, p, n) < 0)
		e->failed = 1;
}

static void
enc_u64(struct enc *e, uint64_t v)
{
	unsigned char x[8];
	int i;

	for (i = 0; i < 8; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	enc_add(e, x, 8);
}

static void
enc_str(struct enc *e, const char *s, size_t n)
{
	if (s == NULL) {
		enc_u64(e, UINT64_MAX);
		return;
	}
	enc_u64(e, n);
	enc_add(e, s, n);
}

static void
enc_texts(struct enc *e, const struct mime_text *t, size_t n)
{
	size_t i;

	enc_u64(e, n);
	for (i = 0; i < n; i++) {
		enc_str(e, t[i].name, t[i].name ? strlen(t[i].name) : 0);
		enc_str(e, t[i].text, t[i].len);
	}
}

static void
enc_strv(struct enc *e, char *const *v, size_t n)
{
	size_t i;

	enc_u64(e, n);
	for (i = 0; i < n; i++)
		enc_str(e, v[i], strlen(v[i]));
}

#define MIME_ENC_MAGIC 0x4d47524533ULL	/* "MGRE3": and a delivery report's pieces */

static void
enc_result(const struct mime_result *r, struct enc *e)
{
	size_t i;

	enc_u64(e, MIME_ENC_MAGIC);
	enc_u64(e, (uint64_t)r->status);
	enc_str(e, r->detail, r->detail ? strlen(r->detail) : 0);
	enc_u64(e, r->size);
	enc_str(e, r->subject, r->subject ? strlen(r->subject) : 0);
	enc_str(e, r->message_id, r->message_id ? strlen(r->message_id) : 0);
	enc_str(e, r->from, r->from ? strlen(r->from) : 0);
	enc_strv(e, r->rcpts, r->nrcpts);
	enc_str(e, r->body.text, r->body.len);
	enc_texts(e, r->docs, r->ndocs);
	enc_texts(e, r->csvs, r->ncsvs);
	enc_strv(e, r->uninspectable, r->nuninspectable);
	enc_u64(e, r->records.n);
	for (i = 0; i < r->records.n; i++)
		enc_add(e, r->records.v[i].s, NINO_STEM_LEN);
	for (i = 0; i < r->records.n; i++)
		enc_str(e, r->record_where ? r->record_where[i] : NULL,
		    r->record_where ? strlen(r->record_where[i]) : 0);
	enc_u64(e, (uint64_t)r->subject_records);
	enc_u64(e, (uint64_t)(r->report.is_dsn != 0));
	enc_str(e, r->report.status, r->report.status ? strlen(r->report.status) : 0);
	enc_str(e, r->report.orig_id, r->report.orig_id ? strlen(r->report.orig_id) : 0);
	enc_str(e, r->report.in_reply_to,
	    r->report.in_reply_to ? strlen(r->report.in_reply_to) : 0);
}

static int
enc_to_sbuf(void *ctx, const void *p, size_t n)
{
	sbuf_add(ctx, p, n);
	return 0;
}

void
mime_result_encode(const struct mime_result *r, struct sbuf *out)
{
	struct enc e = { enc_to_sbuf, out, 0, 0 };

	enc_result(r, &e);
}

uint64_t
mime_result_encoded_len(const struct mime_result *r)
{
	struct enc e = { NULL, NULL, 0, 0 };

	enc_result(r, &e);
	return e.len;
}

int
mime_result_encode_to(const struct mime_result *r, mime_put_fn *put, void *ctx)
{
	struct enc e = { put, ctx, 0, 0 };

	enc_result(r, &e);
	return e.failed ? -1 : 0;
}

/*
 * The decoder reads through get, from a buffer or straight from the
 * worker's socket: left is what the announced length still allows, and
 * every length read is checked against it before anything is allocated
 * for it, so a lying answer costs at most what it actually sends.
 */
struct dec {
	mime_get_fn *get;
	void *ctx;
	uint64_t left;
	int bad;
};

/* Exactly n more bytes into p; marks the decoding bad when they are not there. */
static void
dec_take(struct dec *d, void *p, size_t n)
{
	if (d->bad || n > d->left || (n > 0 && d->get(d->ctx, p, n) < 0)) {
		d->bad = 1;
		return;
	}
	d->left -= n;
}

static uint64_t
dec_u64(struct dec *d)
{
	unsigned char x[8];
	uint64_t v = 0;
	int i;

	dec_take(d, x, 8);
	if (d->bad)
		return 0;
	for (i = 0; i < 8; i++)
		v |= (uint64_t)x[i] << (8 * i);
	return v;
}

#define DEC_STEP (1u << 20)	/* a long string grows as it arrives, never ahead of it */

static char *
dec_str(struct dec *d, size_t *len)
{
	uint64_t n = dec_u64(d);
	size_t got = 0, cap;
	char *s;

	if (d->bad || n == UINT64_MAX)
		return NULL;
	if (n > d->left) {
		d->bad = 1;
		return NULL;
	}
	cap = n < DEC_STEP ? (size_t)n : DEC_STEP;
	s = xmalloc(cap + 1);
	while (!d->bad && got < n) {
		size_t k;

		if (got == cap) {
			cap = n - got > cap ? cap * 2 : (size_t)n;
			s = xrealloc(s, cap + 1);
		}
		k = cap - got;
		dec_take(d, s + got, k);
		got += k;
	}
	if (d->bad) {
		free(s);
		return NULL;
	}
	s[n] = '\0';
	if (len)
		*len = (size_t)n;
	return s;
}

/* A count that the remaining bytes could hold (each item takes at least 8). */
static size_t
dec_count(struct dec *d)
{
	uint64_t n = dec_u64(d);

	if (n > d->left / 8) {
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
mime_result_decode_from(mime_get_fn *get, void *ctx, uint64_t len, struct mime_result *out)
{
	struct dec d = { get, ctx, len, 0 };
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
		char stem[NINO_STEM_LEN];

		dec_take(&d, stem, NINO_STEM_LEN);
		if (!d.bad && nino_set_add(&out->records, stem) != 1)
			d.bad = 1;	/* a stem twice is no encoding of ours */
	}
	if (!d.bad)
		out->record_where = xcalloc(out->records.n ? out->records.n : 1, sizeof(char *));
	for (i = 0; i < out->records.n && !d.bad; i++)
		out->record_where[i] = dec_str(&d, NULL);	/* NULL: not known */
	out->subject_records = (int)dec_u64(&d);
	out->report.is_dsn = dec_u64(&d) != 0;
	out->report.status = dec_str(&d, NULL);
	out->report.orig_id = dec_str(&d, NULL);
	out->report.in_reply_to = dec_str(&d, NULL);
	if (d.bad || d.left != 0) {
		mime_result_free(out);
		return -1;
	}
	return 0;
}

/* A buffer as the decoder's source. */
struct dec_mem {
	const char *p;
	size_t left;
};

static int
dec_from_mem(void *ctx, void *dst, size_t n)
{
	struct dec_mem *m = ctx;

	if (n > m->left)
		return -1;
	memcpy(dst, m->p, n);
	m->p += n;
	m->left -= n;
	return 0;
}

int
mime_result_decode(const char *buf, size_t len, struct mime_result *out)
{
	struct dec_mem m = { buf, len };

	return mime_result_decode_from(dec_from_mem, &m, len, out);
}

static int
eq_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static int
eq_texts(const struct mime_text *a, size_t na, const struct mime_text *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (!eq_str(a[i].name, b[i].name) || a[i].len != b[i].len ||
		    (a[i].len && memcmp(a[i].text, b[i].text, a[i].len) != 0))
			return 0;
	return 1;
}

static int
eq_strv(char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (!eq_str(a[i], b[i]))
			return 0;
	return 1;
}

int
mime_result_equal(const struct mime_result *a, const struct mime_result *b)
{
	size_t i;

	if (a->status != b->status || a->size != b->size || !eq_str(a->detail, b->detail) ||
	    !eq_str(a->subject, b->subject) || !eq_str(a->message_id, b->message_id) ||
	    !eq_str(a->from, b->from) || !eq_strv(a->rcpts, a->nrcpts, b->rcpts, b->nrcpts) ||
	    a->subject_records != b->subject_records || a->records.n != b->records.n ||
	    a->report.is_dsn != b->report.is_dsn || !eq_str(a->report.status, b->report.status) ||
	    !eq_str(a->report.orig_id, b->report.orig_id) ||
	    !eq_str(a->report.in_reply_to, b->report.in_reply_to) ||
	    !eq_strv(a->uninspectable, a->nuninspectable, b->uninspectable, b->nuninspectable))
		return 0;
	if ((a->body.text == NULL) != (b->body.text == NULL) ||
	    !eq_texts(&a->body, a->body.text != NULL, &b->body, b->body.text != NULL) ||
	    !eq_texts(a->docs, a->ndocs, b->docs, b->ndocs) ||
	    !eq_texts(a->csvs, a->ncsvs, b->csvs, b->ncsvs))
		return 0;
	for (i = 0; i < a->records.n; i++)
		if (memcmp(a->records.v[i].s, b->records.v[i].s, NINO_STEM_LEN) != 0 ||
		    !eq_str(a->record_where ? a->record_where[i] : NULL,
		    b->record_where ? b->record_where[i] : NULL))
			return 0;
	return 1;
}
