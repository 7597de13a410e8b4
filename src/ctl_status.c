/*
 * ctl_status - "mailgatectl status [--json]": the mode, the policy version
 * in use and when it was loaded, the last good contact with each server,
 * the messages waiting in Outbox with the last server reply and next retry,
 * and the count in Held, from the daemon's status file (status.h) and the
 * send log's mode. A monitoring check: exit 0 all well, 1 degraded (mode not
 * normal, a server failing, messages waiting for a retry, the daemon silent
 * for three intervals), 2 error (no status, log unreadable). Also
 * "mailgatectl check-servers", the no-send connection test.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "ctl_common.h"
#include "imap.h"
#include "smtp.h"
#include "diag.h"
#include "mode.h"
#include "sendlog.h"
#include "status.h"
#include "util.h"
#include "verdict.h"

static void st_time(struct sbuf *b, time_t t, int json)
{
	char ts[21];

	if (t == 0) {
		sbuf_adds(b, json ? "null" : "never");
		return;
	}
	sendlog_time(t, ts);
	if (json)
		json_add_string(b, ts);
	else
		sbuf_adds(b, ts);
}

/* The reasons the state is degraded, space-separated, into why. */
static int st_degraded(const struct status *st, const struct mode_state *m, time_t now,
    struct sbuf *why)
{
	int stale = st->interval > 0 ? 3 * st->interval + 60 : 240;

	if (st->log_fail != 0)
		sbuf_adds(why, " send-log-failing");
	if (m->mode != MODE_NORMAL)
		sbuf_adds(why, " mode-not-normal");
	if (st->imap_fail > st->imap_ok)
		sbuf_adds(why, " imap-failing");
	if (st->smtp_fail > st->smtp_ok)
		sbuf_adds(why, " smtp-failing");
	if (st->nwaiting > 0)
		sbuf_adds(why, " messages-waiting");
	if (now - st->updated > stale && !(st->busy && now - st->updated < 600))
		sbuf_adds(why, " daemon-silent");
	return why->len > 0;
}

static void st_server_json(struct sbuf *b, const char *name, time_t ok, time_t fail,
    const char *err)
{
	json_add_string(b, name);
	sbuf_adds(b, ":{\"last_ok\":");
	st_time(b, ok, 1);
	sbuf_adds(b, ",\"last_failure\":");
	st_time(b, fail, 1);
	sbuf_adds(b, ",\"error\":");
	if (fail > ok && err[0])
		json_add_string(b, err);
	else
		sbuf_adds(b, "null");
	sbuf_addc(b, '}');
}

static void st_json(const struct status *st, const struct mode_state *m, const char *why,
    struct sbuf *b)
{
	size_t i;

	sbuf_adds(b, "{\"state\":");
	json_add_string(b, why[0] ? "degraded" : "ok");
	sbuf_adds(b, ",\"problems\":[");
	{
		char *w = xstrdup(why), *t, *save = NULL;
		int first = 1;

		for (t = strtok_r(w, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			if (!first)
				sbuf_addc(b, ',');
			json_add_string(b, t);
			first = 0;
		}
		free(w);
	}
	sbuf_adds(b, "],\"mode\":");
	json_add_string(b, mode_name(m->mode));
	sbuf_adds(b, ",\"mode_since\":");
	st_time(b, m->since, 1);
	sbuf_adds(b, ",\"mode_reason\":");
	if (m->since)
		json_add_string(b, m->reason);
	else
		sbuf_adds(b, "null");
	sbuf_adds(b, ",\"policy_version\":");
	if (st->policy_version[0])
		json_add_string(b, st->policy_version);
	else
		sbuf_adds(b, "null");
	sbuf_adds(b, ",\"policy_loaded\":");
	st_time(b, st->policy_loaded, 1);
	sbuf_adds(b, ",\"updated\":");
	st_time(b, st->updated, 1);
	sbuf_printf(b, ",\"pid\":%ld,\"servers\":{", (long)st->pid);
	st_server_json(b, "imap", st->imap_ok, st->imap_fail, st->imap_error);
	sbuf_addc(b, ',');
	st_server_json(b, "smtp", st->smtp_ok, st->smtp_fail, st->smtp_error);
	sbuf_adds(b, "},\"send_log\":{\"failing_since\":");
	st_time(b, st->log_fail, 1);
	sbuf_adds(b, ",\"error\":");
	if (st->log_fail != 0)
		json_add_string(b, st->log_error);
	else
		sbuf_adds(b, "null");
	sbuf_adds(b, "},\"outbox\":[");
	for (i = 0; i < st->nwaiting; i++) {
		if (i)
			sbuf_addc(b, ',');
		sbuf_printf(b, "{\"uid\":%u,\"last_reply\":", st->waiting[i].uid);
		if (st->waiting[i].reply[0])
			json_add_string(b, st->waiting[i].reply);
		else
			sbuf_adds(b, "null");
		sbuf_adds(b, ",\"next_retry\":");
		st_time(b, st->waiting[i].next, 1);
		sbuf_addc(b, '}');
	}
	sbuf_adds(b, "],\"held\":");
	if (st->held >= 0)
		sbuf_printf(b, "%ld", st->held);
	else
		sbuf_adds(b, "null");
	sbuf_adds(b, "}\n");
}

static void st_human(const struct status *st, const struct mode_state *m, const char *why,
    struct sbuf *b)
{
	size_t i;

