/*
 * test_mime_tree - mtree_parse() builds the tree libetpan's mailmime_parse()
 * builds: compared node by node (type, where each node starts and ends, its
 * body, preamble and epilogue, its Content-Type and fields, its parts and
 * its forwarded message) on the sample messages, on the fuzz corpus, on
 * hand-made cases of libetpan's quirks and on fixed-seed mutations of all
 * of them (line breaks, dashes, delimiters and white space put in, bytes
 * cut). Inputs mime_prefilter() stops are left out: libetpan cannot parse
 * them safely, and the analysis never gives them to either parser.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libetpan/libetpan.h>

#include "mime.h"
#include "mime_int.h"
#include "util.h"

struct tr_cmp {
	const char *msg;
	size_t len;
	size_t nodes;
};

static void tr_node(struct tr_cmp *c, const struct mailmime *a, const struct mailmime *b);

static void
tr_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void
tr_data(const struct mailmime_data *a, const struct mailmime_data *b)
{
	if (a == NULL || b == NULL) {
		assert_ptr_equal(a, b);
		return;
	}
	assert_int_equal(a->dt_type, b->dt_type);
	assert_int_equal(a->dt_encoding, b->dt_encoding);
	assert_int_equal(a->dt_encoded, b->dt_encoded);
	assert_int_equal(a->dt_type, MAILMIME_DATA_TEXT);
	assert_ptr_equal(a->dt_data.dt_text.dt_data, b->dt_data.dt_text.dt_data);
	assert_int_equal(a->dt_data.dt_text.dt_length, b->dt_data.dt_text.dt_length);
}

static void
tr_content(const struct mailmime_content *a, const struct mailmime_content *b)
{
	clistiter *i, *j;

	if (a == NULL || b == NULL) {
		assert_ptr_equal(a, b);
		return;
	}
	assert_int_equal(a->ct_type->tp_type, b->ct_type->tp_type);
	if (a->ct_type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE) {
		assert_int_equal(a->ct_type->tp_data.tp_discrete_type->dt_type,
		    b->ct_type->tp_data.tp_discrete_type->dt_type);
		tr_str(a->ct_type->tp_data.tp_discrete_type->dt_extension,
		    b->ct_type->tp_data.tp_discrete_type->dt_extension);
	} else {
		assert_int_equal(a->ct_type->tp_data.tp_composite_type->ct_type,
		    b->ct_type->tp_data.tp_composite_type->ct_type);
	}
	tr_str(a->ct_subtype, b->ct_subtype);
	i = a->ct_parameters ? clist_begin(a->ct_parameters) : NULL;
	j = b->ct_parameters ? clist_begin(b->ct_parameters) : NULL;
	for (; i && j; i = clist_next(i), j = clist_next(j)) {
		const struct mailmime_parameter *p = clist_content(i), *q = clist_content(j);

		tr_str(p->pa_name, q->pa_name);
		tr_str(p->pa_value, q->pa_value);
	}
	assert_ptr_equal(i, j);
}

static void
tr_mime_fields(const struct mailmime_fields *a, const struct mailmime_fields *b)
{
	clistiter *i, *j;

	if (a == NULL || b == NULL) {
		assert_ptr_equal(a, b);
		return;
	}
	for (i = clist_begin(a->fld_list), j = clist_begin(b->fld_list); i && j;
	    i = clist_next(i), j = clist_next(j)) {
		const struct mailmime_field *f = clist_content(i), *g = clist_content(j);

		assert_int_equal(f->fld_type, g->fld_type);
		if (f->fld_type == MAILMIME_FIELD_TRANSFER_ENCODING)
			assert_int_equal(f->fld_data.fld_encoding->enc_type,
			    g->fld_data.fld_encoding->enc_type);
	}
	assert_ptr_equal(i, j);
}

static void
tr_imf_fields(const struct mailimf_fields *a, const struct mailimf_fields *b)
{
	clistiter *i, *j;

	if (a == NULL || b == NULL) {
		assert_ptr_equal(a, b);
		return;
	}
	for (i = clist_begin(a->fld_list), j = clist_begin(b->fld_list); i && j;
	    i = clist_next(i), j = clist_next(j)) {
		const struct mailimf_field *f = clist_content(i), *g = clist_content(j);

		assert_int_equal(f->fld_type, g->fld_type);
		if (f->fld_type == MAILIMF_FIELD_OPTIONAL_FIELD) {
			tr_str(f->fld_data.fld_optional_field->fld_name,
			    g->fld_data.fld_optional_field->fld_name);
			tr_str(f->fld_data.fld_optional_field->fld_value,
			    g->fld_data.fld_optional_field->fld_value);
		}
	}
	assert_ptr_equal(i, j);
}

static void
tr_multipart(struct tr_cmp *c, const struct mailmime *a, const struct mailmime *b)
{
	const struct mailmime_data *pre = b->mm_data.mm_multipart.mm_preamble;
	clistiter *i, *j;

	/* libetpan 1.9.4's preamble wraps below zero where no "--" starts a line: ours is empty */
	if (pre && pre->dt_data.dt_text.dt_length > c->len)
		assert_null(a->mm_data.mm_multipart.mm_preamble);
	else
		tr_data(a->mm_data.mm_multipart.mm_preamble, pre);
	tr_data(a->mm_data.mm_multipart.mm_epilogue, b->mm_data.mm_multipart.mm_epilogue);
	for (i = clist_begin(a->mm_data.mm_multipart.mm_mp_list),
	    j = clist_begin(b->mm_data.mm_multipart.mm_mp_list); i && j;
	    i = clist_next(i), j = clist_next(j))
		tr_node(c, clist_content(i), clist_content(j));
	assert_ptr_equal(i, j);
}

