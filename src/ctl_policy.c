/*
 * ctl_policy - "mailgatectl policy check [FILE]" and "mailgatectl template
 * show ID".
 *
 * policy check validates the policy (default: the configured policy_file)
 * and every template it names, printing every error and warning with file
 * and line: exit 0 valid (warnings allowed), 1 invalid, 2 usage. template
 * show prints the standard subject staff must use (from the policy, when
 * it loads) and the blank form to copy; exit 2 for an unknown id.
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

#define POLICY_USAGE "usage: mailgatectl policy check [FILE] | policy show [--at=YYYY-MM-DD] " \
	"[--process=ID]"

/* Only operands: an option is a usage error, "--help" is main's. */
static int
pol_operands(int argc, char **argv)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };

	return ctl_getopt(argc, argv, none) == -1 ? 0 : 2;
}

/* policy show: for a day (default today, Europe/London), the processes, forms, inboxes, permits. */
static int
ctl_policy_show(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "at", required_argument, NULL, 'a' },
		{ "process", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *process = NULL;
	struct policy *p = NULL;
	mgday day = mgday_today_london(time(NULL));
	struct diag d;
	int c, rc;

	while ((c = ctl_getopt(argc, argv, opts)) != -1) {
		if (c == 'a' && !mgday_parse_iso(optarg, &day))
			return ctl_usage_error("policy show: --at '%s' is not a date (YYYY-MM-DD)",
			    optarg);
		else if (c == 'p')
			process = optarg;
		else if (c != 'a')
			return 2;
	}
	if (optind != argc - 1)
		return ctl_usage_error(POLICY_USAGE);
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
	int rc, n;

	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return ctl_policy_show(ctx, argc, argv);
	if (pol_operands(argc, argv) != 0)
		return 2;
	n = argc - optind;
	if (n < 1 || n > 2 || strcmp(argv[optind], "check") != 0)
		return ctl_usage_error(POLICY_USAGE);
	if (n == 2)
		file = argv[optind + 1];
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

/* The standard subjects of the forms that use template id, one line each. */
static void
tpl_subjects(const struct config *cfg, const char *id, FILE *fp)
{
	struct policy *p = NULL;
	struct diag d;
	size_t i, j, n = 0;

	diag_init(&d);
	if (policy_load(cfg->policy_file, cfg->template_dir, &p, &d) < 0 || p == NULL) {
		fprintf(fp, "Subject: (the policy does not load: see mailgatectl policy check)\n");
		diag_free(&d);
		policy_free(p);
		return;
	}
	diag_free(&d);
	for (i = 0; i < p->nprocesses; i++)
		for (j = 0; j < p->processes[i].nforms; j++)
			if (p->processes[i].forms[j].template_id != NULL &&
			    strcmp(p->processes[i].forms[j].template_id, id) == 0) {
				fprintf(fp, "Subject: %s\n", p->processes[i].forms[j].subject);
				n++;
			}
	if (n == 0)
		fprintf(fp, "Subject: (no form of the policy uses this template)\n");
	else
		fputs("Use this subject exactly; never add a name or a National Insurance number.\n\n", fp);
	policy_free(p);
}

int
ctl_template(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct template *t;
	struct diag d;

	if (pol_operands(argc, argv) != 0)
		return 2;
	if (argc - optind != 2 || strcmp(argv[optind], "show") != 0)
		return ctl_usage_error("usage: mailgatectl template show ID");
	diag_init(&d);
	if (template_load(ctx->cfg->template_dir, argv[optind + 1], &t, &d) < 0) {
		diag_print(&d, stderr);
		diag_free(&d);
		return 2;
	}
	diag_free(&d);
	tpl_subjects(ctx->cfg, argv[optind + 1], stdout);
	template_show(t, stdout);
	template_free(t);
	return fflush(stdout) == 0 ? 0 : 2;
}
