/*
 * worker - analyses untrusted messages in a separate, sandboxed process;
 * see include/worker.h.
 *
 * One child per message, forked ahead of need. Before it reads a byte the
 * child drops everything it will not use: file descriptors, core dumps,
 * privileges (no_new_privs), address space and CPU time (rlimits), and
 * finally system calls (a seccomp allow-list). The charset converters are
 * warmed up first by analysing a small built-in message, since loading
 * them later would need open(); after the filter, open() fails with EACCES
 * (iconv then falls back) instead of killing the child. Whatever happens to
 * the child, the parent gets a result: a crash, a time-out or an
 * unreadable answer is MIME_MALFORMED with what happened in the detail.
 */
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <seccomp.h>

#include "util.h"

#if defined(__SANITIZE_ADDRESS__)
#define WORKER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WORKER_ASAN 1
#endif
#endif
#ifndef WORKER_ASAN
#define WORKER_ASAN 0
#endif

#define WORKER_MAX_ANSWER (512u << 20)

struct worker_pool {
	struct mime_limits lim;
	worker_fn *fn;
	int timeout_ms;
	pid_t pid;		/* the ready child, or -1 */
	int fd;			/* our end of its socket */
	pid_t done;		/* a child that answered and is exiting, reaped later */
};

/* Exercises the parser and every charset the converters commonly need. */
static const char worker_warmup[] =
    "From: a@b.example\r\nTo: c@d.example\r\nSubject: =?iso-8859-1?Q?caf=E9?= "
    "=?windows-1252?Q?=80?= =?utf-8?B?w6k=?=\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"w\"\r\n\r\n"
    "--w\r\nContent-Type: text/plain; charset=iso-8859-15\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n\r\nx=E9\r\n"
    "--w\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\nx\r\n"
    "--w\r\nContent-Type: text/plain; charset=iso-8859-2\r\n\r\nx\r\n"
    "--w\r\nContent-Type: text/plain; charset=shift_jis\r\n\r\nx\r\n"
    "--w\r\nContent-Type: text/plain; charset=gb2312\r\n\r\nx\r\n"
    "--w\r\nContent-Type: text/html; charset=utf-8\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\nPGI+eDwvYj4=\r\n"
    "--w--\r\n";

/*
 * The converters the child keeps open for its whole life: glibc unloads a
 * converter's module when its last descriptor closes, and after the
 * seccomp filter it could not be loaded again.
 */
static const char *const worker_charsets[] = { "ISO-8859-1", "ISO-8859-2", "ISO-8859-15",
	"WINDOWS-1250", "WINDOWS-1251", "WINDOWS-1252", "KOI8-R", "UTF-16", "UTF-16LE",
	"UTF-16BE", "SHIFT_JIS", "EUC-JP", "ISO-2022-JP", "GB2312", "GBK", "GB18030", "BIG5",
	"EUC-KR", "US-ASCII", "UTF-7" };

static void
worker_open_converters(void)
{
	size_t i;

	for (i = 0; i < sizeof(worker_charsets) / sizeof(worker_charsets[0]); i++) {
		iconv_t cd = iconv_open("UTF-8", worker_charsets[i]);

		(void)cd;	/* kept open on purpose until the child exits */
		cd = iconv_open(worker_charsets[i], "UTF-8");
		(void)cd;
	}
}

