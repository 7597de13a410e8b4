/*
 * backoff - retry times per message after a temporary failure (see
 * backoff.h). A linear table: the Outbox holds few messages waiting.
 */
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "util.h"

long backoff_delay(unsigned failures)
{
	long d = 60;
	unsigned i;

	if (failures == 0)
		return 0;
	for (i = 1; i < failures && d < BACKOFF_MAX_SECONDS; i++)
		d *= 2;
	return d > BACKOFF_MAX_SECONDS ? BACKOFF_MAX_SECONDS : d;
}

void backoff_init(struct backoff_tab *t)
{
	memset(t, 0, sizeof(*t));
}

void backoff_free(struct backoff_tab *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].key);
		free(t->v[i].last_reply);
		free(t->v[i].label);
	}
	free(t->v);
	backoff_init(t);
}

static struct backoff_entry *backoff_find(const struct backoff_tab *t, const char *key)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].key, key) == 0)
			return &t->v[i];
	return NULL;
}

const struct backoff_entry *backoff_get(const struct backoff_tab *t, const char *key)
{
	return backoff_find(t, key);
}

int backoff_due(const struct backoff_tab *t, const char *key, time_t now)
{
	const struct backoff_entry *e = backoff_find(t, key);

	return e == NULL || now >= e->next;
}

time_t backoff_fail(struct backoff_tab *t, const char *key, time_t now, const char *reply)
{
	struct backoff_entry *e = backoff_find(t, key);

	if (e == NULL) {
		if (t->n == t->cap) {
			t->cap = t->cap ? 2 * t->cap : 8;
			t->v = xreallocarray(t->v, t->cap, sizeof(*t->v));
		}
		e = &t->v[t->n++];
		memset(e, 0, sizeof(*e));
		e->key = xstrdup(key);
	}
	if (e->failures < 64)
		e->failures++;
	e->next = now + backoff_delay(e->failures);
	free(e->last_reply);
	e->last_reply = reply ? xstrdup(reply) : NULL;
	return e->next;
}

void backoff_clear(struct backoff_tab *t, const char *key)
{
	struct backoff_entry *e = backoff_find(t, key);

	if (e == NULL)
		return;
	free(e->key);
	free(e->last_reply);
	free(e->label);
	*e = t->v[--t->n];
}

void backoff_label(struct backoff_tab *t, const char *key, const char *label)
{
	struct backoff_entry *e = backoff_find(t, key);

	if (e == NULL)
		return;
	free(e->label);
	e->label = label ? xstrdup(label) : NULL;
}
