/*
 * worker_evil - a parser program that misbehaves on purpose, for
 * test_worker: the same child as mailgate-analyse (worker_child_main), with
 * the analysis replaced by what a compromised parser might do. The mode is
 * the argument after the limits.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mime.h"
#include "worker.h"

static pid_t evil_parent;	/* taken before the filter: getppid is not allowed after it */
static volatile int evil_spin;

static int
evil_crash(const char *m, size_t n, const struct mime_limits *l, struct mime_result *r)
{
	(void)m, (void)n, (void)l, (void)r;
	raise(SIGSEGV);
	return 0;
}

static int
evil_loop(const char *m, size_t n, const struct mime_limits *l, struct mime_result *r)
{
	(void)m, (void)n, (void)l, (void)r;
	for (;;)
		evil_spin++;
	return 0;
}

static int
evil_eat(const char *m, size_t n, const struct mime_limits *l, struct mime_result *r)
{
	(void)m, (void)n, (void)l, (void)r;
	for (;;) {
		char *p = xmalloc(64 << 20);

		memset(p, 1, 64 << 20);
	}
	return 0;
}

static int
evil_socket(const char *m, size_t n, const struct mime_limits *l, struct mime_result *r)
{
	(void)m, (void)n, (void)l;
	if (socket(AF_INET, SOCK_STREAM, 0) >= 0)
		r->detail = xstrdup("socket() was allowed");
	return 0;
}

/* The attack of the review: the parent's RLIMIT_FSIZE to 0, so its next write kills it. */
static int
evil_prlimit_parent(const char *m, size_t n, const struct mime_limits *l, struct mime_result *r)
{
	struct rlimit rl = { 0, 0 };

	(void)m, (void)n, (void)l;
	if (syscall(SYS_prlimit64, evil_parent, RLIMIT_FSIZE, &rl, NULL) == 0)
		r->detail = xstrdup("prlimit64 on the parent was allowed");
	return 0;
}

/* A whole, valid answer (its pid in the detail), and then no exit. */
static int
evil_linger(const char *m, size_t n, const struct mime_limits *l, struct mime_result *r)
{
	struct sbuf enc;
	uint64_t len;

	(void)l;
	mime_result_init(r);
	r->size = n;
	for (size_t i = 0; i < n; i++)
		if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r'))
			r->size++;
	r->detail = xasprintf("pid %ld", (long)getpid());
	sbuf_init(&enc);
	mime_result_encode(r, &enc);
	len = enc.len;
	worker_write_all(0, &len, sizeof(len));
	worker_write_all(0, enc.data, enc.len);
	for (;;)
		evil_spin++;
	return 0;
}

/* An answer that claims another size than the message has. */
static int
evil_liar(const char *m, size_t n, const struct mime_limits *l, struct mime_result *r)
{
	mime_analyse(m, n, l, r);
	r->size = 1;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct { const char *name; worker_fn *fn; } modes[] = {
		{ "crash", evil_crash }, { "loop", evil_loop }, { "eat", evil_eat },
		{ "socket", evil_socket }, { "prlimit-parent", evil_prlimit_parent },
		{ "linger", evil_linger }, { "liar", evil_liar },
	};
	size_t i;

	evil_parent = getppid();
	for (i = 0; argc == 9 && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(argv[8], modes[i].name) == 0)
			return worker_child_main(argc, argv, modes[i].fn);
	fprintf(stderr, "worker_evil: unknown mode\n");
	return 64;
}
