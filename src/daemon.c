/*
 * mailgated - the unattended daemon: watches the Outbox of the designated
 * inbox, sends what the policy lets go through the submission server, and
 * files every message where a caseworker sees what happened.
 *
 *	mailgated [-c FILE] [--once | --check] | --version
 *
 * Runs in the foreground (systemd Type=notify), logs one line per message
 * outcome to stderr with sd-daemon priority prefixes ("<3>" err ...).
 * SIGHUP reloads the configuration and the policy (keeping the old ones when
 * the new fail to load; state_dir and log_key_file cannot change); SIGTERM
 * and SIGINT finish the current message and exit. --once makes one pass and
 * exits 0 (all filed), 75 (some left for a retry), 69 (a server could not
 * be reached, or TLS or login failed) or 78 (configuration error). --check
 * loads the configuration, the policy and its templates, reports every
 * problem and exits 0 or 78, reading no secret and touching no network.
 * Start, reload and stop are logged at notice; load errors at err.
 *
 * The two signal flags below are the only global state of mailgate.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <malloc.h>
#include <sqlite3.h>
#include <systemd/sd-daemon.h>

#include "backoff.h"
#include "config.h"
#include "diag.h"
#include "caseload.h"
#include "filer.h"
#include "imap.h"
#include "inbound.h"
#include "journey.h"
#include "mime.h"
#include "clerical.h"
#include "mode.h"
#include "outage.h"
#include "outbound.h"
#include "permits.h"
#include "policy.h"
#include "safeout.h"
#include "sendlog.h"
#include "smtp.h"
#include "state.h"
#include "status.h"
#include "util.h"
#include "worker.h"

#define EX_OK_ 0
#define EX_UNAVAILABLE_ 69
#define EX_TEMPFAIL_ 75
#define EX_CONFIG_ 78

#define DMN_RECONNECT_MAX 300	/* seconds between IMAP reconnection attempts, at most */
#define DMN_WAIT_SLICE 20	/* seconds: watchdog pings at least this often */
#define DMN_LOG_RETRY_MAX 60	/* seconds between tries of a send log that refuses writes */
#define DMN_BUSY_MS 2000	/* how long a write waits for a lock another process holds */
#define DMN_STATUS_EVERY 2	/* seconds: the status file is rewritten this often in a pass */
#define DMN_MMAP_THRESHOLD (256 * 1024)	/* bytes: larger allocations are mapped apart */

static volatile sig_atomic_t dmn_hup, dmn_term;

static void dmn_signal(int sig)
{
	if (sig == SIGHUP)
		dmn_hup = 1;
	else
		dmn_term = 1;
}

/* Everything the daemon holds; one instance, on main's stack. */
struct dmn {
	const char *config_path;
	int once;
	struct config cfg;
	struct policy *pol;
	char *imap_pw, *smtp_pw;
	struct sendlog *log;
	struct journeys *jr;
	struct caseload *caseload;	/* who holds each participant (inbound routing) */
	int caseload_ready;		/* imported at least once: checked each INBOX pass */
	time_t review_checked;		/* last daily count of Review items over 7 days old */
	struct worker_pool *worker;
	struct backoff_tab backoff;
	struct imap_session *imap;
	struct imap_session *imap_in;	/* INBOX on its own connection, so both can IDLE */
	struct filer *filer;		/* Sent copies on imap_in during the Outbox pass */
	struct smtp_session *smtp;
	struct status st;
	time_t purged;		/* last daily purge of the send log */
	struct outage og, og_saved;	/* the outage clock, and what the state holds */
	time_t permits_checked;	/* last daily check of permits ending */
	int log_wait;		/* seconds to the next try while the log refuses writes */
	time_t log_retry_at;
	time_t published;	/* last readers' copy of the send log */
	time_t head_said;	/* last signed head written to the journal */
	char head_line[512];
	int reconnect_wait;
	time_t reconnect_at;
};

static time_t dmn_now(void)
{
	return time(NULL);
}

static void dmn_say(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void dmn_say(int prio, const char *fmt, ...)
{
	char line[2048], *safe;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* a server's words may hold controls: escaped, never raw to the journal */
	safe = safeout_term_dup(line);
	fprintf(stderr, "<%d>%s\n", prio, safe);
	free(safe);
}

/* Configuration and policy problems reach journald with their priority. */
static void dmn_say_diag(const struct diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct diag_item *it = &d->items[i];
		const char *sev = it->sev == DIAG_ERROR ? "error" : "warning";

		if (it->file != NULL && it->line > 0)
			dmn_say(it->sev == DIAG_ERROR ? 3 : 4, "%s:%ld: %s: %s", it->file, it->line,
			    sev, it->text);
		else
			dmn_say(it->sev == DIAG_ERROR ? 3 : 4, "%s%s%s: %s", it->file ? it->file : "",
			    it->file ? ": " : "", sev, it->text);
	}
}

/*
 * outbound's lines, already escaped; while the log refuses writes, its
 * complaint is said once, not per try.
 */
static void dmn_line(void *ctx, int prio, const char *line)
{
	const struct dmn *g = ctx;

	if (g->st.log_fail != 0 && strncmp(line, "send log write failed", 21) == 0)
		return;
	fprintf(stderr, "<%d>%s\n", prio, line);
}

/* A lock held by another process is waited for briefly, and never past SIGTERM. */
static int dmn_busy(void *ctx, int n)
{
	(void)ctx;
	if (dmn_term || n * 50 >= DMN_BUSY_MS)
		return 0;
	usleep(50 * 1000);
	return 1;
}

