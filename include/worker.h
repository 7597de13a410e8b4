/*
 * worker - runs mime_analyse() on untrusted bytes in a separate program
 * (mailgate-analyse), so that a parser crash, a time-out or a memory
 * blow-up marks the message malformed and everything else carries on, and
 * so that code running in the parser never holds a secret.
 *
 * worker_pool_new() spawns ONE process of the analyse program, the zygote
 * (posix_spawn from the configured libexec path, or $MAILGATE_ANALYSE in a
 * build tree; no copy of the parent's memory, an empty environment, only
 * its socket as fd 0, everything else closed), before any secret is read.
 * The zygote warms up once (libxml2, the charset converters, a built-in
 * message), compiles the seccomp allow-list once into BPF in memory, and
 * then, for each request (the limits and one end of a new socket pair, by
 * SCM_RIGHTS), forks a child for exactly one message with CLONE_PARENT, so
 * that the child is the parent's own: the parent waits on it and kills it.
 * The child makes that socket its fd 0 and closes every other descriptor
 * but stdout/stderr (close_range), sets RLIMIT_AS, RLIMIT_CPU and
 * RLIMIT_NOFILE, PR_SET_NO_NEW_PRIVS, installs the filter with one prctl()
 * (recvmsg, write and writev on fd 0, memory, time, exit, prlimit64 on
 * itself only), then, while it waits, makes the zygote's memory its own
 * (WORKER_READY_IDLE only) and reads a small built-in form, before it
 * receives the message. It holds nothing of the zygote's or of any other
 * child's. The next message's child is asked for by worker_pool_prepare(),
 * which does not wait for the fork; a zygote that has died is started
 * again.
 *
 *	struct worker_pool *wp = worker_pool_new(&limits);   before any secret is read
 *	worker_pool_set_limits(wp, &limits);                 once the policy is known
 *	worker_pool_analyse(wp, msg, len, &result);          any number of times,
 *	worker_pool_prepare(wp, WORKER_READY_IDLE);          each followed by this
 *	worker_pool_free(wp);
 *
 * or, to analyse message N+1 while message N is in SMTP DATA, the same in
 * two halves with other work between them:
 *
 *	worker_pool_submit(wp, msg, len);      hands msg to the ready child, returns at once
 *	worker_pool_prepare(wp, WORKER_READY_NEXT);  the next child, forked meanwhile
 *	...                                    anything but another submit
 *	worker_pool_collect(wp, &result);      waits for that message's answer
 *
 * The protocol on the socket: the parent copies the message and a NUL
 * into a memfd (or takes the caller's, worker_pool_submit_fd), seals it (no write, shrink or grow, no further seals) and
 * sends a u64 length (host order) with the memfd as SCM_RIGHTS; the child
 * maps it read-only, so it holds the message once and the parent's memory
 * does not grow. The child answers a u64 length and mime_result_encode()'s
 * bytes, written as they are encoded. The parent bounds the answer,
 * decodes it strictly as it reads it from the socket (the encoded bytes
 * are never held whole, mime_result_decode_from), re-checks the size against the raw bytes (a message
 * over the limit never reaches a child), and kills the child as soon as it
 * has answered or is late: it is never waited for.
 *
 * worker_pool_analyse() and worker_pool_collect() always fill result: a
 * failure of the child is MIME_MALFORMED with a detail naming what
 * happened ("parser worker killed by signal 11", "parser worker timed
 * out"). They, and worker_pool_submit(), return -1 only when the message
 * cannot be judged at all (no worker could be started, errno set, or the
 * calls were misused, below): the caller must then not judge the message
 * (fail closed).
 */
#ifndef MG_WORKER_H
#define MG_WORKER_H

#include <stddef.h>
#include <sys/types.h>

#include "mime.h"

struct worker_pool;

/* What the child runs on the message; mime_analyse() in mailgate-analyse. */
typedef int worker_fn(const char *msg, size_t len, const struct mime_limits *lim,
    struct mime_result *out);

/* The analyse program: $MAILGATE_ANALYSE if set, else the configured libexec path. */
const char *worker_pool_default_prog(void);
/* NULL (errno set) if the first child cannot be started. */
struct worker_pool *worker_pool_new(const struct mime_limits *lim);
/*
 * The same with another program (NULL: the default) and one extra
 * argument after the limits (NULL: none): the tests run a helper built on
 * worker_child_main() that crashes, loops, blows up its memory, makes a
 * forbidden system call or lingers, to prove that each is contained.
 */
