/*
 * mailgatectl - everything a person does with mailgate: check the policy,
 * dry-run a message, query and verify the send log, see status, change the
 * mode, record incidents.
 *
 * Usage: mailgatectl [-c FILE] COMMAND [ARGS...] [-c FILE]
 * The configuration is validated before any command runs; commands are in
 * src/ctl_*.c (see ctl.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "diag.h"

static const struct ctl_cmd {
	const char *name;
	ctl_fn *fn;
	const char *usage;
} ctl_cmds[] = {
	{ "check-message", ctl_check_message, "check-message FILE.eml [--at YYYY-MM-DD] [--json]" },
	{ "policy", ctl_policy, "policy check [FILE]" },
	{ "template", ctl_template, "template show ID" },
	{ "log", ctl_log, "log query [--since D] [--until D] [--process ID] [--recipient ADDR] "
	    "[--org ID] [--class C] [--direction out|forward] [--message-id ID] [--nino NINO] "
	    "[--outcome O] [--format table|csv|json] | log report --month YYYY-MM [--format F] | "
	    "log verify [--head HEX] | log head | log purge" },
	{ "incident", ctl_incident, "incident misdirected --message-id ID --recipient ADDR "
	    "--action alerted|deletion-requested|deletion-confirmed|note [--note TEXT] "
	    "[--not-in-log] [--send] | incident list" },
	{ "mode", ctl_mode, "mode [clerical --reason TEXT | suspend --reason TEXT | resume "
	    "--department-informed TEXT]" },
	{ "status", ctl_status, "status [--json]" },
	{ "check-servers", ctl_check_servers, "check-servers" },
	{ "caseload", ctl_caseload, "caseload import FILE.csv [--replace] | caseload show | "
	    "caseload find NINO" },
};

int
ctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("mailgatectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static void
ctl_print_usage(FILE *fp)
{
	size_t i;

	fputs("usage: mailgatectl [-c FILE] COMMAND ...\ncommands:\n", fp);
	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		fprintf(fp, "  %s\n", ctl_cmds[i].usage);
}

/* Removes every "-c FILE" (and "--config FILE") from argv; returns the new argc. */
static int
ctl_take_config(int argc, char **argv, const char **path, int *err)
{
	int i, j = 0;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= argc) {
				*err = ctl_usage_error("%s needs a file", argv[i]);
				return 0;
			}
			*path = argv[++i];
			continue;
		}
		argv[j++] = argv[i];
	}
	argv[j] = NULL;
	return j;
}

int
main(int argc, char **argv)
{
	const char *path = CONFIG_DEFAULT_PATH;
	struct config cfg;
	struct ctl_ctx ctx;
	struct diag d;
	const struct ctl_cmd *cmd = NULL;
	size_t i;
	int err = 0, rc;

	argc = ctl_take_config(argc - 1, argv + 1, &path, &err);
	argv++;
	if (err)
		return err;
	if (argc < 1 || strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0) {
		ctl_print_usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? 2 : 0;
	}
	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		if (strcmp(argv[0], ctl_cmds[i].name) == 0)
			cmd = &ctl_cmds[i];
	if (cmd == NULL) {
		ctl_print_usage(stderr);
		return ctl_usage_error("unknown command '%s'", argv[0]);
	}

	diag_init(&d);
	if (config_load(path, &cfg, &d) < 0) {
		diag_print(&d, stderr);
		diag_free(&d);
		config_free(&cfg);
		return 2;
	}
	diag_print(&d, stderr);
	diag_free(&d);

	ctx.config_path = path;
	ctx.cfg = &cfg;
	rc = cmd->fn(&ctx, argc, argv);
	config_free(&cfg);
	return rc;
}