static void dmn_wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static char *dmn_secret(const char *value, size_t min, const char *what, size_t *len)
{
	char err[512];
	size_t n = 0;
	char *s = config_read_secret(value, min, &n, err, sizeof(err));

	if (s == NULL)
		dmn_say(3, "%s: %s", what, err);
	if (len != NULL)
		*len = n;
	return s;
}

/* Loads configuration, secrets and policy into fresh values; 0 ok, -1 (logged). */
static int dmn_load(const char *path, struct config *cfg, struct policy **pol, char **imap_pw,
    char **smtp_pw)
{
	struct diag d;
	int rc = -1;

	diag_init(&d);
	*pol = NULL;
	*imap_pw = *smtp_pw = NULL;
	if (config_load(path, cfg, &d) < 0 || config_require_servers(cfg, &d) < 0) {
		dmn_say_diag(&d);
		goto out;
	}
	if (policy_load(cfg->policy_file, cfg->template_dir, pol, &d) < 0 || *pol == NULL) {
		dmn_say_diag(&d);
		goto out;
	}
	dmn_say_diag(&d);
	*imap_pw = dmn_secret(cfg->imap_password_file, 1, "imap_password_file", NULL);
	*smtp_pw = cfg->smtp_user ? dmn_secret(cfg->smtp_password_file, 1, "smtp_password_file",
	    NULL) : xstrdup("");
	if (*imap_pw == NULL || *smtp_pw == NULL)
		goto out;
	rc = 0;
out:
	diag_free(&d);
	if (rc < 0) {
		if (*pol)
			policy_free(*pol);
		*pol = NULL;
		dmn_wipe_free(*imap_pw);
		dmn_wipe_free(*smtp_pw);
		*imap_pw = *smtp_pw = NULL;
	}
	return rc;
}

static void dmn_log_policy(struct dmn *g)
{
	struct sendlog_row r;
	char err[256];

	memset(&r, 0, sizeof(r));
	r.time = dmn_now();
	r.kind = "policy";
	r.records = -1;
	r.policy_version = g->pol->version;
	r.detail = g->pol->path;
	if (sendlog_add(g->log, &r, err, sizeof(err)) < 0)
		dmn_say(3, "send log write failed: %s", err);
	status_set_text(g->st.policy_version, sizeof(g->st.policy_version), g->pol->version);
	g->st.policy_loaded = r.time;
	dmn_say(5, "policy %s loaded, version %s", g->pol->path, g->pol->version);
}

static int dmn_same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* SIGHUP: the new configuration and policy replace the old only when they load. */
static void dmn_reload(struct dmn *g)
{
	struct config c;
	struct policy *p;
	char *ipw, *spw;

	memset(&c, 0, sizeof(c));
	if (dmn_load(g->config_path, &c, &p, &ipw, &spw) < 0) {
		dmn_say(3, "reload failed: keeping the configuration and policy in use");
		config_free(&c);
		return;
	}
	if (!dmn_same(c.state_dir, g->cfg.state_dir) || !dmn_same(c.log_key_file, g->cfg.log_key_file)) {
		dmn_say(3, "reload refused: state_dir and log_key_file cannot change without a restart");
		config_free(&c);
		policy_free(p);
		dmn_wipe_free(ipw);
		dmn_wipe_free(spw);
		return;
	}
	if (g->imap)
		imap_close(g->imap);
	if (g->imap_in)
		imap_close(g->imap_in);
	g->imap = NULL;
	g->imap_in = NULL;
	smtp_free(g->smtp);
	config_free(&g->cfg);
	g->cfg = c;
	policy_free(g->pol);
	g->pol = p;
	dmn_wipe_free(g->imap_pw);
	dmn_wipe_free(g->smtp_pw);
	g->imap_pw = ipw;
	g->smtp_pw = spw;
	g->smtp = smtp_new(&g->cfg, g->smtp_pw, &dmn_term);
	g->st.interval = g->cfg.poll_interval;
	{
		/* the size limit and the worker's limits follow the new policy */
		struct mime_limits lim;

		mime_limits_default(&lim, (size_t)g->pol->max_message_bytes);
		worker_pool_set_limits(g->worker, &lim);
	}
	dmn_log_policy(g);
	dmn_say(5, "reloaded %s", g->config_path);
}

static int dmn_mode(void *ctx)
{
	struct dmn *g = ctx;
	struct mode_state m;

	if (mode_get(g->log, &m) < 0)
		return -1;
	return (int)m.mode;
}

/* ---- outages (outage.h decides; these only carry out) ------------------ */

static const char *dmn_host(const struct dmn *g, enum og_server s)
{
	return s == OG_IMAP ? g->cfg.imap_host : g->cfg.smtp_host;
}

/* The clock from the state: a restart during an outage keeps its first failure. */
static void dmn_outage_load(struct dmn *g)
{
	char *v = NULL;
	int rc = state_get(g->log, "outage", &v);

	if (rc < 0 || outage_decode(rc == 1 ? v : NULL, &g->og) < 0)
		dmn_say(3, "internal error: the outage state %s; the outage clock starts again",
		    rc < 0 ? "cannot be read" : "is malformed");
	free(v);
	g->og_saved = g->og;
}

