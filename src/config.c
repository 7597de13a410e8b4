/*
 * config - reads and validates mailgate.conf; see include/config.h.
 *
 * Each key has one entry in config_keys[] saying its type and where its
 * value goes, so that parsing, defaults and checks cannot disagree. Every
 * problem is a diagnostic naming the file and line; a config with any error
 * is refused whole.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

enum ck_type { CK_STR, CK_PATH, CK_SECRET, CK_PORT, CK_TLS, CK_UINT, CK_RETENTION, CK_FOLDER,
	CK_PIN };

struct config_key {
	const char *name;
	enum ck_type type;
	size_t off;
};

#define CK(n, t) { #n, t, offsetof(struct config, n) }
static const struct config_key config_keys[] = {
	CK(imap_host, CK_STR), CK(imap_port, CK_PORT), CK(imap_tls, CK_TLS),
	CK(imap_user, CK_STR), CK(imap_password_file, CK_SECRET),
	CK(smtp_host, CK_STR), CK(smtp_port, CK_PORT), CK(smtp_tls, CK_TLS),
	CK(smtp_user, CK_STR), CK(smtp_password_file, CK_SECRET),
	CK(tls_ca_file, CK_PATH),
	CK(outbox_folder, CK_FOLDER), CK(sent_folder, CK_FOLDER), CK(rejected_folder, CK_FOLDER),
	CK(held_folder, CK_FOLDER), CK(inbox_folder, CK_FOLDER), CK(review_folder, CK_FOLDER),
	CK(outbox_settle_seconds, CK_UINT), CK(policy_file, CK_PATH), CK(template_dir, CK_PATH),
	CK(state_dir, CK_PATH), CK(log_key_file, CK_SECRET), CK(log_verify_key, CK_PIN),
	CK(log_retention_months, CK_RETENTION), CK(poll_interval, CK_UINT),
	CK(command_timeout, CK_UINT), CK(outage_after_seconds, CK_UINT),
};
#define CONFIG_NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

static void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->imap_tls = c->smtp_tls = TLSM_STARTTLS;
	c->outbox_folder = xstrdup("Outbox");
	c->sent_folder = xstrdup("Sent");
	c->rejected_folder = xstrdup("Rejected");
	c->held_folder = xstrdup("Held");
	c->inbox_folder = xstrdup("INBOX");
	c->review_folder = xstrdup("Review");
	c->policy_file = xstrdup(SYSCONFDIR "/mailgate/policy.xml");
	c->template_dir = xstrdup(SYSCONFDIR "/mailgate/templates");
	c->state_dir = xstrdup("/var/lib/mailgate");
	c->log_retention_months = 3;
	c->poll_interval = 60;
	c->command_timeout = 60;
	c->outage_after_seconds = 300;
}

void
config_free(struct config *c)
{
	size_t i;

	free(c->path);
	for (i = 0; i < CONFIG_NKEYS; i++) {
		const struct config_key *k = &config_keys[i];

		if (k->type == CK_STR || k->type == CK_PATH || k->type == CK_SECRET ||
		    k->type == CK_FOLDER || k->type == CK_PIN) {
			char **p = (char **)((char *)c + k->off);

			free(*p);
			*p = NULL;
		}
	}
	c->path = NULL;
}

/* Absolute, or relative to the config file's folder. */
static char *
config_path(const char *cfgpath, const char *val)
{
	const char *slash;

	if (val[0] == '/' || strncmp(val, "credential:", 11) == 0)
		return xstrdup(val);
	slash = strrchr(cfgpath, '/');
	if (slash == NULL)
		return xstrdup(val);
	return xasprintf("%.*s/%s", (int)(slash - cfgpath), cfgpath, val);
}

static int
config_uint(const char *v, long max, long *out)
{
	char *end;
	long n;

	if (*v < '0' || *v > '9')
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n > max)
		return 0;
	*out = n;
	return 1;
}

/*
 * The one rule for a secret file, on what fstat (or lstat) said about it:
 * a regular file with mode & 0027 == 0 (no rights for others, no group
 * write). 0, or -1 with the reason in err.
 */
