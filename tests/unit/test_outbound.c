/*
 * test_outbound - the exactly-once promise of outbound over its journey,
 * driven with a fake mailbox and a fake submission server that fail at
 * each step in turn: a lost connection (any mailbox or SMTP call), a 4xx,
 * a 5xx, a connection lost after DATA with or without the 250 having been
 * given, the send log locked by another process, and a crash (the log and
 * the journeys closed and opened again, memory lost). After every fault the
 * passes run on until the Outbox is empty, and each run asserts: no message
 * delivered twice, every message in exactly one folder, the log agreeing
 * with the folders, at most one notice per message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "backoff.h"
#include "diag.h"
#include "journey.h"
#include "mime.h"
#include "msgfd.h"
#include "outbound.h"
#include "policy.h"
#include "rewrite.h"
#include "sendlog.h"
#include "util.h"
#include "worker.h"

enum { F_OUTBOX, F_SENT, F_REJECTED, F_HELD, F_N };
static const char *const fnames[F_N] = { "Outbox", "Sent", "Rejected", "Held" };

enum fault {
	FK_NONE,
	FK_LOST,	/* the call fails: the connection is lost (SMTP: before DATA) */
	FK_TEMP,	/* SMTP 4xx */
	FK_PERM,	/* SMTP 5xx */
	FK_AFTER_DATA,	/* the connection breaks after DATA began, nothing delivered */
	FK_LOST_250,	/* delivered, but the 250 never arrives */
	FK_LOG,		/* another process holds the send log's lock for a few calls */
	FK_CRASH,	/* the call fails and the daemon restarts */
	FK_LOG_250,	/* the send log is locked just after the 250 */
	FK_LOG_250_CRASH,	/* the same, and the daemon dies before it can file */
	FK_NKINDS
};

struct fmsg {
	uint32_t uid;
	char *data;
	size_t len;
};

struct ffolder {
	struct fmsg *v;
	size_t n;
	uint32_t next;
};

struct fake {
	struct ffolder f[F_N];
	int ops, fail_at;
	enum fault kind;
	int crashed;
	char *delivered[64];
	size_t ndelivered;
	sqlite3 *locker;
	int lock_until;
	char *dir;
	/* the overlapped append (append_start/append_wait) outstanding, if any */
	int pending;
	char *pend_data;
	size_t pend_len;
	int pend_folder;
};

/*
 * How the fake appends a Sent copy: in turn (append), or overlapped with
 * the copy landing at the start (a fast second session) or only at the
 * wait (a slow one); every fault at every step is tried in each.
 */
enum overlap { OV_NONE, OV_EARLY, OV_LATE, OV_N };
static enum overlap overlap;

static time_t fake_time;

static time_t fake_now(void)
{
	return fake_time;
}

static void fake_line(void *ctx, int prio, const char *line)
{
	(void)ctx;
	(void)prio;
	if (getenv("TEST_VERBOSE"))
		fprintf(stderr, "  | %s\n", line);
}

static int fidx(const char *name)
{
	int i;

	for (i = 0; i < F_N; i++)
		if (strcmp(fnames[i], name) == 0)
			return i;
	fail_msg("unknown folder %s", name);
	return -1;
}

static void fake_lock(struct fake *fk, int on)
{
	if (on && fk->locker == NULL) {
		char *path = xasprintf("%s/sendlog.db", fk->dir);

		assert_int_equal(sqlite3_open(path, &fk->locker), SQLITE_OK);
		free(path);
		assert_int_equal(sqlite3_exec(fk->locker, "BEGIN EXCLUSIVE", NULL, NULL, NULL),
		    SQLITE_OK);
	} else if (!on && fk->locker != NULL) {
		sqlite3_exec(fk->locker, "COMMIT", NULL, NULL, NULL);
		sqlite3_close(fk->locker);
		fk->locker = NULL;
	}
}