/* Stores the clock when it changed, with row (start, end) in the same transaction. */
static void dmn_outage_save(struct dmn *g, const char *what, time_t since, enum og_server s)
{
	struct sendlog_row r;
	char err[512], *value, *detail = NULL, ts[21];

	if (what == NULL && !outage_changed(&g->og, &g->og_saved))
		return;
	memset(&r, 0, sizeof(r));
	if (what != NULL) {
		sendlog_time(since, ts);
		detail = xasprintf("%s: %s %s unreachable since %s", what, outage_server_name(s),
		    dmn_host(g, s), ts);
		r.time = dmn_now();
		r.kind = "outage";
		r.outcome = what;
		r.records = -1;
		r.submitted_by = "mailgated";
		r.detail = detail;
	}
	value = outage_encode(&g->og);
	if (state_set(g->log, what ? &r : NULL, "outage", value, err, sizeof(err)) < 0)
		dmn_say(3, "send log write failed: outage state: %s", err);
	else
		g->og_saved = g->og;
	free(value);
	free(detail);
}

/* The mode follows the outage: normal -> outage -> normal; clerical stays until resume. */
static void dmn_outage_mode(struct dmn *g, enum og_event ev, time_t since, enum og_server s)
{
	struct mode_state m;
	char err[512], ts[21], *why;

	if (mode_get(g->log, &m) < 0)
		return;
	sendlog_time(since, ts);
	if (ev == OG_START && m.mode == MODE_NORMAL) {
		why = xasprintf("%s %s unreachable since %s", outage_server_name(s), dmn_host(g, s),
		    ts);
		if (mode_set_since(g->log, MODE_OUTAGE, why, "mailgated", dmn_now(), since, err,
		    sizeof(err)) < 0)
			dmn_say(3, "send log write failed: mode: %s", err);
		free(why);
	} else if (ev == OG_END && m.mode == MODE_OUTAGE) {
		why = xasprintf("the outage since %s ended: %s %s reachable again", ts,
		    outage_server_name(s), dmn_host(g, s));
		if (mode_set(g->log, MODE_NORMAL, why, "mailgated", dmn_now(), err, sizeof(err)) < 0)
			dmn_say(3, "send log write failed: mode: %s", err);
		free(why);
	}
}

/* clerical-after-hours of outage: clerical mode by itself (seed ¶59). */
static void dmn_outage_clerical(struct dmn *g)
{
	struct mode_state m;
	char err[512], ts[21], *why;

	if (mode_get(g->log, &m) < 0 || (m.mode != MODE_NORMAL && m.mode != MODE_OUTAGE))
		return;
	sendlog_time(g->og.started, ts);
	why = xasprintf("automatic: the outage since %s (%s %s unreachable) has lasted %d hours; "
	    "tell the department (mailgatectl clerical list prints the notice)", ts,
	    outage_server_name(g->og.server), dmn_host(g, g->og.server),
	    g->pol->clerical_after_hours);
	if (mode_set(g->log, MODE_CLERICAL, why, "mailgated", dmn_now(), err, sizeof(err)) < 0)
		dmn_say(3, "send log write failed: mode: %s", err);
	else
		dmn_say(3, "mode clerical: %s", why);
	free(why);
}

/* IMAP works, SMTP does not: staff are told in INBOX, once per outage. */
static void dmn_outage_notice(struct dmn *g)
{
	struct ob_mail mail;
	struct sbuf b;

	if (g->imap == NULL || !outage_notice_due(&g->og))
		return;
	imap_ops(g->imap, &mail);
	sbuf_init(&b);
	outage_notice_build(&g->og, g->pol->designated_address, dmn_now(), &b);
	if (mail.append(mail.ctx, g->cfg.inbox_folder, b.data, b.len) < 0) {
		g->og.notified = 0;	/* tried again at the next pass */
		dmn_say(4, "outage notice not put into %s", g->cfg.inbox_folder);
	}
	sbuf_free(&b);
}

/* After every contact: the outage's events, then the clock stored. */
static void dmn_outage_tick(struct dmn *g)
{
	time_t now = dmn_now(), since = g->og.started;
	enum og_server s = g->og.server;
	enum og_event ev = outage_check(&g->og, now, g->cfg.outage_after_seconds);
	char ts[21];

	if (ev == OG_START || ev == OG_REMIND) {
		since = g->og.started;
		s = g->og.server;
		sendlog_time(since, ts);
		dmn_say(3, "outage: %s %s unreachable since %s (%ld hours); nothing can be sent",
		    outage_server_name(s), dmn_host(g, s), ts, (long)((now - since) / 3600));
	} else if (ev == OG_END) {
		sendlog_time(since, ts);
		dmn_say(5, "outage since %s ended: %s %s reachable again", ts,
		    outage_server_name(s), dmn_host(g, s));
	}
	if (ev == OG_START || ev == OG_END)
		dmn_outage_mode(g, ev, since, s);
	if (outage_clerical_due(&g->og, now, g->pol->clerical_after_hours))
		dmn_outage_clerical(g);
	dmn_outage_notice(g);
	dmn_outage_save(g, ev == OG_START ? "start" : ev == OG_END ? "end" : NULL, since, s);
	g->st.outage_since = g->og.started;
	status_set_text(g->st.outage_server, sizeof(g->st.outage_server),
	    g->og.started ? outage_server_name(g->og.server) : "");
}

static void dmn_contact(struct dmn *g, enum og_server s, int ok)
{
	outage_contact(&g->og, s, ok, dmn_now());
	dmn_outage_tick(g);
}

