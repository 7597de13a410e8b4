/*
 * ctl_held - "mailgatectl held list|release|discard": what an admin does
 * with the Held folder, as postsuper -H / -r / -d does with Postfix's hold
 * queue.
 *
 *	held list [--format=table|json]
 *	held release MESSAGE-ID --reason=TEXT [--resend]
 *	held discard MESSAGE-ID --reason=TEXT
 *
 * The Held folder holds messages and, beside each, mailgate's notice
 * (X-Mailgate-Notice); list shows the messages only, with the reasons their
 * notice gives and the form their subject matched (the standard subject,
 * never the sender's own text). release moves the message back to the
 * Outbox for one more try and removes its notice; a message held as
 * already-sent is released only with --resend, which gives the copy a new
 * Message-ID (X-Mailgate-Resend-Of names the old one) so the daemon's
 * duplicate check lets it through once. discard deletes message and
 * notice. Both write a send-log row (kind "held": who, what, why) before
 * they touch the mailbox, so nothing happens unlogged. Exit 0 done, 1 no
 * such held message (or --resend missing), 2 usage, configuration, server.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "ctl.h"
#include "ctl_common.h"
#include "imap.h"
#include "policy.h"
#include "rewrite.h"
#include "sendlog.h"
#include "util.h"
#include "verdict.h"

enum held_action { HELD_LIST, HELD_RELEASE, HELD_DISCARD };

struct held_opts {
	enum held_action action;
	const char *msgid;	/* without <> */
	const char *reason;
	int resend, json;
};

/* One message of the Held folder, or a notice beside one. */
struct held_entry {
	uint32_t uid;
	char *msgid;		/* its own, without <>; NULL */
	char *notice_for;	/* a notice: the message it is about; NULL for a message */
	char *reasons;		/* a notice's X-Mailgate-Reasons; NULL */
	char *date;
	char *subject;		/* raw, used only to find the form */
};

struct held_box {
	struct ob_mail ops;
	struct imap_session *im;
	struct held_entry *v;
	size_t n;
};

static const char *held_words[] = { "list", "release", "discard" };

static char *
held_strip_id(char *s)
{
	size_t n;

	if (s == NULL)
		return NULL;
	if (s[0] == '<')
		memmove(s, s + 1, strlen(s));
	n = strlen(s);
	if (n > 0 && s[n - 1] == '>')
		s[n - 1] = '\0';
	return s;
}

static int
held_parse(int argc, char **argv, struct held_opts *o)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "resend", no_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	int c, i;

	memset(o, 0, sizeof(*o));
	while ((c = ctl_getopt(argc, argv, opts)) != -1) {
		if (c == 'r')
			o->reason = optarg;
		else if (c == 's')
			o->resend = 1;
		else if (c == 'f' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "table") == 0))
			o->json = optarg[0] == 'j';
		else if (c == 'f')
			return ctl_usage_error("held: --format: '%s' is not table or json", optarg);
		else
			return 2;
	}
	for (i = 0; i < 3 && optind < argc; i++)
		if (strcmp(argv[optind], held_words[i]) == 0)
			break;
	if (optind >= argc || i == 3)
		return ctl_usage_error("usage: mailgatectl held list|release|discard ... "
		    "(see mailgatectl held --help)");
	o->action = (enum held_action)i;
	if (o->action == HELD_LIST)
		return optind + 1 == argc ? 0 : ctl_usage_error("held list takes no operand");
	if (optind + 2 != argc)
		return ctl_usage_error("held %s needs one MESSAGE-ID", held_words[i]);
	o->msgid = held_strip_id(argv[optind + 1]);
	if (o->reason == NULL || o->reason[0] == '\0')
		return ctl_usage_error("held %s needs --reason=TEXT (it is logged)", held_words[i]);
	if (o->resend && o->action != HELD_RELEASE)
		return ctl_usage_error("held: --resend goes with release only");
	return 0;
}

static void
held_box_free(struct held_box *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->v[i].msgid);
		free(b->v[i].notice_for);
		free(b->v[i].reasons);
		free(b->v[i].date);
		free(b->v[i].subject);
	}
	free(b->v);
	if (b->im)
		imap_close(b->im);
}

