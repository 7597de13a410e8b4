/*
 * dsn - the recipient fields of a delivery report (RFC 3464 section 2.3);
 * see include/dsn.h. Reports are read as servers write them, not as the
 * RFC wishes: CRLF or LF, folded fields, any case, a missing blank line
 * between two recipients (a second Final-Recipient starts the next one),
 * Status with a comment after it, addresses in <> or without a type.
 */
#include <stdlib.h>
#include <string.h>

#include "dsn.h"
#include "util.h"

/* The recipient being read. */
struct dsn_cur {
	char *final, *original, *diag;
	char status[12];
	enum dsn_action action;
	int any;		/* a recipient field was seen */
};

static int dsn_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* Control bytes and 8-bit bytes become ' ' or '?', white space is collapsed, and trimmed. */
static char *dsn_one_line(const char *s, size_t n, size_t max)
{
	char *out = xmalloc(n + 1);
	size_t i, k = 0;

	for (i = 0; i < n && k < max; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			c = ' ';
		else if (c >= 0x80)
			c = '?';
		if (c == ' ' && (k == 0 || out[k - 1] == ' '))
			continue;
		out[k++] = (char)c;
	}
	while (k > 0 && out[k - 1] == ' ')
		k--;
	out[k] = '\0';
	return out;
}

/* "rfc822; Bob@Acme.example" (the type optional, <> allowed): the address, or NULL. */
static char *dsn_address(const char *v)
{
	const char *semi = strchr(v, ';'), *s = semi ? semi + 1 : v, *e;
	char *a;
	size_t n;

	while (dsn_ws(*s))
		s++;
	e = s + strlen(s);
	while (e > s && dsn_ws(e[-1]))
		e--;
	if (e - s >= 2 && *s == '<' && e[-1] == '>') {
		s++;
		e--;
	}
	n = (size_t)(e - s);
	if (n < 3 || n > 254 || memchr(s, '@', n) == NULL || s[0] == '@' || e[-1] == '@')
		return NULL;
	a = xstrndup(s, n);
	if (strpbrk(a, " \t<>,;:\"()[]\\") != NULL) {
		free(a);
		return NULL;
	}
	for (n = 0; a[n]; n++)
		if ((unsigned char)a[n] < 0x21 || (unsigned char)a[n] >= 0x7f) {
			free(a);
			return NULL;
		}
	return ascii_lower(a);
}

static enum dsn_action dsn_action_of(const char *v)
{
	static const struct { const char *w; enum dsn_action a; } words[] = {
		{ "failed", DSN_FAILED }, { "delayed", DSN_DELAYED },
		{ "delivered", DSN_DELIVERED }, { "relayed", DSN_RELAYED },
		{ "expanded", DSN_EXPANDED },
	};
	size_t i, n;

	while (dsn_ws(*v))
		v++;
	for (n = 0; v[n] && !dsn_ws(v[n]) && v[n] != '('; n++)
		;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (n == strlen(words[i].w) && ascii_strncasecmp(v, words[i].w, n) == 0)
			return words[i].a;
	return DSN_OTHER;
}

/* class "." subject "." detail: 2, 4 or 5, then one to three digits twice. */
static void dsn_status_of(const char *v, char out[12])
{
	const char *p = v;
	size_t part, d;

	out[0] = '\0';
	while (dsn_ws(*p))
		p++;
	if (*p != '2' && *p != '4' && *p != '5')
		return;
	p++;
	for (part = 0; part < 2; part++) {
		if (*p++ != '.')
			return;
		for (d = 0; p[d] >= '0' && p[d] <= '9'; d++)
			;
		if (d < 1 || d > 3)
			return;
		p += d;
	}
	if (*p != '\0' && !dsn_ws(*p) && *p != '(' && *p != ';')
		return;
	memcpy(out, v + (size_t)(strspn(v, " \t")), (size_t)(p - v) - strspn(v, " \t"));
	out[(size_t)(p - v) - strspn(v, " \t")] = '\0';
}

static void dsn_cur_clear(struct dsn_cur *c)
{
	free(c->final);
	free(c->original);
	free(c->diag);
	memset(c, 0, sizeof(*c));
	c->action = DSN_OTHER;
}

