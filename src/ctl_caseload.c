/*
 * ctl_caseload - "mailgatectl caseload import FILE.csv [--replace] | show |
 * find NINO": the daily import of the case management system's caseload
 * (who holds each participant), its counts, and one person's holder. Only
 * the owner of state_dir may use it: the database is owner-only, and
 * importing needs the policy (a holder must be one of its sub-contractors).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "caseload.h"
#include "ctl.h"
#include "ctl_common.h"
#include "policy.h"
#include "sendlog.h"
#include "util.h"

#define CC_MAX_FILE (512L * 1024 * 1024)

static const char cc_usage[] =
	"usage: mailgatectl caseload import FILE.csv [--replace] | caseload show | caseload find NINO";

/* Opens the caseload with the log key; NULL after printing why. */
static struct caseload *cc_open(const struct config *cfg, int write)
{
	struct caseload *cl = NULL;
	unsigned char *key;
	size_t keylen = 0;
	char err[512];

	if (cfg->log_key_file == NULL) {
		fprintf(stderr, "%s: error: log_key_file is not set\n", cfg->path);
		return NULL;
	}
	key = (unsigned char *)config_read_secret(cfg->log_key_file, 32, &keylen, err, sizeof(err));
	if (key == NULL) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	if (caseload_open(cfg->state_dir, key, keylen, write, &cl, err, sizeof(err)) < 0)
		fprintf(stderr, "%s\n", err);
	explicit_bzero(key, keylen);
	free(key);
	return cl;
}

/* 1 when state_dir holds a caseload database (it is not made by reading). */
static int cc_exists(const struct config *cfg)
{
	char *p = xasprintf("%s/caseload.db", cfg->state_dir);
	struct stat st;
	int rc = stat(p, &st) == 0;

	free(p);
	return rc;
}

/* The sub-contractor ids of the policy (borrowed from it). */
static const char **cc_holders(const struct policy *p)
{
	const char **v = xcalloc(p->nsubcontractors + 1, sizeof(*v));
	size_t i;

	for (i = 0; i < p->nsubcontractors; i++)
		v[i] = p->subcontractors[i].id;
	return v;
}

static int cc_import_file(const struct config *cfg, const struct policy *pol, const char *file,
    int replace)
{
	struct caseload *cl;
	const char **holders;
	size_t len, n;
	char *text, err[1024];
	int rc;

	if ((text = file_read(file, CC_MAX_FILE, &len)) == NULL) {
		fprintf(stderr, "%s: error: %s\n", file, strerror(errno));
		return 2;
	}
	if ((cl = cc_open(cfg, 1)) == NULL) {
		free(text);
		return 2;
	}
	holders = cc_holders(pol);
	rc = caseload_import(cl, file, text, len, holders, pol->nsubcontractors, replace,
	    time(NULL), &n, err, sizeof(err));
	if (rc == 0)
		printf("caseload: %zu persons imported from %s%s\n", n, file,
		    replace ? " (the whole caseload replaced)" : "");
	else
		fprintf(stderr, "%s%s\n", err, rc > 0 ? " (nothing imported)" : "");
	free(holders);
	caseload_close(cl);
	free(text);
	return rc == 0 ? 0 : rc > 0 ? 1 : 2;
}

static int cc_import(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct policy *pol = NULL;
	struct diag d;
	int replace = 0, rc;

	if (argc == 4 && strcmp(argv[3], "--replace") == 0)
		replace = 1;
	else if (argc != 3)
		return ctl_usage_error("%s", cc_usage);
	if (!ctl_may_write(ctx->cfg))
		return 2;
	diag_init(&d);
	if (policy_load(ctx->cfg->policy_file, ctx->cfg->template_dir, &pol, &d) < 0) {
		diag_print(&d, stderr);
		diag_free(&d);
		fprintf(stderr, "caseload: error: the policy is needed to check the holders\n");
		return 2;
	}
	diag_free(&d);
	rc = cc_import_file(ctx->cfg, pol, argv[2], replace);
	policy_free(pol);
	return rc;
}

static int cc_show(struct ctl_ctx *ctx)
{
	struct caseload *cl;
	struct cl_count *v;
	size_t n, i, total = 0;
	time_t when;
	char ts[21];

	if (!cc_exists(ctx->cfg)) {
		printf("caseload: none imported\n");
		return 0;
	}
	if ((cl = cc_open(ctx->cfg, 0)) == NULL)
		return 2;
	if (caseload_counts(cl, &v, &n, &when) < 0) {
		char err[512];

		caseload_error(cl, err, sizeof(err));
		fprintf(stderr, "%s\n", err);
		caseload_close(cl);
		return 2;
	}
	for (i = 0; i < n; i++) {
		printf("%-24s %zu\n", v[i].holder, v[i].persons);
		total += v[i].persons;
	}
	sendlog_time(when, ts);
	printf("%-24s %zu\nlast imported %s\n", "total", total, when ? ts : "never");
	free(v);
	caseload_close(cl);
	return 0;
}

static int cc_find(struct ctl_ctx *ctx, const char *nino)
{
	char stem[NINO_STEM_LEN + 1];
	struct caseload *cl;
	struct cl_hit hit;
	int rc;

	if (!nino_parse(nino, 0, stem))
		return ctl_usage_error("caseload find: not a National Insurance number");
	if (!cc_exists(ctx->cfg)) {
		fprintf(stderr, "caseload: no caseload imported\n");
		return 1;
	}
	if ((cl = cc_open(ctx->cfg, 0)) == NULL)
		return 2;
	rc = caseload_lookup(cl, stem, NULL, &hit);
	caseload_close(cl);
	if (rc < 0) {
		fprintf(stderr, "caseload: error: the caseload cannot be read\n");
		return 2;
	}
	if (rc == 0) {
		fprintf(stderr, "caseload: not in the caseload\n");
		return 1;
	}
	printf("%s\n", hit.holder);
	return 0;
}

int ctl_caseload(struct ctl_ctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "import") == 0)
		return cc_import(ctx, argc, argv);
	if (argc == 2 && strcmp(argv[1], "show") == 0)
		return cc_show(ctx);
	if (argc == 3 && strcmp(argv[1], "find") == 0)
		return cc_find(ctx, argv[2]);
	return ctl_usage_error("%s", cc_usage);
}