/* Counts a call; the fault it must suffer, if this is the chosen one. */
static enum fault fake_tick(struct fake *fk)
{
	fk->ops++;
	if (fk->locker != NULL && fk->ops >= fk->lock_until)
		fake_lock(fk, 0);
	if (fk->ops != fk->fail_at)
		return FK_NONE;
	if (fk->kind == FK_LOG) {
		fake_lock(fk, 1);
		fk->lock_until = fk->ops + 4;
		return FK_NONE;
	}
	if (fk->kind == FK_CRASH)
		fk->crashed = 1;
	return fk->kind;
}

static int fake_mail_fails(struct fake *fk)
{
	enum fault f = fake_tick(fk);

	return f == FK_LOST || f == FK_CRASH || fk->crashed;
}

static void fake_put(struct fake *fk, int folder, const char *data, size_t len)
{
	struct ffolder *f = &fk->f[folder];

	f->v = xreallocarray(f->v, f->n + 1, sizeof(*f->v));
	f->v[f->n].uid = ++f->next;
	f->v[f->n].data = xmalloc(len + 1);
	memcpy(f->v[f->n].data, data, len);
	f->v[f->n].data[len] = '\0';
	f->v[f->n].len = len;
	f->n++;
}

static struct fmsg *fake_get(struct fake *fk, int folder, uint32_t uid, size_t *at)
{
	size_t i;

	for (i = 0; i < fk->f[folder].n; i++)
		if (fk->f[folder].v[i].uid == uid) {
			if (at)
				*at = i;
			return &fk->f[folder].v[i];
		}
	return NULL;
}

static void fake_drop(struct fake *fk, int folder, size_t at)
{
	struct ffolder *f = &fk->f[folder];

	free(f->v[at].data);
	memmove(&f->v[at], &f->v[at + 1], (f->n - at - 1) * sizeof(*f->v));
	f->n--;
}

static int fm_list(void *ctx, const char *folder, time_t before, struct ob_item **items,
    size_t *n)
{
	struct fake *fk = ctx;
	int fi = fidx(folder);
	size_t i;

	(void)before;
	*items = NULL;
	*n = 0;
	if (fake_mail_fails(fk))
		return -1;
	for (i = 0; i < fk->f[fi].n; i++) {
		*items = xreallocarray(*items, *n + 1, sizeof(**items));
		(*items)[*n].uid = fk->f[fi].v[i].uid;
		(*items)[*n].size = (uint32_t)fk->f[fi].v[i].len;
		(*n)++;
	}
	return 0;
}

static int fm_fetch(void *ctx, const char *folder, uint32_t uid, size_t size, char **data,
    size_t *len)
{
	struct fake *fk = ctx;
	struct fmsg *m;

	(void)size;
	if (fake_mail_fails(fk) || (m = fake_get(fk, fidx(folder), uid, NULL)) == NULL)
		return -1;
	*data = xmalloc(m->len + 1);
	memcpy(*data, m->data, m->len + 1);
	*len = m->len;
	return 0;
}

/* The same into a sealed memfd, as the IMAP session streams it (msgfd.h). */
static int fm_fetch_fd(void *ctx, const char *folder, uint32_t uid, size_t size, int *fd,
    size_t *len)
{
	struct fake *fk = ctx;
	struct fmsg *m;

	(void)size;
	*fd = -1;
	if (fake_mail_fails(fk) || (m = fake_get(fk, fidx(folder), uid, NULL)) == NULL)
		return -1;
	if ((*fd = msgfd_from(m->data, m->len)) < 0)
		return -1;
	*len = m->len;
	return 0;
}

/* Descriptors of this process open on a message's memfd. */
static int open_memfds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char path[300], to[256];
		ssize_t k;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		if ((k = readlink(path, to, sizeof(to) - 1)) <= 0)
			continue;
		to[k] = '\0';
		n += strstr(to, "memfd:mailgate-message") != NULL;
	}
	closedir(d);
	return n;
}

static int fm_fetch_header(void *ctx, const char *folder, uint32_t uid, char **data,
    size_t *len)
{
	int rc = fm_fetch(ctx, folder, uid, 0, data, len);
	char *end;

	if (rc == 0 && (end = strstr(*data, "\n\n")) != NULL) {
		end[2] = '\0';
		*len = (size_t)(end + 2 - *data);
	}
	return rc;
}

