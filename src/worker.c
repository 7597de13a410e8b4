/*
 * worker - analyses untrusted messages in a separate, sandboxed program;
 * see include/worker.h.
 *
 * Parent side: one zygote, spawned with posix_spawn (no writable copy of
 * the parent's memory before exec) into mailgate-analyse, with an empty
 * environment and only its socket as fd 0; for each message the parent
 * asks it for a child on a new socket pair and talks to that child alone.
 * Whatever happens to the child, the parent gets a result: a crash, a
 * time-out or an unreadable answer is MIME_MALFORMED with what happened in
 * the detail; the parent re-checks the size from the raw bytes and kills
 * the child once it has answered (or is late), never waiting on it. A
 * zygote that stops answering is killed and started again.
 *
 * Zygote side (worker_child_main): warms the parsers up once (the charset
 * converters by analysing a small built-in message, since loading them
 * later would need open(); after the filter, open() fails with EACCES and
 * iconv falls back), compiles the allow-list once, then forks on request.
 *
 * Child side (worker_one): before it reads a byte the child drops
 * everything it will not use: file descriptors, core dumps, privileges
 * (no_new_privs), address space and CPU time (rlimits), and finally system
 * calls (the allow-list: recvmsg, write and writev on fd 0, memory, time,
 * exit). Then, while it waits, it reads a small built-in form: a fork
 * copies no page-table entries of the libraries' code and tables, so each
 * child faults them in anew, and it does so before its message, not on it.
 */
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <libxml/parser.h>
#include <seccomp.h>

#include "msgfd.h"
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

#ifndef MG_ANALYSE_PATH
#define MG_ANALYSE_PATH "/usr/local/libexec/mailgate/mailgate-analyse"
#endif

#define WORKER_MAX_ANSWER (512u << 20)
#define WORKER_SOCK 0		/* the child's end of its socket */
#define WORKER_NLIMITS 7	/* numbers on the child's command line */
#define WORKER_ZOMBIES 8

extern char **environ;

/* The one submission a pool may have outstanding. */
enum worker_busy { WORKER_IDLE, WORKER_SENT, WORKER_TOO_LARGE };

