/*
 * fakemail - the fake mailbox and submission server of the fault matrices
 * (see fakemail.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fakemail.h"
#include "mime.h"
#include "msgfd.h"
#include "rewrite.h"
#include "util.h"

time_t fakemail_time;

time_t fakemail_now(void)
{
	return fakemail_time;
}

void fakemail_line(void *ctx, int prio, const char *line)
{
	struct sbuf *keep = ctx;

	(void)prio;
	if (keep != NULL) {
		sbuf_adds(keep, line);
		sbuf_addc(keep, '\n');
	}
	if (getenv("TEST_VERBOSE"))
		fprintf(stderr, "  | %s\n", line);
}

void fakemail_init(struct fakemail *fk, const char *const *names, int n, const char *tag)
{
	char *tmpl = xasprintf("/tmp/mg-%s.XXXXXX", tag);

	assert_true(n > 0 && n <= FM_MAX_FOLDERS);
	memset(fk, 0, sizeof(*fk));
	fk->names = names;
	fk->nfolders = n;
	assert_non_null(mkdtemp(tmpl));
	fk->dir = tmpl;
}

void fakemail_free(struct fakemail *fk)
{
	size_t i, j;
	char *cmd;

	fakemail_lock(fk, 0);
	for (i = 0; i < (size_t)fk->nfolders; i++) {
		for (j = 0; j < fk->f[i].n; j++)
			free(fk->f[i].v[j].data);
		free(fk->f[i].v);
	}
	for (i = 0; i < fk->ndelivered; i++)
		free(fk->delivered[i]);
	free(fk->pend_data);
	cmd = xasprintf("rm -rf '%s'", fk->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(fk->dir);
}

int fakemail_folder(const struct fakemail *fk, const char *name)
{
	int i;

	for (i = 0; i < fk->nfolders; i++)
		if (strcmp(fk->names[i], name) == 0)
			return i;
	fail_msg("unknown folder %s", name);
	return -1;
}

void fakemail_lock(struct fakemail *fk, int on)
{
	if (on && fk->locker == NULL) {
		char *path = xasprintf("%s/sendlog.db", fk->dir);

		assert_int_equal(sqlite3_open(path, &fk->locker), SQLITE_OK);
		free(path);
		assert_int_equal(sqlite3_exec(fk->locker, "BEGIN EXCLUSIVE", NULL, NULL, NULL),
		    SQLITE_OK);
	} else if (!on && fk->locker != NULL) {
		/* the locker wrote nothing: its end, commit or rollback, only frees the lock */
		sqlite3_exec(fk->locker, "COMMIT", NULL, NULL, NULL);
		sqlite3_close(fk->locker);
		fk->locker = NULL;
	}
}

/* Counts a call; the fault it must suffer, if this is the chosen one. */
static enum fm_fault fakemail_tick(struct fakemail *fk)
{
	fk->ops++;
	if (fk->locker != NULL && fk->ops >= fk->lock_until)
		fakemail_lock(fk, 0);
	if (fk->ops != fk->fail_at)
		return FM_NONE;
	if (fk->kind == FM_LOG) {
		fakemail_lock(fk, 1);
		fk->lock_until = fk->ops + 4;
		return FM_NONE;
	}
	if (fk->kind == FM_CRASH)
		fk->crashed = 1;
	return fk->kind;
}

static int fakemail_fails(struct fakemail *fk)
{
	enum fm_fault f = fakemail_tick(fk);

	return f == FM_LOST || f == FM_CRASH || fk->crashed;
}

void fakemail_put(struct fakemail *fk, int folder, const char *data, size_t len)
{
	struct fm_folder *f = &fk->f[folder];

	f->v = xreallocarray(f->v, f->n + 1, sizeof(*f->v));
	f->v[f->n].uid = ++f->next;
	f->v[f->n].data = xmalloc(len + 1);
	memcpy(f->v[f->n].data, data, len);
	f->v[f->n].data[len] = '\0';
	f->v[f->n].len = len;
	f->n++;
}

struct fm_msg *fakemail_get(struct fakemail *fk, int folder, uint32_t uid, size_t *at)
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

void fakemail_drop(struct fakemail *fk, int folder, size_t at)
{
	struct fm_folder *f = &fk->f[folder];

	free(f->v[at].data);
	memmove(&f->v[at], &f->v[at + 1], (f->n - at - 1) * sizeof(*f->v));
	f->n--;
}

int fakemail_has(const struct fm_msg *m, const char *field, const char *value)
{
	char *v = rewrite_header_value(m->data, m->len, field);
	int rc = v != NULL && strcasecmp(v, value) == 0;

	free(v);
	return rc;
}

int fakemail_list(void *ctx, const char *folder, time_t before, struct ob_item **items,
    size_t *n)
{
	struct fakemail *fk = ctx;
	int fi = fakemail_folder(fk, folder);
	size_t i;

	(void)before;
	*items = NULL;
	*n = 0;
	if (fakemail_fails(fk))
		return -1;
	*items = xcalloc(fk->f[fi].n + 1, sizeof(**items));
	for (i = 0; i < fk->f[fi].n; i++)
		(*items)[(*n)++] = (struct ob_item){ fk->f[fi].v[i].uid,
		    (uint32_t)fk->f[fi].v[i].len };
	return 0;
}

