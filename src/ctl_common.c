/*
 * ctl_common - who runs a command, whether they may write the log, and
 * opening it with the configured key; see include/ctl_common.h.
 */
#include "ctl_common.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Copies s into buf, each byte that is not printable ASCII as '?': a name goes to terminals. */
static void
ctl_who_clean(char *buf, size_t len, const char *s)
{
	size_t i;

	for (i = 0; len > 0 && i + 1 < len && s[i]; i++)
		buf[i] = s[i] > 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (len > 0)
		buf[i] = '\0';
}

/* The audit login uid the kernel keeps across su and sudo, or -1 when unset. */
static long long
ctl_loginuid(void)
{
	char text[32] = "";
	FILE *fp = fopen("/proc/self/loginuid", "re");
	char *end;
	long long v;

	if (fp == NULL)
		return -1;
	if (fgets(text, sizeof(text), fp) == NULL)
		text[0] = '\0';
	fclose(fp);
	errno = 0;
	v = strtoll(text, &end, 10);
	/* (uid_t)-1 is "never set" (a daemon, a container) */
	if (errno || end == text || v < 0 || v >= 4294967295LL)
		return -1;
	return v;
}

/* SUDO_USER when SUDO_UID names the same account, else NULL: a lone SUDO_USER is a claim. */
static const char *
ctl_sudo_user(void)
{
	const char *user = getenv("SUDO_USER"), *uid = getenv("SUDO_UID");
	struct passwd *pw;
	char *end;
	unsigned long v;

	if (user == NULL || *user == '\0' || uid == NULL || *uid < '0' || *uid > '9')
		return NULL;
	errno = 0;
	v = strtoul(uid, &end, 10);
	if (errno || *end || (pw = getpwnam(user)) == NULL || (unsigned long)pw->pw_uid != v)
		return NULL;
	return user;
}

static void
ctl_uid_name(char *buf, size_t len, uid_t uid)
{
	struct passwd *pw = getpwuid(uid);
	char tmp[256];

	if (pw)
		snprintf(tmp, sizeof(tmp), "%s", pw->pw_name);
	else
		snprintf(tmp, sizeof(tmp), "uid %u", (unsigned)uid);
	ctl_who_clean(buf, len, tmp);
}

const char *
ctl_who(char *buf, size_t len)
{
	long long login = ctl_loginuid();
	const char *sudo;
	char real[128], tmp[300];

	if (login >= 0 && (uid_t)login != getuid()) {
		ctl_uid_name(buf, len, (uid_t)login);
		return buf;
	}
	ctl_uid_name(real, sizeof(real), getuid());
	sudo = login < 0 ? ctl_sudo_user() : NULL;
	if (sudo) {
		ctl_who_clean(tmp, sizeof(tmp), sudo);
		if (strcmp(tmp, real) != 0) {
			/* not proven by the kernel: the account that ran it stays in the record */
			snprintf(buf, len, "%s via %s", tmp, real);
			return buf;
		}
	}
	snprintf(buf, len, "%s", real);
	return buf;
}

int
ctl_may_write(const struct config *cfg)
{
	struct stat st;

	if (stat(cfg->state_dir, &st) < 0) {
		fprintf(stderr, "%s: error: %s\n", cfg->state_dir, strerror(errno));
		return 0;
	}
	if (st.st_uid != geteuid()) {
		fprintf(stderr, "%s: error: only its owner (uid %u) may change the send log; "
		    "run this as that user\n", cfg->state_dir, (unsigned)st.st_uid);
		return 0;
	}
	return 1;
}

/* 1 when the caller owns state_dir (reads the live log), 0 when not (reads the copy). */
static int
ctl_owns_state(const struct config *cfg)
{
	struct stat st;

	return stat(cfg->state_dir, &st) == 0 && st.st_uid == geteuid();
}

/* Says how old the readers' copy is when the daemon seems to have stopped publishing it. */
static void
ctl_copy_age(const struct config *cfg, const struct sendlog *sl)
{
	time_t at = sendlog_copy_time(sl), now = time(NULL);
	char ts[21];

	if (at == 0 || now - at <= CTL_COPY_STALE)
		return;
	sendlog_time(at, ts);
	fprintf(stderr, "%s/%s: note: this copy of the send log is %lld minutes old (published "
	    "%s); the daemon publishes it every minute while it runs\n", cfg->state_dir,
	    SENDLOG_COPY_NAME, (long long)(now - at) / 60, ts);
}

struct sendlog *
ctl_open_log(const struct config *cfg, int write, int need_key)
{
	struct sendlog *sl = NULL;
	unsigned char *key = NULL;
	size_t keylen = 0;
	char err[512];
	int flags = write ? SENDLOG_WRITE : ctl_owns_state(cfg) ? SENDLOG_READ :
	    SENDLOG_READ | SENDLOG_COPY;

	if (cfg->log_key_file) {
		key = (unsigned char *)config_read_secret(cfg->log_key_file, 32, &keylen, err, sizeof(err));
		if (key == NULL && need_key) {
			fprintf(stderr, "%s\n", err);
			return NULL;
		}
	} else if (need_key) {
		fprintf(stderr, "%s: error: log_key_file is not set\n", cfg->path);
		return NULL;
	}
	if (sendlog_open(cfg->state_dir, key, keylen, flags, &sl, err, sizeof(err)) < 0)
		fprintf(stderr, "%s\n", err);
	else if (flags & SENDLOG_COPY)
		ctl_copy_age(cfg, sl);
	if (key) {
		explicit_bzero(key, keylen);
		free(key);
	}
	return sl;
}