/* Logs in and reads the header of everything in Held; 0, or 2 after saying why. */
static int
held_open(const struct config *cfg, struct held_box *b)
{
	struct ob_item *items = NULL;
	char err[512], *pw, *hdr, *kind;
	size_t i, n = 0, len;
	int rc;

	memset(b, 0, sizeof(*b));
	if ((pw = config_read_secret(cfg->imap_password_file, 1, &len, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	rc = imap_open(cfg, pw, NULL, &b->im, err, sizeof(err));
	explicit_bzero(pw, strlen(pw));
	free(pw);
	if (rc < 0) {
		fprintf(stderr, "mailgatectl: held: %s\n", err);
		return 2;
	}
	imap_ops(b->im, &b->ops);
	if (b->ops.list(b->ops.ctx, cfg->held_folder, time(NULL) + 86400, &items, &n) < 0)
		goto fail;
	b->v = xcalloc(n ? n : 1, sizeof(*b->v));
	for (i = 0; i < n; i++) {
		struct held_entry *e = &b->v[b->n];

		if (b->ops.fetch_header(b->ops.ctx, cfg->held_folder, items[i].uid, &hdr, &len) < 0)
			goto fail;
		b->n++;
		e->uid = items[i].uid;
		e->msgid = rewrite_message_id(hdr, len);
		kind = rewrite_header_value(hdr, len, "X-Mailgate-Notice");
		if (kind != NULL)
			e->notice_for = held_strip_id(rewrite_header_value(hdr, len,
			    "X-Mailgate-Message-ID"));
		if (kind != NULL && e->notice_for == NULL)
			e->notice_for = xstrdup("");	/* a notice about a message without an id */
		free(kind);
		e->reasons = rewrite_header_value(hdr, len, "X-Mailgate-Reasons");
		e->date = rewrite_header_value(hdr, len, "Date");
		e->subject = rewrite_header_value(hdr, len, "Subject");
		free(hdr);
	}
	free(items);
	return 0;
fail:
	fprintf(stderr, "mailgatectl: held: %s: %s\n", cfg->held_folder, imap_error(b->im));
	free(items);
	return 2;
}

/* The notice beside the message msgid; NULL when it has none. */
static const struct held_entry *
held_notice(const struct held_box *b, const char *msgid)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->v[i].notice_for != NULL && strcmp(b->v[i].notice_for, msgid) == 0)
			return &b->v[i];
	return NULL;
}

/* The held message (not a notice) msgid; NULL when Held has none. */
static const struct held_entry *
held_find(const struct held_box *b, const char *msgid)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->v[i].notice_for == NULL && b->v[i].msgid && strcmp(b->v[i].msgid, msgid) == 0)
			return &b->v[i];
	return NULL;
}

/* The standard subject the message's subject matched; "-" when none or no policy. */
static const char *
held_form(const struct policy *p, const struct held_entry *e)
{
	const struct policy_process *proc = NULL;
	const struct policy_form *f;

	if (p == NULL || e->subject == NULL)
		return "-";
	f = policy_match_subject(p, e->subject, &proc);
	return f ? f->subject : "-";
}

static void
held_json_str(struct sbuf *b, const char *key, const char *v, int last)
{
	json_add_string(b, key);
	sbuf_addc(b, ':');
	if (v)
		json_add_string(b, v);
	else
		sbuf_adds(b, "null");
	if (!last)
		sbuf_addc(b, ',');
}

static int
held_list(const struct config *cfg, const struct held_box *b, int json)
{
	struct policy *p = NULL;
	struct diag d;
	struct sbuf out;
	size_t i, n = 0;

	diag_init(&d);
	if (policy_load(cfg->policy_file, cfg->template_dir, &p, &d) < 0) {
		policy_free(p);	/* held works without a policy: the form is then "-" */
		p = NULL;
	}
	diag_free(&d);
	sbuf_init(&out);
	sbuf_adds(&out, json ? "[" : "");
	for (i = 0; i < b->n; i++) {
		const struct held_entry *e = &b->v[i], *nt;

		if (e->notice_for != NULL)
			continue;
		nt = e->msgid ? held_notice(b, e->msgid) : NULL;
		if (json) {
			sbuf_adds(&out, n ? ",{" : "{");
			held_json_str(&out, "message_id", e->msgid, 0);
			held_json_str(&out, "date", e->date, 0);
			held_json_str(&out, "reasons", nt ? nt->reasons : NULL, 0);
			held_json_str(&out, "form", held_form(p, e), 1);
			sbuf_addc(&out, '}');
		} else {
			sbuf_printf(&out, "<%s> %s reasons=%s form=\"%s\"\n", e->msgid ? e->msgid : "-",
			    e->date ? e->date : "-", nt && nt->reasons ? nt->reasons : "-",
			    held_form(p, e));
		}
		n++;
	}
	if (json)
		sbuf_adds(&out, "]\n");
	else
		sbuf_printf(&out, "held: %zu message%s\n", n, n == 1 ? "" : "s");
	fwrite(out.data, 1, out.len, stdout);
	sbuf_free(&out);
	policy_free(p);
	return fflush(stdout) == 0 ? 0 : 2;
}

/* The send-log row of an admin's action on a held message; 0, or 2 after saying why. */
static int
held_log(const struct config *cfg, const struct held_opts *o, const char *what)
{
	struct sendlog_row r;
	struct sendlog *sl;
	char who[64], err[512], *detail;
	int rc;

	if (!ctl_may_write(cfg) || (sl = ctl_open_log(cfg, 1, 0)) == NULL)
		return 2;
	memset(&r, 0, sizeof(r));
	detail = xasprintf("%s: %s", what, o->reason);
	r.time = time(NULL);
	r.kind = "held";
	r.records = -1;
	r.message_id = o->msgid;
	r.submitted_by = ctl_who(who, sizeof(who));
	r.detail = detail;
	rc = sendlog_add(sl, &r, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "mailgatectl: held: the send log refused the row: %s\n", err);
	sendlog_close(sl);
	free(detail);
	return rc < 0 ? 2 : 0;
}