/* The message a fetch of uid gets (counted as the call); NULL: the fetch fails. */
static struct fm_msg *fakemail_fetched(struct fakemail *fk, const char *folder, uint32_t uid)
{
	struct fm_msg *m;

	if (fakemail_fails(fk) || (m = fakemail_get(fk, fakemail_folder(fk, folder), uid,
	    NULL)) == NULL)
		return NULL;
	fk->ahead_fetches += fk->waiting;
	return m;
}

int fakemail_fetch(void *ctx, const char *folder, uint32_t uid, size_t size, char **data,
    size_t *len)
{
	struct fm_msg *m = fakemail_fetched(ctx, folder, uid);

	(void)size;
	if (m == NULL)
		return -1;
	*data = xmalloc(m->len + 1);
	memcpy(*data, m->data, m->len + 1);
	*len = m->len;
	return 0;
}

int fakemail_fetch_fd(void *ctx, const char *folder, uint32_t uid, size_t size, int *fd,
    size_t *len)
{
	struct fm_msg *m = fakemail_fetched(ctx, folder, uid);

	(void)size;
	*fd = -1;
	if (m == NULL || (*fd = msgfd_from(m->data, m->len)) < 0)
		return -1;
	*len = m->len;
	return 0;
}

static int fakemail_fetch_header(void *ctx, const char *folder, uint32_t uid, char **data,
    size_t *len)
{
	int rc = fakemail_fetch(ctx, folder, uid, 0, data, len);
	char *end;

	if (rc == 0 && (end = strstr(*data, "\n\n")) != NULL) {
		end[2] = '\0';
		*len = (size_t)(end + 2 - *data);
	}
	return rc;
}

static int fakemail_append(void *ctx, const char *folder, const char *data, size_t len)
{
	struct fakemail *fk = ctx;

	if (fakemail_fails(fk))
		return -1;
	fakemail_put(fk, fakemail_folder(fk, folder), data, len);
	return 0;
}

int fakemail_append_start(void *actx, const char *folder, const char *data, size_t len)
{
	struct fakemail *fk = actx;

	assert_false(fk->pending);	/* at most one outstanding */
	if (fakemail_fails(fk))
		return -1;
	if (fk->overlap == FM_OV_EARLY) {
		fakemail_put(fk, fakemail_folder(fk, folder), data, len);
	} else {
		fk->pend_data = xmalloc(len + 1);
		memcpy(fk->pend_data, data, len);
		fk->pend_data[len] = '\0';
		fk->pend_len = len;
		fk->pend_folder = fakemail_folder(fk, folder);
	}
	fk->pending = 1;
	return 0;
}

/* A failure here: early, the copy is in but its answer was lost; late, it never went. */
int fakemail_append_wait(void *actx)
{
	struct fakemail *fk = actx;
	int rc = 0;

	assert_true(fk->pending);
	fk->pending = 0;
	if (fakemail_fails(fk))
		rc = -1;
	else if (fk->overlap == FM_OV_LATE)
		fakemail_put(fk, fk->pend_folder, fk->pend_data, fk->pend_len);
	free(fk->pend_data);
	fk->pend_data = NULL;
	return rc;
}

static int fakemail_move(void *ctx, const char *from, uint32_t uid, const char *to)
{
	struct fakemail *fk = ctx;
	struct fm_msg *m;
	size_t at;

	if (fakemail_fails(fk) || (m = fakemail_get(fk, fakemail_folder(fk, from), uid,
	    &at)) == NULL)
		return -1;
	fakemail_put(fk, fakemail_folder(fk, to), m->data, m->len);
	fakemail_drop(fk, fakemail_folder(fk, from), at);
	return 0;
}

static int fakemail_remove(void *ctx, const char *folder, uint32_t uid)
{
	struct fakemail *fk = ctx;
	size_t at;

	if (fakemail_fails(fk) || fakemail_get(fk, fakemail_folder(fk, folder), uid, &at) == NULL)
		return -1;
	fakemail_drop(fk, fakemail_folder(fk, folder), at);
	return 0;
}

static int fakemail_remove_set(void *ctx, const char *folder, const uint32_t *uids, size_t n)
{
	struct fakemail *fk = ctx;
	int fi = fakemail_folder(fk, folder);
	size_t i, at;

	if (fakemail_fails(fk))
		return -1;
	for (i = 0; i < n; i++)
		if (fakemail_get(fk, fi, uids[i], &at) != NULL)
			fakemail_drop(fk, fi, at);
	fk->removed_sets += n > 0;
	return 0;
}