static int
config_secret_mode_ok(const char *path, const struct stat *st, char *err, size_t errlen)
{
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		return -1;
	}
	if (st->st_mode & 0027) {
		snprintf(err, errlen, "%s has mode %04o; a secret must not be readable by others or "
		    "writable by the group (use 0600 or 0640)", path, (unsigned)(st->st_mode & 07777));
		return -1;
	}
	return 0;
}

/*
 * Opens a secret without following a symbolic link (nor blocking on a
 * FIFO) and checks the descriptor it got: what is read later is what was
 * checked. The descriptor, or -1 with err; *eacces tells a file the caller
 * may not read from one that is missing or wrong.
 */
static int
config_secret_open(const char *path, int *eacces, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);

	*eacces = fd < 0 && errno == EACCES;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, errno == ELOOP ?
		    "is a symbolic link; name the file itself" : strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (config_secret_mode_ok(path, &st, err, errlen) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Checks a secret named in the file: the same open as the reader's; a
 * file this user may not read (another program's secret) is judged by
 * lstat, which follows no link either.
 */
static void
config_check_secret(const char *file, long line, const char *key, const char *path,
    struct diag *d)
{
	struct stat st;
	char err[PATH_MAX + 160];
	int fd, eacces;

	if (strncmp(path, "credential:", 11) == 0) {
		if (path[11] == '\0' || strchr(path + 11, '/'))
			diag_add(d, DIAG_ERROR, file, line, "%s: '%s' is not a credential name", key, path);
		return;
	}
	fd = config_secret_open(path, &eacces, err, sizeof(err));
	if (fd >= 0) {
		close(fd);
		return;
	}
	if (eacces && lstat(path, &st) == 0 && config_secret_mode_ok(path, &st, err,
	    sizeof(err)) == 0)
		return;
	diag_add(d, DIAG_ERROR, file, line, "%s: %s", key, err);
}

/*
 * log_verify_key: "sha256:" and the 64 hex digits of the key's
 * fingerprint, or a public key file (outside state_dir, checked where it
 * is used, since state_dir may come later in the file).
 */
static void
config_set_pin(char **dst, const char *file, long line, const char *val, struct diag *d)
{
	size_t i;

	if (*val == '\0') {
		diag_add(d, DIAG_ERROR, file, line, "log_verify_key: empty value");
		return;
	}
	if (strncmp(val, "sha256:", 7) == 0) {
		for (i = 7; val[i] && strchr("0123456789abcdefABCDEF", val[i]); i++)
			;
		if (i != 7 + 64 || val[i] != '\0') {
			diag_add(d, DIAG_ERROR, file, line, "log_verify_key: '%s' is not sha256: and 64 "
			    "hexadecimal digits", val);
			return;
		}
		free(*dst);
		*dst = xstrdup(val);
		return;
	}
	free(*dst);
	*dst = config_path(file, val);
	if (access(*dst, R_OK) < 0)
		diag_add(d, DIAG_ERROR, file, line, "log_verify_key: %s: %s", *dst, strerror(errno));
}

static void
config_set_retention(int *dst, const char *file, long line, const char *val, struct diag *d)
{
	long n;

	if (!config_uint(val, 1200, &n)) {
		diag_add(d, DIAG_ERROR, file, line, "log_retention_months: '%s' is not a number of months",
		    val);
		return;
	}
	if (n < 3) {
		diag_add(d, DIAG_ERROR, file, line,
		    "log_retention_months: %ld is below the three months the department requires", n);
		return;
	}
	*dst = (int)n;
}

static void
config_set(struct config *c, const struct config_key *k, const char *file, long line,
    const char *val, struct diag *d)
{
	void *dst = (char *)c + k->off;
	long n;

	switch (k->type) {
	case CK_STR:
	case CK_FOLDER:
		if (*val == '\0') {
			diag_add(d, DIAG_ERROR, file, line, "%s: empty value", k->name);
			return;
		}
		if (k->type == CK_FOLDER && strpbrk(val, "\"\\*%")) {
			diag_add(d, DIAG_ERROR, file, line, "%s: '%s' is not a usable folder name",
			    k->name, val);
			return;
		}
		free(*(char **)dst);
		*(char **)dst = xstrdup(val);
		return;
	case CK_PATH:
	case CK_SECRET:
		if (*val == '\0') {
			diag_add(d, DIAG_ERROR, file, line, "%s: empty value", k->name);
			return;
		}
		free(*(char **)dst);
		*(char **)dst = config_path(file, val);
		if (k->type == CK_SECRET)
			config_check_secret(file, line, k->name, *(char **)dst, d);
		/* the policy and the templates are checked by what reads them: status, mode and
		 * the log must work while they are missing or broken */
		else if (strcmp(k->name, "state_dir") != 0 && strcmp(k->name, "policy_file") != 0 &&
		    strcmp(k->name, "template_dir") != 0 && access(*(char **)dst, R_OK) < 0)
			diag_add(d, DIAG_ERROR, file, line, "%s: %s: %s", k->name, *(char **)dst,
			    strerror(errno));
		return;
	case CK_PIN:
		config_set_pin((char **)dst, file, line, val, d);
		return;
	case CK_PORT:
		if (!config_uint(val, 65535, &n) || n < 1) {
			diag_add(d, DIAG_ERROR, file, line, "%s: '%s' is not a port (1-65535)", k->name, val);
			return;
		}
		*(int *)dst = (int)n;
		return;
	case CK_TLS:
		if (strcmp(val, "starttls") == 0)
			*(enum tls_mode *)dst = TLSM_STARTTLS;
		else if (strcmp(val, "implicit") == 0)
			*(enum tls_mode *)dst = TLSM_IMPLICIT;
		else if (strcmp(val, "none") == 0)
			*(enum tls_mode *)dst = TLSM_NONE;
		else
			diag_add(d, DIAG_ERROR, file, line,
			    "%s: '%s' must be implicit, starttls or none", k->name, val);
		return;
	case CK_UINT:
		if (!config_uint(val, INT_MAX, &n)) {
			diag_add(d, DIAG_ERROR, file, line, "%s: '%s' is not a whole number", k->name, val);
			return;
		}
		if ((strcmp(k->name, "poll_interval") == 0 || strcmp(k->name, "command_timeout") == 0 ||
		    strcmp(k->name, "outage_after_seconds") == 0) && n < 1) {
			diag_add(d, DIAG_ERROR, file, line, "%s: must be at least 1 second", k->name);
			return;
		}
		*(int *)dst = (int)n;
		return;
	case CK_RETENTION:
		config_set_retention((int *)dst, file, line, val, d);
		return;
	}
}

int
config_host_is_loopback(const char *host)
{
	struct addrinfo hints, *res, *ai;
	struct in6_addr a6;
	struct in_addr a4;
	int ok;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return 0;
	ok = res != NULL;
	for (ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			ok &= (ntohl(((struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr) >> 24) == 127;
		else if (ai->ai_family == AF_INET6)
			ok &= IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr);
		else
			ok = 0;
	}
	freeaddrinfo(res);
	return ok;
}

/* Checks made once every key is known: tls none only on loopback; ports. */
static void
config_finish(struct config *c, const char *file, long imap_tls_line, long smtp_tls_line,
    struct diag *d)
{
	if (c->imap_tls == TLSM_NONE && !(c->imap_host && config_host_is_loopback(c->imap_host)))
		diag_add(d, DIAG_ERROR, file, imap_tls_line,
		    "imap_tls: none is allowed only when imap_host is a loopback address");
	if (c->smtp_tls == TLSM_NONE && !(c->smtp_host && config_host_is_loopback(c->smtp_host)))
		diag_add(d, DIAG_ERROR, file, smtp_tls_line,
		    "smtp_tls: none is allowed only when smtp_host is a loopback address");
	if (c->imap_port == 0)
		c->imap_port = c->imap_tls == TLSM_IMPLICIT ? 993 : 143;
	if (c->smtp_port == 0)
		c->smtp_port = c->smtp_tls == TLSM_IMPLICIT ? 465 : 587;
}

int
config_load(const char *path, struct config *c, struct diag *d)
{
	unsigned char seen[CONFIG_NKEYS];
	long lineno = 0, imap_tls_line = 0, smtp_tls_line = 0;
	size_t before = d->nerrors, len, i;
	char *text, *line, *next;

	config_defaults(c);
	c->path = xstrdup(path);
	memset(seen, 0, sizeof(seen));
	text = file_read(path, 1 << 20, &len);
	if (text == NULL) {
		diag_add(d, DIAG_ERROR, path, 0, "cannot read the configuration: %s", strerror(errno));
		return -1;
	}
	if (memchr(text, '\0', len) != NULL) {
		diag_add(d, DIAG_ERROR, path, 0, "the configuration holds a NUL byte");
		free(text);
		return -1;
	}
	for (line = text; line != NULL; line = next) {
		const struct config_key *k = NULL;
		char *eq, *key, *val;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		if (line[0] == '#')
			continue;
		if (*str_trim(line) == '\0')
			continue;
		eq = strchr(line, '=');
		if (eq == NULL) {
			diag_add(d, DIAG_ERROR, path, lineno, "expected 'key = value'");
			continue;
		}
		*eq = '\0';
		key = str_trim(line);
		val = str_trim(eq + 1);
		for (i = 0; i < CONFIG_NKEYS; i++)
			if (strcmp(config_keys[i].name, key) == 0)
				k = &config_keys[i];
		if (k == NULL) {
			diag_add(d, DIAG_ERROR, path, lineno, "unknown key '%s'", key);
			continue;
		}
		if (seen[k - config_keys]++) {
			diag_add(d, DIAG_ERROR, path, lineno, "'%s' is given twice", key);
			continue;
		}
		if (strcmp(key, "imap_tls") == 0)
			imap_tls_line = lineno;
		if (strcmp(key, "smtp_tls") == 0)
			smtp_tls_line = lineno;
		config_set(c, k, path, lineno, val, d);
	}
	free(text);
	config_finish(c, path, imap_tls_line, smtp_tls_line, d);
	return d->nerrors > before ? -1 : 0;
}

int
config_require_servers(const struct config *c, struct diag *d)
{
	static const struct { const char *name; size_t off; } req[] = {
		{ "imap_host", offsetof(struct config, imap_host) },
		{ "imap_user", offsetof(struct config, imap_user) },
		{ "imap_password_file", offsetof(struct config, imap_password_file) },
		{ "smtp_host", offsetof(struct config, smtp_host) },
		{ "smtp_user", offsetof(struct config, smtp_user) },
		{ "smtp_password_file", offsetof(struct config, smtp_password_file) },
		{ "log_key_file", offsetof(struct config, log_key_file) },
	};
	size_t i, before = d->nerrors;

	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++)
		if (*(char *const *)((const char *)c + req[i].off) == NULL)
			diag_add(d, DIAG_ERROR, c->path, 0, "'%s' must be set", req[i].name);
	return d->nerrors > before ? -1 : 0;
}

/* Reads a whole secret from fd into one buffer that is never copied (realloc would leave copies). */
static char *
config_secret_slurp(int fd, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = xmalloc(cap + 1);
	ssize_t r;

	while (n < cap && (r = read(fd, buf + n, cap - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			explicit_bzero(buf, n);
			free(buf);
			return NULL;
		}
		n += (size_t)r;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

char *
config_read_secret(const char *value, size_t min_len, size_t *len, char *err, size_t errlen)
{
	const char *dir;
	char *path, *buf = NULL;
	size_t n;
	int fd, eacces;

	if (strncmp(value, "credential:", 11) == 0) {
		dir = getenv("CREDENTIALS_DIRECTORY");
		if (dir == NULL || *dir == '\0') {
			snprintf(err, errlen, "%s: $CREDENTIALS_DIRECTORY is not set", value);
			return NULL;
		}
		path = xasprintf("%s/%s", dir, value + 11);
	} else {
		path = xstrdup(value);
	}
	fd = config_secret_open(path, &eacces, err, errlen);
	if (fd < 0)
		goto out;
	buf = config_secret_slurp(fd, &n);
	close(fd);
	if (buf == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n < min_len || n == 0) {
		snprintf(err, errlen, "%s: the secret is too short (%zu bytes; at least %zu)", path,
		    n, min_len ? min_len : 1);
		explicit_bzero(buf, n + 1);
		free(buf);
		buf = NULL;
		goto out;
	}
	*len = n;
out:
	free(path);
	return buf;
}
