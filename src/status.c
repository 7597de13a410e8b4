/*
 * status - the daemon's status file (see status.h). Written whole to a
 * temporary file and renamed, so a reader never sees half of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "status.h"
#include "util.h"

void status_init(struct status *st)
{
	memset(st, 0, sizeof(*st));
	st->held = -1;
	st->in_waiting = -1;
}

void status_free(struct status *st)
{
	free(st->waiting);
	status_init(st);
}

void status_set_text(char *dst, size_t n, const char *s)
{
	size_t i;

	if (n == 0)
		return;
	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < n; i++)
		dst[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? ' ' : s[i];
	dst[i] = '\0';
}

void status_add_waiting(struct status *st, unsigned uid, time_t next, const char *label,
    const char *reply)
{
	struct status_wait *w;

	st->waiting = xreallocarray(st->waiting, st->nwaiting + 1, sizeof(*st->waiting));
	w = &st->waiting[st->nwaiting++];
	w->uid = uid;
	w->next = next;
	status_set_text(w->label, sizeof(w->label), label ? label : "");
	status_set_text(w->reply, sizeof(w->reply), reply ? reply : "");
}

#define STATUS_PAD 4096	/* the file's size at least: room to rewrite it in place */

static void status_format(const struct status *st, struct sbuf *b)
{
	size_t i;

	sbuf_printf(b, "updated\t%lld\npid\t%ld\ninterval\t%d\n", (long long)st->updated,
	    (long)st->pid, st->interval);
	sbuf_printf(b, "policy_version\t%s\npolicy_loaded\t%lld\n", st->policy_version,
	    (long long)st->policy_loaded);
	sbuf_printf(b, "imap_ok\t%lld\nimap_fail\t%lld\nimap_error\t%s\n", (long long)st->imap_ok,
	    (long long)st->imap_fail, st->imap_error);
	sbuf_printf(b, "smtp_ok\t%lld\nsmtp_fail\t%lld\nsmtp_error\t%s\n", (long long)st->smtp_ok,
	    (long long)st->smtp_fail, st->smtp_error);
	sbuf_printf(b, "log_fail\t%lld\nlog_error\t%s\n", (long long)st->log_fail,
	    st->log_error);
	sbuf_printf(b, "held\t%ld\nbusy\t%d\n", st->held, st->busy);
	sbuf_printf(b, "pass\t%lld\t%ld\t%ld\t%ld\n", (long long)st->pass_started, st->pass_total,
	    st->pass_done, st->pass_sent);
	sbuf_printf(b, "outage_since\t%lld\noutage_server\t%s\npermits_ending\t%s\n",
	    (long long)st->outage_since, st->outage_server, st->permits_ending);
	sbuf_printf(b, "in_forwarded\t%lu\nin_reviewed\t%lu\nin_deleted\t%lu\nin_waiting\t%ld\n",
	    st->in_forwarded, st->in_reviewed, st->in_deleted, st->in_waiting);
	for (i = 0; i < st->nwaiting; i++)
		sbuf_printf(b, "waiting\t%u\t%lld\t%s\t%s\n", st->waiting[i].uid,
		    (long long)st->waiting[i].next, st->waiting[i].label, st->waiting[i].reply);
	/* a line without a tab is ignored by the reader: padding */
	while (b->len % STATUS_PAD != STATUS_PAD - 1)
		sbuf_addc(b, ' ');
	sbuf_addc(b, '\n');
}

static int status_put(int fd, const struct sbuf *b)
{
	size_t off = 0;
	ssize_t w;

	while (off < b->len) {
		w = pwrite(fd, b->data + off, b->len - off, (off_t)off);
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return fsync(fd);
}

/*
 * On a full disk no new file can be made: the old one is overwritten in
 * place when the new text fits in it, so that status still tells the truth.
 */
static int status_in_place(const char *path, const struct sbuf *b)
{
	struct stat sb;
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW), rc = -1;

	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) == 0 && (size_t)sb.st_size == b->len)
		rc = status_put(fd, b);
	close(fd);
	return rc;
}

int status_write(const char *state_dir, const struct status *st, char *err, size_t errlen)
{
	char *tmp = xasprintf("%s/%s.tmp", state_dir, STATUS_FILE);
	char *path = xasprintf("%s/%s", state_dir, STATUS_FILE);
	struct sbuf b;
	int fd, rc = -1;

	sbuf_init(&b);
	status_format(st, &b);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd >= 0 && status_put(fd, &b) == 0 && close(fd) == 0) {
		fd = -1;
		if (rename(tmp, path) == 0)
			rc = 0;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		if (status_in_place(path, &b) == 0)
			rc = 0;
	}
	sbuf_free(&b);
	free(tmp);
	free(path);
	return rc;
}

static long long status_num(const char *s);

