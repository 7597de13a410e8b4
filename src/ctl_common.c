/*
 * ctl_common - who runs a command, whether they may write the log, and
 * opening it with the configured key; see include/ctl_common.h.
 */
#include "ctl_common.h"
#include "util.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *
ctl_who(char *buf, size_t len)
{
	const char *s = getenv("SUDO_USER");
	struct passwd *pw;

	if (s && *s)
		snprintf(buf, len, "%s", s);
	else if ((pw = getpwuid(getuid())) != NULL)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid %u", (unsigned)getuid());
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

struct sendlog *
ctl_open_log(const struct config *cfg, int write, int need_key)
{
	struct sendlog *sl = NULL;
	unsigned char *key = NULL;
	size_t keylen = 0;
	char err[512];

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
	if (!write && ctl_log_absent(cfg))
		/* a fresh state_dir: say so, not SQLite's "unable to open database file" */
		fprintf(stderr, "%s: no send log yet (the daemon has not run)\n", cfg->state_dir);
	else if (sendlog_open(cfg->state_dir, key, keylen, write ? SENDLOG_WRITE : SENDLOG_READ,
	    &sl, err, sizeof(err)) < 0)
		fprintf(stderr, "%s\n", err);
	if (key) {
		explicit_bzero(key, keylen);
		free(key);
	}
	return sl;
}

int
ctl_log_absent(const struct config *cfg)
{
	char *path = xasprintf("%s/sendlog.db", cfg->state_dir);
	struct stat st;
	int absent = stat(path, &st) < 0 && errno == ENOENT;

	free(path);
	return absent;
}