/*
 * The message with its Message-ID replaced by a new one and
 * X-Mailgate-Resend-Of naming the old; malloc'd, NULL when it has no header.
 */
static char *
held_resend_copy(const char *raw, size_t len, const char *old, size_t *outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1], *seed;
	const char *p = raw, *end = raw + len, *at = strrchr(old, '@');
	struct sbuf b;
	int skipping = 0;

	seed = xasprintf("%s\n%lld", old, (long long)time(NULL));
	if (EVP_Digest(seed, strlen(seed), md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < 16) {
		free(seed);
		return NULL;
	}
	free(seed);
	hex_encode(md, 16, hex);
	sbuf_init(&b);
	sbuf_printf(&b, "Message-ID: <resend-%s@%s>\r\nX-Mailgate-Resend-Of: <%s>\r\n", hex,
	    at ? at + 1 : "localhost", old);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl ? nl + 1 : end;

		if (*p == '\r' || *p == '\n') {	/* the blank line: the body follows unchanged */
			sbuf_add(&b, p, (size_t)(end - p));
			*outlen = b.len;
			return sbuf_steal(&b, NULL);
		}
		if (*p != ' ' && *p != '\t')
			skipping = (size_t)(next - p) >= 11 && ascii_strncasecmp(p, "Message-ID:", 11) == 0;
		if (!skipping)
			sbuf_add(&b, p, (size_t)(next - p));
		p = next;
	}
	sbuf_free(&b);
	return NULL;
}

/* Outbox gets a copy under a new Message-ID; the held one is removed. */
static int
held_resend(const struct config *cfg, struct held_box *b, const struct held_entry *e)
{
	char *raw = NULL, *copy;
	size_t len = 0, clen = 0;
	int rc;

	if (b->ops.fetch(b->ops.ctx, cfg->held_folder, e->uid, 0, &raw, &len) < 0)
		return -1;
	copy = held_resend_copy(raw, len, e->msgid, &clen);
	free(raw);
	if (copy == NULL) {
		fprintf(stderr, "mailgatectl: held: <%s> has no header to rewrite\n", e->msgid);
		return -2;
	}
	rc = b->ops.append(b->ops.ctx, cfg->outbox_folder, copy, clen);
	free(copy);
	if (rc < 0)
		return -1;
	return b->ops.remove(b->ops.ctx, cfg->held_folder, e->uid);
}

static int
held_act(const struct config *cfg, struct held_box *b, const struct held_opts *o)
{
	const struct held_entry *e = held_find(b, o->msgid), *nt;
	int already, rc;

	if (e == NULL) {
		fprintf(stderr, "mailgatectl: held: no message <%s> in %s\n", o->msgid,
		    cfg->held_folder);
		return 1;
	}
	nt = held_notice(b, o->msgid);
	already = nt && nt->reasons && strstr(nt->reasons, vcode_info(VC_ALREADY_SENT)->code);
	if (o->action == HELD_RELEASE && already && !o->resend) {
		fprintf(stderr, "mailgatectl: held: <%s> was held as already-sent: the log has it "
		    "sent; give --resend to send a copy under a new Message-ID\n", o->msgid);
		return 1;
	}
	if (held_log(cfg, o, o->action == HELD_DISCARD ? "discard" : o->resend ? "resend" :
	    "release") != 0)
		return 2;
	if (o->action == HELD_DISCARD)
		rc = b->ops.remove(b->ops.ctx, cfg->held_folder, e->uid);
	else if (o->resend)
		rc = held_resend(cfg, b, e);
	else
		rc = b->ops.move(b->ops.ctx, cfg->held_folder, e->uid, cfg->outbox_folder);
	if (rc == -2)
		return 2;
	if (rc == 0 && nt != NULL)
		rc = b->ops.remove(b->ops.ctx, cfg->held_folder, nt->uid);
	if (rc < 0) {
		fprintf(stderr, "mailgatectl: held: %s: %s\n", cfg->held_folder, imap_error(b->im));
		return 2;
	}
	printf("<%s> %s\n", o->msgid, o->action == HELD_DISCARD ? "discarded" :
	    "released to the Outbox");
	return 0;
}

int
ctl_held(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct held_opts o;
	struct held_box b;
	int rc;

	if ((rc = held_parse(argc, argv, &o)) != 0)
		return rc;
	if (o.action != HELD_LIST && !ctl_may_write(ctx->cfg))
		return 2;
	if ((rc = held_open(ctx->cfg, &b)) == 0)
		rc = o.action == HELD_LIST ? held_list(ctx->cfg, &b, o.json) :
		    held_act(ctx->cfg, &b, &o);
	held_box_free(&b);
	return rc;
}
