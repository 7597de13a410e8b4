/*
 * ctl_status - "mailgatectl status [--json | --format=text|json|prometheus]": the mode, the policy version
 * in use and when it was loaded, the last good contact with each server,
 * the messages waiting in Outbox with the last server reply and next retry,
 * and the count in Held, from the daemon's status file (status.h) and the
 * send log's mode. A monitoring check: exit 0 all well, 1 degraded (mode not
 * normal, a server failing, messages waiting for a retry, the daemon silent
 * for three intervals), 2 error (no status, log unreadable). The prometheus
 * format is the node exporter's textfile collector's (write it to a .prom
 * file from a timer): messages in the log by outcome, Outbox depth, Held,
 * mode, seconds since the last good contact per server. Also
 * "mailgatectl check-servers", the no-send connection test.
 */
#include <signal.h>
#include <sqlite3.h>
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
#include "safeout.h"
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
	if (st->outage_since != 0)
		sbuf_adds(why, " outage");
	if (st->permits_ending[0])
		sbuf_adds(why, " permits-ending");
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

/* ,"outage":{...}|null,"permits_ending":TEXT|null */
static void st_outage_json(const struct status *st, struct sbuf *b)
{
	sbuf_adds(b, ",\"outage\":");
	if (st->outage_since != 0) {
		sbuf_adds(b, "{\"server\":");
		json_add_string(b, st->outage_server);
		sbuf_adds(b, ",\"since\":");
		st_time(b, st->outage_since, 1);
		sbuf_addc(b, '}');
	} else {
		sbuf_adds(b, "null");
	}
	sbuf_adds(b, ",\"permits_ending\":");
	if (st->permits_ending[0])
		json_add_string(b, st->permits_ending);
	else
		sbuf_adds(b, "null");
}

/* ,"inbound":{...},"reintroduction":{...}|null */
static void st_inbound_json(const struct status *st, const struct mode_reintro *ri,
    struct sbuf *b)
{
	sbuf_printf(b, ",\"inbound\":{\"forwarded\":%lu,\"review\":%lu,\"deleted\":%lu,"
	    "\"waiting\":", st->in_forwarded, st->in_reviewed, st->in_deleted);
	if (st->in_waiting >= 0)
		sbuf_printf(b, "%ld}", st->in_waiting);
	else
		sbuf_adds(b, "null}");
	sbuf_adds(b, ",\"reintroduction\":");
	if (ri == NULL) {
		sbuf_adds(b, "null");
		return;
	}
	sbuf_adds(b, "{\"message_id\":");
	json_add_string(b, ri->message_id);
	sbuf_adds(b, ",\"from\":");
	json_add_string(b, ri->from);
	sbuf_adds(b, ",\"received\":");
	st_time(b, ri->when, 1);
	sbuf_addc(b, '}');
}

static void st_inbound_human(const struct status *st, const struct mode_reintro *ri,
    struct sbuf *b)
{
	sbuf_printf(b, "inbox: %lu forwarded, %lu to Review, %lu delivery reports deleted since "
	    "the daemon started; waiting: ", st->in_forwarded, st->in_reviewed, st->in_deleted);
	if (st->in_waiting >= 0)
		sbuf_printf(b, "%ld\n", st->in_waiting);
	else
		sbuf_adds(b, "unknown\n");
	if (ri == NULL)
		return;
	sbuf_adds(b, "re-introduction notice: <");
	safeout_term(b, ri->message_id);
	sbuf_adds(b, "> from ");
	safeout_term(b, ri->from);
	sbuf_adds(b, " received ");
	st_time(b, ri->when, 0);
	sbuf_adds(b, " (mailgatectl mode resume --department-informed TEXT to use email again)\n");
}