/* Handlers inherited from the parent (the daemon's, a test harness's) must not run here. */
static void
worker_reset_signals(void)
{
	int sig;

	for (sig = 1; sig < 32; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
}

static void
worker_close_fds(int keep)
{
	int fd;

	for (fd = 3; fd < 1024; fd++)
		if (fd != keep)
			close(fd);
}

static void
worker_limits(const struct mime_limits *lim)
{
	struct rlimit rl;

	/* no RLIMIT_FSIZE: stderr may be a file, and seccomp forbids opening others */
	rl.rlim_cur = rl.rlim_max = 0;
	setrlimit(RLIMIT_CORE, &rl);
	rl.rlim_cur = rl.rlim_max = 16;
	setrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = 10;
	rl.rlim_max = 11;
	setrlimit(RLIMIT_CPU, &rl);
	if (!WORKER_ASAN) {
		/* room for the message, its decoded text and the parser's copies */
		rlim_t as = (rlim_t)512 << 20;

		if ((rlim_t)lim->max_message_bytes * 24 > as)
			as = (rlim_t)lim->max_message_bytes * 24;
		rl.rlim_cur = rl.rlim_max = as;
		setrlimit(RLIMIT_AS, &rl);
	}
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static int
worker_seccomp(void)
{
	static const int allow[] = {
		SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(exit), SCMP_SYS(exit_group),
		SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
		SCMP_SYS(mprotect), SCMP_SYS(madvise), SCMP_SYS(futex), SCMP_SYS(rt_sigreturn),
		SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction), SCMP_SYS(getrandom),
		SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(fstat),
		SCMP_SYS(newfstatat), SCMP_SYS(lseek), SCMP_SYS(close), SCMP_SYS(getpid),
		SCMP_SYS(gettid), SCMP_SYS(tgkill), SCMP_SYS(sched_yield), SCMP_SYS(writev),
		SCMP_SYS(getrlimit), SCMP_SYS(prlimit64),
	};
	/* ASan's runtime needs more to report an error; it is a test build only */
	static const int asan_extra[] = {
		SCMP_SYS(sigaltstack), SCMP_SYS(prctl), SCMP_SYS(readlink), SCMP_SYS(readlinkat),
		SCMP_SYS(sched_getaffinity), SCMP_SYS(getppid), SCMP_SYS(pipe2), SCMP_SYS(pipe),
		SCMP_SYS(clone), SCMP_SYS(clone3), SCMP_SYS(wait4), SCMP_SYS(ptrace),
		SCMP_SYS(set_robust_list), SCMP_SYS(uname), SCMP_SYS(ioctl), SCMP_SYS(dup2),
		SCMP_SYS(dup3), SCMP_SYS(execve), SCMP_SYS(kill), SCMP_SYS(nanosleep),
		SCMP_SYS(clock_nanosleep), SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(faccessat2),
		SCMP_SYS(getcwd), SCMP_SYS(statfs), SCMP_SYS(fcntl), SCMP_SYS(getdents64),
	};
	scmp_filter_ctx ctx;
	size_t i;
	int rc = -1;

	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL)
		return -1;
	for (i = 0; i < sizeof(allow) / sizeof(allow[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allow[i], 0) < 0)
			goto out;
	/* a converter not loaded yet: fail the open, iconv falls back */
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0) < 0)
		goto out;
	if (WORKER_ASAN) {
		for (i = 0; i < sizeof(asan_extra) / sizeof(asan_extra[0]); i++)
			if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, asan_extra[i], 0) < 0)
				goto out;
	}
	rc = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	return rc;
}

static int
worker_read_all(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int
worker_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void __attribute__((noreturn))
worker_child(struct worker_pool *wp, int fd)
{
	struct mime_result r;
	struct sbuf enc;
	uint64_t len;
	char *msg;

	worker_reset_signals();
	worker_close_fds(fd);
	worker_limits(&wp->lim);
	xmlInitParser();
	worker_open_converters();
	mime_result_init(&r);
	mime_analyse(worker_warmup, sizeof(worker_warmup) - 1, &wp->lim, &r);
	mime_result_free(&r);
	if (worker_seccomp() < 0)
		_exit(71);
	if (worker_read_all(fd, &len, sizeof(len)) < 0)
		_exit(0);	/* the pool closed without a message */
	if (len > wp->lim.max_message_bytes * 2 + 1024)
		_exit(72);
	msg = xmalloc((size_t)len + 1);
	if (worker_read_all(fd, msg, (size_t)len) < 0)
		_exit(73);
	msg[len] = '\0';
	mime_result_init(&r);
	wp->fn(msg, (size_t)len, &wp->lim, &r);
	sbuf_init(&enc);
	mime_result_encode(&r, &enc);
	len = enc.len;
	if (worker_write_all(fd, &len, sizeof(len)) < 0 || worker_write_all(fd, enc.data, enc.len) < 0)
		_exit(74);
	_exit(0);
}

static int
worker_fork(struct worker_pool *wp)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		worker_child(wp, sv[1]);
	}
	close(sv[1]);
	wp->pid = pid;
	wp->fd = sv[0];
	return 0;
}

struct worker_pool *
worker_pool_new_fn(const struct mime_limits *lim, worker_fn *fn)
{
	struct worker_pool *wp = xcalloc(1, sizeof(*wp));

	wp->lim = *lim;
	wp->fn = fn;
	wp->timeout_ms = 10000;
	wp->pid = -1;
	wp->fd = -1;
	if (worker_fork(wp) < 0) {
		free(wp);
		return NULL;
	}
	return wp;
}

