/*
 * backoff - when to try a message again after a temporary failure: 1, 2,
 * 4 ... minutes after the 1st, 2nd, 3rd ... failure, at most 15 minutes.
 * Kept per message (by key: its UID in the Outbox, as text) in a small table
 * the caller owns; pure, the caller passes the time.
 *
 *	struct backoff_tab t; backoff_init(&t);
 *	if (backoff_due(&t, key, now)) try; on 4xx backoff_fail(&t, key, now, reply);
 *	on success backoff_clear(&t, key); ... backoff_free(&t);
 */
#ifndef MG_BACKOFF_H
#define MG_BACKOFF_H

#include <stddef.h>
#include <time.h>

#define BACKOFF_MAX_SECONDS 900

struct backoff_entry {
	char *key;
	unsigned failures;
	time_t next;		/* not before this time */
	char *last_reply;	/* the server's last words; NULL */
};

struct backoff_tab {
	struct backoff_entry *v;
	size_t n, cap;
};

/* Seconds to wait after the n-th consecutive failure (n >= 1). */
long backoff_delay(unsigned failures);

void backoff_init(struct backoff_tab *t);
void backoff_free(struct backoff_tab *t);
/* 1 when the message may be tried at now (never failed, or its wait is over). */
int backoff_due(const struct backoff_tab *t, const char *key, time_t now);
/* Records a failure at now; returns the time of the next try. */
time_t backoff_fail(struct backoff_tab *t, const char *key, time_t now, const char *reply);
void backoff_clear(struct backoff_tab *t, const char *key);
/* The entry for key; NULL. */
const struct backoff_entry *backoff_get(const struct backoff_tab *t, const char *key);

#endif
