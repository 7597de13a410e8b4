/*
 * ctl_clerical - "mailgatectl clerical list [--format table|csv|json]",
 * "clerical show ID" and "clerical done ID --note TEXT": the clerical copies
 * waiting in state_dir/clerical (clerical.h). list and show only read (the
 * log readers' group may run them); done needs the owner of state_dir and
 * writes a log row. While the mode is clerical, list also prints the notice
 * to the department (seed ¶59). Work without the policy, and on a fresh
 * state_dir (nothing waits).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clerical.h"
#include "ctl.h"
#include "ctl_common.h"
#include "mode.h"
#include "util.h"
#include "verdict.h"

enum cc_format { CC_TABLE, CC_CSV, CC_JSON };

static void cc_csv_cell(struct sbuf *b, const char *s)
{
	sbuf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			sbuf_addc(b, '"');
		sbuf_addc(b, *s);
	}
	sbuf_addc(b, '"');
}

static void cc_print(const struct clerical_entry *v, size_t n, enum cc_format fmt, struct sbuf *b)
{
	char ts[21];
	size_t i;

	if (fmt == CC_CSV)
		sbuf_adds(b, "id,made,process,form,message_id\r\n");
	else if (fmt == CC_JSON)
		sbuf_addc(b, '[');
	else
		sbuf_printf(b, "%-16s  %-20s  %-12s  %s\n", "ID", "MADE", "PROCESS", "FORM");
	for (i = 0; i < n; i++) {
		sendlog_time(v[i].made, ts);
		if (fmt == CC_TABLE) {
			sbuf_printf(b, "%-16s  %-20s  %-12s  %s\n", v[i].id, ts, v[i].process, v[i].form);
		} else if (fmt == CC_CSV) {
			sbuf_printf(b, "%s,%s,", v[i].id, ts);
			cc_csv_cell(b, v[i].process);
			sbuf_addc(b, ',');
			cc_csv_cell(b, v[i].form);
			sbuf_addc(b, ',');
			cc_csv_cell(b, v[i].message_id);
			sbuf_adds(b, "\r\n");
		} else {
			sbuf_printf(b, "%s{\"id\":\"%s\",\"made\":\"%s\",\"process\":", i ? "," : "",
			    v[i].id, ts);
			json_add_string(b, v[i].process);
			sbuf_adds(b, ",\"form\":");
			json_add_string(b, v[i].form);
			sbuf_adds(b, ",\"message_id\":");
			json_add_string(b, v[i].message_id);
			sbuf_addc(b, '}');
		}
	}
	if (fmt == CC_JSON)
		sbuf_adds(b, "]\n");
}

/* In clerical mode the notice to the department goes with the list. */
static void cc_mode_notice(struct ctl_ctx *ctx)
{
	struct mode_state m;
	struct sendlog *sl;

	if (ctl_log_absent(ctx->cfg) || (sl = ctl_open_log(ctx->cfg, 0, 0)) == NULL)
		return;
	if (mode_get(sl, &m) == 0 && m.mode == MODE_CLERICAL)
		ctl_mode_notice(ctx->cfg, DN_OUTAGE, m.reason, ctl_notice_since(sl, m.since));
	sendlog_close(sl);
}

static int cc_list(struct ctl_ctx *ctx, int argc, char **argv)
{
	enum cc_format fmt = CC_TABLE;
	struct clerical_entry *v;
	struct sbuf b;
	char err[512];
	size_t n;

	if (argc == 4 && strcmp(argv[2], "--format") == 0) {
		if (strcmp(argv[3], "csv") == 0)
			fmt = CC_CSV;
		else if (strcmp(argv[3], "json") == 0)
			fmt = CC_JSON;
		else if (strcmp(argv[3], "table") != 0)
			return ctl_usage_error("clerical list: unknown format '%s' (table, csv, json)",
			    argv[3]);
	} else if (argc != 2) {
		return ctl_usage_error("usage: mailgatectl clerical list [--format table|csv|json]");
	}
	if (clerical_list(ctx->cfg->state_dir, &v, &n, err, sizeof(err)) < 0) {
		fprintf(stderr, "clerical: error: %s\n", err);
		return 2;
	}
	sbuf_init(&b);
	cc_print(v, n, fmt, &b);
	fwrite(b.data, 1, b.len, stdout);
	sbuf_free(&b);
	clerical_list_free(v, n);
	if (fmt == CC_TABLE)
		cc_mode_notice(ctx);
	return 0;
}

static int cc_show(struct ctl_ctx *ctx, const char *id)
{
	char *path = clerical_path(ctx->cfg->state_dir, id, "txt"), *text;
	size_t len;

	if (path == NULL) {
		fprintf(stderr, "clerical: error: '%s' is not a clerical copy's ID (16 hex digits)\n",
		    id);
		return 2;
	}
	text = file_read(path, 16 * 1024 * 1024, &len);
	if (text == NULL) {
		fprintf(stderr, "%s: error: no clerical copy %s is waiting\n", path, id);
		free(path);
		return 1;
	}
	fwrite(text, 1, len, stdout);
	free(text);
	free(path);
	return 0;
}

static int cc_done(struct ctl_ctx *ctx, const char *id, const char *note)
{
	struct sendlog *sl;
	char who[64], err[512];
	int rc;

	if (!ctl_may_write(ctx->cfg) || (sl = ctl_open_log(ctx->cfg, 1, 0)) == NULL)
		return 2;
	rc = clerical_done(sl, ctx->cfg->state_dir, id, note, ctl_who(who, sizeof(who)),
	    time(NULL), err, sizeof(err));
	sendlog_close(sl);
	if (rc != 0) {
		fprintf(stderr, "clerical: error: %s\n", err);
		return rc > 0 ? 1 : 2;
	}
	printf("clerical copy %s done; the copy is removed\n", id);
	return 0;
}

int ctl_clerical(struct ctl_ctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return cc_list(ctx, argc, argv);
	if (argc == 3 && strcmp(argv[1], "show") == 0)
		return cc_show(ctx, argv[2]);
	if (argc >= 2 && strcmp(argv[1], "done") == 0) {
		if (argc != 5 || strcmp(argv[3], "--note") != 0 || argv[4][0] == '\0')
			return ctl_usage_error("clerical done needs ID --note TEXT");
		return cc_done(ctx, argv[2], argv[4]);
	}
	return ctl_usage_error("usage: mailgatectl clerical list [--format table|csv|json] | "
	    "clerical show ID | clerical done ID --note TEXT");
}