static int fm_append(void *ctx, const char *folder, const char *data, size_t len)
{
	struct fake *fk = ctx;

	if (fake_mail_fails(fk))
		return -1;
	fake_put(fk, fidx(folder), data, len);
	return 0;
}

static int fa_start(void *actx, const char *folder, const char *data, size_t len)
{
	struct fake *fk = actx;

	assert_false(fk->pending);	/* at most one outstanding */
	if (fake_mail_fails(fk))
		return -1;
	if (overlap == OV_EARLY) {
		fake_put(fk, fidx(folder), data, len);
	} else {
		fk->pend_data = xmalloc(len + 1);
		memcpy(fk->pend_data, data, len);
		fk->pend_data[len] = '\0';
		fk->pend_len = len;
		fk->pend_folder = fidx(folder);
	}
	fk->pending = 1;
	return 0;
}

/* A failure here: early, the copy is in but its answer was lost; late, it never went. */
static int fa_wait(void *actx)
{
	struct fake *fk = actx;
	int rc = 0;

	assert_true(fk->pending);
	fk->pending = 0;
	if (fake_mail_fails(fk))
		rc = -1;
	else if (overlap == OV_LATE)
		fake_put(fk, fk->pend_folder, fk->pend_data, fk->pend_len);
	free(fk->pend_data);
	fk->pend_data = NULL;
	return rc;
}

static int fm_move(void *ctx, const char *from, uint32_t uid, const char *to)
{
	struct fake *fk = ctx;
	struct fmsg *m;
	size_t at;

	if (fake_mail_fails(fk) || (m = fake_get(fk, fidx(from), uid, &at)) == NULL)
		return -1;
	fake_put(fk, fidx(to), m->data, m->len);
	fake_drop(fk, fidx(from), at);
	return 0;
}

static int fm_remove(void *ctx, const char *folder, uint32_t uid)
{
	struct fake *fk = ctx;
	size_t at;

	if (fake_mail_fails(fk) || fake_get(fk, fidx(folder), uid, &at) == NULL)
		return -1;
	fake_drop(fk, fidx(folder), at);
	return 0;
}

static int fm_remove_set(void *ctx, const char *folder, const uint32_t *uids, size_t n)
{
	struct fake *fk = ctx;
	size_t i, at;

	if (fake_mail_fails(fk))
		return -1;
	for (i = 0; i < n; i++)
		if (fake_get(fk, fidx(folder), uids[i], &at) != NULL)
			fake_drop(fk, fidx(folder), at);
	return 0;
}

/* 1 when the message's header has field with exactly value. */
static int fake_has(const struct fmsg *m, const char *field, const char *value)
{
	char *v = rewrite_header_value(m->data, m->len, field);
	int rc = v != NULL && strcasecmp(v, value) == 0;

	free(v);
	return rc;
}

static int fm_search(void *ctx, const char *folder, const char *field, const char *value,
    uint32_t **uids, size_t *n)
{
	struct fake *fk = ctx;
	int fi = fidx(folder);
	size_t i;

	*uids = NULL;
	*n = 0;
	if (fake_mail_fails(fk))
		return -1;
	for (i = 0; i < fk->f[fi].n; i++)
		if (fake_has(&fk->f[fi].v[i], field, value)) {
			*uids = xreallocarray(*uids, *n + 1, sizeof(**uids));
			(*uids)[(*n)++] = fk->f[fi].v[i].uid;
		}
	return 0;
}