static int fakemail_search(void *ctx, const char *folder, const char *field, const char *value,
    uint32_t **uids, size_t *n)
{
	struct fakemail *fk = ctx;
	int fi = fakemail_folder(fk, folder);
	size_t i;

	*uids = NULL;
	*n = 0;
	if (fakemail_fails(fk))
		return -1;
	for (i = 0; i < fk->f[fi].n; i++)
		if (fakemail_has(&fk->f[fi].v[i], field, value)) {
			*uids = xreallocarray(*uids, *n + 1, sizeof(**uids));
			(*uids)[(*n)++] = fk->f[fi].v[i].uid;
		}
	return 0;
}

enum ob_send fakemail_send(void *ctx, const char *from, char *const *rcpts, size_t nrcpts,
    const char *data, size_t len, int (*progress)(void *pctx), void (*waiting)(void *pctx),
    void *pctx, char *reply, size_t replylen)
{
	struct fakemail *fk = ctx;
	enum fm_fault f = fakemail_tick(fk);

	(void)from;
	(void)rcpts;
	assert_true(nrcpts > 0);
	if (f == FM_LOST || f == FM_CRASH || fk->crashed) {
		snprintf(reply, replylen, "connection lost");
		return OB_SEND_TEMP;
	}
	if (f == FM_TEMP || f == FM_PERM) {
		snprintf(reply, replylen, f == FM_TEMP ? "451 try later" : "554 refused");
		return f == FM_TEMP ? OB_SEND_TEMP : OB_SEND_PERM;
	}
	if (progress(pctx) < 0)
		return OB_SEND_TEMP;
	if (f == FM_AFTER_DATA)
		return OB_SEND_UNCERTAIN;
	assert_true(fk->ndelivered < FM_MAX_DELIVERED);
	fk->delivered[fk->ndelivered++] = fk->mark != NULL ?
	    rewrite_header_value(data, len, fk->mark) : rewrite_message_id(data, len);
	/* the data is with the server: the caller's work (the look-ahead) runs meanwhile */
	if (waiting != NULL) {
		fk->waiting = 1;
		waiting(pctx);
		fk->waiting = 0;
	}
	if (f == FM_LOG_250 || f == FM_LOG_250_CRASH) {
		fakemail_lock(fk, 1);
		fk->lock_until = fk->ops + 6;
		fk->crashed = f == FM_LOG_250_CRASH;
	}
	if (f == FM_LOST_250)
		return OB_SEND_UNCERTAIN;
	if (f == FM_KILL_250) {
		/* a dead process writes nothing: the lock is held until the restart */
		fakemail_lock(fk, 1);
		fk->lock_until = INT_MAX;
		fk->killed = fk->crashed = 1;
		return OB_SEND_TEMP;
	}
	snprintf(reply, replylen, "250 queued");
	return OB_SEND_OK;
}

void fakemail_ops(struct fakemail *fk, struct ob_mail *mail, struct ob_smtp *smtp)
{
	*mail = (struct ob_mail){ .ctx = fk, .list = fakemail_list, .fetch = fakemail_fetch,
	    .fetch_header = fakemail_fetch_header, .append = fakemail_append,
	    .move = fakemail_move, .remove = fakemail_remove, .remove_set = fakemail_remove_set,
	    .search = fakemail_search };
	*smtp = (struct ob_smtp){ .ctx = fk, .send = fakemail_send };
}

static void fakemail_world_open(struct fm_world *w)
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
}

static void fakemail_world_close(struct fm_world *w)
{
	journey_close(w->jr);
	sendlog_close(w->log);
}

void fakemail_world_init(struct fm_world *w, struct policy *pol, const char *const *names,
    int n, const char *tag)
{
	struct mime_limits lim;

	memset(w, 0, sizeof(*w));
	fakemail_init(&w->fk, names, n, tag);
	w->pol = pol;
	mime_limits_default(&lim, (size_t)pol->max_message_bytes);
	w->wp = worker_pool_new(&lim);
	assert_non_null(w->wp);
	backoff_init(&w->bo);
	fakemail_ops(&w->fk, &w->mail, &w->smtp);
	w->e = (struct ob_env){ .cfg = &w->cfg, .pol = pol, .worker = w->wp, .backoff = &w->bo,
	    .mail = &w->mail, .smtp = &w->smtp, .now = fakemail_now, .logline = fakemail_line };
	fakemail_world_open(w);
}

void fakemail_world_restart(struct fm_world *w)
{
	if (!w->fk.killed)
		fakemail_lock(&w->fk, 0);
	fakemail_world_close(w);
	fakemail_lock(&w->fk, 0);
	fakemail_world_open(w);
	backoff_free(&w->bo);
	backoff_init(&w->bo);
	w->fk.crashed = w->fk.killed = 0;
	w->fk.fail_at = 0;
}

void fakemail_world_free(struct fm_world *w)
{
	fakemail_lock(&w->fk, 0);
	fakemail_world_close(w);
	worker_pool_free(w->wp);
	backoff_free(&w->bo);
	policy_free(w->pol);
	fakemail_free(&w->fk);
}
