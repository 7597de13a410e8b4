/*
 * ctl_verify - "mailgatectl log verify|head|key|purge": the proofs of the
 * send log for compliance staff (verify, head, key; read access is enough)
 * and its retention for its owner (purge).
 *
 * verify checks the chain against the newest head it is given (--head) or
 * finds: in an exported list of the daemon's journal lines (--heads FILE)
 * or in the journal itself (--journal, and by default when journalctl
 * answers). The head lines are read before the log is opened, so the copy
 * a reader opens is never older than a head the daemon wrote after it. A
 * head line whose signature is not the log key's means the key (and so
 * the log) was replaced: that is tampering, not noise, since --journal
 * reads only what journald attributes to mailgated.service.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_common.h"
#include "sendlog.h"
#include "util.h"

extern char **environ;

enum vsrc { VS_DEFAULT, VS_HEAD, VS_HEADS, VS_JOURNAL };

/* Lines that may hold heads, read before the log is opened. */
struct vlines {
	char **v;
	size_t n;
	const char *name;	/* the file, or "journal" */
};

static void
vlines_add(struct vlines *l, const char *s, size_t len)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(char *));
	l->v[l->n++] = xstrndup(s, len);
}

static void
vlines_split(struct vlines *l, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		vlines_add(l, p, n);
		p += n + 1;
	}
}

