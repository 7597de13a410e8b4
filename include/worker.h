/*
 * worker - runs mime_analyse() on untrusted bytes in a separate process, so
 * that a parser crash, a time-out or a memory blow-up marks the message
 * malformed and everything else carries on.
 *
 * A worker is forked in advance and used for exactly one message; the next
 * one is forked by worker_pool_prepare(), off the message's path. The child sets RLIMIT_AS and
 * RLIMIT_CPU, PR_SET_NO_NEW_PRIVS, opens the charset converters it needs and
 * then installs a seccomp allow-list (libseccomp) before it reads a byte.
 *
 *	struct worker_pool *wp = worker_pool_new(&limits);
 *	worker_pool_analyse(wp, msg, len, &result);   any number of times,
 *	worker_pool_prepare(wp);                         each followed by this
 *	worker_pool_free(wp);
 *
 * worker_pool_analyse() always fills result: a failure of the child is
 * MIME_MALFORMED with a detail naming what happened ("parser worker killed
 * by signal 11", "parser worker timed out"). It returns -1 only when no
 * worker could be started at all (fork failed): the caller must then not
 * judge the message (fail closed).
 */
#ifndef MG_WORKER_H
#define MG_WORKER_H

#include <stddef.h>

#include "mime.h"

struct worker_pool;

/* What the child runs on the message; mime_analyse() in production. */
typedef int worker_fn(const char *msg, size_t len, const struct mime_limits *lim,
    struct mime_result *out);

struct worker_pool *worker_pool_new(const struct mime_limits *lim);
/*
 * The same with another analysis function: the tests use it to prove that
 * a crash, a loop, a memory blow-up or a forbidden system call in the child
 * is contained. NULL if the first child cannot be forked.
 */
struct worker_pool *worker_pool_new_fn(const struct mime_limits *lim, worker_fn *fn);
/*
 * Forks the next message's child now, if none is ready, so that forking
 * and sandboxing happen off the message's path (the daemon calls it when
 * idle; worker_pool_analyse() forks one itself if it finds none ready).
 * 0, or -1 if fork failed.
 */
int worker_pool_prepare(struct worker_pool *wp);
/* Wall-clock limit for one message (default 10 s). */
void worker_pool_set_timeout(struct worker_pool *wp, int ms);
int worker_pool_analyse(struct worker_pool *wp, const char *msg, size_t len,
    struct mime_result *out);
void worker_pool_free(struct worker_pool *wp);

#endif