static void
tr_node(struct tr_cmp *c, const struct mailmime *a, const struct mailmime *b)
{
	c->nodes++;
	assert_int_equal(a->mm_parent_type, b->mm_parent_type);
	assert_int_equal(a->mm_type, b->mm_type);
	assert_ptr_equal(a->mm_mime_start, b->mm_mime_start);
	assert_int_equal(a->mm_length, b->mm_length);
	tr_mime_fields(a->mm_mime_fields, b->mm_mime_fields);
	tr_content(a->mm_content_type, b->mm_content_type);
	tr_data(a->mm_body, b->mm_body);
	switch (a->mm_type) {
	case MAILMIME_SINGLE:
		tr_data(a->mm_data.mm_single, b->mm_data.mm_single);
		break;
	case MAILMIME_MULTIPLE:
		tr_multipart(c, a, b);
		break;
	case MAILMIME_MESSAGE:
		tr_imf_fields(a->mm_data.mm_message.mm_fields, b->mm_data.mm_message.mm_fields);
		if (a->mm_data.mm_message.mm_msg_mime == NULL ||
		    b->mm_data.mm_message.mm_msg_mime == NULL)
			assert_ptr_equal(a->mm_data.mm_message.mm_msg_mime,
			    b->mm_data.mm_message.mm_msg_mime);
		else
			tr_node(c, a->mm_data.mm_message.mm_msg_mime, b->mm_data.mm_message.mm_msg_mime);
		break;
	default:
		fail_msg("node type %d", a->mm_type);
	}
}

/* Both parsers on msg; the number of nodes compared (0 when the pre-filter stops it). */
static size_t
tr_compare(const char *msg, size_t len)
{
	struct mailmime *theirs = NULL, *ours = NULL;
	struct tr_cmp c = { msg, len, 0 };
	const char *why;
	size_t idx = 0;
	int rt, ro;

	if (mime_prefilter(msg, len, &why))
		return 0;
	rt = mailmime_parse(msg, len, &idx, &theirs);
	ro = mtree_parse(msg, len, &ours);
	assert_int_equal(ro, rt);
	if (rt == MAILIMF_NO_ERROR) {
		tr_node(&c, ours, theirs);
		mailmime_free(ours);
		mailmime_free(theirs);
	}
	return c.nodes;
}

