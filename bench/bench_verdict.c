/*
 * bench_verdict - how fast a message is judged, from bytes to verdict.
 *
 * Usage: bench_verdict POLICY.xml TEMPLATE_DIR MESSAGES_DIR
 * Prints a markdown section: messages judged per second over a mixed corpus
 * (the sample messages of MESSAGES_DIR, of realistic sizes), with the parser
 * worker and in process; the median time for a 50 KB message in process
 * (the baseline) and through a child forked in advance, prepared either way
 * (WORKER_READY_IDLE, NEXT: worker.h); and apart, the zygote's fork of a
 * child, the child's sandbox set-up (rlimits, the precompiled filter, the
 * prefault for IDLE, the built-in form) and the zygote's own start, once
 * per daemon.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_50k.h"
#include "mime.h"
#include "policy.h"
#include "util.h"
#include "verdict.h"
#include "worker.h"

struct bv_msg {
	char *name;
	char *data;
	size_t len;
};

static double
bv_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
bv_cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
bv_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), bv_cmpd);
	return n ? v[n / 2] : 0;
}

static size_t
bv_load(const char *dir, struct bv_msg **out)
{
	struct dirent *de;
	struct bv_msg *v = NULL;
	size_t n = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		char *path;

		if (l < 5 || strcmp(de->d_name + l - 4, ".eml") != 0)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n].data = file_read(path, 64 << 20, &v[n].len);
		v[n].name = xstrdup(de->d_name);
		free(path);
		if (v[n].data)
			n++;
		else
			free(v[n].name);
	}
	closedir(d);
	*out = v;
	return n;
}

static int
bv_judge(const struct policy *p, struct worker_pool *wp, const struct mime_limits *lim,
    const char *msg, size_t len, mgday day)
{
	struct mime_result r;
	struct verdict v;
	int accept;

	mime_result_init(&r);
	if (wp) {
		if (worker_pool_analyse(wp, msg, len, &r) < 0)
			return -1;
	} else {
		mime_analyse(msg, len, lim, &r);
	}
	verdict_init(&v);
	verdict_judge(p, &r, day, &v);
	accept = v.accept;
	verdict_free(&v);
	mime_result_free(&r);
	return accept;
}

/* Medians over n rounds of the 50 KB message: through a ready child, in process, and the parts. */
struct bv_lat {
	double ready, next, inproc, fork, cold, coldnext, zygote;
};

static void
bv_latency(const struct policy *p, struct worker_pool *wp, const struct mime_limits *lim,
    const char *m, size_t len, mgday day, struct bv_lat *out)
{
	enum { N = 200, NZ = 30 };
	double ready[N], next[N], inl[N], fork[N], cold[N], coldnext[N], zyg[NZ], t0;
	size_t i;

	for (i = 0; i < N; i++) {
		worker_pool_prepare(wp, WORKER_READY_IDLE);	/* as the daemon does at a pass's end */
		usleep(5000);		/* the child finishes its set-up meanwhile */
		t0 = bv_now();
		bv_judge(p, wp, lim, m, len, day);
		ready[i] = bv_now() - t0;
		worker_pool_prepare(wp, WORKER_READY_NEXT);	/* within a pass */
		usleep(5000);
		t0 = bv_now();
		bv_judge(p, wp, lim, m, len, day);
		next[i] = bv_now() - t0;
		t0 = bv_now();
		bv_judge(p, NULL, lim, m, len, day);
		inl[i] = bv_now() - t0;
		/* the zygote's fork alone, then the same message waiting on the child's set-up */
		t0 = bv_now();
		worker_pool_prepare(wp, WORKER_READY_IDLE);
		worker_pool_pid(wp);	/* the zygote's answer: the child exists */
		fork[i] = bv_now() - t0;
		t0 = bv_now();
		bv_judge(p, wp, lim, m, len, day);
		cold[i] = bv_now() - t0;
		worker_pool_prepare(wp, WORKER_READY_NEXT);
		worker_pool_pid(wp);
		t0 = bv_now();
		bv_judge(p, wp, lim, m, len, day);
		coldnext[i] = bv_now() - t0;
	}
	for (i = 0; i < NZ; i++) {
		struct worker_pool *z;

		t0 = bv_now();
		z = worker_pool_new(lim);	/* exec, warm-up, filter compiled, first child forked */
		zyg[i] = bv_now() - t0;
		worker_pool_free(z);
	}
	out->ready = bv_median(ready, N);
	out->next = bv_median(next, N);
	out->coldnext = bv_median(coldnext, N);
	out->inproc = bv_median(inl, N);
	out->fork = bv_median(fork, N);
	out->cold = bv_median(cold, N);
	out->zygote = bv_median(zyg, NZ);
}