struct worker_pool *worker_pool_new_prog(const struct mime_limits *lim, const char *prog,
    const char *arg);
/* New limits for the children started from now on (a ready child is replaced). */
void worker_pool_set_limits(struct worker_pool *wp, const struct mime_limits *lim);
/*
 * How a child prepared in advance spends its wait. A fork copies no page
 * of the zygote's memory until it is written, and each copy is a fault:
 * WORKER_READY_IDLE copies all of the zygote's anonymous memory ahead
 * (MADV_POPULATE_WRITE), so the message meets almost none (the 50 KB
 * message of bench_verdict 1.6-1.9x the in-process time instead of
 * 2.3-2.8x), at ~0.7 ms of CPU a child; right for a child that may wait
 * long. WORKER_READY_NEXT skips the copy: a message follows at once (a
 * pass with more to come), its analysis runs during the previous one's
 * DATA where the faults are hidden, and on a busy host the CPU is what
 * is short. A child forked on the message's path is NEXT.
 */
enum worker_ready {
	WORKER_READY_IDLE,
	WORKER_READY_NEXT,
};
/*
 * Starts the next message's child now, if none is ready, so that spawning
 * and sandboxing happen off the message's path (the daemon calls it after
 * each message; worker_pool_analyse() starts one itself if it finds none
 * ready). 0, or -1 if the spawn failed.
 */
int worker_pool_prepare(struct worker_pool *wp, enum worker_ready ready);
/* Wall-clock limit for one message (default 10 s). */
void worker_pool_set_timeout(struct worker_pool *wp, int ms);
/* worker_pool_submit() then worker_pool_collect(): one message, start to end. */
int worker_pool_analyse(struct worker_pool *wp, const char *msg, size_t len,
    struct mime_result *out);
/*
 * Hands the message to the ready child (forking one first if none is
 * ready) and returns without waiting for the answer: the message goes
 * into a sealed memfd (one copy into the page cache, never a wait on the
 * child however large it is) and the memfd to the child. The deadline of
 * worker_pool_set_timeout() runs from here. A message over the limit gets
 * no child: collect answers MIME_TOO_LARGE. At most one submission may be
 * outstanding: a second submit before collect is an internal error, said
 * on stderr, -1 with errno EBUSY, and the first stays outstanding. -1
 * (errno set) also when no child or memfd could be had: nothing is then
 * outstanding and the message is not judged. A child that dies or hangs
 * after submit is collect's to report.
 */
int worker_pool_submit(struct worker_pool *wp, const char *msg, size_t len);
/*
 * The same for a message the caller already holds in a memfd sealed by
 * msgfd_seal() (msgfd.h): that descriptor goes to the child as it is, so
 * the message is not copied at all; it stays the caller's, to close.
 * The size is counted from the sealed bytes. A descriptor that is not
 * sealed so (or not len bytes and the NUL) is an internal error: said on
 * stderr, -1 with errno EINVAL, nothing outstanding.
 */
int worker_pool_submit_fd(struct worker_pool *wp, int fd, size_t len);
/*
 * Waits, until the submission's deadline, for its answer, with the same
 * kill and failure semantics as worker_pool_analyse(): 0 and out filled
 * (a dead, late or lying child is MIME_MALFORMED saying so). A collect
 * without a submission is an internal error: said on stderr, out
 * MIME_MALFORMED ("internal error: ..."), -1 with errno EINVAL.
 */
int worker_pool_collect(struct worker_pool *wp, struct mime_result *out);
/* The ready child's pid, or -1 (tests look at its memory); waits for the zygote's answer. */
pid_t worker_pool_pid(struct worker_pool *wp);
void worker_pool_free(struct worker_pool *wp);

/*
 * The zygote's whole life, for the analyse program's main(): argv[1..7]
 * are the limits the parent passes (for the warm-up; each request brings
 * its own); the socket is fd 0; fn runs in each child. Returns 0 when the
 * parent closes the socket, 64 on a usage error, 65 on a malformed
 * request, 71 if the filter cannot be compiled.
 */
int worker_child_main(int argc, char **argv, worker_fn *fn);
/* Writes all of buf to fd: 0 or -1 (the lingering test helper answers by hand). */
int worker_write_all(int fd, const void *buf, size_t n);

#endif
