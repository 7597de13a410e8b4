/*
 * mailgatectl - everything a person does with mailgate: check the policy,
 * dry-run a message, query and verify the send log, see status, change the
 * mode, release held messages, record incidents, set up an installation.
 *
 * Usage: mailgatectl [-c FILE] COMMAND [ARGS...] [-c FILE]
 *        mailgatectl --version | --help;  mailgatectl COMMAND --help
 * The configuration is validated before any command runs (setup and --help
 * excepted); commands are in src/ctl_*.c (see ctl.h).
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "diag.h"

enum ctl_needs { CTL_VALID_CONFIG, CTL_OWN_CONFIG };

static const struct ctl_cmd {
	const char *name;
	ctl_fn *fn;
	enum ctl_needs needs;
	const char *usage;	/* continuation lines start with a newline and four spaces */
} ctl_cmds[] = {
	{ "check-message", ctl_check_message, CTL_VALID_CONFIG,
	    "check-message FILE.eml [--at=YYYY-MM-DD] [--json]" },
	{ "policy", ctl_policy, CTL_VALID_CONFIG,
	    "policy check [FILE]\n  policy show [--at=YYYY-MM-DD] [--process=ID]" },
	{ "template", ctl_template, CTL_VALID_CONFIG, "template show ID" },
	{ "config", ctl_config, CTL_VALID_CONFIG, "config show" },
	{ "setup", ctl_setup, CTL_OWN_CONFIG, "setup [--user=USER] [--group=GROUP] [--dry-run]" },
	{ "log", ctl_log, CTL_VALID_CONFIG,
	    "log query [--since D] [--until D] [--process ID]\n"
	    "    [--recipient ADDR] [--org ID] [--class C] [--direction out|forward]\n"
	    "    [--message-id ID] [--nino NINO] [--outcome O] [--format table|csv|json]\n"
	    "  log report --month YYYY-MM [--format F]\n"
	    "  log verify [--head HEX | --heads FILE | --journal]\n"
	    "  log head [--signed] | log key | log purge" },
	{ "incident", ctl_incident, CTL_VALID_CONFIG,
	    "incident misdirected --message-id ID\n"
	    "    --recipient ADDR --action alerted|deletion-requested|deletion-confirmed|note\n"
	    "    [--note TEXT] [--not-in-log]\n"
	    "  incident list" },
	{ "mode", ctl_mode, CTL_VALID_CONFIG,
	    "mode [clerical --reason=TEXT |\n"
	    "    suspend --reason=TEXT | resume --department-informed=TEXT]" },
	{ "held", ctl_held, CTL_VALID_CONFIG,
	    "held list [--format=table|json]\n"
	    "  held release MESSAGE-ID --reason=TEXT [--resend]\n"
	    "  held discard MESSAGE-ID --reason=TEXT" },
	{ "status", ctl_status, CTL_VALID_CONFIG,
	    "status [--json | --format=text|json|prometheus]" },
	{ "check-servers", ctl_check_servers, CTL_VALID_CONFIG, "check-servers" },
	{ "clerical", ctl_clerical, CTL_VALID_CONFIG,
	    "clerical list [--format=table|csv|json]\n"
	    "  clerical show ID | clerical done ID --note=TEXT" },
	{ "caseload", ctl_caseload, CTL_VALID_CONFIG,
	    "caseload import FILE.csv [--replace]\n  caseload show | caseload find NINO" },
};

#define CTL_NCMDS (sizeof(ctl_cmds) / sizeof(ctl_cmds[0]))

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

int
ctl_getopt(int argc, char **argv, const struct option *opts)
{
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, ":", opts, NULL);
	if (c == '?') {
		ctl_usage_error("%s: unknown option '%s' (see mailgatectl %s --help)", argv[0],
		    argv[optind - 1], argv[0]);
		return '?';
	}
	if (c == ':') {
		ctl_usage_error("%s: %s needs a value", argv[0], argv[optind - 1]);
		return '?';
	}
	return c;
}

static void
ctl_print_usage(FILE *fp)
{
	size_t i;

	fputs("usage: mailgatectl [-c FILE] COMMAND ...\n"
	    "       mailgatectl --version | --help | COMMAND --help\ncommands:\n", fp);
	for (i = 0; i < CTL_NCMDS; i++)
		fprintf(fp, "  %s\n", ctl_cmds[i].usage);
}

/* Removes every "-c FILE", "--config FILE" and "--config=FILE"; returns the new argc. */
static int
ctl_take_config(int argc, char **argv, const char **path, int *err)
{
	int i, j = 0;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				argv[j++] = argv[i++];
			break;
		}
		if (strncmp(argv[i], "--config=", 9) == 0) {
			*path = argv[i] + 9;
			continue;
		}
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

/* 1 when a word of the command (before "--") asks for its help. */
static int
ctl_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

static int
ctl_run(const struct ctl_cmd *cmd, const char *path, int argc, char **argv)
{
	struct config cfg;
	struct ctl_ctx ctx;
	struct diag d;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	ctx.config_path = path;
	ctx.cfg = NULL;
	if (cmd->needs == CTL_VALID_CONFIG) {
		diag_init(&d);
		rc = config_load(path, &cfg, &d);
		diag_print(&d, stderr);
		diag_free(&d);
		if (rc < 0) {
			config_free(&cfg);
			return 2;
		}
		ctx.cfg = &cfg;
	}
	optind = 0;	/* each command parses its words afresh with ctl_getopt */
	rc = cmd->fn(&ctx, argc, argv);
	config_free(&cfg);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *path = CONFIG_DEFAULT_PATH;
	const struct ctl_cmd *cmd = NULL;
	size_t i;
	int err = 0;

	argc = ctl_take_config(argc - 1, argv + 1, &path, &err);
	argv++;
	if (err)
		return err;
	if (argc >= 1 && strcmp(argv[0], "--version") == 0) {
		printf("mailgatectl %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (argc < 1 || strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0) {
		ctl_print_usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? 2 : 0;
	}
	for (i = 0; i < CTL_NCMDS; i++)
		if (strcmp(argv[0], ctl_cmds[i].name) == 0)
			cmd = &ctl_cmds[i];
	if (cmd == NULL)
		return ctl_usage_error("unknown command '%s' (see mailgatectl --help)", argv[0]);
	if (ctl_wants_help(argc, argv)) {
		printf("usage: mailgatectl [-c FILE] %s\n", cmd->usage);
		return 0;
	}
	return ctl_run(cmd, path, argc, argv);
}
