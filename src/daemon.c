/*
 * mailgated - the unattended daemon: watches the Outbox of the designated
 * inbox, sends what the policy lets go through the submission server, and
 * files every message where a caseworker sees what happened.
 *
 *	mailgated [-c FILE] [--once]
 *
 * Runs in the foreground (systemd Type=notify), logs one line per message
 * outcome to stderr with sd-daemon priority prefixes ("<3>" err ...).
 * SIGHUP reloads the configuration and the policy (keeping the old ones when
 * the new fail to load; state_dir and log_key_file cannot change); SIGTERM
 * and SIGINT finish the current message and exit. --once makes one pass and
 * exits 0 (all filed), 75 (some left for a retry), 69 (a server could not
 * be reached, or TLS or login failed) or 78 (configuration error).
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

#include <sqlite3.h>
#include <systemd/sd-daemon.h>

#include "backoff.h"
#include "config.h"
#include "diag.h"
#include "caseload.h"
#include "imap.h"
#include "inbound.h"
#include "journey.h"
#include "mime.h"
#include "mode.h"
#include "outbound.h"
#include "policy.h"
#include "sendlog.h"
#include "smtp.h"
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
	struct smtp_session *smtp;
	struct status st;
	time_t purged;		/* last daily purge of the send log */
	int log_wait;		/* seconds to the next try while the log refuses writes */
	time_t log_retry_at;
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
	va_list ap;

	fprintf(stderr, "<%d>", prio);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* outbound's lines; while the log refuses writes, its complaint is said once, not per try */
static void dmn_line(void *ctx, int prio, const char *line)
{
	const struct dmn *g = ctx;

	if (g->st.log_fail != 0 && strncmp(line, "send log write failed", 21) == 0)
		return;
	dmn_say(prio, "%s", line);
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
		diag_print(&d, stderr);
		goto out;
	}
	if (policy_load(cfg->policy_file, cfg->template_dir, pol, &d) < 0 || *pol == NULL) {
		diag_print(&d, stderr);
		goto out;
	}
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
	g->imap = NULL;
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
	dmn_log_policy(g);
	dmn_say(5, "reloaded %s", g->config_path);
}

static int dmn_mode_normal(void *ctx)
{
	struct dmn *g = ctx;
	struct mode_state m;

	if (mode_get(g->log, &m) < 0)
		return -1;
	return m.mode == MODE_NORMAL;
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
	else if (removed > 0)
		dmn_say(6, "send log purge: %zu rows older than %d months removed", removed,
		    g->cfg.log_retention_months);
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
		    g->backoff.v[i].next, g->backoff.v[i].last_reply);
	if (g->imap) {
		long h = imap_count(g->imap, g->cfg.held_folder);

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
		return -1;
	}
	g->reconnect_wait = 0;
	g->st.imap_ok = dmn_now();
	return 1;
}

/* Tallies of one pass, for --once's exit code. */
struct dmn_pass {
	unsigned sent, rejected, held, left;
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
	e->mode_normal = dmn_mode_normal;
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

	if (t == 1) {
		dmn_say(3, "smtp %s: %s", g->cfg.smtp_host, err);
		ps->unreachable = 1;
		g->st.smtp_fail = dmn_now();
		status_set_text(g->st.smtp_error, sizeof(g->st.smtp_error), err);
	} else if (t == 0) {
		g->st.smtp_ok = dmn_now();
	}
	smtp_disconnect(g->smtp);
}