struct worker_pool {
	struct mime_limits lim;
	char *prog;
	char *arg;		/* a test helper's mode, or NULL */
	int timeout_ms;
	pid_t zpid;		/* the zygote, or -1 */
	int zfd;		/* our end of its socket */
	pid_t pid;		/* the ready child, or -1 */
	int asked;		/* a child asked for, its pid not read yet */
	int fd;			/* our end of the ready (or asked-for) child's socket */
	enum worker_busy busy;	/* a submission outstanding, and of what kind */
	pid_t bpid;		/* the child that has the submitted message */
	int bfd;		/* our end of its socket */
	int sent;		/* the message reached its socket */
	size_t size;		/* its size with CRLF endings: what the answer must say */
	long long deadline;	/* for its answer (CLOCK_MONOTONIC, ms) */
	pid_t killed[WORKER_ZOMBIES];	/* killed children not reaped yet */
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
 * What each child reads before its message: a form as mail clients send it
 * (quoted-printable text and an HTML table with entities), so the code and
 * tables an ordinary message needs are faulted in and cached while the
 * child waits (0.1-0.2 ms less on bench_verdict's 50 KB message, as much
 * more on the set-up, which is off the message's path).
 */
static const char worker_child_warmup[] =
    "From: a@b.example\r\nTo: c@d.example\r\nSubject: WHP07 Change of Circumstances\r\n"
    "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"w\"\r\n\r\n"
    "--w\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    "Participant surname: X\r\nDate of change: 2026-01-01 caf=C3=A9 =\r\nend\r\n"
    "--w\r\nContent-Type: text/html; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    "<html><body><table><tr><td><p class=3D\"m\">Surname</p></td><td>X&nbsp;&amp;</td></tr>"
    "</table><div><span style=3D\"c\">x</span></div></body></html>\r\n--w--\r\n";

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

/* --- the zygote and its children --- */

#define WORKER_RANGES 128	/* writable mappings the zygote copies into each child ahead */
#define WORKER_RANGE_MAX (64ul << 20)	/* larger ones are the sanitizers' shadow */
#define WORKER_HEAP_KEEP (8u << 20)	/* freed heap a child keeps (it lives for one message) */

/* What the zygote keeps for its children: the allow-list, compiled once. */
struct worker_zygote {
	struct sock_fprog prog;
	pid_t daemon;		/* the children's parent (CLONE_PARENT) */
	struct { uintptr_t lo, hi; } range[WORKER_RANGES];	/* its writable memory */
	size_t nrange;
};

/* One request on the zygote's socket: the limits for the child, its socket as SCM_RIGHTS. */
struct worker_req {
	uint64_t lim[WORKER_NLIMITS];
	uint64_t ready;		/* enum worker_ready */
};

static void
worker_lim_pack(const struct mime_limits *lim, uint64_t v[WORKER_NLIMITS])
{
	v[0] = lim->max_message_bytes;
	v[1] = lim->max_depth;
	v[2] = lim->max_parts;
	v[3] = lim->max_decoded;
	v[4] = lim->zip_max_entries;
	v[5] = lim->zip_max_total;
	v[6] = lim->zip_max_ratio;
}

/* The limits from numbers: each at most 2^40; -1 when one is not. */
static int
worker_lim_unpack(const uint64_t v[WORKER_NLIMITS], struct mime_limits *lim)
{
	int i;

	for (i = 0; i < WORKER_NLIMITS; i++)
		if (v[i] > (1ull << 40))
			return -1;
	lim->max_message_bytes = (size_t)v[0];
	lim->max_depth = (unsigned)v[1];
	lim->max_parts = (unsigned)v[2];
	lim->max_decoded = (size_t)v[3];
	lim->zip_max_entries = (unsigned)v[4];
	lim->zip_max_total = (size_t)v[5];
	lim->zip_max_ratio = (unsigned)v[6];
	return 0;
}

/* A child's resources; CPU time starts at zero in each child, so the limit is per message. */
static void
worker_limits(const struct mime_limits *lim)
{
	struct rlimit rl;

	/* no RLIMIT_FSIZE: the child opens nothing and writes only to its socket */
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

/*
 * The zygote's private anonymous writable mappings (heap, stack, malloc's
 * and libraries' anonymous maps), read once after the warm-up: a child
 * copies them ahead of its message, not one page fault at a time while it
 * parses. The libraries' own data (mappings of a file) are left to fault:
 * copying them too made each child's set-up ~40% dearer (1.3 against
 * 0.75-1.0 ms) for no measurable gain on the message.
 */
static void
worker_ranges(struct worker_zygote *z)
{
	FILE *fp = fopen("/proc/self/maps", "re");
	char line[512];

	z->nrange = 0;
	while (fp && z->nrange < WORKER_RANGES && fgets(line, sizeof(line), fp)) {
		unsigned long lo, hi;
		char perm[8];

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) != 3 || strcmp(perm, "rw-p") != 0 ||
		    hi - lo > WORKER_RANGE_MAX || strchr(line, '/') != NULL)
			continue;
		z->range[z->nrange].lo = lo;
		z->range[z->nrange].hi = hi;
		z->nrange++;
	}
	if (fp)
		fclose(fp);
}

/*
 * Off the message's path, while a WORKER_READY_IDLE child waits: its own
 * copy of the zygote's anonymous memory (MADV_POPULATE_WRITE breaks
 * copy-on-write at once). No fresh heap is touched in advance any more: a
 * 4 MiB memset per child measured no gain on the 50 KB message.
 */
static void
worker_prefault(const struct worker_zygote *z)
{
	size_t i;

	for (i = 0; i < z->nrange; i++)
		(void)madvise((void *)z->range[i].lo, z->range[i].hi - z->range[i].lo,
		    MADV_POPULATE_WRITE);	/* an optimisation: a refusal costs only speed */
}

/* Adds rules; -1 when libseccomp refuses one. */
static int
worker_allow(scmp_filter_ctx ctx, const int *sys, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sys[i], 0) < 0)
			return -1;
	return 0;
}

/* A rule on the first argument (the fd, the pid). */
static int
worker_rule_a0(scmp_filter_ctx ctx, uint32_t action, int sys, enum scmp_compare op, uint64_t v)
{
	struct scmp_arg_cmp c = { 0, op, v, 0 };

	return seccomp_rule_add_array(ctx, action, sys, 1, &c);
}

/* The filter as BPF in memory: libseccomp writes it to a descriptor, a memfd here. */
static int
worker_export(scmp_filter_ctx ctx, struct sock_fprog *prog)
{
	int fd = memfd_create("mailgate-seccomp", MFD_CLOEXEC), rc = -1;
	struct stat st;
	void *code;

	if (fd < 0)
		return -1;
	if (seccomp_export_bpf(ctx, fd) < 0 || fstat(fd, &st) < 0 || st.st_size <= 0 ||
	    st.st_size % sizeof(struct sock_filter) != 0 ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		goto out;
	code = xmalloc((size_t)st.st_size);
	if (pread(fd, code, (size_t)st.st_size, 0) != st.st_size) {
		free(code);
		goto out;
	}
	prog->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	prog->filter = code;
	rc = 0;
out:
	close(fd);
	return rc;
}

/*
 * The allow-list: the socket (recvmsg, for the message's memfd; write and
 * writev, for the answer), memory (mmap maps the memfd), time and exit.
 * Writes elsewhere (libxml2's messages to stderr) fail with EPERM; open()
 * fails with EACCES; prlimit64 only on the child itself (pid 0); anything
 * else kills it. Compiled once, in the zygote; each child installs the
 * program with one prctl().
 */
static int
worker_seccomp(struct sock_fprog *prog)
{
	static const int allow[] = {
		SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(brk), SCMP_SYS(mmap),
		SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect), SCMP_SYS(madvise),
		SCMP_SYS(futex), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
		SCMP_SYS(rt_sigaction), SCMP_SYS(getrandom), SCMP_SYS(clock_gettime),
		SCMP_SYS(gettimeofday), SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(lseek),
		SCMP_SYS(close), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(tgkill),
		SCMP_SYS(sched_yield),
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
		SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(read),
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int rc = -1;

	if (ctx == NULL)
		return -1;
	if (worker_allow(ctx, allow, sizeof(allow) / sizeof(allow[0])) < 0 ||
	    worker_rule_a0(ctx, SCMP_ACT_ALLOW, SCMP_SYS(recvmsg), SCMP_CMP_EQ, WORKER_SOCK) < 0 ||
	    worker_rule_a0(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), SCMP_CMP_EQ, WORKER_SOCK) < 0 ||
	    worker_rule_a0(ctx, SCMP_ACT_ALLOW, SCMP_SYS(writev), SCMP_CMP_EQ, WORKER_SOCK) < 0 ||
	    worker_rule_a0(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), SCMP_CMP_EQ, 0) < 0)
		goto out;
	if (WORKER_ASAN) {
		/* the runtime writes its reports to stderr and reads /proc */
		if (worker_allow(ctx, asan_extra, sizeof(asan_extra) / sizeof(asan_extra[0])) < 0)
			goto out;
	} else if (worker_rule_a0(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(write), SCMP_CMP_NE,
	    WORKER_SOCK) < 0 ||
	    worker_rule_a0(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(writev), SCMP_CMP_NE,
	    WORKER_SOCK) < 0) {
		goto out;
	}
	/* a converter not loaded yet: fail the open, iconv falls back */
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0) < 0)
		goto out;
	rc = worker_export(ctx, prog);