/* libetpan's quirks, each written out once. */
static const char *const tr_cases[] = {
	/* a plain two-part message */
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n"
	"--b\r\n\r\ny\r\n--b--\r\n",
	/* preamble and epilogue, with transport padding after the delimiters */
	"Content-Type: multipart/mixed; boundary=b\r\n\r\npre\r\n--b  \r\n\r\nx\r\n--b\t\r\ny\r\n--b-- \r\n"
	"epi\r\nlogue\r\n",
	/* no delimiter at all; no close delimiter; the body ends at a delimiter */
	"Content-Type: multipart/mixed; boundary=b\r\n\r\nno parts here\r\n",
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nx\r\n",
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nx\r\n--b",
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nx\r\n--b--",
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nx\r\n--b--\r",
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nx\r\n--b--Z",
	/* empty parts; a delimiter followed by text; "\n-" lines that are not delimiters */
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n--b\r\nx\r\n--b--\r\n",
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n--b--\r\n",
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nx\r\n--bc\r\ny\r\n-- b\r\n-\r\n--b--\r\n",
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nx\n-y\n--b--\n",
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nx\r\n-\r\n-",
	/* the preamble's line starts: one byte after a break, and "\n-" then a break */
	"Content-Type: multipart/mixed; boundary=b\r\n\r\nX--b\r\nx\r\n--b--\r\n",
	"Content-Type: multipart/mixed; boundary=b\r\n\r\na\nX--b\r\nx\r\n--b--\r\n",
	"Content-Type: multipart/mixed; boundary=b\r\n\r\na\n-\n--b\r\nx\r\n--b--\r\n",
	"Content-Type: multipart/mixed; boundary=b\r\n\r\na\r--b\r\nx\r\n--b--\r\n",
	"Content-Type: multipart/mixed; boundary=b\r\n\r\na\rX--b\r\nx\r\n--b--\r\n",
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n\r\n\r\n--b\r\nx\r\n--b--\r\n",
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n--c\r\n--b\r\nx\r\n--b--\r\n",
	/* bare CR and LF line breaks */
	"Content-Type: multipart/mixed; boundary=b\n\n--b\nx\n--b--\n",
	"Content-Type: multipart/mixed; boundary=b\r\r--b\rx\r--b--\r",
	/* quoted and empty boundaries, none at all */
	"Content-Type: multipart/mixed; boundary=\"b c\"\r\n\r\n--b c\r\nx\r\n--b c--\r\n",
	"Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\nx\r\n----\r\n",
	"Content-Type: multipart/mixed\r\n\r\n--b\r\nx\r\n--b--\r\n",
	/* nested multiparts, a digest's default type, forwarded messages */
	"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/alternative;"
	" boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>y\r\n--b--\r\n"
	"--a\r\nContent-Type: message/rfc822\r\n\r\nSubject: s\r\nContent-Type: text/plain\r\n\r\nz\r\n"
	"--a--\r\n",
	"Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: one\r\n\r\n1\r\n--d\r\n"
	"Content-Type: text/plain\r\n\r\n2\r\n--d--\r\n",
	"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogcw0K\r\n",
	"Content-Type: message/partial; id=x\r\n\r\nSubject: s\r\n\r\nz\r\n",
	"Subject: no MIME at all\r\n\r\nbody\r\n",
	"",
	"\r\n",
	"Content-Type: multipart/mixed; boundary=b\r\nMIME-Version: 1.0\r\nContent-ID: <i>\r\n"
	"X-Other: o\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nMIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=c\r\nContent-Language: en\r\n\r\n--c\r\n\r\nq\r\n"
	"--c--\r\n--b--\r\n",
};

static void
test_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tr_cases) / sizeof(tr_cases[0]); i++)
		(void)tr_compare(tr_cases[i], strlen(tr_cases[i]));
}

struct tr_corpus {
	char **v;
	size_t *len, n;
};

static void
tr_load_dir(struct tr_corpus *c, const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t nl = strlen(de->d_name), sl = strlen(suffix), len;
		char *path, *raw;

		if (de->d_name[0] == '.' || nl < sl || strcmp(de->d_name + nl - sl, suffix) != 0)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		raw = file_read(path, 8u << 20, &len);
		assert_non_null(raw);
		free(path);
		c->v = xreallocarray(c->v, c->n + 1, sizeof(char *));
		c->len = xreallocarray(c->len, c->n + 1, sizeof(size_t));
		c->v[c->n] = raw;
		c->len[c->n++] = len;
	}
	closedir(d);
}

static void
tr_load(struct tr_corpus *c)
{
	const char *top = getenv("top_srcdir");
	char *dir;
	size_t i;

	memset(c, 0, sizeof(*c));
	dir = xasprintf("%s/tests/messages", top ? top : ".");
	tr_load_dir(c, dir, ".eml");
	free(dir);
	dir = xasprintf("%s/tests/fuzz/corpus/message", top ? top : ".");
	tr_load_dir(c, dir, "");
	free(dir);
	for (i = 0; i < sizeof(tr_cases) / sizeof(tr_cases[0]); i++) {
		c->v = xreallocarray(c->v, c->n + 1, sizeof(char *));
		c->len = xreallocarray(c->len, c->n + 1, sizeof(size_t));
		c->v[c->n] = xstrdup(tr_cases[i]);
		c->len[c->n++] = strlen(tr_cases[i]);
	}
}

