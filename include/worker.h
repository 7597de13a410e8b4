/*
 * worker - runs mime_analyse() on untrusted bytes in a separate process, so
 * that a parser crash, a time-out or a memory blow-up marks the message
 * malformed and everything else carries on.
 *
 * A worker is forked in advance and used for exactly one message; the next
 * one is forked when the previous is taken. The child sets RLIMIT_AS and
 * RLIMIT_CPU, PR_SET_NO_NEW_PRIVS, opens the charset converters it needs and
 * then installs a seccomp allow-list (libseccomp) before it reads a byte.
 *
 *	struct worker_pool *wp = worker_pool_new(&limits);
 *	worker_pool_analyse(wp, msg, len, &result);   any number of times
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

struct worker_pool *worker_pool_new(const struct mime_limits *lim);
int worker_pool_analyse(struct worker_pool *wp, const char *msg, size_t len,
    struct mime_result *out);
void worker_pool_free(struct worker_pool *wp);

#endif
