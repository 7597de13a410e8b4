/*
 * notice - builds the caseworker's notice (see notice.h). The body is
 * 8-bit UTF-8 text wrapped at 72 columns on spaces; notices are appended
 * over IMAP, never sent, so no transfer encoding is needed beyond that.
 * The details the verdict writes for scripts (process ids, ISO dates,
 * digits) are said again here in a caseworker's words.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "notice.h"
#include "rewrite.h"
#include "util.h"

#define NOTICE_WRAP 72

static const char *const notice_weekdays[7] = {	/* 1970-01-01, day 0, was a Thursday */
	"Thursday", "Friday", "Saturday", "Sunday", "Monday", "Tuesday", "Wednesday",
};
static const char *const notice_months[12] = {
	"January", "February", "March", "April", "May", "June", "July", "August",
	"September", "October", "November", "December",
};
static const char *const notice_numbers[13] = {
	"no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
	"eleven", "twelve",
};

const char *notice_kind_name(enum notice_kind k)
{
	switch (k) {
	case NOTICE_REJECTED:
		return "rejected";
	case NOTICE_HELD:
		return "held";
	case NOTICE_WARNING:
		return "warning";
	}
	return "rejected";
}

static const char *notice_subject_prefix(enum notice_kind k)
{
	switch (k) {
	case NOTICE_HELD:
		return "Held: ";
	case NOTICE_WARNING:
		return "Sent with warning: ";
	case NOTICE_REJECTED:
		break;
	}
	return "Not sent: ";
}

static const char *notice_intro(enum notice_kind k)
{
	switch (k) {
	case NOTICE_HELD:
		return "Your message was not sent. It is held in the Held folder until an "
		    "administrator decides what happens to it.";
	case NOTICE_WARNING:
		return "Your message was sent, but with the warning below.";
	case NOTICE_REJECTED:
		break;
	}
	return "Your message was not sent. It has been moved to the Rejected folder.";
}

void notice_reason_set(struct notice_reason *r, enum vcode c, const char *detail)
{
	const struct vcode_info *vi = vcode_info(c);

	r->code = vi ? vi->code : "unknown";
	r->words = vi ? vi->words : "";
	r->todo = vi ? vi->todo : "";
	r->detail = detail;
}

char *notice_id(enum notice_kind k, const char *message_id, const char *address)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	const char *at = address ? strrchr(address, '@') : NULL;
	char *seed = xasprintf("%s\n%s", notice_kind_name(k), message_id ? message_id : "");

	if (EVP_Digest(seed, strlen(seed), md, &mdlen, EVP_sha256(), NULL) != 1)
		mdlen = 0;
	free(seed);
	hex_encode(md, mdlen > 16 ? 16 : mdlen, hex);
	return ascii_lower(xasprintf("notice-%s@%s", hex, at ? at + 1 : "localhost"));
}

void notice_day_words(mgday day, char *out, size_t len)
{
	int y, m, d;

	mgday_to_ymd(day, &y, &m, &d);
	snprintf(out, len, "%s %d %s %d", notice_weekdays[((day % 7) + 7) % 7], d,
	    notice_months[m - 1], y);
}

/* Small counts in words ("two"), larger ones in digits. */
static void notice_count(struct sbuf *b, long n)
{
	if (n >= 0 && n <= 12)
		sbuf_adds(b, notice_numbers[n]);
	else
		sbuf_printf(b, "%ld", n);
}

static void notice_days(struct sbuf *b, long n)
{
	notice_count(b, n);
	sbuf_adds(b, n == 1 ? " day" : " days");
}

/* The form's name as a caseworker knows it: "the Change of Circumstances form". */
static void notice_form_name(struct sbuf *b, const struct policy_process *p)
{
	if (p == NULL)
		sbuf_adds(b, "this form");
	else
		sbuf_printf(b, "the %s form", p->name ? p->name : p->id);
}

static int notice_word_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_';
}

