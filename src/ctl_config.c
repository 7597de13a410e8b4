/*
 * ctl_config - "mailgatectl config show": the effective configuration, as
 * postconf -n or doveconf -n give it: every key with the value in force
 * (defaults filled in, relative paths made absolute), in mailgate.conf's
 * own syntax, so the output is itself a valid configuration. Secrets stand
 * as the paths (or credential:NAME) that name them, never their contents;
 * a key without a value is shown as a comment. Reads no secret.
 */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

enum cfg_kind { CFG_STR, CFG_PATH, CFG_INT, CFG_TLS };

static const struct cfg_show {
	const char *name;
	enum cfg_kind kind;
	size_t off;
} cfg_shown[] = {
#define S(n, k) { #n, k, offsetof(struct config, n) }
	S(imap_host, CFG_STR), S(imap_port, CFG_INT), S(imap_tls, CFG_TLS),
	S(imap_user, CFG_STR), S(imap_password_file, CFG_PATH),
	S(smtp_host, CFG_STR), S(smtp_port, CFG_INT), S(smtp_tls, CFG_TLS),
	S(smtp_user, CFG_STR), S(smtp_password_file, CFG_PATH),
	S(tls_ca_file, CFG_PATH),
	S(outbox_folder, CFG_STR), S(sent_folder, CFG_STR), S(rejected_folder, CFG_STR),
	S(held_folder, CFG_STR), S(inbox_folder, CFG_STR), S(review_folder, CFG_STR),
	S(outbox_settle_seconds, CFG_INT), S(policy_file, CFG_PATH), S(template_dir, CFG_PATH),
	S(state_dir, CFG_PATH), S(log_key_file, CFG_PATH), S(log_verify_key, CFG_PATH),
	S(log_retention_months, CFG_INT), S(poll_interval, CFG_INT),
	S(command_timeout, CFG_INT), S(outage_after_seconds, CFG_INT),
#undef S
};

static const char *
cfg_tls_name(enum tls_mode m)
{
	switch (m) {
	case TLSM_STARTTLS:
		return "starttls";
	case TLSM_IMPLICIT:
		return "implicit";
	case TLSM_NONE:
		return "none";
	}
	return NULL;
}

static int
cfg_show_one(const struct config *c, const struct cfg_show *k, FILE *fp)
{
	const char *base = (const char *)c + k->off;
	const char *s;
	char abs[PATH_MAX];

	switch (k->kind) {
	case CFG_PATH:
		s = *(char *const *)(const void *)base;
		/* as the programs will open it; a missing file keeps the configured spelling */
		if (s != NULL && strncmp(s, "credential:", 11) != 0 && realpath(s, abs) != NULL)
			return fprintf(fp, "%s = %s\n", k->name, abs);
		/* FALLTHROUGH */
	case CFG_STR:
		s = *(char *const *)(const void *)base;
		if (s == NULL)
			return fprintf(fp, "# %s is not set\n", k->name);
		return fprintf(fp, "%s = %s\n", k->name, s);
	case CFG_INT:
		return fprintf(fp, "%s = %d\n", k->name, *(const int *)(const void *)base);
	case CFG_TLS:
		s = cfg_tls_name(*(const enum tls_mode *)(const void *)base);
		if (s == NULL) {
			fprintf(stderr, "mailgatectl: config: internal error: %s has no TLS mode\n",
			    k->name);
			return -1;
		}
		return fprintf(fp, "%s = %s\n", k->name, s);
	}
	return -1;
}

int
ctl_config(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	size_t i;

	if (ctl_getopt(argc, argv, none) != -1)
		return 2;
	if (argc - optind != 1 || strcmp(argv[optind], "show") != 0)
		return ctl_usage_error("usage: mailgatectl config show");
	printf("# effective configuration of %s\n", ctx->cfg->path);
	for (i = 0; i < sizeof(cfg_shown) / sizeof(cfg_shown[0]); i++)
		if (cfg_show_one(ctx->cfg, &cfg_shown[i], stdout) < 0)
			return 2;
	return fflush(stdout) == 0 ? 0 : 2;
}