/* "UID<TAB>NEXT<TAB>LABEL<TAB>REPLY", the last fields possibly absent. */
static void status_read_waiting(struct status *st, char *v)
{
	char *f[4] = { v, NULL, NULL, NULL };
	int i;

	for (i = 1; i < 4 && f[i - 1] != NULL; i++) {
		f[i] = strchr(f[i - 1], '\t');
		if (f[i] != NULL)
			*f[i]++ = '\0';
	}
	status_add_waiting(st, (unsigned)status_num(f[0]), f[1] ? (time_t)status_num(f[1]) : 0,
	    f[2] ? f[2] : "", f[3] ? f[3] : "");
}

/* "STARTED<TAB>TOTAL<TAB>DONE<TAB>SENT" of the Outbox pass. */
static void status_read_pass(struct status *st, char *v)
{
	long long f[4] = { 0, 0, 0, 0 };
	char *p = v, *t;
	int i;

	for (i = 0; i < 4 && p != NULL; i++) {
		t = strchr(p, '\t');
		if (t != NULL)
			*t++ = '\0';
		f[i] = status_num(p);
		p = t;
	}
	st->pass_started = (time_t)f[0];
	st->pass_total = (long)f[1];
	st->pass_done = (long)f[2];
	st->pass_sent = (long)f[3];
}

static long long status_num(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	return (*end == '\0' && end != s) ? v : 0;
}

/* The outage and permit lines (issue 8); 1 when line was one of them. */
static int status_read_outage(struct status *st, const char *line, const char *v)
{
	if (strcmp(line, "outage_since") == 0)
		st->outage_since = (time_t)status_num(v);
	else if (strcmp(line, "outage_server") == 0)
		status_set_text(st->outage_server, sizeof(st->outage_server), v);
	else if (strcmp(line, "permits_ending") == 0)
		status_set_text(st->permits_ending, sizeof(st->permits_ending), v);
	else if (strcmp(line, "in_forwarded") == 0)
		st->in_forwarded = (unsigned long)status_num(v);
	else if (strcmp(line, "in_reviewed") == 0)
		st->in_reviewed = (unsigned long)status_num(v);
	else if (strcmp(line, "in_deleted") == 0)
		st->in_deleted = (unsigned long)status_num(v);
	else if (strcmp(line, "in_waiting") == 0)
		st->in_waiting = (long)status_num(v);
	else
		return 0;
	return 1;
}

int status_read(const char *state_dir, struct status *st, char *err, size_t errlen)
{
	char *path = xasprintf("%s/%s", state_dir, STATUS_FILE), *buf, *line, *save = NULL;
	size_t len;

	status_init(st);
	buf = file_read(path, 1 << 20, &len);
	if (buf == NULL) {
		if (errno == ENOENT)
			snprintf(err, errlen, "%s: no status: the daemon has not run", path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, '\t');

		if (v == NULL)
			continue;
		*v++ = '\0';
		if (status_read_outage(st, line, v))
			continue;
		if (strcmp(line, "updated") == 0)
			st->updated = (time_t)status_num(v);
		else if (strcmp(line, "pid") == 0)
			st->pid = (pid_t)status_num(v);
		else if (strcmp(line, "interval") == 0)
			st->interval = (int)status_num(v);
		else if (strcmp(line, "policy_version") == 0)
			status_set_text(st->policy_version, sizeof(st->policy_version), v);
		else if (strcmp(line, "policy_loaded") == 0)
			st->policy_loaded = (time_t)status_num(v);
		else if (strcmp(line, "imap_ok") == 0)
			st->imap_ok = (time_t)status_num(v);
		else if (strcmp(line, "imap_fail") == 0)
			st->imap_fail = (time_t)status_num(v);
		else if (strcmp(line, "imap_error") == 0)
			status_set_text(st->imap_error, sizeof(st->imap_error), v);
		else if (strcmp(line, "smtp_ok") == 0)
			st->smtp_ok = (time_t)status_num(v);
		else if (strcmp(line, "smtp_fail") == 0)
			st->smtp_fail = (time_t)status_num(v);
		else if (strcmp(line, "smtp_error") == 0)
			status_set_text(st->smtp_error, sizeof(st->smtp_error), v);
		else if (strcmp(line, "held") == 0)
			st->held = (long)status_num(v);
		else if (strcmp(line, "busy") == 0)
			st->busy = (int)status_num(v);
		else if (strcmp(line, "pass") == 0)
			status_read_pass(st, v);
		else if (strcmp(line, "log_fail") == 0)
			st->log_fail = (time_t)status_num(v);
		else if (strcmp(line, "log_error") == 0)
			status_set_text(st->log_error, sizeof(st->log_error), v);
		else if (strcmp(line, "waiting") == 0)
			status_read_waiting(st, v);
	}
	free(buf);
	return 0;
}
