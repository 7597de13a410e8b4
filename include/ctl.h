/*
 * ctl - the commands of mailgatectl.
 *
 * main() (src/mailgatectl.c) takes "-c FILE" before or after the command,
 * validates the whole configuration first (exit 2 on any error), then calls
 * the command's function with the remaining words: argv[0] is the command
 * word ("check-message", "policy", "log", ...), options and operands
 * follow. Each function returns the exit code: 0 success / accepted / valid,
 * 1 not acceptable (rejected, invalid, tampered), 2 usage, configuration or
 * environment error. Errors are printed as one line on stderr.
 *
 * Each command lives in its own src/ctl_*.c; the table in mailgatectl.c
 * lists them.
 */
#ifndef MG_CTL_H
#define MG_CTL_H

#include "config.h"

struct ctl_ctx {
	const char *config_path;
	struct config *cfg;		/* validated; secrets not read */
};

typedef int ctl_fn(struct ctl_ctx *ctx, int argc, char **argv);

ctl_fn ctl_check_message;	/* ctl_check.c */
ctl_fn ctl_policy;		/* ctl_policy.c: policy check [FILE] */
ctl_fn ctl_template;		/* ctl_policy.c: template show ID */
ctl_fn ctl_log;			/* ctl_log.c: log query|report|verify|head|purge */
ctl_fn ctl_incident;		/* ctl_log.c: incident misdirected|list */
ctl_fn ctl_mode;		/* ctl_mode.c */
ctl_fn ctl_status;		/* ctl_status.c */
ctl_fn ctl_check_servers;	/* ctl_status.c */
ctl_fn ctl_caseload;		/* ctl_caseload.c: caseload import|show|find */

/* Prints "mailgatectl: TEXT" and returns 2 (usage errors). */
int ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