/* Daily: permits ending within 30 days, in the journal and the status. */
static void dmn_permits(struct dmn *g)
{
	struct sbuf b;
	time_t now = dmn_now();

	if (now - g->permits_checked < 86400)
		return;
	g->permits_checked = now;
	sbuf_init(&b);
	sbuf_adds(&b, "");
	if (permits_ending(g->pol, mgday_today_london(now), PERMITS_WARN_DAYS, &b) > 0)
		dmn_say(4, "permits ending within %d days: %s", PERMITS_WARN_DAYS, b.data);
	status_set_text(g->st.permits_ending, sizeof(g->st.permits_ending), b.data);
	sbuf_free(&b);
}

/* The send log keeps log_retention_months: purged once a day. */
static void dmn_purge(struct dmn *g)
{
	char err[256];
	size_t removed = 0;
	time_t now = dmn_now();

	if (now - g->purged < 86400)
		return;
	g->purged = now;
	if (sendlog_purge(g->log, now, g->cfg.log_retention_months, "mailgated", &removed, err,
	    sizeof(err)) < 0)
		dmn_say(3, "send log purge failed: %s", err);
	else if (journey_purge(g->jr, sendlog_cutoff(now, g->cfg.log_retention_months)) < 0)
		dmn_say(3, "journey purge failed");
	else if (clerical_purge(g->cfg.state_dir, sendlog_cutoff(now, g->cfg.log_retention_months),
	    err, sizeof(err)) < 0)
		dmn_say(3, "clerical copies purge failed: %s", err);
	else if (removed > 0)
		dmn_say(6, "send log purge: %zu rows older than %d months removed", removed,
		    g->cfg.log_retention_months);
}

/*
 * The readers' copy of the send log after each pass and at least every
 * minute; the signed head (of that copy) to the journal when it moved, and
 * at least hourly, for log verify --journal.
 */
static void dmn_proofs(struct dmn *g, int after_pass)
{
	char line[sizeof(g->head_line)], err[512];
	time_t now = dmn_now();

	if (!after_pass && now - g->published < 60)
		return;
	g->published = now;
	if (sendlog_publish(g->log, line, sizeof(line), err, sizeof(err)) < 0) {
		dmn_say(3, "send log: the readers' copy was not published: %s", err);
		return;
	}
	if (strcmp(line, g->head_line) == 0 && now - g->head_said < 3600)
		return;
	dmn_say(6, "%s", line);
	memcpy(g->head_line, line, sizeof(line));
	g->head_said = now;
}

static void dmn_status_write(struct dmn *g)
{
	char err[512];
	size_t i;

	g->st.updated = dmn_now();
	g->st.pid = getpid();
	free(g->st.waiting);
	g->st.waiting = NULL;
	g->st.nwaiting = 0;
	for (i = 0; i < g->backoff.n; i++)
		status_add_waiting(&g->st, (unsigned)strtoul(g->backoff.v[i].key, NULL, 10),
		    g->backoff.v[i].next, g->backoff.v[i].label, g->backoff.v[i].last_reply);
	if (g->imap) {
		long h = imap_count_messages(g->imap, g->cfg.held_folder);

		if (h >= 0)
			g->st.held = h;
	}
	if (status_write(g->cfg.state_dir, &g->st, err, sizeof(err)) < 0)
		dmn_say(4, "status not written: %s", err);
}

static void dmn_imap_drop(struct dmn *g, const char *why)
{
	char copy[512];

	/* why may point into the session about to be freed */
	snprintf(copy, sizeof(copy), "%s", why ? why : "connection failed");
	if (g->imap) {
		dmn_say(4, "imap %s: connection lost: %s", g->cfg.imap_host, copy);
		imap_close(g->imap);
	}
	if (g->imap_in)
		imap_close(g->imap_in);
	g->imap = NULL;
	g->imap_in = NULL;
	g->st.imap_fail = dmn_now();
	status_set_text(g->st.imap_error, sizeof(g->st.imap_error), copy);
}

/* Connects when due; 1 connected, 0 not yet due, -1 failed. */
static int dmn_imap_connect(struct dmn *g)
{
	char err[512];

	if (g->imap)
		return 1;
	if (dmn_now() < g->reconnect_at)
		return 0;
	sd_notifyf(0, "STATUS=connecting to %s", g->cfg.imap_host);
	if (imap_open(&g->cfg, g->imap_pw, &dmn_term, &g->imap, err, sizeof(err)) < 0 ||
	    imap_open(&g->cfg, g->imap_pw, &dmn_term, &g->imap_in, err, sizeof(err)) < 0) {
		if (g->imap)
			imap_close(g->imap);
		g->imap = NULL;
		g->imap_in = NULL;
		dmn_say(3, "%s", err);
		g->st.imap_fail = dmn_now();
		status_set_text(g->st.imap_error, sizeof(g->st.imap_error), err);
		g->reconnect_wait = g->reconnect_wait ? g->reconnect_wait * 2 : 5;
		if (g->reconnect_wait > DMN_RECONNECT_MAX)
			g->reconnect_wait = DMN_RECONNECT_MAX;
		g->reconnect_at = dmn_now() + g->reconnect_wait;
		dmn_contact(g, OG_IMAP, 0);
		return -1;
	}
	g->reconnect_wait = 0;
	g->st.imap_ok = dmn_now();
	dmn_contact(g, OG_IMAP, 1);
	return 1;
}

