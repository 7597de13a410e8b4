/*
 * config - reads mailgate.conf: "key = value" lines, '#' comments at the
 * start of a line, the value the rest of the line trimmed (spaces allowed,
 * no quoting). Unknown keys, repeated keys and bad values are errors naming
 * the line. Relative paths are taken from the config file's folder.
 *
 * Secrets never stand in the file: *_password_file and log_key_file name a
 * file that must be regular with mode & 0027 == 0, or "credential:NAME" for
 * $CREDENTIALS_DIRECTORY/NAME. config_load() checks the mode of every secret
 * file that is a path; config_read_secret() reads one (credential: included)
 * when a program needs it, stripping one trailing newline.
 *
 *	struct config c; struct diag d; diag_init(&d);
 *	if (config_load(path, &c, &d) < 0) { diag_print(&d, stderr); exit(2); }
 *	... config_free(&c);
 */
#ifndef MG_CONFIG_H
#define MG_CONFIG_H

#include <stddef.h>

#include "diag.h"

#define CONFIG_DEFAULT_PATH SYSCONFDIR "/mailgate/mailgate.conf"

enum tls_mode { TLSM_STARTTLS, TLSM_IMPLICIT, TLSM_NONE };

struct config {
	char *path;			/* the file read */
	char *imap_host, *imap_user, *imap_password_file;
	int imap_port;
	enum tls_mode imap_tls;
	char *smtp_host, *smtp_user, *smtp_password_file;
	int smtp_port;
	enum tls_mode smtp_tls;
	char *tls_ca_file;		/* NULL: the system store */
	char *outbox_folder, *sent_folder, *rejected_folder, *held_folder,
	    *inbox_folder, *review_folder;
	int outbox_settle_seconds;
	char *policy_file;
	char *template_dir;
	char *state_dir;
	char *log_key_file;
	char *log_verify_key;		/* NULL, "sha256:HEX" or a PEM file: the log's pinned key */
	int log_retention_months;
	int poll_interval;
	int command_timeout;		/* seconds one IMAP or SMTP command may take in all */
	int outage_after_seconds;	/* failing this long makes an outage */
};

/* 0 ok, -1 with errors in d. Always leaves c safe to config_free(). */
int config_load(const char *path, struct config *c, struct diag *d);
void config_free(struct config *c);

/*
 * Reads a secret named by a config value (a path or credential:NAME);
 * checks its mode; strips one trailing newline. Returns a malloc'd buffer
 * (caller wipes and frees it) or NULL with a one-line error in err.
 */
char *config_read_secret(const char *value, size_t min_len, size_t *len,
    char *err, size_t errlen);

/*
 * The daemon and check-servers need the servers and the log key: 0 when
 * they are all set, else -1 with one error per missing key.
 */
int config_require_servers(const struct config *c, struct diag *d);

/* 1 when host is a loopback literal or resolves only to loopback addresses. */
int config_host_is_loopback(const char *host);

#endif