static enum ob_send fs_send(void *ctx, const char *from, char *const *rcpts, size_t nrcpts,
    const char *data, size_t len, int (*progress)(void *pctx), void (*waiting)(void *pctx),
    void *pctx, char *reply, size_t replylen)
{
	struct fake *fk = ctx;
	enum fault f = fake_tick(fk);

	(void)from;
	(void)rcpts;
	assert_true(nrcpts > 0);
	if (f == FK_LOST || f == FK_CRASH || fk->crashed) {
		snprintf(reply, replylen, "connection lost");
		return OB_SEND_TEMP;
	}
	if (f == FK_TEMP || f == FK_PERM) {
		snprintf(reply, replylen, f == FK_TEMP ? "451 try later" : "554 refused");
		return f == FK_TEMP ? OB_SEND_TEMP : OB_SEND_PERM;
	}
	if (progress(pctx) < 0)
		return OB_SEND_TEMP;
	if (f == FK_AFTER_DATA)
		return OB_SEND_UNCERTAIN;
	assert_true(fk->ndelivered < 64);
	fk->delivered[fk->ndelivered++] = rewrite_message_id(data, len);
	/* the data is with the server: the caller's work while it takes it */
	if (waiting != NULL)
		waiting(pctx);
	if (f == FK_LOG_250 || f == FK_LOG_250_CRASH) {
		fake_lock(fk, 1);
		fk->lock_until = fk->ops + 6;
		fk->crashed = f == FK_LOG_250_CRASH;
	}
	if (f == FK_LOST_250)
		return OB_SEND_UNCERTAIN;
	snprintf(reply, replylen, "250 queued");
	return OB_SEND_OK;
}

/* ---- the run ------------------------------------------------------------ */

struct world {
	struct fake fk;
	struct config cfg;
	struct policy *pol;
	struct worker_pool *wp;
	struct sendlog *log;
	struct journeys *jr;
	struct backoff_tab bo;
	struct ob_mail mail;
	struct ob_smtp smtp;
	struct ob_env e;
};

static const char *const ids[] = { "ok1@lab.test", "rej1@lab.test", "ok2@lab.test" };

static char *sample(const char *id, const char *to)
{
	const char *top = getenv("top_srcdir");
	char *path = xasprintf("%s/tests/messages/coc-thunderbird-plain.eml", top ? top : ".");
	size_t len;
	char *raw = file_read(path, 1 << 20, &len), *p, *q;
	struct sbuf b;

	assert_non_null(raw);
	free(path);
	sbuf_init(&b);
	for (p = raw; *p; p = q) {
		q = strchr(p, '\n');
		q = q ? q + 1 : p + strlen(p);
		if (strncmp(p, "Message-ID:", 11) == 0)
			sbuf_printf(&b, "Message-ID: <%s>\n", id);
		else if (strncmp(p, "To:", 3) == 0)
			sbuf_printf(&b, "To: %s\n", to);
		else
			sbuf_add(&b, p, (size_t)(q - p));
	}
	free(raw);
	sbuf_adds(&b, "");
	return b.data;
}

static int open_log(struct world *w)
{
	static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";
	char err[256];

	if (sendlog_open(w->fk.dir, key, sizeof(key), SENDLOG_WRITE | SENDLOG_NOSYNC, &w->log, err,
	    sizeof(err)) < 0)
		fail_msg("%s", err);
	sqlite3_busy_timeout(sendlog_db(w->log), 0);
	assert_int_equal(journey_open(w->log, &w->jr, err, sizeof(err)), 0);
	w->e.log = w->log;
	w->e.jr = w->jr;
	return 0;
}

static void close_log(struct world *w)
{
	journey_close(w->jr);
	sendlog_close(w->log);
}

