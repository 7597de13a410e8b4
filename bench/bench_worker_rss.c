/*
 * bench_worker_rss - the peak memory of the analysis worker alone, for one
 * message: a pool is started, the message analysed once in a child ready
 * in advance, the pool freed; every process of the worker (the zygote and
 * the message's child, both children of this one) has then been reaped, so
 * RUSAGE_CHILDREN holds the largest peak RSS among them.
 *
 * Usage: bench_worker_rss MAX-MESSAGE-BYTES FILE.eml
 * Prints one line: "BYTES-OF-MESSAGE PEAK-KIB STATUS".
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "mime.h"
#include "util.h"
#include "worker.h"

int
main(int argc, char **argv)
{
	struct mime_limits lim;
	struct mime_result r;
	struct worker_pool *wp;
	struct rusage ru;
	size_t len;
	char *msg;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_worker_rss MAX-MESSAGE-BYTES FILE.eml\n");
		return 2;
	}
	mime_limits_default(&lim, (size_t)strtoull(argv[1], NULL, 10));
	if ((msg = file_read(argv[2], 2 * lim.max_message_bytes + 1, &len)) == NULL) {
		perror(argv[2]);
		return 2;
	}
	if ((wp = worker_pool_new(&lim)) == NULL) {
		fprintf(stderr, "bench_worker_rss: cannot start %s\n", worker_pool_default_prog());
		return 2;
	}
	worker_pool_pid(wp);	/* the child exists */
	usleep(100000);		/* and has finished its set-up */
	if (worker_pool_analyse(wp, msg, len, &r) < 0)
		return 2;
	worker_pool_free(wp);
	getrusage(RUSAGE_CHILDREN, &ru);
	printf("%zu %ld %d\n", len, ru.ru_maxrss, (int)r.status);
	mime_result_free(&r);
	free(msg);
	return 0;
}