static void st_json(const struct status *st, const struct mode_state *m, const char *why,
    const struct mode_reintro *ri, struct sbuf *b)
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
		sbuf_printf(b, "{\"uid\":%u,\"message\":", st->waiting[i].uid);
		if (st->waiting[i].label[0])
			json_add_string(b, st->waiting[i].label);
		else
			sbuf_adds(b, "null");
		sbuf_adds(b, ",\"last_reply\":");
		if (st->waiting[i].reply[0])
			json_add_string(b, st->waiting[i].reply);
		else
			sbuf_adds(b, "null");
		sbuf_adds(b, ",\"next_retry\":");
		st_time(b, st->waiting[i].next, 1);
		sbuf_addc(b, '}');
	}
	sbuf_addc(b, ']');
	st_outage_json(st, b);
	sbuf_adds(b, ",\"held\":");
	if (st->held >= 0)
		sbuf_printf(b, "%ld", st->held);
	else
		sbuf_adds(b, "null");
	sbuf_printf(b, ",\"pass\":{\"busy\":%s,\"started\":", st->busy ? "true" : "false");
	st_time(b, st->pass_started, 1);
	sbuf_printf(b, ",\"listed\":%ld,\"treated\":%ld,\"sent\":%ld}", st->pass_total,
	    st->pass_done, st->pass_sent);
	st_inbound_json(st, ri, b);
	sbuf_adds(b, "}\n");
}

static void st_human(const struct status *st, const struct mode_state *m, const char *why,
    const struct mode_reintro *ri, struct sbuf *b)
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
	if (st->outage_since != 0) {
		sbuf_printf(b, "\noutage: %s unreachable since ", st->outage_server);
		st_time(b, st->outage_since, 0);
	}
	if (st->permits_ending[0])
		sbuf_printf(b, "\npermits ending within 30 days: %s", st->permits_ending);
	if (st->pass_started != 0) {
		sbuf_printf(b, "\noutbox pass: %s ", st->busy ? "under way since" : "last began");
		st_time(b, st->pass_started, 0);
		sbuf_printf(b, ", %ld of %ld messages treated, %ld sent", st->pass_done,
		    st->pass_total, st->pass_sent);
	}
	sbuf_printf(b, "\noutbox waiting: %zu\n", st->nwaiting);
	for (i = 0; i < st->nwaiting; i++) {
		sbuf_printf(b, "  %s (uid %u) next retry ", st->waiting[i].label[0] ?
		    st->waiting[i].label : "-", st->waiting[i].uid);
		st_time(b, st->waiting[i].next, 0);
		sbuf_printf(b, " last reply: %s\n", st->waiting[i].reply[0] ?
		    st->waiting[i].reply : "-");
	}
	if (st->held >= 0)
		sbuf_printf(b, "held: %ld\n", st->held);
	else
		sbuf_adds(b, "held: unknown\n");
	st_inbound_human(st, ri, b);
	sbuf_adds(b, "daemon: last report ");
	st_time(b, st->updated, 0);
	sbuf_printf(b, " (pid %ld)\n", (long)st->pid);
}

enum st_format { ST_TEXT, ST_JSON, ST_PROMETHEUS };

/* Messages of the retained log by outcome (a message counted once per outcome). */
static void st_prom_outcomes(struct sendlog *sl, struct sbuf *b)
{
	static const char *const outcomes[] = { "sent", "rejected", "held", "uncertain",
	    "failed", "clerical" };
	sqlite3_stmt *q = NULL;
	size_t i;

	sbuf_adds(b, "# HELP mailgate_messages Outbound messages in the send log, by outcome.\n"
	    "# TYPE mailgate_messages gauge\n");
	if (sl == NULL)		/* no send log yet: no outcome to count */
		return;
	if (sqlite3_prepare_v2(sendlog_db(sl), "SELECT count(DISTINCT message_id) FROM log "
	    "WHERE kind = 'message' AND direction = 'out' AND outcome = ?", -1, &q, NULL) != SQLITE_OK)
		return;
	for (i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++) {
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, outcomes[i], -1, SQLITE_STATIC);
		if (sqlite3_step(q) == SQLITE_ROW)
			sbuf_printf(b, "mailgate_messages{outcome=\"%s\"} %lld\n", outcomes[i],
			    (long long)sqlite3_column_int64(q, 0));
	}
	sqlite3_finalize(q);
}