out:
	seccomp_release(ctx);
	return rc;
}

int
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

/* The limits from the command line: every number, digits only; -1 when one is not. */
static int
worker_parse_limits(int argc, char **argv, struct mime_limits *lim)
{
	uint64_t v[WORKER_NLIMITS];
	int i;

	if (argc < WORKER_NLIMITS + 1)
		return -1;
	for (i = 0; i < WORKER_NLIMITS; i++) {
		char *end;

		errno = 0;
		if (argv[i + 1][0] < '0' || argv[i + 1][0] > '9')
			return -1;
		v[i] = strtoull(argv[i + 1], &end, 10);
		if (errno || *end)
			return -1;
	}
	return worker_lim_unpack(v, lim);
}

/*
 * One fixed-size record and at most one descriptor (SCM_RIGHTS) off the
 * socket: the bytes read (0 at EOF), *fd the descriptor or -1, *mflags
 * recvmsg's msg_flags (MSG_TRUNC, MSG_CTRUNC: cut short).
 */
static ssize_t
worker_recv_fd(void *buf, size_t len, int flags, int *fd, int *mflags)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { buf, len };
	struct msghdr mh = { 0 };
	struct cmsghdr *c;
	ssize_t n;

	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	*fd = -1;
	while ((n = recvmsg(WORKER_SOCK, &mh, flags)) < 0 && errno == EINTR)
		;
	if (n <= 0)
		return n;
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	*mflags = mh.msg_flags;
	return n;
}

/*
 * The message: a u64 length and, as SCM_RIGHTS, the sealed memfd that
 * holds it and a NUL after it, mapped read-only: the child's one copy of
 * the message is the daemon's page cache, read in place. NULL when the
 * pool closed without one (*len 0) or sent something else.
 */