/* Tallies of one pass, for --once's exit code. */
struct dmn_pass {
	unsigned sent, rejected, held, left;
	unsigned forwarded, reviewed, deleted, in_waiting;	/* INBOX (enum ib_outcome) */
	int unreachable, log_failed;
};

/* The send log refused a write: sending stops, and is tried again after a backoff. */
static void dmn_log_failed(struct dmn *g)
{
	time_t now = dmn_now();

	if (g->st.log_fail == 0) {
		g->st.log_fail = now;
		status_set_text(g->st.log_error, sizeof(g->st.log_error),
		    sqlite3_errmsg(sendlog_db(g->log)));
		dmn_say(3, "send log refuses writes (%s): nothing is sent until it can be written; "
		    "trying again with backoff", g->st.log_error);
	}
	g->log_wait = g->log_wait ? g->log_wait * 2 : 1;
	if (g->log_wait > DMN_LOG_RETRY_MAX)
		g->log_wait = DMN_LOG_RETRY_MAX;
	g->log_retry_at = now + g->log_wait;
}

static void dmn_log_ok(struct dmn *g)
{
	if (g->st.log_fail != 0)
		dmn_say(5, "send log writable again after %lds: sending resumes",
		    (long)(dmn_now() - g->st.log_fail));
	g->st.log_fail = 0;
	g->st.log_error[0] = '\0';
	g->log_wait = 0;
	g->log_retry_at = 0;
}

static void dmn_env(struct dmn *g, struct ob_env *e, struct ob_mail *mail, struct ob_smtp *smtp)
{
	memset(e, 0, sizeof(*e));
	imap_ops(g->imap, mail);
	smtp_ops(g->smtp, smtp);
	e->cfg = &g->cfg;
	e->pol = g->pol;
	e->policy_version = g->pol->version;
	e->worker = g->worker;
	e->log = g->log;
	e->jr = g->jr;
	e->backoff = &g->backoff;
	e->mail = mail;
	e->smtp = smtp;
	e->mode = dmn_mode;
	e->mode_ctx = g;
	e->now = dmn_now;
	e->logline = dmn_line;
	e->log_ctx = g;
}

static void dmn_count(struct dmn_pass *ps, enum ob_outcome o)
{
	switch (o) {
	case OB_SENT:
		ps->sent++;
		break;
	case OB_REJECTED:
		ps->rejected++;
		break;
	case OB_HELD:
		ps->held++;
		break;
	case OB_LEFT:
	case OB_SKIPPED:
	case OB_MAILBOX_FAILED:
		ps->left++;
		break;
	case OB_LOG_FAILED:
		ps->left++;
		ps->log_failed = 1;
		break;
	}
}

/* A long pass keeps the status file fresh: a busy daemon is not a silent one. */
static void dmn_status_tick(struct dmn *g, int busy)
{
	if (busy && dmn_now() - g->st.updated < DMN_STATUS_EVERY)
		return;
	g->st.busy = busy;
	dmn_status_write(g);
}

static void dmn_smtp_take(struct dmn *g, struct dmn_pass *ps)
{
	char err[512];
	int t = smtp_take(g->smtp, err, sizeof(err));

	/* during an SMTP outage nothing may be tried (clerical mode): a no-send probe ends it */
	if (t < 0 && g->og.first_fail[OG_SMTP] != 0)
		t = smtp_check(g->smtp, err, sizeof(err)) < 0 ? 1 : 0;
	if (t == 1) {
		dmn_say(3, "smtp %s: %s", g->cfg.smtp_host, err);
		ps->unreachable = 1;
		g->st.smtp_fail = dmn_now();
		status_set_text(g->st.smtp_error, sizeof(g->st.smtp_error), err);
	} else if (t == 0) {
		g->st.smtp_ok = dmn_now();
	}
	smtp_disconnect(g->smtp);
	if (t >= 0)
		dmn_contact(g, OG_SMTP, t == 0);
}

/*
 * The Sent copy of each message is appended on the INBOX session, idle
 * during the Outbox pass, while this session goes on with the next message.
 */
static void dmn_overlap(struct dmn *g, struct ob_env *e, struct ob_mail *mail,
    struct ob_filing *filing)
{
	struct ob_mail second;

	if (g->filer == NULL || g->imap_in == NULL)
		return;
	imap_ops(g->imap_in, &second);
	filer_lend(g->filer, &second);
	mail->actx = g->filer;
	mail->append_start = filer_start;
	mail->append_wait = filer_wait;
	e->filing = filing;
}

/*
 * The end of a pass over either folder: the look-ahead dropped, the batch
 * removed, the last DONE steps written now rather than with the next
 * message. 1 when the mailbox failed; a log that failed is marked in ps.
 */
static int dmn_flush(struct dmn *g, struct ob_env *e, struct dmn_pass *ps)
{
	int rc = outbound_flush(e);

	if (rc == OB_LOG_FAILED)
		ps->log_failed = 1;
	if (journey_sync(g->jr) < 0)
		ps->log_failed = 1;
	return rc == OB_MAILBOX_FAILED;
}

