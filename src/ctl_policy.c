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

#include "ctl.h"
#include "diag.h"
#include "policy.h"
#include "template.h"

int
ctl_policy(struct ctl_ctx *ctx, int argc, char **argv)
{
	const char *file = ctx->cfg->policy_file;
	struct policy *p = NULL;
	struct diag d;
	int rc;

	if (argc < 2 || strcmp(argv[1], "check") != 0)
		return ctl_usage_error("usage: mailgatectl policy check [FILE]");
	if (argc > 3 || (argc == 3 && argv[2][0] == '-'))
		return ctl_usage_error("usage: mailgatectl policy check [FILE]");
	if (argc == 3)
		file = argv[2];
	diag_init(&d);
	rc = policy_load(file, ctx->cfg->template_dir, &p, &d) < 0 ? 1 : 0;
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