static const char *
worker_recv_msg(const struct mime_limits *lim, uint64_t *len)
{
	struct stat st;
	const char *msg;
	int fd, mflags = 0;
	ssize_t n;

	*len = 0;
	n = worker_recv_fd(len, sizeof(*len), MSG_WAITALL, &fd, &mflags);
	if (n == 0)
		return NULL;
	if (n != (ssize_t)sizeof(*len) || fd < 0 || (mflags & MSG_CTRUNC) ||
	    *len > lim->max_message_bytes * 2 + 1024 || fstat(fd, &st) < 0 ||
	    (uint64_t)st.st_size != *len + 1)
		_exit(72);
	msg = mmap(NULL, (size_t)*len + 1, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
	close(fd);
	if (msg == MAP_FAILED || msg[*len] != '\0')
		_exit(73);
	return msg;
}

/*
 * The answer goes out as it is encoded: small fields gathered in a buffer,
 * the texts pointed at where they are, all in one writev when the vector
 * is full and at the end, so the parent usually wakes once and no second
 * copy of a large document is made.
 */
#define WORKER_IOV 64
#define WORKER_STAGE 8192
#define WORKER_SMALL 512	/* pieces up to this are copied into the buffer */

struct worker_out {
	struct iovec iov[WORKER_IOV];
	int n;
	size_t used;
	char stage[WORKER_STAGE];
};

static int
worker_flush(struct worker_out *o)
{
	struct iovec *v = o->iov;
	int n = o->n;

	while (n > 0) {
		ssize_t w = writev(WORKER_SOCK, v, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		while (n > 0 && (size_t)w >= v->iov_len) {
			w -= (ssize_t)v->iov_len;
			v++;
			n--;
		}
		if (n > 0) {
			v->iov_base = (char *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
	o->n = 0;
	o->used = 0;
	return 0;
}

static int
worker_put(void *ctx, const void *p, size_t len)
{
	struct worker_out *o = ctx;

	if (len == 0)
		return 0;
	if (o->n == WORKER_IOV || (len <= WORKER_SMALL && o->used + len > WORKER_STAGE))
		if (worker_flush(o) < 0)
			return -1;
	if (len > WORKER_SMALL) {
		o->iov[o->n].iov_base = (void *)p;
		o->iov[o->n++].iov_len = len;
		return 0;
	}
	memcpy(o->stage + o->used, p, len);
	if (o->n > 0 && (char *)o->iov[o->n - 1].iov_base + o->iov[o->n - 1].iov_len ==
	    o->stage + o->used) {
		o->iov[o->n - 1].iov_len += len;	/* the buffer's last piece goes on */
	} else {
		o->iov[o->n].iov_base = o->stage + o->used;
		o->iov[o->n++].iov_len = len;
	}
	o->used += len;
	return 0;
}

/*
 * One message, in a fresh child of the daemon: its socket becomes fd 0
 * (replacing the zygote's), every other descriptor but stdout/stderr goes,
 * then the limits and the filter, before it receives a byte.
 */
static void
worker_one(const struct worker_zygote *z, int sock, const struct mime_limits *lim,
    enum worker_ready ready, worker_fn *fn)
{
	static struct worker_out out;
	struct mime_result r;
	const char *msg;
	uint64_t len;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != z->daemon)
		_exit(75);	/* the daemon is gone already */
	if (dup2(sock, WORKER_SOCK) < 0)
		_exit(75);
	close_range(3, ~0u, 0);
	worker_limits(lim);
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &z->prog, 0, 0) < 0)
		_exit(71);
	if (ready == WORKER_READY_IDLE)
		worker_prefault(z);
	mime_result_init(&r);
	mime_analyse(worker_child_warmup, sizeof(worker_child_warmup) - 1, lim, &r);
	mime_result_free(&r);
	if ((msg = worker_recv_msg(lim, &len)) == NULL)
		_exit(0);	/* the pool closed without a message */
	mime_result_init(&r);
	fn(msg, (size_t)len, lim, &r);
	/* the length first, then the encoding as it is made */
	len = mime_result_encoded_len(&r);
	if (worker_put(&out, &len, sizeof(len)) < 0 || mime_result_encode_to(&r, worker_put, &out) < 0 ||
	    worker_flush(&out) < 0)
		_exit(74);
	_exit(0);
}

/* One request from the daemon: the limits and a socket; 1, 0 at EOF, -1 when malformed. */
static int
worker_recv_req(struct worker_req *req, int *sock)
{
	int mflags = 0;
	ssize_t n = worker_recv_fd(req, sizeof(*req), MSG_CMSG_CLOEXEC, sock, &mflags);

	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(*req) || (mflags & (MSG_TRUNC | MSG_CTRUNC)) || *sock < 0) {
		if (*sock >= 0)
			close(*sock);
		return -1;
	}
	return 1;
}

/*
 * The zygote's loop: for each request, a child of the daemon (CLONE_PARENT,
 * so the daemon waits on it and kills it) and its pid as the answer; the
 * zygote keeps no descriptor of it. Ends when the daemon closes the socket.
 */
static int
worker_zygote_loop(const struct worker_zygote *z, worker_fn *fn)
{
	for (;;) {
		struct worker_req req;
		struct mime_limits lim;
		int sock, rc = worker_recv_req(&req, &sock);
		int32_t ans;
		pid_t pid;

		if (rc == 0)
			_exit(0);	/* the daemon closed: nothing to flush, the converters stay open */
		if (rc < 0 || worker_lim_unpack(req.lim, &lim) < 0 ||
		    (req.ready != WORKER_READY_IDLE && req.ready != WORKER_READY_NEXT)) {
			fprintf(stderr, "mailgate-analyse: a malformed request on the zygote's socket\n");
			return 65;
		}
		/* a raw clone: glibc's fork() cannot give the child to our parent */
		pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
		if (pid == 0)
			worker_one(z, sock, &lim, (enum worker_ready)req.ready, fn);
		ans = pid > 0 ? (int32_t)pid : -(int32_t)errno;
		close(sock);
		if (send(WORKER_SOCK, &ans, sizeof(ans), MSG_NOSIGNAL) != (ssize_t)sizeof(ans))
			return 0;	/* the daemon is gone */
	}
}

int
worker_child_main(int argc, char **argv, worker_fn *fn)
{
	struct worker_zygote z;
	struct mime_limits lim;
	struct mime_result r;
	struct rlimit rl = { 0, 0 };

	if (worker_parse_limits(argc, argv, &lim) < 0) {
		fprintf(stderr, "%s: usage: %s MAX-BYTES DEPTH PARTS DECODED ZIP-ENTRIES ZIP-TOTAL "
		    "ZIP-RATIO (started by mailgated, speaks on fd 0)\n", argv[0], argv[0]);
		return 64;
	}
	signal(SIGPIPE, SIG_IGN);
	close_range(3, ~0u, 0);	/* the spawn closed them; this is one system call more */
	setrlimit(RLIMIT_CORE, &rl);
	z.daemon = getppid();
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != z.daemon)
		return 75;
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* warmed up once, here: each child inherits the loaded converters and libxml2 */
	xmlInitParser();
	worker_open_converters();
	mime_result_init(&r);
	mime_analyse(worker_warmup, sizeof(worker_warmup) - 1, &lim, &r);
	mime_result_free(&r);
	if (worker_seccomp(&z.prog) < 0) {
		fprintf(stderr, "%s: cannot compile the seccomp filter\n", argv[0]);
		return 71;
	}
	/* a child's freed heap stays its own: it lives for one message */
	mallopt(M_MMAP_THRESHOLD, WORKER_HEAP_KEEP);
	mallopt(M_TRIM_THRESHOLD, WORKER_HEAP_KEEP);
	worker_ranges(&z);
	return worker_zygote_loop(&z, fn);
}