/* A number standing alone in prose ("has 2 words"), not part of a code, address or reply. */
static int notice_small_number(const char *start, const char *s, long *n, size_t *len)
{
	size_t k = 0;

	if (s > start && (notice_word_char(s[-1]) || strchr(".@:<", s[-1]) != NULL))
		return 0;
	while (isdigit((unsigned char)s[k]) && k < 3)
		k++;
	if (k == 0 || notice_word_char(s[k]) || (s[k] != '\0' && strchr(".@:>", s[k]) &&
	    isalnum((unsigned char)s[k + 1])))
		return 0;
	*n = strtol(s, NULL, 10);
	*len = k;
	return *n <= 12;
}

/*
 * Copies detail into b with every YYYY-MM-DD written out, the process id
 * said as the form's name and (unless numbers are the point, as in a
 * server's reply) small numbers in words; the first letter capitalised, a
 * full stop at the end.
 */
static void notice_plain(struct sbuf *b, const char *detail, const struct policy_process *p,
    int numbers_in_words)
{
	size_t start = b->len, idl = p ? strlen(p->id) : 0, nl;
	const char *s = detail;
	char iso[11], words[64];
	mgday day;
	long n;

	while (*s) {
		int edge = s == detail || !notice_word_char(s[-1]);

		if (numbers_in_words && notice_small_number(detail, s, &n, &nl)) {
			notice_count(b, n);
			s += nl;
			continue;
		}

		if (edge && strlen(s) >= 10 && !notice_word_char(s[10])) {
			memcpy(iso, s, 10);
			iso[10] = '\0';
			if (mgday_parse_iso(iso, &day)) {
				notice_day_words(day, words, sizeof(words));
				sbuf_adds(b, words);
				s += 10;
				continue;
			}
		}
		if (edge && idl > 0 && strncmp(s, p->id, idl) == 0 && !notice_word_char(s[idl])) {
			notice_form_name(b, p);
			s += idl;
			continue;
		}
		sbuf_addc(b, *s++);
	}
	if (b->len > start) {
		size_t i = start;

		/* a sentence starts with a capital, an address or a file name does not */
		while (i < b->len && isalpha((unsigned char)b->data[i]))
			i++;
		if (i > start && (i == b->len || b->data[i] == ' '))
			b->data[start] = (char)toupper((unsigned char)b->data[start]);
		if (strchr(".!?", b->data[b->len - 1]) == NULL)
			sbuf_addc(b, '.');
	}
}

/* late-notice: the verdict's detail starts with the form's date (YYYY-MM-DD). */
static int notice_late(struct sbuf *b, const char *detail, const struct policy_process *p,
    time_t now)
{
	char iso[11], words[64];
	mgday day;
	long ahead;

	if (detail == NULL || strlen(detail) < 10 || p == NULL || p->min_notice_days < 0)
		return 0;
	memcpy(iso, detail, 10);
	iso[10] = '\0';
	if (!mgday_parse_iso(iso, &day))
		return 0;
	notice_day_words(day, words, sizeof(words));
	ahead = (long)(day - mgday_today_london(now));
	sbuf_printf(b, "The date in the form is %s, ", words);
	if (ahead == 0)
		sbuf_adds(b, "today");
	else {
		notice_days(b, ahead < 0 ? -ahead : ahead);
		sbuf_adds(b, ahead < 0 ? " ago" : " from today");
	}
	sbuf_adds(b, "; ");
	notice_form_name(b, p);
	sbuf_adds(b, " needs at least ");
	notice_days(b, p->min_notice_days);
	sbuf_adds(b, "' notice.");
	return 1;
}

/* The detail of one reason, in plain words, into b (empty when there is none). */
static void notice_detail(struct sbuf *b, const struct notice *n, const struct notice_reason *r)
{
	const struct verdict *v = n->verdict;
	const struct policy_process *p = v ? v->process : NULL;

	if (strcmp(r->code, vcode_info(VC_TOO_MANY_RECORDS)->code) == 0 && p != NULL) {
		sbuf_adds(b, "This message holds ");
		notice_count(b, (long)v->records);
		sbuf_adds(b, v->records == 1 ? " participant's record; " : " participants' records; ");
		notice_form_name(b, p);
		sbuf_adds(b, " allows at most ");
		notice_count(b, p->max_records);
		sbuf_adds(b, ".");
		return;
	}
	if (strcmp(r->code, vcode_info(VC_LATE_NOTICE)->code) == 0 &&
	    notice_late(b, r->detail, p, n->now))
		return;
	if (r->detail != NULL)
		notice_plain(b, r->detail, p, strcmp(r->code, vcode_info(VC_SMTP_PERMANENT)->code) != 0);
}

