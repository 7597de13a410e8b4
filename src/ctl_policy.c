/*
 * ctl_policy - "mailgatectl policy check [FILE]" and "mailgatectl template
 * show ID".
 *
 * policy check validates the policy (default: the configured policy_file)
 * and every template it names, printing every error and warning with file
 * and line: exit 0 valid (warnings allowed), 1 invalid, 2 usage. template
 * show prints a blank form for staff to copy; exit 2 for an unknown id.
 * Neither reads a secret, opens state_dir, touches the network or writes.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "deptnotice.h"
#include "diag.h"
#include "mgdate.h"
#include "permits.h"
#include "policy.h"
#include "template.h"

#define POLICY_USAGE "usage: mailgatectl policy check [FILE] | policy show [--at YYYY-MM-DD] " \
	"[--process ID]"

/* policy show: for a day (default today, Europe/London), the processes, forms, inboxes, permits. */
static int
ctl_policy_show(struct ctl_ctx *ctx, int argc, char **argv)
{
	const char *process = NULL;
	struct policy *p = NULL;
	mgday day = mgday_today_london(time(NULL));
	struct diag d;
	int i, rc;

	for (i = 2; i < argc; i += 2) {
		if (i + 1 >= argc)
			return ctl_usage_error(POLICY_USAGE);
		if (strcmp(argv[i], "--at") == 0) {
			if (!mgday_parse_iso(argv[i + 1], &day))
				return ctl_usage_error("policy show: --at '%s' is not a date (YYYY-MM-DD)",
				    argv[i + 1]);
		} else if (strcmp(argv[i], "--process") == 0) {
			process = argv[i + 1];
		} else {
			return ctl_usage_error(POLICY_USAGE);
		}
	}
	diag_init(&d);
	if (policy_load(ctx->cfg->policy_file, ctx->cfg->template_dir, &p, &d) < 0 || p == NULL) {
		diag_print(&d, stderr);
		diag_free(&d);
		return 2;
	}
	diag_free(&d);
	rc = permits_show(p, day, process, stdout);
	if (rc < 0)
		fprintf(stderr, "%s: error: no process '%s'\n", ctx->cfg->policy_file, process);
	policy_free(p);
	return rc < 0 ? 2 : 0;
}

int
ctl_policy(struct ctl_ctx *ctx, int argc, char **argv)
{
	const char *file = ctx->cfg->policy_file;
	struct policy *p = NULL;
	struct diag d;
	int rc;

	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return ctl_policy_show(ctx, argc, argv);
	if (argc < 2 || strcmp(argv[1], "check") != 0)
		return ctl_usage_error(POLICY_USAGE);
	if (argc > 3 || (argc == 3 && argv[2][0] == '-'))
		return ctl_usage_error("usage: mailgatectl policy check [FILE]");
	if (argc == 3)
		file = argv[2];
	diag_init(&d);
	rc = policy_load(file, ctx->cfg->template_dir, &p, &d) < 0 ? 1 : 0;
	deptnotice_check(ctx->cfg->template_dir, &d);
	if (d.nerrors > 0 && rc == 0) {
		rc = 1;
		policy_free(p);
		p = NULL;
	}
	diag_print(&d, stderr);
	if (rc == 0)
		printf("%s: valid: %zu processes, %zu templates, %zu warning(s); version %s\n", file,
		    p->nprocesses, p->ntemplates, d.nwarnings, p->version);
	else
		printf("%s: invalid: %zu error(s), %zu warning(s)\n", file, d.nerrors, d.nwarnings);
	diag_free(&d);
	policy_free(p);
	return rc;
}

int
ctl_template(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct template *t;
	struct diag d;

	if (argc != 3 || strcmp(argv[1], "show") != 0)
		return ctl_usage_error("usage: mailgatectl template show ID");
	diag_init(&d);
	if (template_load(ctx->cfg->template_dir, argv[2], &t, &d) < 0) {
		diag_print(&d, stderr);
		diag_free(&d);
		return 2;
	}
	diag_free(&d);
	template_show(t, stdout);
	template_free(t);
	return fflush(stdout) == 0 ? 0 : 2;
}