static void
bv_print(size_t n, size_t bytes, size_t rounds, double t_worker, double t_inproc,
    const struct bv_lat *l)
{
	printf("### Judging messages (bench_verdict)\n\n");
	printf("Mixed corpus: the %zu sample messages of tests/messages (%.1f KB on average), "
	    "judged %zu times each under the sample policy.\n\n", n, (double)bytes / n / 1024, rounds);
	printf("| measure | value |\n| --- | --- |\n");
	printf("| messages/s, worker included (each child forked just before its message, "
	    "WORKER_READY_NEXT) | %.0f |\n",
	    (double)(n * rounds) / t_worker);
	printf("| messages/s, in process (baseline) | %.0f |\n", (double)(n * rounds) / t_inproc);
	printf("| worker / in-process time ratio | %.2f |\n", t_worker / t_inproc);
	printf("| 50 KB message, median, in process (baseline) | %.3f ms |\n", l->inproc * 1e3);
	printf("| 50 KB message, median, worker included (child ready in advance, "
	    "WORKER_READY_IDLE) | %.3f ms |\n", l->ready * 1e3);
	printf("| the same, worker / in process | %.2f |\n", l->ready / l->inproc);
	printf("| 50 KB message through a child ready without the copy of the zygote's memory "
	    "(WORKER_READY_NEXT, within a pass), median | %.3f ms |\n", l->next * 1e3);
	printf("| fork: a request to the zygote until its answer (the child exists), median | %.3f ms |\n",
	    l->fork * 1e3);
	printf("| sandbox: the 50 KB message right after the fork (waits for the child's rlimits, "
	    "filter and prefault), median | %.3f ms |\n", l->cold * 1e3);
	printf("| sandbox set-up alone (that, less the ready child's time) | %.3f ms |\n",
	    (l->cold - l->ready) * 1e3);
	printf("| the 50 KB message right after the fork of a WORKER_READY_NEXT child (waits for "
	    "its rlimits, filter and built-in form), median | %.3f ms |\n", l->coldnext * 1e3);
	printf("| zygote start (exec, warm-up, filter compiled, first child), once per daemon, "
	    "median | %.3f ms |\n\n", l->zygote * 1e3);
}

int
main(int argc, char **argv)
{
	struct policy *p = NULL;
	struct diag d;
	struct mime_limits lim;
	struct worker_pool *wp;
	struct bv_msg *msgs;
	struct bv_lat lat;
	size_t n, i, rounds, len50, bytes = 0;
	double t0, t_worker, t_inproc;
	char *m50;
	mgday day;

	if (argc != 4) {
		fprintf(stderr, "usage: bench_verdict POLICY.xml TEMPLATE_DIR MESSAGES_DIR\n");
		return 2;
	}
	diag_init(&d);
	if (policy_load(argv[1], argv[2], &p, &d) < 0) {
		diag_print(&d, stderr);
		return 2;
	}
	diag_free(&d);
	n = bv_load(argv[3], &msgs);
	if (n == 0) {
		fprintf(stderr, "bench_verdict: no messages in %s\n", argv[3]);
		return 2;
	}
	mgday_parse_iso("2026-11-23", &day);
	mime_limits_default(&lim, (size_t)p->max_message_bytes);
	for (i = 0; i < n; i++)
		bytes += msgs[i].len;

	wp = worker_pool_new(&lim);
	if (wp == NULL) {
		fprintf(stderr, "bench_verdict: cannot start %s\n", worker_pool_default_prog());
		return 2;
	}
	rounds = 20;
	t0 = bv_now();
	for (size_t r = 0; r < rounds; r++)
		for (i = 0; i < n; i++) {
			if (bv_judge(p, wp, &lim, msgs[i].data, msgs[i].len, day) < 0)
				return 2;
			worker_pool_prepare(wp, WORKER_READY_NEXT);
		}
	t_worker = bv_now() - t0;
	t0 = bv_now();
	for (size_t r = 0; r < rounds; r++)
		for (i = 0; i < n; i++)
			bv_judge(p, NULL, &lim, msgs[i].data, msgs[i].len, day);
	t_inproc = bv_now() - t0;

	m50 = bench_make_50k(&len50);
	bv_latency(p, wp, &lim, m50, len50, day, &lat);
	worker_pool_free(wp);
	bv_print(n, bytes, rounds, t_worker, t_inproc, &lat);
	for (i = 0; i < n; i++) {
		free(msgs[i].data);
		free(msgs[i].name);
	}
	free(msgs);
	free(m50);
	policy_free(p);
	return 0;
}