/* Appends text wrapped on spaces at NOTICE_WRAP columns, each line ended with CRLF. */
static void notice_wrap(struct sbuf *b, const char *text)
{
	char *t = xstrdup(text ? text : ""), *p, *w, *save = NULL;
	size_t col = 0;

	for (p = t; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	for (w = strtok_r(t, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
		size_t n = strlen(w);

		if (col > 0 && col + 1 + n > NOTICE_WRAP) {
			sbuf_adds(b, "\r\n");
			col = 0;
		}
		if (col > 0) {
			sbuf_addc(b, ' ');
			col++;
		}
		sbuf_adds(b, w);
		col += n;
	}
	if (col > 0)
		sbuf_adds(b, "\r\n");
	free(t);
}

/* Message-IDs from outside are put in headers only when they are a plain token. */
static int notice_id_ok(const char *id)
{
	const char *p;

	if (id == NULL || *id == '\0' || strlen(id) > 900)
		return 0;
	for (p = id; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '<' || *p == '>')
			return 0;
	return 1;
}

void notice_build(const struct notice *n, struct sbuf *out)
{
	char date[64], *subj, *own;
	struct sbuf codes, detail;
	size_t i;
	int idok = notice_id_ok(n->message_id);

	rewrite_date(n->now, date, sizeof(date));
	sbuf_adds(out, "From: ");
	rewrite_add_mailbox(out, "mailgate", n->address);
	sbuf_printf(out, "\r\nTo: <%s>\r\n", n->address);
	subj = xasprintf("%s%s", notice_subject_prefix(n->kind),
	    n->verdict && n->verdict->form ? n->verdict->form->subject : "your message");
	rewrite_add_text_field(out, "Subject", subj, "\r\n");
	free(subj);
	sbuf_printf(out, "Date: %s\r\n", date);
	own = notice_id(n->kind, idok ? n->message_id : "", n->address);
	sbuf_printf(out, "Message-ID: <%s>\r\n", own);
	free(own);
	if (idok) {
		sbuf_printf(out, "In-Reply-To: <%s>\r\n", n->message_id);
		sbuf_printf(out, "References: <%s>\r\n", n->message_id);
	}
	sbuf_adds(out, "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "Auto-Submitted: auto-generated\r\n");
	sbuf_printf(out, "X-Mailgate-Notice: %s\r\n", notice_kind_name(n->kind));
	sbuf_init(&codes);
	for (i = 0; i < n->nreasons; i++) {
		if (i > 0)
			sbuf_addc(&codes, ' ');
		sbuf_adds(&codes, n->reasons[i].code);
	}
	rewrite_add_text_field(out, "X-Mailgate-Reasons", codes.data ? codes.data : "", "\r\n");
	sbuf_free(&codes);
	sbuf_printf(out, "X-Mailgate-Message-ID: <%s>\r\n", idok ? n->message_id : "");
	sbuf_adds(out, "\r\n");
	notice_wrap(out, notice_intro(n->kind));
	sbuf_init(&detail);
	for (i = 0; i < n->nreasons; i++) {
		const struct notice_reason *r = &n->reasons[i];

		sbuf_adds(out, "\r\n");
		notice_wrap(out, r->words);
		sbuf_reset(&detail);
		notice_detail(&detail, n, r);
		if (detail.len > 0)
			notice_wrap(out, detail.data);
		if (r->todo != NULL && r->todo[0] != '\0') {
			char *t = xasprintf("What to do: %s", r->todo);

			notice_wrap(out, t);
			free(t);
		}
	}
	sbuf_free(&detail);
}
