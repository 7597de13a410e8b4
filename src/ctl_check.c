/*
 * ctl_check - "mailgatectl check-message FILE.eml [--at YYYY-MM-DD] [--json]":
 * dry-runs the whole outbound policy on one message as of the judging day.
 *
 * The message is analysed in the sandboxed parser worker, exactly as the
 * daemon does, so a hostile file gives malformed-message here too. Reads no
 * secret, opens nothing in state_dir, touches no network, writes nothing.
 * Exit 0 accepted (warnings allowed), 1 rejected, 2 unreadable file, bad
 * option, or a policy or template that does not load.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "diag.h"
#include "mime.h"
#include "policy.h"
#include "verdict.h"
#include "worker.h"

struct check_opts {
	const char *file;
	int json;
	int have_at;
	mgday at;
};

static int
check_parse(int argc, char **argv, struct check_opts *o)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "at", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = ctl_getopt(argc, argv, opts)) != -1) {
		switch (c) {
		case 'j':
			o->json = 1;
			break;
		case 'a':
			if (!mgday_parse_iso(optarg, &o->at))
				return ctl_usage_error("check-message: --at: '%s' is not a date "
				    "(YYYY-MM-DD)", optarg);
			o->have_at = 1;
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc)
		return ctl_usage_error(optind == argc ? "usage: mailgatectl check-message FILE.eml "
		    "[--at=YYYY-MM-DD] [--json]" : "check-message: one message at a time");
	o->file = argv[optind];
	return 0;
}

/*
 * Reads the message. Counting CRLF line endings only adds bytes, so a file
 * over the limit is too large without reading it further.
 */
static char *
check_read(const char *path, size_t limit, size_t *len, int *too_big)
{
	char *msg;

	*too_big = 0;
	msg = file_read(path, limit, len);
	if (msg == NULL && errno == EFBIG) {
		*too_big = 1;
		return NULL;
	}
	return msg;
}

/* The CRLF size of a file too large to hold: counted as it streams past. */
static int
check_crlf_size(const char *path, size_t *size)
{
	FILE *fp = fopen(path, "rb");
	char buf[65536];
	size_t n, i;
	int prev = 0;

	if (fp == NULL)
		return -1;
	*size = 0;
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		for (i = 0; i < n; i++) {
			*size += buf[i] == '\n' && prev != '\r' ? 2 : 1;
			prev = (unsigned char)buf[i];
		}
	n = (size_t)ferror(fp);
	fclose(fp);
	return n ? -1 : 0;
}

/* The message's analysis; -1 when the worker cannot start. The size rule is the verdict's. */
static int
check_analyse(const struct policy *p, const char *path, const char *msg, size_t len,
    int too_big, struct mime_result *res)
{
	struct mime_limits lim;
	struct worker_pool *wp;
	size_t size = 0;

	if (too_big && check_crlf_size(path, &size) < 0)
		return -1;
	if (!too_big)
		size = mime_crlf_size(msg, len);
	if (verdict_size_exceeds(p, size)) {
		verdict_too_large_result(size, res);
		return 0;
	}
	if (too_big)
		util_panic("%s: over the limit unread, yet within it counted", path);
	mime_limits_default(&lim, (size_t)p->max_message_bytes);
	wp = worker_pool_new(&lim);
	if (wp == NULL || worker_pool_analyse(wp, msg, len, res) < 0) {
		worker_pool_free(wp);
		return -1;
	}
	worker_pool_free(wp);
	return 0;
}

int
ctl_check_message(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct check_opts o;
	struct policy *p = NULL;
	struct mime_result res;
	struct verdict v;
	struct diag d;
	size_t len = 0;
	char *msg;
	int rc, too_big;

	if ((rc = check_parse(argc, argv, &o)) != 0)
		return rc;
	diag_init(&d);
	if (policy_load(ctx->cfg->policy_file, ctx->cfg->template_dir, &p, &d) < 0) {
		diag_print(&d, stderr);
		diag_free(&d);
		return 2;
	}
	diag_free(&d);	/* policy warnings belong to "policy check" */

	msg = check_read(o.file, (size_t)p->max_message_bytes, &len, &too_big);
	if (msg == NULL && !too_big) {
		fprintf(stderr, "%s: error: cannot read the message: %s\n", o.file, strerror(errno));
		policy_free(p);
		return 2;
	}
	mime_result_init(&res);
	if (check_analyse(p, o.file, msg, len, too_big, &res) < 0) {
		fprintf(stderr, "%s: error: cannot analyse the message: %s\n", o.file,
		    strerror(errno));
		mime_result_free(&res);
		free(msg);
		policy_free(p);
		return 2;
	}
	free(msg);

	verdict_init(&v);
	verdict_judge(p, &res, o.have_at ? o.at : mgday_today_london(time(NULL)), &v);
	if (o.json)
		verdict_print_json(&v, stdout);
	else
		verdict_print_human(&v, stdout);
	rc = v.accept ? 0 : 1;
	verdict_free(&v);
	mime_result_free(&res);
	policy_free(p);
	if (fflush(stdout) != 0)
		return 2;
	return rc;
}
