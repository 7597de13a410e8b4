/*
 * ctl_setup - "mailgatectl setup [--user=USER] [--group=GROUP] [--dry-run]"
 * (as root): makes an installation ready to run, as postfix post-install
 * does. It reads the configuration itself (the files it is to create are
 * still missing, which "every command validates the configuration" would
 * refuse), then creates what the configuration names and lacks:
 *
 *	log_key_file	64 hex digits (32 bytes) from getrandom(2), 0640 root:GROUP
 *	*_password_file	empty, 0640 root:GROUP, for the admin to fill
 *	state_dir	2750 USER:mailgate-log (GROUP when there is no mailgate-log), as
 *			tmpfiles.d makes it: set-group-ID, so what the daemon publishes
 *			there belongs to the log's readers
 *
 * It never changes a file that exists, never reads a secret, and finally
 * validates the configuration again and lists what is left to do (empty
 * password files, a missing policy or template folder, the systemd steps).
 * USER and GROUP default to mailgate (systemd-sysusers makes them).
 * Exit 0 ready or only the listed steps left, 2 something could not be
 * created (or usage, or not root).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "diag.h"
#include "util.h"

#define SETUP_KEY_BYTES 32

struct setup_opts {
	const char *user, *group;
	int dry_run;
	uid_t uid;
	gid_t gid, log_gid;
	int todo;		/* steps left, counted as they are printed */
};

static int
setup_parse(int argc, char **argv, struct setup_opts *o)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "group", required_argument, NULL, 'g' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->user = "mailgate";
	o->group = "mailgate";
	while ((c = ctl_getopt(argc, argv, opts)) != -1) {
		if (c == 'u')
			o->user = optarg;
		else if (c == 'g')
			o->group = optarg;
		else if (c == 'n')
			o->dry_run = 1;
		else
			return 2;
	}
	if (optind != argc)
		return ctl_usage_error("usage: mailgatectl setup [--user=USER] [--group=GROUP] "
		    "[--dry-run]");
	return 0;
}

/* The user and groups exist; root (or the owner-to-be itself) runs this. */
static int
setup_ids(struct setup_opts *o)
{
	struct passwd *pw = getpwnam(o->user);
	struct group *gr = getgrnam(o->group), *lg;

	if (pw == NULL || gr == NULL) {
		fprintf(stderr, "mailgatectl: setup: no %s '%s': run systemd-sysusers first "
		    "(mailgate's sysusers.d file makes it), or name another with --%s\n",
		    pw == NULL ? "user" : "group", pw == NULL ? o->user : o->group,
		    pw == NULL ? "user" : "group");
		return 2;
	}
	o->uid = pw->pw_uid;
	o->gid = gr->gr_gid;
	lg = getgrnam("mailgate-log");
	o->log_gid = lg ? lg->gr_gid : o->gid;
	if (!o->dry_run && geteuid() != 0 && geteuid() != o->uid) {
		fprintf(stderr, "mailgatectl: setup: run it as root (it gives files to %s)\n",
		    o->user);
		return 2;
	}
	return 0;
}

/* Creates path (exclusively) with mode, owner root (or the caller) and gid; writes data. */
static int
setup_file(const char *path, const char *data, size_t len, gid_t gid)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int rc = 0;

	if (fd < 0) {
		fprintf(stderr, "%s: error: cannot create it: %s\n", path, strerror(errno));
		return -1;
	}
	if ((len > 0 && write(fd, data, len) != (ssize_t)len) || fchown(fd, geteuid(), gid) < 0 ||
	    fchmod(fd, 0640) < 0 || fsync(fd) < 0)
		rc = -1;
	if (close(fd) < 0)
		rc = -1;
	if (rc < 0) {
		fprintf(stderr, "%s: error: %s\n", path, strerror(errno));
		unlink(path);
	}
	return rc;
}

static int
setup_key(const char *path, const struct setup_opts *o)
{
	unsigned char key[SETUP_KEY_BYTES];
	char hex[2 * SETUP_KEY_BYTES + 2];
	int rc;

	if (o->dry_run) {
		printf("would create %s: a new log key (%d random bytes)\n", path, SETUP_KEY_BYTES);
		return 0;
	}
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
		fprintf(stderr, "%s: error: getrandom: %s\n", path, strerror(errno));
		return -1;
	}
	hex_encode(key, sizeof(key), hex);
	strcat(hex, "\n");
	rc = setup_file(path, hex, strlen(hex), o->gid);
	explicit_bzero(key, sizeof(key));
	explicit_bzero(hex, sizeof(hex));
	if (rc == 0)
		printf("created %s: a new log key, mode 0640 root:%s\n", path, o->group);
	return rc;
}

