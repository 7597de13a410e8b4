/*
 * ctl_mode - "mailgatectl mode [clerical --reason TEXT | suspend --reason
 * TEXT | resume --department-informed TEXT]": shows or changes whether
 * mailgate may send. Changing needs the owner of state_dir; resuming is
 * refused without the text saying how the department was told.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "ctl_common.h"
#include "mode.h"

static int
mode_show(struct sendlog *sl)
{
	struct mode_state m;
	char ts[21];

	if (mode_get(sl, &m) < 0)
		return 2;
	if (m.since == 0) {
		printf("normal\n");
		return 0;
	}
	sendlog_time(m.since, ts);
	printf("%s since %s by %s: %s\n", mode_name(m.mode), ts, m.who, m.reason);
	return 0;
}

int
ctl_mode(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "department-informed", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct sendlog *sl;
	enum mg_mode to;
	const char *want, *text = NULL;
	char who[64], err[512];
	int rc, c, given = 0;

	while ((c = ctl_getopt(argc, argv, opts)) != -1) {
		if (c != 'r' && c != 'd')
			return 2;
		given = c;
		text = optarg;
	}
	if (optind == argc && given == 0) {
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
	if (!ctl_may_write(ctx->cfg) || (sl = ctl_open_log(ctx->cfg, 1, 0)) == NULL)
		return 2;
	rc = mode_set(sl, to, text, ctl_who(who, sizeof(who)), time(NULL), err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "mailgatectl: mode: %s\n", err);
	else
		mode_show(sl);
	sendlog_close(sl);
	return rc < 0 ? 2 : 0;
}