/* One pass over the Outbox; 0, or -1 when the mailbox failed. */
static int dmn_pass(struct dmn *g, struct dmn_pass *ps)
{
	struct ob_mail mail;
	struct ob_smtp smtp;
	struct ob_env e;
	struct ob_item *items = NULL;
	struct ob_batch batch;
	struct ob_filing filing = { NULL };
	struct ob_ahead ahead;
	enum ob_outcome o;
	size_t n = 0, i, done = 0;
	int rc, failed = 0;

	dmn_env(g, &e, &mail, &smtp);
	memset(&batch, 0, sizeof(batch));
	memset(&ahead, 0, sizeof(ahead));
	e.batch = &batch;
	e.ahead = &ahead;
	if (mail.list(mail.ctx, g->cfg.outbox_folder, dmn_now() - g->cfg.outbox_settle_seconds,
	    &items, &n) < 0)
		return -1;
	dmn_overlap(g, &e, &mail, &filing);
	g->st.pass_started = dmn_now();
	g->st.pass_total = (long)n;
	g->st.pass_done = 0;
	g->st.pass_sent = 0;
	g->st.imap_ok = dmn_now();
	rc = outbound_recover(&e, items, n);
	if (rc == OB_LOG_FAILED)
		ps->log_failed = 1;
	else if (rc != 0)
		failed = 1;
	for (i = 0; rc == 0 && i < n && !dmn_term; i++) {
		sd_notifyf(0, "STATUS=working: message %zu of %zu", i + 1, n);
		ahead.next = i + 1 < n ? &items[i + 1] : NULL;
		o = outbound_message(&e, &items[i]);
		dmn_count(ps, o);
		done = i + 1;
		g->st.pass_done = (long)done;
		g->st.pass_sent = (long)ps->sent;
		if (o == OB_MAILBOX_FAILED)
			failed = 1;
		if (o == OB_LOG_FAILED || o == OB_MAILBOX_FAILED)
			break;
		sd_notify(0, "WATCHDOG=1");
		dmn_status_tick(g, 1);
		if (dmn_hup)
			break;
	}
	ps->left += (unsigned)(n - done);
	free(items);
	if (dmn_flush(g, &e, ps))
		failed = 1;
	filer_lend(g->filer, NULL);
	if (ps->log_failed)
		dmn_log_failed(g);
	else
		dmn_log_ok(g);
	return failed ? -1 : 0;
}

/* The caseload for inbound routing; -1 (the message waits) before the first import. */
static int dmn_caseload_lookup(void *ctx, const char stem[NINO_STEM_LEN], const char *surname,
    struct cl_hit *hit)
{
	struct dmn *g = ctx;

	return g->caseload_ready ? caseload_lookup(g->caseload, stem, surname, hit) : -1;
}

static void dmn_caseload_check(struct dmn *g)
{
	struct cl_count *v = NULL;
	size_t n = 0;
	time_t when = 0;

	g->caseload_ready = caseload_counts(g->caseload, &v, &n, &when) == 0 && when != 0;
	free(v);
	if (!g->caseload_ready)
		dmn_say(4, "no caseload imported yet (mailgatectl caseload import): the department's "
		    "forms routed by caseload wait in %s", g->cfg.inbox_folder);
}

/* ¶57: received mail is deleted once actioned; daily, say what waits in Review too long. */
static int dmn_review_check(struct dmn *g, struct ob_mail *mail)
{
	struct ob_item *items = NULL;
	size_t n = 0;

	if (g->review_checked != 0 && dmn_now() - g->review_checked < 86400)
		return 0;
	if (mail->list(mail->ctx, g->cfg.review_folder, dmn_now() - 7 * 86400, &items, &n) < 0)
		return -1;
	free(items);
	g->review_checked = dmn_now();
	if (n > 0)
		dmn_say(4, "%zu message(s) in %s are older than 7 days (notices included): action "
		    "them and delete them (seed paragraph 57)", n, g->cfg.review_folder);
	return 0;
}

/* One pass over INBOX (interface "Inbound mail"); 0, or -1 when the mailbox failed. */
static int dmn_inbox_pass(struct dmn *g, struct dmn_pass *ps)
{
	static const struct ib_caseload ops = { NULL, dmn_caseload_lookup };
	struct ib_caseload cl = ops;
	struct ob_mail mail;
	struct ob_smtp smtp;
	struct ob_env e;
	struct ib_env ie = { &e, &cl };
	struct ob_item *items = NULL;
	struct ob_batch batch;
	struct ob_ahead ahead;
	enum ib_outcome o;
	size_t n = 0, i, done = 0;
	int failed = 0;

	cl.ctx = g;
	dmn_env(g, &e, &mail, &smtp);
	imap_ops(g->imap_in, &mail);
	/* forwarded originals deleted by the batch; the next message analysed during the data */
	memset(&batch, 0, sizeof(batch));
	memset(&ahead, 0, sizeof(ahead));
	batch.folder = g->cfg.inbox_folder;
	e.batch = &batch;
	e.ahead = &ahead;
	if (dmn_review_check(g, &mail) < 0 ||
	    mail.list(mail.ctx, g->cfg.inbox_folder, dmn_now(), &items, &n) < 0)
		return -1;
	if (n > 0)
		dmn_caseload_check(g);
	/* journeys whose message staff removed from INBOX by hand: closed, never sent again */
	switch (inbound_recover(&ie, items, n)) {
	case 0:
		break;
	case IB_LOG_FAILED:
		ps->log_failed = 1;
		break;
	default:
		failed = 1;
		break;
	}
	for (i = 0; i < n && !ps->log_failed && !failed && !dmn_term && !dmn_hup; i++) {
		ahead.next = i + 1 < n ? &items[i + 1] : NULL;
		o = inbound_message(&ie, &items[i]);
		done = i + 1;
		switch (o) {
		case IB_FORWARDED:
			ps->forwarded++;
			g->st.in_forwarded++;
			break;
		case IB_REVIEWED:
			ps->reviewed++;
			g->st.in_reviewed++;
			break;
		case IB_DELETED:
			ps->deleted++;
			g->st.in_deleted++;
			break;
		case IB_IGNORED:
			break;
		case IB_WAITING:
		case IB_MAILBOX_FAILED:
		case IB_LOG_FAILED:
			ps->in_waiting++;
			break;
		}
		if (o == IB_LOG_FAILED)
			ps->log_failed = 1;
		if (o == IB_MAILBOX_FAILED)
			failed = 1;
		if (o == IB_LOG_FAILED || o == IB_MAILBOX_FAILED)
			break;
		sd_notify(0, "WATCHDOG=1");
	}
	/* those not reached this pass wait too */
	ps->in_waiting += (unsigned)(n - done);
	g->st.in_waiting = (long)ps->in_waiting;
	free(items);
	if (dmn_flush(g, &e, ps))
		failed = 1;
	return failed ? -1 : 0;
}