	sbuf_printf(b, "state: %s%s\n", why[0] ? "degraded:" : "ok", why);
	sbuf_printf(b, "mode: %s", mode_name(m->mode));
	if (m->since) {
		sbuf_adds(b, " since ");
		st_time(b, m->since, 0);
		sbuf_printf(b, " (%s)", m->reason);
	}
	sbuf_printf(b, "\npolicy: %s loaded ", st->policy_version[0] ? st->policy_version : "-");
	st_time(b, st->policy_loaded, 0);
	sbuf_adds(b, "\nimap: last good contact ");
	st_time(b, st->imap_ok, 0);
	if (st->imap_fail > st->imap_ok)
		sbuf_printf(b, "; failing: %s", st->imap_error);
	sbuf_adds(b, "\nsmtp: last good contact ");
	st_time(b, st->smtp_ok, 0);
	if (st->smtp_fail > st->smtp_ok)
		sbuf_printf(b, "; failing: %s", st->smtp_error);
	if (st->log_fail != 0) {
		sbuf_adds(b, "\nsend log: refusing writes since ");
		st_time(b, st->log_fail, 0);
		sbuf_printf(b, ": %s (nothing is sent until it can be written)", st->log_error);
	}
	sbuf_printf(b, "\noutbox waiting: %zu\n", st->nwaiting);
	for (i = 0; i < st->nwaiting; i++) {
		sbuf_printf(b, "  uid %u next retry ", st->waiting[i].uid);
		st_time(b, st->waiting[i].next, 0);
		sbuf_printf(b, " last reply: %s\n", st->waiting[i].reply[0] ?
		    st->waiting[i].reply : "-");
	}
	if (st->held >= 0)
		sbuf_printf(b, "held: %ld\n", st->held);
	else
		sbuf_adds(b, "held: unknown\n");
	sbuf_adds(b, "daemon: last report ");
	st_time(b, st->updated, 0);
	sbuf_printf(b, " (pid %ld)\n", (long)st->pid);
}

int ctl_status(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct status st;
	struct mode_state m;
	struct sendlog *sl;
	struct sbuf why, out;
	char err[512];
	int json = 0, degraded;

	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		json = 1;
	else if (argc != 1)
		return ctl_usage_error("usage: mailgatectl status [--json]");
	if ((sl = ctl_open_log(ctx->cfg, 0, 0)) == NULL)
		return 2;
	if (mode_get(sl, &m) < 0) {
		fprintf(stderr, "status: error: %s: the mode cannot be read\n", ctx->cfg->state_dir);
		sendlog_close(sl);
		return 2;
	}
	sendlog_close(sl);
	if (status_read(ctx->cfg->state_dir, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "status: error: %s\n", err);
		return 2;
	}
	sbuf_init(&why);
	sbuf_adds(&why, "");
	degraded = st_degraded(&st, &m, time(NULL), &why);
	sbuf_init(&out);
	if (json)
		st_json(&st, &m, why.data, &out);
	else
		st_human(&st, &m, why.data, &out);
	fwrite(out.data, 1, out.len, stdout);
	sbuf_free(&out);
	sbuf_free(&why);
	/* a log that refuses writes stops all sending: an error, not a degradation */
	degraded = st.log_fail != 0 ? 2 : degraded ? 1 : 0;
	status_free(&st);
	return degraded;
}

/*
 * "mailgatectl check-servers": TLS, login, folders (created when missing, as
 * the daemon does), EHLO and AUTH, without sending anything. 0 both servers
 * answer, 1 one does not, 2 configuration.
 */
int ctl_check_servers(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct diag d;
	struct imap_session *im = NULL;
	struct smtp_session *sm;
	char *ipw, *spw, err[512];
	size_t n;
	int bad = 0;

	if (argc != 1)
		return ctl_usage_error("usage: mailgatectl check-servers");
	diag_init(&d);
	if (config_require_servers(ctx->cfg, &d) < 0) {
		diag_print(&d, stderr);
		diag_free(&d);
		return 2;
	}
	diag_free(&d);
	ipw = config_read_secret(ctx->cfg->imap_password_file, 1, &n, err, sizeof(err));
	if (ipw == NULL) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	spw = ctx->cfg->smtp_user ? config_read_secret(ctx->cfg->smtp_password_file, 1, &n, err,
	    sizeof(err)) : xstrdup("");
	if (spw == NULL) {
		fprintf(stderr, "%s\n", err);
		explicit_bzero(ipw, strlen(ipw));
		free(ipw);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (imap_open(ctx->cfg, ipw, NULL, &im, err, sizeof(err)) < 0) {
		printf("imap %s:%d: FAILED: %s\n", ctx->cfg->imap_host, ctx->cfg->imap_port, err);
		bad = 1;
	} else {
		printf("imap %s:%d: ok (TLS verified, login, folders)\n", ctx->cfg->imap_host,
		    ctx->cfg->imap_port);
		imap_close(im);
	}
	sm = smtp_new(ctx->cfg, spw, NULL);
	if (smtp_check(sm, err, sizeof(err)) < 0) {
		printf("smtp %s:%d: FAILED: %s\n", ctx->cfg->smtp_host, ctx->cfg->smtp_port, err);
		bad = 1;
	} else {
		printf("smtp %s:%d: ok (TLS verified, EHLO%s)\n", ctx->cfg->smtp_host,
		    ctx->cfg->smtp_port, ctx->cfg->smtp_user ? ", AUTH" : "");
	}
	smtp_free(sm);
	explicit_bzero(ipw, strlen(ipw));
	explicit_bzero(spw, strlen(spw));
	free(ipw);
	free(spw);
	return bad;
}