/* --- the parent --- */

/* Only what the sanitizers need; no secret travels in the child's environment. */
static void
worker_env(char *env[4])
{
	static const char *const keep[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS" };
	size_t i, n = 0;

	for (i = 0; i < 3; i++) {
		const char *v = getenv(keep[i]);

		if (v)
			env[n++] = xasprintf("%s=%s", keep[i], v);
	}
	env[n] = NULL;
}

/* The zygote, with its socket as fd 0 and nothing else of ours: posix_spawn closes the rest. */
static int
worker_spawn_zygote(struct worker_pool *wp, int child_fd, pid_t *pid)
{
	char nums[WORKER_NLIMITS][24], *argv[WORKER_NLIMITS + 3], *env[4];
	uint64_t v[WORKER_NLIMITS];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t all, none;
	int i, rc;

	worker_lim_pack(&wp->lim, v);
	argv[0] = wp->prog;
	for (i = 0; i < WORKER_NLIMITS; i++) {
		snprintf(nums[i], sizeof(nums[i]), "%llu", (unsigned long long)v[i]);
		argv[i + 1] = nums[i];
	}
	argv[WORKER_NLIMITS + 1] = wp->arg;
	argv[WORKER_NLIMITS + 2] = NULL;
	worker_env(env);
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, child_fd, WORKER_SOCK);
	/* one close_range() in the child instead of a close() per possible descriptor */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	rc = posix_spawn(pid, wp->prog, &fa, &at, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	for (i = 0; env[i]; i++)
		free(env[i]);
	errno = rc;
	return rc == 0 ? 0 : -1;
}

static int
worker_zygote_start(struct worker_pool *wp)
{
	int sv[2], rc;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	rc = worker_spawn_zygote(wp, sv[1], &pid);
	close(sv[1]);
	if (rc < 0) {
		rc = errno;
		close(sv[0]);
		errno = rc;
		return -1;
	}
	wp->zpid = pid;
	wp->zfd = sv[0];
	return 0;
}

static void worker_kill(struct worker_pool *wp, pid_t pid);

/* The zygote is dead or broken: it goes, to be started again on the next request. */
static void
worker_zygote_drop(struct worker_pool *wp)
{
	if (wp->zfd >= 0)
		close(wp->zfd);
	if (wp->zpid > 0)
		worker_kill(wp, wp->zpid);
	wp->zfd = -1;
	wp->zpid = -1;
}

/* 1 when pid is our child and has not been reaped (a zygote's answer is checked, not believed). */
static int
worker_is_child(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
}

/* Asks the zygote for a child on child_fd (sent by SCM_RIGHTS); 0 or -1. Does not wait. */
static int
worker_zygote_send(struct worker_pool *wp, int child_fd, enum worker_ready ready)
{
	struct worker_req req;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &req, sizeof(req) };
	struct msghdr mh = { 0 };
	struct cmsghdr *c;

	memset(cbuf, 0, sizeof(cbuf));
	worker_lim_pack(&wp->lim, req.lim);
	req.ready = ready;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &child_fd, sizeof(int));
	return sendmsg(wp->zfd, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof(req) ? 0 : -1;
}

/* The zygote's answer: the child's pid, checked to be our child; -1 (errno set). */
static pid_t
worker_zygote_answer(struct worker_pool *wp)
{
	struct pollfd p = { wp->zfd, POLLIN, 0 };
	int32_t ans;

	/* a fork of a warm process: milliseconds at the very worst */
	if (poll(&p, 1, 5000) <= 0 || recv(wp->zfd, &ans, sizeof(ans), 0) != (ssize_t)sizeof(ans)) {
		errno = EPIPE;
		return -1;
	}
	if (ans < 0) {
		errno = -ans;
		return -1;
	}
	if (!worker_is_child((pid_t)ans)) {
		errno = EPROTO;
		return -1;
	}
	return (pid_t)ans;
}

/*
 * Asks for the next message's child on a new socket pair, starting the
 * zygote (again) if needed; the pid is collected later, so the caller does
 * not wait for the fork. 0, or -1 (errno set).
 */
