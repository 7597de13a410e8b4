/*
 * fakemail - the fake mailbox and submission server behind the operation
 * tables of outbound.h (struct ob_mail, struct ob_smtp), which inbound.h
 * uses too, for the fault matrices of test_outbound and test_inbound. Its
 * folders live in memory; every call is counted, and the call numbered
 * fail_at suffers the fault kind: a lost connection, a 4xx or 5xx, a break
 * after DATA, a lost 250, the send log locked by another process (kept in
 * dir, where struct fm_world opens it), or a crash after which every call
 * fails until the test restarts its "daemon" (crashed cleared, the lock
 * released). Each delivery is recorded by one header field of it.
 *
 *	static const char *const names[] = { "Outbox", "Sent" };
 *	fakemail_world_init(&w, policy, names, 2, "outbound");	w.cfg's folders ...
 *	w.fk.kind = FM_LOST; w.fk.fail_at = 7;
 *	passes over w.e; after each, if (w.fk.crashed) fakemail_world_restart(&w);
 *	fakemail_world_free(&w);
 */
#ifndef MG_TEST_FAKEMAIL_H
#define MG_TEST_FAKEMAIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <sqlite3.h>

#include "backoff.h"
#include "config.h"
#include "journey.h"
#include "outbound.h"
#include "policy.h"
#include "sendlog.h"
#include "worker.h"

enum fm_fault {
	FM_NONE,
	FM_LOST,	/* the call fails: the connection is lost (SMTP: before DATA) */
	FM_TEMP,	/* SMTP 4xx */
	FM_PERM,	/* SMTP 5xx */
	FM_AFTER_DATA,	/* the connection breaks after DATA began, nothing delivered */
	FM_LOST_250,	/* delivered, but the 250 never arrives */
	FM_CRASH,	/* the call fails and the daemon restarts */
	FM_LOG,		/* another process holds the send log's lock for a few calls */
	FM_LOG_250,	/* the send log is locked just after the 250 */
	FM_LOG_250_CRASH,	/* the same, and the daemon dies before it can file */
	FM_KILL_250	/* kill -9 just after the 250: nothing after it runs, nothing written */
};

/*
 * How an overlapped append (fakemail_append_start/_wait) lands: at the
 * start (a fast second session) or only at the wait (a slow one).
 */
enum fm_overlap { FM_OV_NONE, FM_OV_EARLY, FM_OV_LATE, FM_OV_N };

#define FM_MAX_FOLDERS 8
#define FM_MAX_DELIVERED 64

struct fm_msg {
	uint32_t uid;
	char *data;		/* len bytes and a NUL */
	size_t len;
};

struct fm_folder {
	struct fm_msg *v;
	size_t n;
	uint32_t next;		/* the last UID given */
};

struct fakemail {
	const char *const *names;	/* the folders' names; f[i] is names[i] */
	int nfolders;
	struct fm_folder f[FM_MAX_FOLDERS];
	int ops, fail_at;
	enum fm_fault kind;
	int crashed;
	/* the value of this header field of each delivery; NULL: its Message-ID, bare */
	const char *mark;
	char *delivered[FM_MAX_DELIVERED];
	size_t ndelivered;
	char *dir;		/* a temporary folder, removed by fakemail_free() */
	sqlite3 *locker;	/* holds dir/sendlog.db's lock ... */
	int lock_until;		/* ... until this call */
	int killed;		/* FM_KILL_250 struck: the lock stays until the restart */
	int waiting;		/* inside the send's waiting hook */
	size_t ahead_fetches;	/* fetches made there (the look-ahead) */
	size_t removed_sets;	/* remove_set calls that removed something */
	enum fm_overlap overlap;
	/* the overlapped append outstanding, if any */
	int pending;
	char *pend_data;
	size_t pend_len;
	int pend_folder;
};

/* The clock of ob_env.now: fakemail_now() says fakemail_time, which the tests move. */
extern time_t fakemail_time;
time_t fakemail_now(void);
/*
 * ob_env.logline: the daemon's lines on stderr when TEST_VERBOSE is set,
 * and appended to the struct sbuf that ob_env.log_ctx points at, if any.
 */
void fakemail_line(void *ctx, int prio, const char *line);

/* Empty folders names[0..n-1] (n <= FM_MAX_FOLDERS) and a new /tmp/mg-<tag>.XXXXXX. */
void fakemail_init(struct fakemail *fk, const char *const *names, int n, const char *tag);
/* Frees the messages and the deliveries, releases the lock and removes dir. */
void fakemail_free(struct fakemail *fk);
/* The index of the folder called name (the test fails when there is none). */
int fakemail_folder(const struct fakemail *fk, const char *name);

/* Stores a copy of data under the folder's next UID, as an append does (no call counted). */
void fakemail_put(struct fakemail *fk, int folder, const char *data, size_t len);
/* The message uid of folder (*at its index, when at is not NULL); NULL none. */
struct fm_msg *fakemail_get(struct fakemail *fk, int folder, uint32_t uid, size_t *at);
void fakemail_drop(struct fakemail *fk, int folder, size_t at);
/* 1 when the message's header has field with value (case aside). */
int fakemail_has(const struct fm_msg *m, const char *field, const char *value);
/* Takes (on) or releases another process's lock on dir/sendlog.db. */
void fakemail_lock(struct fakemail *fk, int on);

/*
 * Fills mail and smtp with the fake's list, fetch, fetch_header (the
 * header section alone), append, move, remove, remove_set, search and
 * send; the optional operations below stay NULL for the test to set.
 */
void fakemail_ops(struct fakemail *fk, struct ob_mail *mail, struct ob_smtp *smtp);
int fakemail_list(void *ctx, const char *folder, time_t before, struct ob_item **items,
    size_t *n);
int fakemail_fetch(void *ctx, const char *folder, uint32_t uid, size_t size, char **data,
    size_t *len);
/* The same into a sealed memfd, as the IMAP session streams it (msgfd.h). */
int fakemail_fetch_fd(void *ctx, const char *folder, uint32_t uid, size_t size, int *fd,
    size_t *len);
/* ob_mail.append_start/append_wait (actx the fake), landing as fk->overlap says. */
int fakemail_append_start(void *actx, const char *folder, const char *data, size_t len);
int fakemail_append_wait(void *actx);
enum ob_send fakemail_send(void *ctx, const char *from, char *const *rcpts, size_t nrcpts,
    const char *data, size_t len, int (*progress)(void *pctx), void (*waiting)(void *pctx),
    void *pctx, char *reply, size_t replylen);

/*
 * The daemon's side of a matrix: the fake, and the outbound environment
 * wired to it (e: cfg, pol, worker, backoff, the tables, the clock, the
 * lines, and the send log and journeys opened in fk.dir waiting for no
 * lock, so that the fake's lock is felt at once). init takes pol; the
 * test sets the folders of cfg and what else e needs.
 * fakemail_world_restart() is the daemon dying and starting again (when
 * fk.crashed): the log and journeys closed and opened again, the backoff
 * memory lost, the lock released: before the close, so that the dying
 * daemon still writes what its journeys hold, unless it was killed.
 */
struct fm_world {
	struct fakemail fk;
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

void fakemail_world_init(struct fm_world *w, struct policy *pol, const char *const *names,
    int n, const char *tag);
void fakemail_world_restart(struct fm_world *w);
void fakemail_world_free(struct fm_world *w);

#endif