static void
tr_unload(struct tr_corpus *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->v[i]);
	free(c->v);
	free(c->len);
}

static void
test_corpus(void **state)
{
	struct tr_corpus c;
	size_t i, nodes = 0;

	(void)state;
	tr_load(&c);
	assert_true(c.n > 150);
	for (i = 0; i < c.n; i++)
		nodes += tr_compare(c.v[i], c.len[i]);
	/* the comparison saw real trees, not only failures */
	assert_true(nodes > 3 * c.n);
	tr_unload(&c);
}

static unsigned long
tr_rand(unsigned long *seed)
{
	*seed = *seed * 6364136223846793005ul + 1442695040888963407ul;
	return *seed >> 33;
}

/* The first boundary value written in the message, or "b". */
static char *
tr_boundary(const char *m, size_t len)
{
	const char *p = m, *end = m + len, *q;

	while ((p = memchr(p, '=', (size_t)(end - p))) != NULL) {
		if (p - m >= 8 && ascii_strncasecmp(p - 8, "boundary", 8) == 0) {
			p++;
			if (p < end && *p == '"')
				p++;
			for (q = p; q < end && *q != '"' && *q != ';' && *q != '\r' && *q != '\n' &&
			    *q != ' '; q++)
				;
			return xstrndup(p, (size_t)(q - p));
		}
		p++;
	}
	return xstrdup("b");
}

/* One mutation of m: something that matters to the multipart reader put in, or bytes cut. */
static char *
tr_mutate(const char *m, size_t len, const char *b, unsigned long *seed, size_t *outlen)
{
	static const char *const bits[] = { "\n", "\r\n", "\r", "-", "--", " ", "\t", "\r\n\r\n",
		"\n-", "\r\n--", "--\r\n", "x" };
	size_t at = len ? tr_rand(seed) % (len + 1) : 0, n;
	struct sbuf s;
	char *ins = NULL;

	sbuf_init(&s);
	switch (tr_rand(seed) % 6) {
	case 0:
		ins = xasprintf("\r\n--%s\r\n", b);
		break;
	case 1:
		ins = xasprintf("\r\n--%s--%s", b, tr_rand(seed) % 2 ? "\r\n" : "");
		break;
	case 2:
		ins = xasprintf("--%s", b);
		break;
	case 3:
		ins = xstrdup(bits[tr_rand(seed) % (sizeof(bits) / sizeof(bits[0]))]);
		break;
	case 4:	/* a cut */
		n = tr_rand(seed) % 64;
		sbuf_add(&s, m, at);
		if (at + n < len)
			sbuf_add(&s, m + at + n, len - at - n);
		return sbuf_steal(&s, outlen);
	default:	/* the end cut off */
		sbuf_add(&s, m, at);
		return sbuf_steal(&s, outlen);
	}
	sbuf_add(&s, m, at);
	sbuf_adds(&s, ins);
	sbuf_add(&s, m + at, len - at);
	free(ins);
	return sbuf_steal(&s, outlen);
}

static void
test_mutations(void **state)
{
	struct tr_corpus c;
	unsigned long seed = 2026;
	size_t i, k, nodes = 0;

	(void)state;
	tr_load(&c);
	for (i = 0; i < c.n; i++) {
		char *b = tr_boundary(c.v[i], c.len[i]), *cur = xstrndup(c.v[i], c.len[i]);
		size_t curlen = c.len[i];

		for (k = 0; k < 60; k++) {
			size_t n;
			char *m = tr_mutate(cur, curlen, b, &seed, &n);

			nodes += tr_compare(m, n);
			/* mutations build on each other for a while, then start again */
			if (k % 6 == 5) {
				free(m);
				free(cur);
				cur = xstrndup(c.v[i], c.len[i]);
				curlen = c.len[i];
			} else {
				free(cur);
				cur = m;
				curlen = n;
			}
		}
		free(cur);
		free(b);
	}
	assert_true(nodes > 60 * c.n);
	tr_unload(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