static void world_init(struct world *w)
{
	const char *top = getenv("top_srcdir");
	char *pp = xasprintf("%s/policies/policy.xml", top ? top : ".");
	char *td = xasprintf("%s/templates", top ? top : ".");
	char tmpl[] = "/tmp/mg-outbound.XXXXXX";
	struct mime_limits lim;
	struct diag d;
	size_t i;

	memset(w, 0, sizeof(*w));
	diag_init(&d);
	assert_int_equal(policy_load(pp, td, &w->pol, &d), 0);
	diag_free(&d);
	free(pp);
	free(td);
	w->fk.dir = xstrdup(mkdtemp(tmpl));
	w->cfg.outbox_folder = "Outbox";
	w->cfg.sent_folder = "Sent";
	w->cfg.rejected_folder = "Rejected";
	w->cfg.held_folder = "Held";
	w->cfg.imap_user = "whp";
	mime_limits_default(&lim, (size_t)w->pol->max_message_bytes);
	w->wp = worker_pool_new(&lim);
	assert_non_null(w->wp);
	backoff_init(&w->bo);
	w->mail = (struct ob_mail){ .ctx = &w->fk, .list = fm_list, .fetch = fm_fetch,
	    .fetch_fd = fm_fetch_fd, .fetch_header = fm_fetch_header, .append = fm_append, .move = fm_move,
	    .remove = fm_remove, .remove_set = fm_remove_set, .search = fm_search };
	w->smtp = (struct ob_smtp){ &w->fk, fs_send, NULL };
	w->e.cfg = &w->cfg;
	w->e.pol = w->pol;
	w->e.worker = w->wp;
	w->e.backoff = &w->bo;
	w->e.mail = &w->mail;
	w->e.smtp = &w->smtp;
	w->e.now = fake_now;
	w->e.logline = fake_line;
	open_log(w);
	for (i = 0; i < 3; i++) {
		char *m = sample(ids[i], i == 1 ? "someone@unknown.example" : "whp@acme.example");

		fake_put(&w->fk, F_OUTBOX, m, strlen(m));
		free(m);
	}
}