static int
worker_ask(struct worker_pool *wp, enum worker_ready ready)
{
	int sv[2], attempt, e = 0, rc = -1;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	for (attempt = 0; attempt < 2 && rc < 0; attempt++) {
		if (wp->zfd < 0 && worker_zygote_start(wp) < 0) {
			e = errno;
			break;
		}
		rc = worker_zygote_send(wp, sv[1], ready);
		if (rc < 0) {
			e = errno;
			worker_zygote_drop(wp);
		}
	}
	close(sv[1]);
	if (rc < 0) {
		close(sv[0]);
		errno = e;
		return -1;
	}
	wp->fd = sv[0];
	wp->asked = 1;
	return 0;
}

/* The pid of the child asked for; on failure its socket and the zygote go. 0 or -1. */
static int
worker_collect(struct worker_pool *wp)
{
	pid_t pid;
	int e;

	if (!wp->asked)
		return wp->pid > 0 ? 0 : -1;
	wp->asked = 0;
	pid = worker_zygote_answer(wp);
	if (pid > 0) {
		wp->pid = pid;
		return 0;
	}
	e = errno;
	close(wp->fd);
	wp->fd = -1;
	worker_zygote_drop(wp);
	errno = e;
	return -1;
}

/*
 * A child: the one asked for, or a new one (a dead zygote restarted once)
 * prepared as ready says.
 */
static int
worker_fork(struct worker_pool *wp, enum worker_ready ready)
{
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if (!wp->asked && wp->pid < 0 && worker_ask(wp, ready) < 0)
			return -1;
		if (worker_collect(wp) == 0)
			return 0;
	}
	return -1;
}

/* Reaps the killed children that are gone; never blocks. */
static void
worker_reap(struct worker_pool *wp)
{
	int i;

	for (i = 0; i < WORKER_ZOMBIES; i++)
		if (wp->killed[i] > 0 && waitpid(wp->killed[i], NULL, WNOHANG) != 0)
			wp->killed[i] = 0;
}

/* Kills a child that has nothing more to do (answered, late or broken); reaped later. */
static void
worker_kill(struct worker_pool *wp, pid_t pid)
{
	int i;

	kill(pid, SIGKILL);
	worker_reap(wp);
	for (i = 0; i < WORKER_ZOMBIES; i++)
		if (wp->killed[i] == 0) {
			wp->killed[i] = pid;
			return;
		}
	/* eight children not yet gone after SIGKILL: wait for this one, it is dying */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

const char *
worker_pool_default_prog(void)
{
	const char *env = getenv("MAILGATE_ANALYSE");

	return env && *env ? env : MG_ANALYSE_PATH;
}

struct worker_pool *
worker_pool_new_prog(const struct mime_limits *lim, const char *prog, const char *arg)
{
	struct worker_pool *wp = xcalloc(1, sizeof(*wp));

	wp->lim = *lim;
	wp->prog = xstrdup(prog ? prog : worker_pool_default_prog());
	wp->arg = arg ? xstrdup(arg) : NULL;
	wp->timeout_ms = 10000;
	wp->zpid = -1;
	wp->zfd = -1;
	wp->pid = -1;
	wp->fd = -1;
	wp->bpid = -1;
	wp->bfd = -1;
	/* the first message may be a long way off */
	if (worker_fork(wp, WORKER_READY_IDLE) < 0) {
		int e = errno;

		worker_pool_free(wp);
		errno = e;
		return NULL;
	}
	return wp;
}

struct worker_pool *
worker_pool_new(const struct mime_limits *lim)
{
	return worker_pool_new_prog(lim, NULL, NULL);
}

void
worker_pool_set_timeout(struct worker_pool *wp, int ms)
{
	wp->timeout_ms = ms;
}

/* The ready child was started with the old limits: it goes, the next one gets these. */
void
worker_pool_set_limits(struct worker_pool *wp, const struct mime_limits *lim)
{
	if (memcmp(&wp->lim, lim, sizeof(*lim)) == 0)
		return;
	wp->lim = *lim;
	if (wp->asked)
		(void)worker_collect(wp);	/* its pid, to kill and reap it */
	if (wp->pid > 0) {
		close(wp->fd);
		worker_kill(wp, wp->pid);
		wp->fd = -1;
		wp->pid = -1;
	}
}

pid_t
worker_pool_pid(struct worker_pool *wp)
{
	if (wp->asked)
		(void)worker_collect(wp);
	return wp->pid;
}

static long long
worker_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The length and the memfd in one sendmsg: the child wakes once. 0 or -1. */
static int
worker_send(int sock, int mfd, uint64_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &len, sizeof(len) };
	struct msghdr mh = { 0 };
	struct cmsghdr *c;
	ssize_t w;

	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &mfd, sizeof(int));
	/* a new socket's buffer is empty: eight bytes never wait */
	while ((w = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT)) < 0 && errno == EINTR)
		;
	return w == (ssize_t)sizeof(len) ? 0 : -1;
}

/*
 * The child's answer as the decoder's source: its socket, read within the
 * deadline, through a small buffer for the small fields and straight into
 * their own allocations for the large texts. It never reads past the
 * length the child announced (left), so the encoded answer is never held
 * whole: the daemon holds the decoded result only.
 */
#define WORKER_RBUF 16384

