/*
 * ctl_mode - "mailgatectl mode [clerical --reason TEXT | suspend --reason
 * TEXT | resume --department-informed TEXT]": shows or changes whether
 * mailgate may send. Changing needs the owner of state_dir; resuming is
 * refused without the text saying how the department was told. Entering
 * clerical mode prints the notice of the outage for the department
 * (notice-outage.txt, seed ¶59), resuming the notice of the return to email
 * (notice-return.txt, ¶60), for staff to send by the clerical route. On a
 * fresh state_dir (the daemon never ran) the mode is normal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "ctl_common.h"
#include "deptnotice.h"
#include "diag.h"
#include "mode.h"
#include "outage.h"
#include "state.h"
#include "policy.h"
#include "safeout.h"

static int mode_show(struct sendlog *sl)
{
	struct mode_state m;
	char ts[21];

	if (mode_get(sl, &m) < 0) {
		fprintf(stderr, "mode: error: the mode cannot be read from the send log\n");
		return 2;
	}
	if (m.since == 0) {
		printf("normal\n");
		return 0;
	}
	sendlog_time(m.since, ts);
	printf("%s since %s by %s: %s\n", mode_name(m.mode), ts, m.who, m.reason);
	return 0;
}

/*
 * Prints the department notice k. The designated inbox comes from the
 * policy; the mode works without one, so a broken policy only leaves the
 * address out (with a warning).
 */
void ctl_mode_notice(const struct config *cfg, enum dn_kind k, const char *reason, time_t since)
{
	struct policy *p = NULL;
	struct diag d;
	struct sbuf b;
	struct dn_fields f;
	char err[512];

	diag_init(&d);
	if (policy_load(cfg->policy_file, cfg->template_dir, &p, &d) < 0 || p == NULL)
		fprintf(stderr, "%s: warning: the policy cannot be loaded: the notice leaves out "
		    "the designated inbox\n", cfg->policy_file);
	diag_free(&d);
	memset(&f, 0, sizeof(f));
	f.designated_inbox = p ? p->designated_address : NULL;
	f.reason = reason;
	f.since = since;
	f.today = time(NULL);
	sbuf_init(&b);
	if (deptnotice_draft(cfg->template_dir, k, &f, &b, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
	} else {
		printf("\n--- %s: notice to the department, to send by the clerical route ---\n",
		    k == DN_OUTAGE ? "clerical methods" : "return to email");
		fwrite(b.data, 1, b.len, stdout);
		printf("--- end of notice ---\n");
	}
	sbuf_free(&b);
	policy_free(p);
}

time_t ctl_notice_since(struct sendlog *sl, time_t mode_since)
{
	struct outage o;
	char *v = NULL;
	time_t since = mode_since;

	/* an automatic clerical mode: the problem began with the outage, not the mode */
	if (state_get(sl, "outage", &v) == 1 && outage_decode(v, &o) == 0 && o.started != 0 &&
	    (since == 0 || o.started < since))
		since = o.started;
	free(v);
	return since;
}

/*
 * Resuming: the department's re-introduction notice that came since email
 * stopped, named; or that none came (staff resume on the department's word
 * by another route, as before). It never stops the resume.
 */
static void mode_say_reintro(struct sendlog *sl, const struct mode_state *before)
{
	struct mode_reintro r;
	char ts[21], since[21];
	int rc = mode_reintro_get(sl, &r);

	sendlog_time(before->since, since);
	if (rc == 1 && r.when >= before->since) {
		char *id = safeout_term_dup(r.message_id), *from = safeout_term_dup(r.from);

		sendlog_time(r.when, ts);
		printf("resuming after the department's re-introduction notice <%s> from %s at %s\n",
		    id, from, ts);
		free(id);
		free(from);
	} else if (rc < 0) {
		fprintf(stderr, "mailgatectl: mode: warning: the re-introduction notice cannot be "
		    "read; resuming\n");
	} else {
		printf("resuming: no re-introduction notice from the department was received "
		    "since %s %s\n", mode_name(before->mode), before->since ? since : "began");
	}
}

static int mode_change(struct ctl_ctx *ctx, enum mg_mode to, const char *text)
{
	struct sendlog *sl;
	struct mode_state before, after;
	char who[64], err[512];
	int rc;

	if (!ctl_may_write(ctx->cfg) || (sl = ctl_open_log(ctx->cfg, 1, 0)) == NULL)
		return 2;
	if (mode_get(sl, &before) < 0) {
		fprintf(stderr, "mode: error: the mode cannot be read from the send log\n");
		sendlog_close(sl);
		return 2;
	}
	rc = mode_set(sl, to, text, ctl_who(who, sizeof(who)), time(NULL), err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "mailgatectl: mode: %s\n", err);
	} else {
		if (to == MODE_NORMAL && before.mode != MODE_NORMAL)
			mode_say_reintro(sl, &before);
		mode_show(sl);
		if (mode_get(sl, &after) == 0 && to == MODE_CLERICAL)
			ctl_mode_notice(ctx->cfg, DN_OUTAGE, text, ctl_notice_since(sl, after.since));
		else if (to == MODE_NORMAL && before.mode != MODE_NORMAL)
			ctl_mode_notice(ctx->cfg, DN_RETURN, text, before.since);
	}
	sendlog_close(sl);
	return rc < 0 ? 2 : 0;
}

int ctl_mode(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "department-informed", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct sendlog *sl;
	enum mg_mode to;
	const char *want, *text = NULL;
	int rc, c, given = 0;

	while ((c = ctl_getopt(argc, argv, opts)) != -1) {
		if (c != 'r' && c != 'd')
			return 2;
		given = c;
		text = optarg;
	}
	if (optind == argc && given == 0) {
		if (ctl_log_absent(ctx->cfg)) {
			printf("normal (no send log yet: the daemon has not run)\n");
			return 0;
		}
		if ((sl = ctl_open_log(ctx->cfg, 0, 0)) == NULL)
			return 2;
		rc = mode_show(sl);
		sendlog_close(sl);
		return rc;
	}
	if (optind + 1 != argc)
		return ctl_usage_error("usage: mailgatectl mode [clerical --reason=TEXT | suspend "
		    "--reason=TEXT | resume --department-informed=TEXT]");
	if (strcmp(argv[optind], "clerical") == 0) {
		to = MODE_CLERICAL;
		want = "--reason";
	} else if (strcmp(argv[optind], "suspend") == 0) {
		to = MODE_SUSPENDED;
		want = "--reason";
	} else if (strcmp(argv[optind], "resume") == 0) {
		to = MODE_NORMAL;
		want = "--department-informed";
	} else {
		return ctl_usage_error("mode: unknown mode '%s' (clerical, suspend or resume)",
		    argv[optind]);
	}
	if (given != (to == MODE_NORMAL ? 'd' : 'r') || text[0] == '\0')
		return ctl_usage_error("mode %s needs %s TEXT", argv[optind], want);
	return mode_change(ctx, to, text);
}
