/*
 * mime_dump - the analysis's output for a set of messages, to compare two
 * builds byte for byte, and a fixed load for callgrind.
 *
 * Usage: mime_dump [-r ROUNDS] [-5] OUTDIR [FILE...]
 * Writes OUTDIR/N.res, mime_result_encode() of mime_analyse() of the N-th
 * file (limits of a 10 MiB policy, as the sample policy's), and with -5
 * OUTDIR/bench-50k.res for bench_verdict's 50 KB message. With -r the
 * analysis runs ROUNDS times per message (the last result written), so
 * that callgrind's count per analysis is its total / ROUNDS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_50k.h"
#include "mime.h"
#include "util.h"

static int
md_write(const char *dir, const char *name, const char *msg, size_t len, unsigned rounds)
{
	struct mime_limits lim;
	struct mime_result r;
	struct sbuf enc;
	char *path;
	FILE *f;
	unsigned i;
	int rc = 0;

	mime_limits_default(&lim, 10u << 20);
	mime_result_init(&r);
	for (i = 0; i < rounds; i++) {
		mime_result_free(&r);
		mime_analyse(msg, len, &lim, &r);
	}
	sbuf_init(&enc);
	mime_result_encode(&r, &enc);
	path = xasprintf("%s/%s.res", dir, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(enc.data, 1, enc.len, f) != enc.len ||
	    fclose(f) != 0) {
		fprintf(stderr, "mime_dump: %s: cannot write\n", path);
		rc = -1;
	}
	free(path);
	sbuf_free(&enc);
	mime_result_free(&r);
	return rc;
}

int
main(int argc, char **argv)
{
	unsigned rounds = 1;
	int c, fifty = 0, i, rc = 0;
	size_t len;
	char *m, name[32];

	while ((c = getopt(argc, argv, "r:5")) != -1) {
		if (c == 'r')
			rounds = (unsigned)strtoul(optarg, NULL, 10);
		else if (c == '5')
			fifty = 1;
		else
			return 2;
	}
	if (optind >= argc || rounds == 0) {
		fprintf(stderr, "usage: mime_dump [-r ROUNDS] [-5] OUTDIR [FILE...]\n");
		return 2;
	}
	if (fifty) {
		m = bench_make_50k(&len);
		rc |= md_write(argv[optind], "bench-50k", m, len, rounds);
		free(m);
	}
	for (i = optind + 1; i < argc; i++) {
		if ((m = file_read(argv[i], 64 << 20, &len)) == NULL) {
			fprintf(stderr, "mime_dump: %s: cannot read\n", argv[i]);
			rc = -1;
			continue;
		}
		snprintf(name, sizeof(name), "%d", i - optind);
		rc |= md_write(argv[optind], name, m, len, rounds);
		free(m);
	}
	return rc ? 1 : 0;
}