static void st_prom_server(struct sbuf *b, const char *name, time_t ok, time_t fail, time_t now)
{
	if (ok != 0)
		sbuf_printf(b, "mailgate_server_seconds_since_ok{server=\"%s\"} %lld\n", name,
		    (long long)(now - ok));
	sbuf_printf(b, "mailgate_server_failing{server=\"%s\"} %d\n", name, fail > ok);
}

static void st_prometheus(const struct status *st, const struct mode_state *m, int degraded,
    time_t now, struct sendlog *sl, const struct mode_reintro *ri, struct sbuf *b)
{
	static const enum mg_mode modes[] = { MODE_NORMAL, MODE_OUTAGE, MODE_CLERICAL,
	    MODE_SUSPENDED };
	size_t i;

	st_prom_outcomes(sl, b);
	sbuf_printf(b, "# HELP mailgate_outbox_waiting Messages left in Outbox for a retry.\n"
	    "# TYPE mailgate_outbox_waiting gauge\nmailgate_outbox_waiting %zu\n", st->nwaiting);
	if (st->held >= 0)
		sbuf_printf(b, "# HELP mailgate_held Messages in Held.\n# TYPE mailgate_held gauge\n"
		    "mailgate_held %ld\n", st->held);
	sbuf_printf(b, "# HELP mailgate_pass_busy 1 while an Outbox pass is under way.\n"
	    "# TYPE mailgate_pass_busy gauge\nmailgate_pass_busy %d\n"
	    "# HELP mailgate_pass_messages Messages of the current (or last) Outbox pass.\n"
	    "# TYPE mailgate_pass_messages gauge\n"
	    "mailgate_pass_messages{state=\"listed\"} %ld\n"
	    "mailgate_pass_messages{state=\"treated\"} %ld\n"
	    "mailgate_pass_messages{state=\"sent\"} %ld\n", st->busy != 0, st->pass_total,
	    st->pass_done, st->pass_sent);
	sbuf_printf(b, "# HELP mailgate_inbound_total INBOX messages treated since the daemon "
	    "started, by outcome.\n# TYPE mailgate_inbound_total counter\n"
	    "mailgate_inbound_total{outcome=\"forwarded\"} %lu\n"
	    "mailgate_inbound_total{outcome=\"review\"} %lu\n"
	    "mailgate_inbound_total{outcome=\"deleted\"} %lu\n", st->in_forwarded,
	    st->in_reviewed, st->in_deleted);
	if (st->in_waiting >= 0)
		sbuf_printf(b, "# HELP mailgate_inbox_waiting Messages left in INBOX for another "
		    "try.\n# TYPE mailgate_inbox_waiting gauge\nmailgate_inbox_waiting %ld\n",
		    st->in_waiting);
	sbuf_printf(b, "# HELP mailgate_reintroduction_received 1 when the department's "
	    "re-introduction notice came while mailgate is not normal.\n"
	    "# TYPE mailgate_reintroduction_received gauge\n"
	    "mailgate_reintroduction_received %d\n", ri != NULL);
	sbuf_adds(b, "# HELP mailgate_mode 1 for the mode mailgate is in.\n"
	    "# TYPE mailgate_mode gauge\n");
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		sbuf_printf(b, "mailgate_mode{mode=\"%s\"} %d\n", mode_name(modes[i]),
		    m->mode == modes[i]);
	sbuf_adds(b, "# HELP mailgate_server_seconds_since_ok Seconds since the last good contact."
	    "\n# TYPE mailgate_server_seconds_since_ok gauge\n"
	    "# HELP mailgate_server_failing 1 while the last contact failed.\n"
	    "# TYPE mailgate_server_failing gauge\n");
	st_prom_server(b, "imap", st->imap_ok, st->imap_fail, now);
	st_prom_server(b, "smtp", st->smtp_ok, st->smtp_fail, now);
	sbuf_printf(b, "# HELP mailgate_send_log_failing 1 while the send log refuses writes.\n"
	    "# TYPE mailgate_send_log_failing gauge\nmailgate_send_log_failing %d\n",
	    st->log_fail != 0);
	sbuf_printf(b, "# HELP mailgate_status_age_seconds Seconds since the daemon last reported.\n"
	    "# TYPE mailgate_status_age_seconds gauge\nmailgate_status_age_seconds %lld\n"
	    "# HELP mailgate_degraded 1 when status would exit 1 or 2.\n"
	    "# TYPE mailgate_degraded gauge\nmailgate_degraded %d\n",
	    (long long)(now - st->updated), degraded);
}