struct worker_src {
	int fd;
	long long deadline;
	int late;		/* the deadline passed with bytes still missing */
	uint64_t left;		/* bytes of the answer not read from the socket yet */
	size_t at, have;	/* buf[at, have) read but not taken */
	char buf[WORKER_RBUF];
};

/* Up to n bytes (n <= s->left) from the socket into dst: the count, or -1. */
static ssize_t
worker_src_read(struct worker_src *s, char *dst, size_t n)
{
	for (;;) {
		struct pollfd p = { s->fd, POLLIN, 0 };
		long long left = s->deadline - worker_now_ms();
		ssize_t r;

		/*
		 * past the deadline, what the child has already written is still
		 * read: the parent may have been busy elsewhere (a slow SMTP server
		 * between submit and collect), and the deadline bounds the child
		 */
		if (poll(&p, 1, left > 0 ? (int)left : 0) <= 0) {
			s->late = 1;
			return -1;
		}
		r = read(s->fd, dst, n);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			return -1;
		s->left -= (uint64_t)r;
		return r;
	}
}

/* mime_get_fn: exactly n bytes of the answer into dst. */
static int
worker_src_get(void *ctx, void *dst, size_t n)
{
	struct worker_src *s = ctx;
	char *d = dst;

	while (n > 0) {
		size_t k = s->have - s->at;
		ssize_t r;

		if (k > 0) {
			if (k > n)
				k = n;
			memcpy(d, s->buf + s->at, k);
			s->at += k;
			d += k;
			n -= k;
			continue;
		}
		if (n > s->left)
			return -1;
		if (n >= sizeof(s->buf)) {
			/* a large piece goes where it belongs, not through the buffer */
			if ((r = worker_src_read(s, d, n)) < 0)
				return -1;
			d += r;
			n -= (size_t)r;
			continue;
		}
		s->at = 0;
		s->have = 0;
		if ((r = worker_src_read(s, s->buf, s->left < sizeof(s->buf) ? (size_t)s->left :
		    sizeof(s->buf))) < 0)
			return -1;
		s->have = (size_t)r;
	}
	return 0;
}

/*
 * The answer, within the deadline: its u64 length, bounded, then exactly
 * that many bytes decoded as they arrive into out. 0, -1 broken (cut
 * short, not a valid encoding, more bytes than it said), -2 late.
 */
static int
worker_answer(int fd, long long deadline, struct mime_result *out)
{
	struct worker_src *s = xmalloc(sizeof(*s));
	uint64_t hdr;
	char extra;
	int rc = -1;

	s->fd = fd;
	s->deadline = deadline;
	s->late = 0;
	s->left = sizeof(hdr);
	s->at = s->have = 0;
	if (worker_src_get(s, &hdr, sizeof(hdr)) == 0 && hdr <= WORKER_MAX_ANSWER) {
		s->left = hdr;
		if (mime_result_decode_from(worker_src_get, s, hdr, out) == 0 &&
		    recv(fd, &extra, 1, MSG_DONTWAIT | MSG_PEEK) <= 0)
			rc = 0;
	}
	if (rc < 0 && s->late)
		rc = -2;
	free(s);
	return rc;
}

static void
worker_fail(struct mime_result *out, char *detail)
{
	mime_result_free(out);
	out->status = MIME_MALFORMED;
	out->detail = detail;
}

/* The status of a child that did not answer: dead already, or killed now; waits at most a second. */
static int
worker_status(pid_t pid, int *status)
{
	int i;

	for (i = 0; i < 100; i++) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if (i == 0)
			kill(pid, SIGKILL);
		usleep(10000);
	}
	return -1;
}

static void
worker_explain(int rc, int st_known, int status, struct mime_result *out)
{
	if (rc == -2 || (st_known && WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU))
		worker_fail(out, xstrdup("the parser worker ran out of time"));
	else if (!st_known)
		worker_fail(out, xstrdup("the parser worker's answer cannot be read"));
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		worker_fail(out, xstrdup("the parser worker made a forbidden system call"));
	else if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
		worker_fail(out, xasprintf("the parser worker was killed by signal %d", WTERMSIG(status)));
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 70)
		worker_fail(out, xstrdup("the parser worker ran out of memory"));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		worker_fail(out, xasprintf("the parser worker failed (status %d)", WEXITSTATUS(status)));
	else
		worker_fail(out, xstrdup("the parser worker's answer cannot be read"));
}

/* A misuse of submit and collect: said on stderr (the journal), and the message not judged. */
static int
worker_misuse(const char *what, int e)
{
	fprintf(stderr, "mailgate: internal error: %s\n", what);
	errno = e;
	return -1;
}

/* A message over the limit gets no child: collect answers MIME_TOO_LARGE. 1 when so. */
static int
worker_too_large(struct worker_pool *wp, size_t size)
{
	wp->size = size;
	if (size <= wp->lim.max_message_bytes)
		return 0;
	/* judged here from the raw bytes: a child is not needed to refuse it */
	wp->busy = WORKER_TOO_LARGE;
	return 1;
}

