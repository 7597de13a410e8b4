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
	struct sendlog *sl;
	enum mg_mode to;
	const char *want;
	char who[64], err[512];
	int rc;

	if (argc == 1) {
		if ((sl = ctl_open_log(ctx->cfg, 0, 0)) == NULL)
			return 2;
		rc = mode_show(sl);
		sendlog_close(sl);
		return rc;
	}
	if (strcmp(argv[1], "clerical") == 0) {
		to = MODE_CLERICAL;
		want = "--reason";
	} else if (strcmp(argv[1], "suspend") == 0) {
		to = MODE_SUSPENDED;
		want = "--reason";
	} else if (strcmp(argv[1], "resume") == 0) {
		to = MODE_NORMAL;
		want = "--department-informed";
	} else {
		return ctl_usage_error("usage: mailgatectl mode [clerical --reason TEXT | suspend "
		    "--reason TEXT | resume --department-informed TEXT]");
	}
	if (argc != 4 || strcmp(argv[2], want) != 0 || argv[3][0] == '\0')
		return ctl_usage_error("mode %s needs %s TEXT", argv[1], want);
	if (!ctl_may_write(ctx->cfg) || (sl = ctl_open_log(ctx->cfg, 1, 0)) == NULL)
		return 2;
	rc = mode_set(sl, to, argv[3], ctl_who(who, sizeof(who)), time(NULL), err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "mode: error: %s\n", err);
	else
		mode_show(sl);
	sendlog_close(sl);
	return rc < 0 ? 2 : 0;
}