/* The recipient read so far joins d (once per address; a failure wins). */
static void dsn_flush(struct dsn *d, struct dsn_cur *c)
{
	char *addr = c->final ? c->final : c->original;
	struct dsn_rcpt *r = NULL;
	size_t i;

	if (addr != NULL) {
		for (i = 0; i < d->n; i++)
			if (strcmp(d->v[i].recipient, addr) == 0)
				r = &d->v[i];
		if (r != NULL && (r->action == DSN_FAILED || c->action != DSN_FAILED))
			r = NULL;	/* seen already, and this says nothing more */
		else if (r == NULL && d->n < DSN_MAX_RCPTS) {
			d->v = xreallocarray(d->v, d->n + 1, sizeof(*d->v));
			r = &d->v[d->n++];
			memset(r, 0, sizeof(*r));
			r->recipient = xstrdup(addr);
		}
		if (r != NULL) {
			free(r->diagnostic);
			r->action = c->action;
			memcpy(r->status, c->status, sizeof(r->status));
			r->diagnostic = c->diag;
			c->diag = NULL;
		}
	}
	dsn_cur_clear(c);
}

/* One unfolded field of a block. */
static void dsn_field(struct dsn *d, struct dsn_cur *c, const char *name, size_t nl,
    const char *v)
{
#define IS(w) (nl == sizeof(w) - 1 && ascii_strncasecmp(name, w, nl) == 0)
	if (IS("Final-Recipient")) {
		if (c->final != NULL)
			dsn_flush(d, c);	/* two recipients without a blank line between */
		c->final = dsn_address(v);
		c->any = 1;
	} else if (IS("Original-Recipient")) {
		if (c->original != NULL)
			dsn_flush(d, c);
		c->original = dsn_address(v);
		c->any = 1;
	} else if (IS("Action")) {
		c->action = dsn_action_of(v);
	} else if (IS("Status")) {
		dsn_status_of(v, c->status);
	} else if (IS("Diagnostic-Code") && c->diag == NULL) {
		const char *semi = strchr(v, ';');

		c->diag = dsn_one_line(semi ? semi + 1 : v, strlen(semi ? semi + 1 : v),
		    DSN_MAX_DIAG);
		if (*c->diag == '\0') {
			free(c->diag);
			c->diag = NULL;
		}
	}
#undef IS
}

/* "Name: value" (already unfolded); lines without a colon are skipped. */
static void dsn_line(struct dsn *d, struct dsn_cur *c, const char *line)
{
	const char *colon = strchr(line, ':');
	size_t nl;

	if (colon == NULL || colon == line)
		return;
	nl = (size_t)(colon - line);
	while (nl > 0 && dsn_ws(line[nl - 1]))
		nl--;
	dsn_field(d, c, line, nl, colon + 1);
}

int dsn_parse(const char *text, struct dsn *d)
{
	struct dsn_cur c;
	struct sbuf field;
	const char *p, *e;

	memset(d, 0, sizeof(*d));
	if (text == NULL)
		return -1;
	memset(&c, 0, sizeof(c));
	c.action = DSN_OTHER;
	sbuf_init(&field);
	for (p = text; *p; p = *e ? e + 1 : e) {
		size_t n, k;

		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		n = (size_t)(e - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		for (k = 0; k < n && dsn_ws(p[k]); k++)
			;
		if (k == n) {
			/* a blank line ends the field and the block */
			sbuf_addc(&field, '\0');
			dsn_line(d, &c, field.data);
			sbuf_free(&field);
			sbuf_init(&field);
			if (c.any)
				dsn_flush(d, &c);
			else
				dsn_cur_clear(&c);	/* the per-message fields */
			continue;
		}
		if (k > 0 && field.len > 0) {
			sbuf_addc(&field, ' ');	/* a folded line */
			sbuf_add(&field, p + k, n - k);
			continue;
		}
		sbuf_addc(&field, '\0');
		dsn_line(d, &c, field.data);
		sbuf_free(&field);
		sbuf_init(&field);
		sbuf_add(&field, p, n);
	}
	sbuf_addc(&field, '\0');
	dsn_line(d, &c, field.data);
	sbuf_free(&field);
	if (c.any)
		dsn_flush(d, &c);
	dsn_cur_clear(&c);
	return d->n > 0 ? 0 : -1;
}

void dsn_free(struct dsn *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].recipient);
		free(d->v[i].diagnostic);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

int dsn_is_bounce(const struct dsn_rcpt *r)
{
	return r->action == DSN_FAILED;
}

const char *dsn_original_id(const struct mime_report *rep)
{
	if (rep->orig_id != NULL && *rep->orig_id)
		return rep->orig_id;
	if (rep->in_reply_to != NULL && *rep->in_reply_to)
		return rep->in_reply_to;
	return NULL;
}

const char *dsn_action_name(enum dsn_action a)
{
	static const char *const names[] = {
		"failed", "delayed", "delivered", "relayed", "expanded", "other"
	};

	if ((unsigned)a > DSN_OTHER)
		util_panic("dsn action %d", (int)a);
	return names[a];
}
