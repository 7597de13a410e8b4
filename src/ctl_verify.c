/*
 * ctl_verify - "mailgatectl log verify|head|purge": the proofs of the send
 * log for compliance staff (verify, head; read access is enough) and its
 * retention for its owner (purge).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "ctl_common.h"
#include "sendlog.h"

int
ctl_log_verify(struct ctl_ctx *ctx, int argc, char **argv)
{
	const char *head = NULL;
	struct sendlog *sl;
	char what[512];
	int rc;

	if (argc == 4 && strcmp(argv[2], "--head") == 0)
		head = argv[3];
	else if (argc != 2)
		return ctl_usage_error("usage: mailgatectl log verify [--head HEX]");
	if ((sl = ctl_open_log(ctx->cfg, 0, 0)) == NULL)
		return 2;
	rc = sendlog_verify(sl, head, what, sizeof(what));
	sendlog_close(sl);
	if (rc < 0) {
		fprintf(stderr, "%s/sendlog.db: error: the log cannot be read\n", ctx->cfg->state_dir);
		return 2;
	}
	if (rc > 0) {
		printf("TAMPERED: %s\n", what);
		return 1;
	}
	printf("intact\n");
	return 0;
}

int
ctl_log_head(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct sendlog *sl;
	char head[65];

	(void)argv;
	if (argc != 2)
		return ctl_usage_error("usage: mailgatectl log head");
	if ((sl = ctl_open_log(ctx->cfg, 0, 0)) == NULL)
		return 2;
	if (sendlog_head(sl, head) < 0) {
		sendlog_close(sl);
		return 2;
	}
	printf("%s\n", head);
	sendlog_close(sl);
	return 0;
}

int
ctl_log_purge(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct sendlog *sl;
	char who[64], err[512];
	size_t removed;

	(void)argv;
	if (argc != 2)
		return ctl_usage_error("usage: mailgatectl log purge");
	if (!ctl_may_write(ctx->cfg) || (sl = ctl_open_log(ctx->cfg, 1, 1)) == NULL)
		return 2;
	if (sendlog_purge(sl, time(NULL), ctx->cfg->log_retention_months, ctl_who(who, sizeof(who)),
	    &removed, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		sendlog_close(sl);
		return 2;
	}
	printf("removed %zu rows older than %d months\n", removed, ctx->cfg->log_retention_months);
	sendlog_close(sl);
	return 0;
}