/* Seconds until the next pass: the poll interval, or sooner when a retry falls due. */
static int dmn_next_wait(struct dmn *g)
{
	time_t now = dmn_now(), soonest = now + g->cfg.poll_interval;
	size_t i;

	if (g->st.log_fail != 0)
		return g->log_retry_at > now ? (int)(g->log_retry_at - now) : 1;
	for (i = 0; i < g->backoff.n; i++)
		if (g->backoff.v[i].next < soonest)
			soonest = g->backoff.v[i].next;
	return soonest > now ? (int)(soonest - now) : 1;
}

/* Sleeps up to seconds in slices, pinging the watchdog, until a signal. */
static void dmn_sleep(int seconds)
{
	while (seconds > 0 && !dmn_term && !dmn_hup) {
		int s = seconds > DMN_WAIT_SLICE ? DMN_WAIT_SLICE : seconds;

		sleep((unsigned)s);
		seconds -= s;
		sd_notify(0, "WATCHDOG=1");
	}
}

static int dmn_run(struct dmn *g)
{
	struct dmn_pass ps;
	int rc, wait;

	dmn_outage_load(g);

	for (;;) {
		if (dmn_term)
			return EX_OK_;
		if (dmn_hup) {
			dmn_hup = 0;
			dmn_reload(g);
		}
		memset(&ps, 0, sizeof(ps));
		dmn_purge(g);
		dmn_permits(g);
		rc = dmn_imap_connect(g);
		if (rc < 0 && g->once)
			return EX_UNAVAILABLE_;
		if (rc <= 0) {
			sd_notifyf(0, "STATUS=waiting to reconnect to %s", g->cfg.imap_host);
			dmn_status_write(g);
			dmn_proofs(g, 0);
			dmn_sleep((int)(g->reconnect_at - dmn_now()));
			continue;
		}
		if (dmn_pass(g, &ps) < 0 || (!ps.log_failed && dmn_inbox_pass(g, &ps) < 0))
			dmn_imap_drop(g, g->imap ? imap_error(g->imap) : "connection failed");
		/* what the submission server did in both passes, said once */
		dmn_smtp_take(g, &ps);
		g->st.busy = 0;
		dmn_status_write(g);
		dmn_proofs(g, 1);
		if (g->once) {
			if (ps.unreachable || g->imap == NULL)
				return EX_UNAVAILABLE_;
			return ps.left || ps.in_waiting ? EX_TEMPFAIL_ : EX_OK_;
		}
		if (g->imap == NULL)
			continue;
		sd_notifyf(0, "STATUS=idle; last pass: %u sent, %u rejected, %u held, %u waiting; "
		    "inbox: %u forwarded, %u to Review, %u deleted, %u waiting", ps.sent,
		    ps.rejected, ps.held, ps.left, ps.forwarded, ps.reviewed, ps.deleted,
		    ps.in_waiting);
		wait = dmn_next_wait(g);
		if (g->st.log_fail != 0) {
			/* the log's backoff, not a new message, decides the next try */
			dmn_sleep(wait);
			continue;
		}
		while (wait > 0 && !dmn_term && !dmn_hup) {
			int slice = wait > DMN_WAIT_SLICE ? DMN_WAIT_SLICE : wait;
			int w = imap_wait_two(g->imap, g->cfg.outbox_folder, g->imap_in,
			    g->cfg.inbox_folder, slice, &dmn_term);

			sd_notify(0, "WATCHDOG=1");
			dmn_proofs(g, 0);
			if (w < 0) {
				dmn_imap_drop(g, imap_error(w == -1 ? g->imap : g->imap_in));
				break;
			}
			if (w > 0)
				break;
			wait -= slice;
		}
	}
}

/*
 * The parser's pool starts before any secret is read (its programs are
 * spawned, not forked, so they never hold one anyway); the policy's limits
 * come later with worker_pool_set_limits().
 */
static struct worker_pool *dmn_worker_start(void)
{
	struct mime_limits lim;
	struct worker_pool *wp;

	mime_limits_default(&lim, 0);
	wp = worker_pool_new(&lim);
	if (wp == NULL)
		dmn_say(3, "cannot start the analysis worker %s: %s", worker_pool_default_prog(),
		    strerror(errno));
	return wp;
}

static void dmn_usage(FILE *fp)
{
	fprintf(fp, "usage: mailgated [-c FILE] [--once | --check]\n"
	    "       mailgated --version\n");
}