static int st_parse(int argc, char **argv, enum st_format *f)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*f = ST_TEXT;
	while ((c = ctl_getopt(argc, argv, opts)) != -1) {
		if (c == 'j')
			*f = ST_JSON;
		else if (c == 'f' && strcmp(optarg, "text") == 0)
			*f = ST_TEXT;
		else if (c == 'f' && strcmp(optarg, "json") == 0)
			*f = ST_JSON;
		else if (c == 'f' && strcmp(optarg, "prometheus") == 0)
			*f = ST_PROMETHEUS;
		else if (c == 'f')
			return ctl_usage_error("status: --format: '%s' is not text, json or prometheus",
			    optarg);
		else
			return 2;
	}
	if (optind != argc)
		return ctl_usage_error("usage: mailgatectl status [--json | "
		    "--format=text|json|prometheus]");
	return 0;
}

/* The re-introduction notice that came while email was stopped (suspended, clerical); NULL. */
static struct mode_reintro *st_reintro(struct sendlog *sl, const struct mode_state *m,
    struct mode_reintro *r)
{
	if (m->mode != MODE_SUSPENDED && m->mode != MODE_CLERICAL)
		return NULL;
	if (mode_reintro_get(sl, r) != 1 || r->when < m->since)
		return NULL;
	return r;
}

int ctl_status(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct status st;
	struct mode_state m;
	struct sendlog *sl;
	struct mode_reintro r, *ri = NULL;
	struct sbuf why, out;
	enum st_format fmt;
	char err[512];
	int degraded;

	if (st_parse(argc, argv, &fmt) != 0)
		return 2;
	memset(&m, 0, sizeof(m));
	m.mode = MODE_NORMAL;
	sl = NULL;
	/* a fresh state_dir: no send log yet, so the mode is normal */
	if (!ctl_log_absent(ctx->cfg)) {
		if ((sl = ctl_open_log(ctx->cfg, 0, 0)) == NULL)
			return 2;
		if (mode_get(sl, &m) < 0) {
			fprintf(stderr, "%s: error: the mode cannot be read\n", ctx->cfg->state_dir);
			sendlog_close(sl);
			return 2;
		}
		ri = st_reintro(sl, &m, &r);
	}
	if (status_read(ctx->cfg->state_dir, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "mailgatectl: status: %s\n", err);
		sendlog_close(sl);
		return 2;
	}
	sbuf_init(&why);
	sbuf_adds(&why, "");
	degraded = st_degraded(&st, &m, time(NULL), &why);
	sbuf_init(&out);
	if (fmt == ST_JSON)
		st_json(&st, &m, why.data, ri, &out);
	else if (fmt == ST_PROMETHEUS)
		st_prometheus(&st, &m, st.log_fail != 0 || degraded, time(NULL), sl, ri, &out);
	else
		st_human(&st, &m, why.data, ri, &out);
	sendlog_close(sl);
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

	static const struct option none[] = { { NULL, 0, NULL, 0 } };

	if (ctl_getopt(argc, argv, none) != -1)
		return 2;
	if (optind != argc)
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
