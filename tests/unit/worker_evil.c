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

/* The answer a well-behaved child would give for m (its size counted the same way). */
static void
evil_valid(const char *m, size_t n, struct sbuf *enc)
{
	struct mime_result r;

	mime_result_init(&r);
	r.size = n;
	for (size_t i = 0; i < n; i++)
		if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r'))
			r.size++;
	sbuf_init(enc);
	mime_result_encode(&r, enc);
	mime_result_free(&r);
}

/* Writes a u64 length and then bytes, and exits without the real answer. */
static void
evil_answer(uint64_t len, const void *p, size_t n)
{
	struct sbuf b;

	sbuf_init(&b);
	sbuf_add(&b, &len, sizeof(len));
	sbuf_add(&b, p, n);
	/* one write: the parent finds every byte there at once */
	worker_write_all(0, b.data, b.len);
	_exit(0);
}

/* A valid answer cut short: the length says all of it, half arrives. */
static int
evil_short(const char *m, size_t n, const struct mime_limits *l, struct mime_result *r)
{
	struct sbuf enc;

	(void)l, (void)r;
	evil_valid(m, n, &enc);
	evil_answer(enc.len, enc.data, enc.len / 2);
	return 0;
}

/* A length no answer may have. */
static int
evil_huge(const char *m, size_t n, const struct mime_limits *l, struct mime_result *r)
{
	struct sbuf enc;

	(void)l, (void)r;
	evil_valid(m, n, &enc);
	evil_answer(1ull << 40, enc.data, enc.len);
	return 0;
}

/* The right number of bytes, none of them an encoding. */
static int
evil_garbage(const char *m, size_t n, const struct mime_limits *l, struct mime_result *r)
{
	char junk[4096];

	(void)m, (void)n, (void)l, (void)r;
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 131 + 7);
	evil_answer(sizeof(junk), junk, sizeof(junk));
	return 0;
}

/* A valid answer and more bytes than its length said. */
static int
evil_overlong(const char *m, size_t n, const struct mime_limits *l, struct mime_result *r)
{
	struct sbuf enc;
	uint64_t len;

	(void)l, (void)r;
	evil_valid(m, n, &enc);
	len = enc.len;
	sbuf_add(&enc, "0123456789abcdef", 16);
	evil_answer(len, enc.data, enc.len);
	return 0;
}

/*
 * A string that claims 200 MiB of an answer that claims 256 MiB, then
 * stops: the parent must not have set that much memory aside for it.
 */
static int
evil_biglie(const char *m, size_t n, const struct mime_limits *l, struct mime_result *r)
{
	static const unsigned char head[] = { 0x33, 0x45, 0x52, 0x47, 0x4d, 0, 0, 0,	/* magic */
		0, 0, 0, 0, 0, 0, 0, 0,						/* status */
		0, 0, 0x80, 0x0c, 0, 0, 0, 0 };					/* 200 MiB */
	char rest[1024];

	(void)m, (void)n, (void)l, (void)r;
	memset(rest, 'x', sizeof(rest));
	{
		struct sbuf b;
		uint64_t len = 256ull << 20;

		sbuf_init(&b);
		sbuf_add(&b, &len, sizeof(len));
		sbuf_add(&b, head, sizeof(head));
		sbuf_add(&b, rest, sizeof(rest));
		worker_write_all(0, b.data, b.len);
	}
	_exit(0);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct { const char *name; worker_fn *fn; } modes[] = {
		{ "crash", evil_crash }, { "loop", evil_loop }, { "eat", evil_eat },
		{ "socket", evil_socket }, { "prlimit-parent", evil_prlimit_parent },
		{ "linger", evil_linger }, { "liar", evil_liar }, { "short", evil_short },
		{ "huge", evil_huge }, { "garbage", evil_garbage }, { "overlong", evil_overlong },
		{ "biglie", evil_biglie },
	};
	size_t i;

	evil_parent = getppid();
	for (i = 0; argc == 9 && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(argv[8], modes[i].name) == 0)
			return worker_child_main(argc, argv, modes[i].fn);
	fprintf(stderr, "worker_evil: unknown mode\n");
	return 64;
}
