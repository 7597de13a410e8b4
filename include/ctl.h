/*
 * ctl - the commands of mailgatectl.
 *
 * main() (src/mailgatectl.c) takes "-c FILE" before or after the command,
 * answers --version, --help and "COMMAND --help" itself, validates the whole
 * configuration first (exit 2 on any error; setup reads it itself), then
 * calls the command's function with the remaining words: argv[0] is the
 * command word ("check-message", "policy", "log", ...), options and
 * operands follow. optind is reset, so a command reads its options with
 * ctl_getopt() (getopt_long: "--opt value" and "--opt=value") and its
 * operands from argv[optind]. Each function returns the exit code: 0 success / accepted / valid,
 * 1 not acceptable (rejected, invalid, tampered), 2 usage, configuration or
 * environment error. Errors are printed as one line on stderr.
 *
 * Each command lives in its own src/ctl_*.c; the table in mailgatectl.c
 * lists them.
 */
#ifndef MG_CTL_H
#define MG_CTL_H

#include <time.h>
#include <getopt.h>

#include "config.h"
#include "deptnotice.h"

struct ctl_ctx {
	const char *config_path;
	struct config *cfg;		/* validated; secrets not read; NULL for setup */
};

typedef int ctl_fn(struct ctl_ctx *ctx, int argc, char **argv);

ctl_fn ctl_check_message;	/* ctl_check.c */
ctl_fn ctl_policy;		/* ctl_policy.c: policy check [FILE] */
ctl_fn ctl_template;		/* ctl_policy.c: template show ID */
ctl_fn ctl_log;			/* ctl_log.c: log query|report|verify|head|purge */
ctl_fn ctl_incident;		/* ctl_log.c: incident misdirected|list */
ctl_fn ctl_config;		/* ctl_config.c: config show */
ctl_fn ctl_setup;		/* ctl_setup.c: setup */
ctl_fn ctl_held;		/* ctl_held.c: held list|release|discard */
ctl_fn ctl_log_verify;		/* ctl_verify.c: log verify (argv[0] "log") */
ctl_fn ctl_log_head;		/* ctl_verify.c: log head */
ctl_fn ctl_log_key;		/* ctl_verify.c: log key */
ctl_fn ctl_log_purge;		/* ctl_verify.c: log purge */
ctl_fn ctl_mode;		/* ctl_mode.c */
ctl_fn ctl_status;		/* ctl_status.c */
ctl_fn ctl_check_servers;	/* ctl_status.c */
ctl_fn ctl_clerical;		/* ctl_clerical.c: clerical list|show|done */

/* ctl_mode.c: prints the department notice k (mode clerical, mode resume, clerical list). */
void ctl_mode_notice(const struct config *cfg, enum dn_kind k, const char *reason, time_t since);
/* ctl_mode.c: when the trouble began: the open outage's start if earlier than mode_since. */
struct sendlog;
time_t ctl_notice_since(struct sendlog *sl, time_t mode_since);
ctl_fn ctl_caseload;		/* ctl_caseload.c: caseload import|show|find */

/* Prints "mailgatectl: TEXT" and returns 2 (usage errors). */
int ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * getopt_long over a command's words (long options only): the option's
 * val, -1 after the last option, or '?' once "mailgatectl: CMD: ..." is
 * printed for an unknown option or a missing value (the caller returns 2).
 */
int ctl_getopt(int argc, char **argv, const struct option *opts);

#endif