static void
vlines_free(struct vlines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* mailgated.service's messages from journalctl; -1 when it cannot be run or fails. */
static int
verify_read_journal(struct vlines *l)
{
	char *argv[] = { (char *)"journalctl", (char *)"--no-pager", (char *)"-q", (char *)"-o",
		(char *)"cat", (char *)"_SYSTEMD_UNIT=mailgated.service", NULL };
	posix_spawn_file_actions_t fa;
	struct sbuf out;
	char buf[65536];
	int p[2], status = 0, rc;
	pid_t pid;
	ssize_t r;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, "journalctl", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc != 0) {
		close(p[0]);
		return -1;
	}
	sbuf_init(&out);
	while ((r = read(p[0], buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		sbuf_add(&out, buf, (size_t)r);
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (out.len)
		vlines_split(l, out.data, out.len);
	sbuf_free(&out);
	l->name = "journal";
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int
verify_read_file(struct vlines *l, const char *path)
{
	size_t len;
	char *buf = file_read(path, 64 << 20, &len);

	if (buf == NULL)
		return -1;
	vlines_split(l, buf, len);
	free(buf);
	l->name = path;
	return 0;
}

/*
 * The newest correctly signed head among the lines, into head ("" when
 * none). 0; 1 when a line's signature is not the log key's (what says where).
 */
static int
verify_newest(struct sendlog *sl, const struct vlines *l, char head[SENDLOG_HEAD_LEN + 1],
    size_t *found, char *what, size_t whatlen)
{
	long long best = -1, seq;
	char h[SENDLOG_HEAD_LEN + 1], chain[65];
	size_t i;

	head[0] = '\0';
	*found = 0;
	for (i = 0; i < l->n; i++) {
		int rc = sendlog_head_from_line(sl, l->v[i], h);

		if (rc < 0)
			continue;
		if (rc == 0) {
			snprintf(what, whatlen, "%s:%zu: a head not signed by the log's key: the key and "
			    "the log were replaced", l->name, i + 1);
			return 1;
		}
		(*found)++;
		if (sendlog_head_parse(h, &seq, chain) == 0 && seq > best) {
			best = seq;
			memcpy(head, h, sizeof(h));
		}
	}
	return 0;
}

/* Without log_verify_key the key in state_dir is trusted: say so; with it, check it. */
static int
verify_pin(struct ctl_ctx *ctx, struct sendlog *sl, char *what, size_t whatlen)
{
	if (ctx->cfg->log_verify_key == NULL) {
		fprintf(stderr, "%s: warning: log_verify_key is not set: the key in %s is trusted, and "
		    "whoever owns that folder could replace the log and its key together\n",
		    ctx->cfg->path, ctx->cfg->state_dir);
		return 0;
	}
	return sendlog_pin_key(sl, ctx->cfg->log_verify_key, what, whatlen);
}

static int
verify_args(int argc, char **argv, enum vsrc *src, const char **arg)
{
	*src = VS_DEFAULT;
	*arg = NULL;
	if (argc == 2)
		return 0;
	if (argc == 4 && strcmp(argv[2], "--head") == 0)
		*src = VS_HEAD;
	else if (argc == 4 && strcmp(argv[2], "--heads") == 0)
		*src = VS_HEADS;
	else if (argc == 3 && strcmp(argv[2], "--journal") == 0)
		*src = VS_JOURNAL;
	else
		return -1;
	*arg = argc == 4 ? argv[3] : NULL;
	return 0;
}

/* Reads the heads' lines for the source; exit code 2 on failure, else 0. */
static int
verify_lines(enum vsrc src, const char *arg, struct vlines *l)
{
	long long seq;
	char chain[65];

	if (src == VS_HEAD && sendlog_head_parse(arg, &seq, chain) < 0) {
		fprintf(stderr, "mailgatectl: log verify: --head '%s' is not a head (%d hexadecimal "
		    "digits, as log head prints)\n", arg, SENDLOG_HEAD_LEN);
		return 2;
	}
	if (src == VS_HEADS && verify_read_file(l, arg) < 0) {
		fprintf(stderr, "%s: error: %s\n", arg, strerror(errno));
		return 2;
	}
	if (src == VS_JOURNAL && verify_read_journal(l) < 0) {
		fprintf(stderr, "mailgatectl: log verify: error: the journal cannot be read "
		    "(journalctl failed; is this user in the systemd-journal group?)\n");
		return 2;
	}
	if (src == VS_DEFAULT && verify_read_journal(l) < 0) {
		vlines_free(l);
		memset(l, 0, sizeof(*l));
	}
	return 0;
}

static int
verify_report(int rc, const char *head, const struct sendlog_check *chk, const char *what)
{
	long long seq;
	char chain[65];

	if (rc < 0) {
		fprintf(stderr, "mailgatectl: log verify: error: %s\n", *what ? what :
		    "the log cannot be read");
		return 2;
	}
	if (rc == SENDLOG_UNCHECKED) {
		fprintf(stderr, "mailgatectl: log verify: %s\n", what);
		return 2;
	}
	if (rc > 0) {
		printf("TAMPERED: %s\n", what);
		return 1;
	}
	printf("intact: rows %lld to %lld\n", chk->first + 1, chk->last);
	if (head && sendlog_head_parse(head, &seq, chain) == 0)
		printf("the recorded head (row %lld) is in the chain; %lld row%s came after it\n",
		    chk->last - chk->after, chk->after, chk->after == 1 ? "" : "s");
	return 0;
}

int
ctl_log_verify(struct ctl_ctx *ctx, int argc, char **argv)
{
	char what[1024] = "", head[SENDLOG_HEAD_LEN + 1] = "";
	struct vlines l = { NULL, 0, NULL };
	struct sendlog_check chk;
	struct sendlog *sl;
	const char *arg;
	enum vsrc src;
	size_t found = 0;
	int rc;

	if (verify_args(argc, argv, &src, &arg) < 0)
		return ctl_usage_error("usage: mailgatectl log verify [--head HEX | --heads FILE | "
		    "--journal]");
	if ((rc = verify_lines(src, arg, &l)) != 0 || (sl = ctl_open_log(ctx->cfg, 0, 0)) == NULL) {
		vlines_free(&l);
		return rc ? rc : 2;
	}
	rc = verify_pin(ctx, sl, what, sizeof(what));
	if (rc == 0 && src == VS_HEAD)
		snprintf(head, sizeof(head), "%s", arg);
	else if (rc == 0)
		rc = verify_newest(sl, &l, head, &found, what, sizeof(what));
	vlines_free(&l);
	if (rc == 0 && src == VS_HEADS && found == 0) {
		fprintf(stderr, "%s: error: no head line (\"log head: ... signature ...\") in it\n", arg);
		sendlog_close(sl);
		return 2;
	}
	if (rc == 0)
		rc = sendlog_verify(sl, *head ? head : NULL, &chk, what, sizeof(what));
	sendlog_close(sl);
	if (rc == 0 && *head == '\0')
		fprintf(stderr, "mailgatectl: log verify: warning: no recorded head was given or found "
		    "in the journal, so the removal of the newest rows cannot be ruled out (give "
		    "--head, --heads or --journal)\n");
	return verify_report(rc, *head ? head : NULL, &chk, what);
}

/* The signed line needs the signing key: only the owner of state_dir has it. */
static int
head_signed(struct ctl_ctx *ctx)
{
	struct sendlog *sl;
	char line[512], head[SENDLOG_HEAD_LEN + 1];
	int rc = 0;

	if (!ctl_may_write(ctx->cfg) || (sl = ctl_open_log(ctx->cfg, 1, 0)) == NULL)
		return 2;
	if (sendlog_head(sl, head) < 0 ||
	    sendlog_head_line(sl, head, line, sizeof(line)) < 0) {
		fprintf(stderr, "%s: error: the head cannot be signed\n", ctx->cfg->state_dir);
		rc = 2;
	} else {
		printf("%s\n", line);
	}
	sendlog_close(sl);
	return rc;
}

int
ctl_log_head(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct sendlog *sl;
	char head[SENDLOG_HEAD_LEN + 1];

	if (argc == 3 && strcmp(argv[2], "--signed") == 0)
		return head_signed(ctx);
	if (argc != 2)
		return ctl_usage_error("usage: mailgatectl log head [--signed]");
	if ((sl = ctl_open_log(ctx->cfg, 0, 0)) == NULL)
		return 2;
	if (sendlog_head(sl, head) < 0) {
		fprintf(stderr, "%s: error: the log cannot be read\n", ctx->cfg->state_dir);
		sendlog_close(sl);
		return 2;
	}
	printf("%s\n", head);
	sendlog_close(sl);
	return 0;
}

/* The verifying key's fingerprint and PEM file, to pin with log_verify_key. */
int
ctl_log_key(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct sendlog *sl;
	char fpr[SENDLOG_FPR_LEN + 1];

	(void)argv;
	if (argc != 2)
		return ctl_usage_error("usage: mailgatectl log key");
	if ((sl = ctl_open_log(ctx->cfg, 0, 0)) == NULL)
		return 2;
	if (sendlog_key_fingerprint(sl, fpr) < 0) {
		fprintf(stderr, "%s/sign.pub: error: not an Ed25519 public key\n", ctx->cfg->state_dir);
		sendlog_close(sl);
		return 2;
	}
	printf("%s\n", fpr);
	printf("# pin it: log_verify_key = %s, or copy %s/sign.pub to /etc/mailgate/ and name it\n",
	    fpr, ctx->cfg->state_dir);
	sendlog_close(sl);
	return 0;
}

int
ctl_log_purge(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct sendlog *sl;
	char who[64], err[512];
	size_t removed;

	(void)argv;
	if (argc != 2)
		return ctl_usage_error("usage: mailgatectl log purge");
	if (!ctl_may_write(ctx->cfg) || (sl = ctl_open_log(ctx->cfg, 1, 1)) == NULL)
		return 2;
	if (sendlog_purge(sl, time(NULL), ctx->cfg->log_retention_months, ctl_who(who, sizeof(who)),
	    &removed, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		sendlog_close(sl);
		return 2;
	}
	printf("removed %zu rows older than %d months\n", removed, ctx->cfg->log_retention_months);
	sendlog_close(sl);
	return 0;
}