/* One pass over the Outbox; 0, or -1 when the mailbox failed. */
static int dmn_pass(struct dmn *g, struct dmn_pass *ps)
{
	struct ob_mail mail;
	struct ob_smtp smtp;
	struct ob_env e;
	struct ob_item *items = NULL;
	enum ob_outcome o;
	size_t n = 0, i, done = 0;
	int rc, failed = 0;

	dmn_env(g, &e, &mail, &smtp);
	if (mail.list(mail.ctx, g->cfg.outbox_folder, dmn_now() - g->cfg.outbox_settle_seconds,
	    &items, &n) < 0)
		return -1;
	g->st.imap_ok = dmn_now();
	rc = outbound_recover(&e, items, n);
	if (rc == OB_LOG_FAILED)
		ps->log_failed = 1;
	else if (rc != 0)
		failed = 1;
	for (i = 0; rc == 0 && i < n && !dmn_term; i++) {
		sd_notifyf(0, "STATUS=working: message %zu of %zu", i + 1, n);
		o = outbound_message(&e, &items[i]);
		dmn_count(ps, o);
		done = i + 1;
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
	dmn_smtp_take(g, ps);
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
	enum ob_outcome o;
	size_t n = 0, i;
	int failed = 0;

	cl.ctx = g;
	dmn_env(g, &e, &mail, &smtp);
	imap_ops(g->imap_in, &mail);
	if (dmn_review_check(g, &mail) < 0 ||
	    mail.list(mail.ctx, g->cfg.inbox_folder, dmn_now(), &items, &n) < 0)
		return -1;
	if (n > 0)
		dmn_caseload_check(g);
	for (i = 0; i < n && !dmn_term && !dmn_hup; i++) {
		o = inbound_message(&ie, &items[i]);
		if (o == OB_LOG_FAILED)
			ps->log_failed = 1;
		if (o == OB_MAILBOX_FAILED)
			failed = 1;
		if (o == OB_LOG_FAILED || o == OB_MAILBOX_FAILED)
			break;
		sd_notify(0, "WATCHDOG=1");
	}
	free(items);
	dmn_smtp_take(g, ps);
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

	for (;;) {
		if (dmn_term)
			return EX_OK_;
		if (dmn_hup) {
			dmn_hup = 0;
			dmn_reload(g);
		}
		memset(&ps, 0, sizeof(ps));
		dmn_purge(g);
		rc = dmn_imap_connect(g);
		if (rc < 0 && g->once)
			return EX_UNAVAILABLE_;
		if (rc <= 0) {
			sd_notifyf(0, "STATUS=waiting to reconnect to %s", g->cfg.imap_host);
			dmn_status_write(g);
			dmn_sleep((int)(g->reconnect_at - dmn_now()));
			continue;
		}
		if (dmn_pass(g, &ps) < 0 || (!ps.log_failed && dmn_inbox_pass(g, &ps) < 0))
			dmn_imap_drop(g, g->imap ? imap_error(g->imap) : "connection failed");
		g->st.busy = 0;
		dmn_status_write(g);
		if (g->once) {
			if (ps.unreachable || g->imap == NULL)
				return EX_UNAVAILABLE_;
			return ps.left ? EX_TEMPFAIL_ : EX_OK_;
		}
		if (g->imap == NULL)
			continue;
		sd_notifyf(0, "STATUS=idle; last pass: %u sent, %u rejected, %u held, %u waiting",
		    ps.sent, ps.rejected, ps.held, ps.left);
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

static void dmn_usage(FILE *fp)
{
	fprintf(fp, "usage: mailgated [-c FILE] [--once]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dmn g;
	struct sigaction sa;
	struct mime_limits lim;
	unsigned char *key;
	size_t keylen = 0;
	char err[512];
	int c, rc, flags = SENDLOG_WRITE;

	memset(&g, 0, sizeof(g));
	g.config_path = CONFIG_DEFAULT_PATH;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			g.config_path = optarg;
			break;
		case 'o':
			g.once = 1;
			break;
		case 'h':
			dmn_usage(stdout);
			return 0;
		default:
			dmn_usage(stderr);
			return EX_CONFIG_;
		}
	}
	if (optind != argc) {
		dmn_usage(stderr);
		return EX_CONFIG_;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
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
	if (journey_open(g.log, &g.jr, err, sizeof(err)) < 0) {
		dmn_say(3, "send log: %s", err);
		return EX_CONFIG_;
	}
	mime_limits_default(&lim, (size_t)g.pol->max_message_bytes);
	g.worker = worker_pool_new(&lim);
	if (g.worker == NULL) {
		dmn_say(3, "cannot start the analysis worker");
		return EX_UNAVAILABLE_;
	}
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
	dmn_log_policy(&g);
	sd_notify(0, "READY=1\nSTATUS=started");
	rc = dmn_run(&g);
	sd_notify(0, "STOPPING=1");
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
