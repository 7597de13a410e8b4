/*
 * filer - a thread that runs one append at a time on a lent session; see
 * include/filer.h. The thread and the caller share only the struct below,
 * under its mutex; the data of a job stays the caller's until filer_wait().
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filer.h"
#include "util.h"

enum filer_state { FL_IDLE, FL_JOB, FL_RUNNING, FL_DONE, FL_STOP };

struct filer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	enum filer_state state;
	struct ob_mail ops;	/* the lent session; ops.append NULL: none */
	int broken;		/* a job failed since the last lend */
	const char *folder;
	const char *data;
	size_t len;
	int result;
};

static void *filer_main(void *arg)
{
	struct filer *f = arg;
	int rc;

	pthread_mutex_lock(&f->mu);
	for (;;) {
		while (f->state != FL_JOB && f->state != FL_STOP)
			pthread_cond_wait(&f->cv, &f->mu);
		if (f->state == FL_STOP)
			break;
		f->state = FL_RUNNING;
		pthread_mutex_unlock(&f->mu);
		rc = f->ops.append(f->ops.ctx, f->folder, f->data, f->len);
		pthread_mutex_lock(&f->mu);
		f->result = rc;
		f->state = FL_DONE;
		pthread_cond_broadcast(&f->cv);
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

struct filer *filer_new(void)
{
	struct filer *f = xcalloc(1, sizeof(*f));
	sigset_t all, old;
	int rc;

	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	f->state = FL_IDLE;
	/* SIGTERM and SIGHUP are the main thread's: its waits notice them within 250 ms */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&f->thread, NULL, filer_main, f);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&f->cv);
		pthread_mutex_destroy(&f->mu);
		free(f);
		return NULL;
	}
	return f;
}

/* Waits until no job runs; called with the mutex held. */
static void filer_settle(struct filer *f)
{
	while (f->state == FL_JOB || f->state == FL_RUNNING)
		pthread_cond_wait(&f->cv, &f->mu);
}

void filer_free(struct filer *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	filer_settle(f);
	f->state = FL_STOP;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->thread, NULL);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

void filer_lend(struct filer *f, const struct ob_mail *ops)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	filer_settle(f);
	if (f->state == FL_DONE)
		f->state = FL_IDLE;	/* a result nobody waited for: the caller's recovery looks */
	memset(&f->ops, 0, sizeof(f->ops));
	if (ops != NULL && ops->append != NULL)
		f->ops = *ops;
	f->broken = 0;
	pthread_mutex_unlock(&f->mu);
}

int filer_start(void *ctx, const char *folder, const char *data, size_t len)
{
	struct filer *f = ctx;
	int rc = -1;

	pthread_mutex_lock(&f->mu);
	if (f->state == FL_IDLE && f->ops.append != NULL && !f->broken) {
		f->folder = folder;
		f->data = data;
		f->len = len;
		f->state = FL_JOB;
		pthread_cond_broadcast(&f->cv);
		rc = 0;
	}
	pthread_mutex_unlock(&f->mu);
	return rc;
}

int filer_wait(void *ctx)
{
	struct filer *f = ctx;
	int rc;

	pthread_mutex_lock(&f->mu);
	if (f->state == FL_IDLE || f->state == FL_STOP) {
		pthread_mutex_unlock(&f->mu);
		fprintf(stderr, "<3>internal error: filer_wait without a job\n");
		return -1;
	}
	filer_settle(f);
	rc = f->result;
	f->state = FL_IDLE;
	if (rc < 0)
		f->broken = 1;
	pthread_mutex_unlock(&f->mu);
	return rc;
}