struct worker_pool *
worker_pool_new(const struct mime_limits *lim)
{
	return worker_pool_new_fn(lim, mime_analyse);
}

void
worker_pool_set_timeout(struct worker_pool *wp, int ms)
{
	wp->timeout_ms = ms;
}

static long long
worker_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sends the message and reads the answer, all within the deadline. */
static int
worker_exchange(struct worker_pool *wp, const char *msg, size_t len, struct sbuf *ans)
{
	long long deadline = worker_now_ms() + wp->timeout_ms;
	uint64_t hdr = len;
	size_t off = 0, total = sizeof(hdr) + len, want = 0;
	int fl = fcntl(wp->fd, F_GETFL);

	fcntl(wp->fd, F_SETFL, fl | O_NONBLOCK);
	while (off < total) {
		struct pollfd p = { wp->fd, POLLOUT, 0 };
		long long left = deadline - worker_now_ms();
		const char *src = off < sizeof(hdr) ? (const char *)&hdr + off : msg + (off - sizeof(hdr));
		size_t n = off < sizeof(hdr) ? sizeof(hdr) - off : total - off;
		ssize_t w;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -2;
		w = send(wp->fd, src, n, MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	for (;;) {
		struct pollfd p = { wp->fd, POLLIN, 0 };
		long long left = deadline - worker_now_ms();
		char buf[65536];
		ssize_t r;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -2;
		r = read(wp->fd, buf, sizeof(buf));
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			break;
		sbuf_add(ans, buf, (size_t)r);
		if (want == 0 && ans->len >= 8) {
			memcpy(&hdr, ans->data, 8);
			if (hdr > WORKER_MAX_ANSWER)
				return -1;
			want = (size_t)hdr + 8;
		}
		if (want && ans->len >= want)
			break;
	}
	return want && ans->len == want ? 0 : -1;
}

static void
worker_reap(struct worker_pool *wp)
{
	if (wp->done > 0)
		while (waitpid(wp->done, NULL, 0) < 0 && errno == EINTR)
			;
	wp->done = 0;
}

static void
worker_fail(struct mime_result *out, char *detail)
{
	mime_result_free(out);
	out->status = MIME_MALFORMED;
	out->detail = detail;
}

int
worker_pool_analyse(struct worker_pool *wp, const char *msg, size_t len, struct mime_result *out)
{
	struct sbuf ans;
	int rc, status = 0;
	pid_t pid = wp->pid;

	mime_result_init(out);
	if (pid < 0 && worker_fork(wp) < 0)
		return -1;
	pid = wp->pid;
	sbuf_init(&ans);
	rc = worker_exchange(wp, msg, len, &ans);
	if (rc == -2)
		kill(pid, SIGKILL);
	close(wp->fd);
	wp->fd = -1;
	wp->pid = -1;
	if (rc == 0 && mime_result_decode(ans.data + 8, ans.len - 8, out) == 0) {
		/* a whole, valid answer: the child's exit is off the message's path */
		sbuf_free(&ans);
		worker_reap(wp);
		wp->done = pid;
		return 0;
	}
	if (rc != -2)
		kill(pid, SIGKILL);	/* an unreadable answer: do not wait for more */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc == -2)
		worker_fail(out, xstrdup("the parser worker ran out of time"));
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU)
		worker_fail(out, xstrdup("the parser worker ran out of time"));
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		worker_fail(out, xstrdup("the parser worker made a forbidden system call"));
	else if (WIFSIGNALED(status) && rc != 0)
		worker_fail(out, xasprintf("the parser worker was killed by signal %d", WTERMSIG(status)));
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 70)
		worker_fail(out, xstrdup("the parser worker ran out of memory"));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		worker_fail(out, xasprintf("the parser worker failed (status %d)", WEXITSTATUS(status)));
	else
		worker_fail(out, xstrdup("the parser worker's answer cannot be read"));
	sbuf_free(&ans);
	return 0;
}

int
worker_pool_prepare(struct worker_pool *wp)
{
	worker_reap(wp);
	if (wp->pid > 0)
		return 0;
	return worker_fork(wp);
}

void
worker_pool_free(struct worker_pool *wp)
{
	if (wp == NULL)
		return;
	if (wp->fd >= 0)
		close(wp->fd);	/* the waiting child reads EOF and exits */
	if (wp->pid > 0)
		while (waitpid(wp->pid, NULL, 0) < 0 && errno == EINTR)
			;
	worker_reap(wp);
	free(wp);
}