static void
setup_todo(struct setup_opts *o, const char *fmt, const char *a, const char *b)
{
	if (o->todo++ == 0)
		printf("left to do:\n");
	printf("  - ");
	printf(fmt, a, b);
	printf("\n");
}

/* One secret the configuration names: created when missing, else left as it is. */
static int
setup_secret(const char *key, const char *path, int is_log_key, struct setup_opts *o)
{
	struct stat st;

	if (path == NULL)
		return 0;
	if (strncmp(path, "credential:", 11) == 0) {
		setup_todo(o, "%s = %s: the unit's LoadCredential= must name an existing file",
		    key, path);
		return 0;
	}
	if (stat(path, &st) == 0) {
		if (!is_log_key && st.st_size == 0)
			setup_todo(o, "write the password into %s (%s), one line", path, key);
		return 0;
	}
	if (errno != ENOENT) {
		fprintf(stderr, "%s: error: %s\n", path, strerror(errno));
		return -1;
	}
	if (is_log_key)
		return setup_key(path, o);
	if (o->dry_run)
		printf("would create %s: empty, for the password\n", path);
	else if (setup_file(path, "", 0, o->gid) < 0)
		return -1;
	else
		printf("created %s: empty, mode 0640 root:%s\n", path, o->group);
	setup_todo(o, "write the password into %s (%s), one line", path, key);
	return 0;
}

static int
setup_state_dir(const char *dir, struct setup_opts *o)
{
	struct stat st;

	if (stat(dir, &st) == 0) {
		if (st.st_uid != o->uid)
			setup_todo(o, "%s is not owned by %s: the daemon must own it", dir, o->user);
		return 0;
	}
	if (o->dry_run) {
		printf("would create %s: mode 2750 %s\n", dir, o->user);
		return 0;
	}
	if (mkdir(dir, 0750) < 0 || chown(dir, o->uid, o->log_gid) < 0 || chmod(dir, 02750) < 0) {
		fprintf(stderr, "%s: error: cannot create the state folder: %s\n", dir,
		    strerror(errno));
		return -1;
	}
	printf("created %s: mode 2750 %s\n", dir, o->user);
	return 0;
}

/* What the configuration still lacks after setup, and the steps after it. */
static void
setup_after(const char *path, struct setup_opts *o)
{
	struct config c;
	struct diag d;
	size_t i;

	diag_init(&d);
	if (config_load(path, &c, &d) < 0 || config_require_servers(&c, &d) < 0)
		for (i = 0; i < d.n; i++)
			if (d.items[i].sev == DIAG_ERROR)
				setup_todo(o, "fix %s: %s", d.items[i].file ? d.items[i].file : path,
				    d.items[i].text);
	diag_free(&d);
	config_free(&c);
	setup_todo(o, "check the policy and the servers: %s%s",
	    "mailgatectl policy check && mailgatectl check-servers", "");
	setup_todo(o, "start the daemon: %s%s", "systemctl enable --now mailgated", "");
}

int
ctl_setup(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct setup_opts o;
	struct config c;
	struct diag d;
	int rc;

	if ((rc = setup_parse(argc, argv, &o)) != 0 || (rc = setup_ids(&o)) != 0)
		return rc;
	if (access(ctx->config_path, R_OK) < 0) {
		fprintf(stderr, "%s: error: cannot read the configuration: %s (copy the example "
		    "first)\n", ctx->config_path, strerror(errno));
		return 2;
	}
	diag_init(&d);
	/* errors about the very files setup creates are expected here; setup_after reports */
	config_load(ctx->config_path, &c, &d);
	diag_free(&d);
	rc = setup_secret("log_key_file", c.log_key_file, 1, &o) < 0 ||
	    setup_secret("imap_password_file", c.imap_password_file, 0, &o) < 0 ||
	    setup_secret("smtp_password_file", c.smtp_user ? c.smtp_password_file : NULL, 0, &o) < 0 ||
	    setup_state_dir(c.state_dir, &o) < 0 ? 2 : 0;
	config_free(&c);
	if (rc == 0 && !o.dry_run)
		setup_after(ctx->config_path, &o);
	return rc;
}