/* --check: configuration, policy and templates, as a start would load them; 0 or 78. */
static int dmn_check(const char *path)
{
	struct config cfg;
	struct policy *pol = NULL;
	struct diag d;
	int rc = EX_CONFIG_;

	diag_init(&d);
	memset(&cfg, 0, sizeof(cfg));
	if (config_load(path, &cfg, &d) == 0 && config_require_servers(&cfg, &d) == 0 &&
	    policy_load(cfg.policy_file, cfg.template_dir, &pol, &d) == 0 && pol != NULL)
		rc = EX_OK_;
	diag_print(&d, stderr);
	if (rc == EX_OK_)
		printf("%s: ok: policy %s version %s, %zu templates\n", path, pol->path,
		    pol->version, pol->ntemplates);
	diag_free(&d);
	policy_free(pol);
	config_free(&cfg);
	return rc;
}

/* The command line; -1 to go on, else the exit code (--help, --version, a usage error). */
static int dmn_options(int argc, char **argv, struct dmn *g, int *check)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, 'o' },
		{ "check", no_argument, NULL, 'k' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			g->config_path = optarg;
			break;
		case 'o':
			g->once = 1;
			break;
		case 'k':
			*check = 1;
			break;
		case 'V':
			printf("mailgated %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			dmn_usage(stdout);
			return 0;
		default:
			dmn_usage(stderr);
			return EX_CONFIG_;
		}
	}
	if (optind != argc || (*check && g->once)) {
		dmn_usage(stderr);
		return EX_CONFIG_;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct dmn g;
	struct sigaction sa;
	struct mime_limits lim;
	unsigned char *key;
	size_t keylen = 0;
	char err[512];
	int rc, check = 0, flags = SENDLOG_WRITE;

	memset(&g, 0, sizeof(g));
	g.config_path = CONFIG_DEFAULT_PATH;
	if ((rc = dmn_options(argc, argv, &g, &check)) >= 0)
		return rc;
	if (check)
		return dmn_check(g.config_path);
	setvbuf(stderr, NULL, _IOLBF, 0);
	/*
	 * a message's buffers are mapped and unmapped whole: glibc's sliding
	 * threshold would keep a freed 10 MiB message in the heap for the next
	 */
	mallopt(M_MMAP_THRESHOLD, DMN_MMAP_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, DMN_MMAP_THRESHOLD);
	g.worker = dmn_worker_start();
	if (g.worker == NULL)
		return EX_UNAVAILABLE_;
	if (dmn_load(g.config_path, &g.cfg, &g.pol, &g.imap_pw, &g.smtp_pw) < 0) {
		config_free(&g.cfg);
		return EX_CONFIG_;
	}
	key = (unsigned char *)dmn_secret(g.cfg.log_key_file, 32, "log_key_file", &keylen);
	if (key == NULL)
		return EX_CONFIG_;
	/* benchmarks only: the log without fsync, never in production */
	if (getenv("MAILGATE_BENCH_NOSYNC") != NULL && strcmp(getenv("MAILGATE_BENCH_NOSYNC"), "1") == 0)
		flags |= SENDLOG_NOSYNC;
	rc = sendlog_open(g.cfg.state_dir, key, keylen, flags, &g.log, err, sizeof(err));
	if (rc == 0 && (rc = caseload_open(g.cfg.state_dir, key, keylen, 1, &g.caseload, err,
	    sizeof(err))) < 0)
		dmn_say(3, "caseload: %s", err);
	explicit_bzero(key, keylen);
	free(key);
	if (rc < 0) {
		dmn_say(3, "send log: %s", err);
		return EX_CONFIG_;
	}
	sqlite3_busy_handler(sendlog_db(g.log), dmn_busy, NULL);
	if (journey_open(g.log, &g.jr, err, sizeof(err)) < 0 ||
	    state_create(g.log, err, sizeof(err)) < 0) {
		dmn_say(3, "send log: %s", err);
		return EX_CONFIG_;
	}
	mime_limits_default(&lim, (size_t)g.pol->max_message_bytes);
	worker_pool_set_limits(g.worker, &lim);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = dmn_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	backoff_init(&g.backoff);
	status_init(&g.st);
	g.st.interval = g.cfg.poll_interval;
	g.smtp = smtp_new(&g.cfg, g.smtp_pw, &dmn_term);
	g.filer = filer_new();	/* NULL: every Sent copy is appended in turn */
	dmn_log_policy(&g);
	dmn_say(5, "started %s %s, config %s%s", PACKAGE_NAME, PACKAGE_VERSION, g.config_path,
	    g.once ? ", one pass" : "");
	sd_notify(0, "READY=1\nSTATUS=started");
	rc = dmn_run(&g);
	sd_notify(0, "STOPPING=1");
	dmn_say(5, "stopping (%s), exit %d", dmn_term ? "signal" : "pass done", rc);
	filer_free(g.filer);
	if (g.imap)
		imap_close(g.imap);
	if (g.imap_in)
		imap_close(g.imap_in);
	smtp_free(g.smtp);
	worker_pool_free(g.worker);
	journey_close(g.jr);
	caseload_close(g.caseload);
	sendlog_close(g.log);
	backoff_free(&g.backoff);
	status_free(&g.st);
	policy_free(g.pol);
	dmn_wipe_free(g.imap_pw);
	dmn_wipe_free(g.smtp_pw);
	config_free(&g.cfg);
	return rc;
}