static void world_free(struct world *w)
{
	size_t i, j;
	char *cmd;

	fake_lock(&w->fk, 0);
	close_log(w);
	worker_pool_free(w->wp);
	backoff_free(&w->bo);
	policy_free(w->pol);
	for (i = 0; i < F_N; i++) {
		for (j = 0; j < w->fk.f[i].n; j++)
			free(w->fk.f[i].v[j].data);
		free(w->fk.f[i].v);
	}
	for (i = 0; i < w->fk.ndelivered; i++)
		free(w->fk.delivered[i]);
	cmd = xasprintf("rm -rf '%s'", w->fk.dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(w->fk.dir);
}

/* One pass as the daemon makes it; a crash restarts the "daemon" after it. */
static void run_pass(struct world *w)
{
	struct ob_item *items = NULL;
	struct ob_batch batch;
	struct ob_filing filing = { NULL };
	struct ob_ahead ahead;
	size_t n = 0, i;
	int rc;

	memset(&ahead, 0, sizeof(ahead));
	/* the overlapped worlds also analyse the next message during this one's DATA */
	w->e.ahead = overlap != OV_NONE ? &ahead : NULL;

	fake_time += 3600;	/* past any backoff */
	memset(&batch, 0, sizeof(batch));
	/* every other world removes its sent copies together, as the daemon does */
	w->e.batch = w->fk.fail_at % 2 ? &batch : NULL;
	w->e.filing = overlap != OV_NONE ? &filing : NULL;
	w->mail.actx = &w->fk;
	w->mail.append_start = overlap != OV_NONE ? fa_start : NULL;
	w->mail.append_wait = overlap != OV_NONE ? fa_wait : NULL;
	if (w->mail.list(&w->fk, "Outbox", fake_time, &items, &n) == 0) {
		rc = outbound_recover(&w->e, items, n);
		for (i = 0; rc == 0 && i < n; i++) {
			enum ob_outcome o;

			ahead.next = i + 1 < n ? &items[i + 1] : NULL;
			o = outbound_message(&w->e, &items[i]);

			if (o == OB_MAILBOX_FAILED || o == OB_LOG_FAILED)
				break;
		}
		(void)outbound_flush(&w->e);
	}
	/* the pass never ends with a message parked, nor an append outstanding */
	assert_null(filing.m);
	assert_false(w->fk.pending);
	assert_int_equal(ahead.uid, 0);
	/* and no message is left behind in a memfd (msgfd.h), whatever failed */
	assert_int_equal(open_memfds(), 0);
	w->e.ahead = NULL;
	w->e.batch = NULL;
	w->e.filing = NULL;
	free(items);
	if (w->fk.crashed) {
		w->fk.crashed = 0;
		w->fk.fail_at = 0;
		fake_lock(&w->fk, 0);
		close_log(w);
		open_log(w);
		backoff_free(&w->bo);
		backoff_init(&w->bo);
	}
}

static size_t count_delivered(const struct world *w, const char *id)
{
	size_t i, n = 0;

	for (i = 0; i < w->fk.ndelivered; i++)
		n += w->fk.delivered[i] && strcmp(w->fk.delivered[i], id) == 0;
	return n;
}

/* Copies of the message itself (not notices) in folder, and its notices. */
static void count_in(const struct world *w, int folder, const char *id, size_t *msgs,
    size_t *notices)
{
	char *want = xasprintf("<%s>", id);
	size_t i;

	*msgs = *notices = 0;
	for (i = 0; i < w->fk.f[folder].n; i++) {
		const struct fmsg *m = &w->fk.f[folder].v[i];

		if (fake_has(m, "X-Mailgate-Message-ID", want))
			(*notices)++;
		else if (fake_has(m, "Message-ID", want))
			(*msgs)++;
	}
	free(want);
}

static void check_world(struct world *w, const char *what)
{
	size_t i, f, where, total, msgs, notices, d;

	for (i = 0; i < 3; i++) {
		where = F_N;
		total = 0;
		for (f = 0; f < F_N; f++) {
			count_in(w, (int)f, ids[i], &msgs, &notices);
			if (msgs)
				where = f;
			total += msgs;
			if (notices > 1)
				fail_msg("%s: %s has %zu notices in %s", what, ids[i], notices,
				    fnames[f]);
		}
		d = count_delivered(w, ids[i]);
		if (total != 1 || where == F_OUTBOX)
			fail_msg("%s: %s is in %zu folders (last %s)", what, ids[i], total,
			    where < F_N ? fnames[where] : "none");
		if (d > 1)
			fail_msg("%s: %s delivered %zu times", what, ids[i], d);
		if (where == F_SENT && d != 1)
			fail_msg("%s: %s in Sent but delivered %zu times", what, ids[i], d);
		if (where == F_REJECTED && d != 0)
			fail_msg("%s: %s rejected but delivered", what, ids[i]);
		if (sendlog_was_sent(w->log, ids[i]) != (where == F_SENT))
			fail_msg("%s: the log and the folders disagree about %s", what, ids[i]);
		if (i == 1 && where != F_REJECTED)
			fail_msg("%s: the unapproved recipient's message is in %s", what,
			    fnames[where]);
	}
}

/* A clean run takes this many calls; every one of them is failed in turn. */
static int clean_calls(void)
{
	struct world w;
	int n, passes;

	world_init(&w);
	for (passes = 0; passes < 3 && w.fk.f[F_OUTBOX].n > 0; passes++)
		run_pass(&w);
	n = w.fk.ops;
	check_world(&w, "clean run");
	assert_int_equal(count_delivered(&w, ids[0]) + count_delivered(&w, ids[2]), 2);
	world_free(&w);
	return n;
}

static void run_fault(enum fault kind, int at)
{
	struct world w;
	char what[64];
	int passes;

	world_init(&w);
	w.fk.kind = kind;
	w.fk.fail_at = at;
	for (passes = 0; passes < 12 && w.fk.f[F_OUTBOX].n > 0; passes++)
		run_pass(&w);
	fake_lock(&w.fk, 0);
	snprintf(what, sizeof(what), "fault %d at call %d", (int)kind, at);
	check_world(&w, what);
	world_free(&w);
}

static void test_every_fault_at_every_step(void **state)
{
	int n, at, k;

	(void)state;
	fake_time = 1795000000;	/* 2026-11-18 */
	for (overlap = OV_NONE; overlap < OV_N; overlap++) {
		n = clean_calls();
		assert_true(n > 10);
		for (k = FK_LOST; k < FK_NKINDS; k++)
			for (at = 1; at <= n + 2; at++)
				run_fault((enum fault)k, at);
	}
	overlap = OV_NONE;
}

/* A 250 whose record the log refuses is not forgotten while the daemon runs. */
static void test_log_refuses_after_250(void **state)
{
	struct world w;
	size_t msgs, notices;
	int send_call;

	(void)state;
	fake_time = 1795000000;
	world_init(&w);
	/* the call that is the first send: try each until the lock falls right after a 250 */
	for (send_call = 1; send_call < 20; send_call++) {
		world_free(&w);
		world_init(&w);
		w.fk.kind = FK_LOG_250;
		w.fk.fail_at = send_call;
		run_pass(&w);
		if (w.fk.ndelivered == 1 && w.fk.locker != NULL)
			break;
	}
	assert_true(send_call < 20);
	/* the log is still locked: the pass stopped; the message waits in Outbox */
	count_in(&w, F_OUTBOX, ids[0], &msgs, &notices);
	assert_int_equal(msgs, 1);
	for (send_call = 0; send_call < 12 && w.fk.f[F_OUTBOX].n > 0; send_call++)
		run_pass(&w);
	assert_int_equal(count_delivered(&w, ids[0]), 1);
	count_in(&w, F_SENT, ids[0], &msgs, &notices);
	assert_int_equal(msgs, 1);
	assert_int_equal(sendlog_was_sent(w.log, ids[0]), 1);
	check_world(&w, "log locked after 250");
	world_free(&w);
}

/* Every transition outside the table is refused. */
static void test_journey_table(void **state)
{
	(void)state;
	assert_true(journey_allowed(JR_NONE, JR_INTENT, JF_PENDING));
	assert_true(journey_allowed(JR_DATA, JR_ACCEPTED, JF_SENT));
	assert_false(journey_allowed(JR_NONE, JR_DATA, JF_PENDING));
	assert_false(journey_allowed(JR_INTENT, JR_ACCEPTED, JF_SENT));
	assert_false(journey_allowed(JR_DATA, JR_DONE, JF_PENDING));
	assert_false(journey_allowed(JR_ACCEPTED, JR_INTENT, JF_PENDING));
	assert_false(journey_allowed(JR_LOGGED, JR_INTENT, JF_PENDING));
	assert_false(journey_allowed(JR_DONE, JR_INTENT, JF_PENDING));
	assert_false(journey_allowed(JR_NONE, JR_LOGGED, JF_SENT));
	assert_false(journey_allowed(JR_DATA, JR_ACCEPTED, (enum jr_fate)99));
	/* inbound: a forward judged again for Review before MAIL FROM; never from DATA */
	assert_true(journey_allowed(JR_INTENT, JR_LOGGED, JF_REVIEW));
	assert_true(journey_allowed(JR_DATA, JR_ACCEPTED, JF_FORWARDED));
	assert_false(journey_allowed(JR_DATA, JR_LOGGED, JF_REVIEW));
	assert_false(journey_allowed(JR_DATA, JR_LOGGED, JF_FORWARDED));
	/* group commit: only what must precede an effect outside is synced at once */
	assert_true(journey_needs_sync(JR_DATA, JF_PENDING));
	assert_true(journey_needs_sync(JR_LOGGED, JF_REJECTED));
	assert_true(journey_needs_sync(JR_LOGGED, JF_HELD));
	assert_true(journey_needs_sync(JR_LOGGED, JF_REVIEW));
	assert_true(journey_needs_sync(JR_LOGGED, JF_BOUNCED));
	/* a forward's original, like a sent copy, is deleted after journey_sync_disk() */
	assert_false(journey_needs_sync(JR_LOGGED, JF_FORWARDED));
	assert_false(journey_needs_sync(JR_INTENT, JF_PENDING));
	assert_false(journey_needs_sync(JR_ACCEPTED, JF_SENT));
	assert_false(journey_needs_sync(JR_LOGGED, JF_SENT));
	assert_false(journey_needs_sync(JR_DONE, JF_PENDING));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journey_table),
		cmocka_unit_test(test_log_refuses_after_250),
		cmocka_unit_test(test_every_fault_at_every_step),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