/* The sealed memfd (still the caller's) to the ready child; the deadline starts. */
static int
worker_submit_sealed(struct worker_pool *wp, int mfd, size_t len)
{
	wp->deadline = worker_now_ms() + wp->timeout_ms;
	/* a send that fails is the child's failure, found by collect */
	wp->sent = worker_send(wp->fd, mfd, len) == 0;
	wp->bpid = wp->pid;
	wp->bfd = wp->fd;
	wp->pid = -1;
	wp->fd = -1;
	wp->busy = WORKER_SENT;
	return 0;
}

int
worker_pool_submit(struct worker_pool *wp, const char *msg, size_t len)
{
	int mfd, rc;

	if (wp->busy != WORKER_IDLE)
		return worker_misuse("worker_pool_submit() with an answer not collected", EBUSY);
	if (worker_too_large(wp, mime_crlf_size(msg, len)))
		return 0;
	worker_reap(wp);
	/* its set-up is on the message's path: no copy of the zygote's memory */
	if (worker_fork(wp, WORKER_READY_NEXT) < 0)
		return -1;
	/* one copy, into the page cache: the parent's memory does not grow, the child maps it */
	if ((mfd = msgfd_from(msg, len)) < 0)
		return -1;	/* the ready child stays ready */
	rc = worker_submit_sealed(wp, mfd, len);
	close(mfd);
	return rc;
}

int
worker_pool_submit_fd(struct worker_pool *wp, int mfd, size_t len)
{
	long long size;

	if (wp->busy != WORKER_IDLE)
		return worker_misuse("worker_pool_submit_fd() with an answer not collected", EBUSY);
	if (!msgfd_is_sealed(mfd, len))
		return worker_misuse("worker_pool_submit_fd() with a descriptor not sealed as "
		    "msgfd_seal() seals it", EINVAL);
	/* the size from the sealed bytes themselves: what the answer must say */
	if ((size = msgfd_crlf_size(mfd, len)) < 0)
		return -1;
	if (worker_too_large(wp, (size_t)size))
		return 0;
	worker_reap(wp);
	/* its set-up is on the message's path: no copy of the zygote's memory */
	if (worker_fork(wp, WORKER_READY_NEXT) < 0)
		return -1;
	return worker_submit_sealed(wp, mfd, len);
}

int
worker_pool_collect(struct worker_pool *wp, struct mime_result *out)
{
	int rc = -1, status = 0, known;
	pid_t pid;

	mime_result_init(out);
	if (wp->busy == WORKER_IDLE) {
		worker_fail(out, xstrdup("internal error: an answer collected without a message "
		    "submitted"));
		return worker_misuse("worker_pool_collect() without worker_pool_submit()", EINVAL);
	}
	if (wp->busy == WORKER_TOO_LARGE) {
		wp->busy = WORKER_IDLE;
		out->status = MIME_TOO_LARGE;
		out->size = wp->size;
		out->detail = xasprintf("the message is %zu bytes; the limit is %zu", wp->size,
		    wp->lim.max_message_bytes);
		return 0;
	}
	pid = wp->bpid;
	if (wp->sent)
		rc = worker_answer(wp->bfd, wp->deadline, out);
	close(wp->bfd);
	wp->bfd = -1;
	wp->bpid = -1;
	wp->busy = WORKER_IDLE;
	if (rc == 0) {
		/* a whole answer: the child has nothing more to do, whatever it tries next */
		worker_kill(wp, pid);
		if (out->size != wp->size)
			worker_fail(out, xasprintf("the parser worker's answer does not match the "
			    "message (%zu bytes, not %zu)", out->size, wp->size));
		return 0;
	}
	if (rc == -2) {
		worker_kill(wp, pid);
		worker_explain(rc, 0, 0, out);
		return 0;
	}
	known = worker_status(pid, &status) == 0;
	if (!known)
		worker_kill(wp, pid);
	worker_explain(rc, known, status, out);
	return 0;
}

int
worker_pool_analyse(struct worker_pool *wp, const char *msg, size_t len, struct mime_result *out)
{
	mime_result_init(out);
	if (worker_pool_submit(wp, msg, len) < 0)
		return -1;
	return worker_pool_collect(wp, out);
}

int
worker_pool_prepare(struct worker_pool *wp, enum worker_ready ready)
{
	worker_reap(wp);
	if (wp->pid > 0 || wp->asked)
		return 0;
	return worker_ask(wp, ready);
}

void
worker_pool_free(struct worker_pool *wp)
{
	int i;

	if (wp == NULL)
		return;
	if (wp->asked)
		(void)worker_collect(wp);	/* its pid, to kill and reap it */
	if (wp->fd >= 0)
		close(wp->fd);
	if (wp->pid > 0)
		worker_kill(wp, wp->pid);
	if (wp->bfd >= 0)
		close(wp->bfd);
	if (wp->bpid > 0)
		worker_kill(wp, wp->bpid);	/* its answer is not wanted any more */
	worker_zygote_drop(wp);
	/* every child here was sent SIGKILL: these waits end at once */
	for (i = 0; i < WORKER_ZOMBIES; i++)
		if (wp->killed[i] > 0)
			while (waitpid(wp->killed[i], NULL, 0) < 0 && errno == EINTR)
				;
	free(wp->prog);
	free(wp->arg);
	free(wp);
}
