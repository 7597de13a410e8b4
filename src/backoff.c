/*
 * backoff - retry times per message after a temporary failure (see
 * backoff.h). The table is kept in key order (shorter keys first, so UIDs
 * sort as numbers) and searched by halves: after an SMTP outage every
 * message of a backlog of thousands is in it, and each is looked up once a
 * pass.
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

static int backoff_cmp(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

/* Where key is, or would be inserted; *found says which. */
static size_t backoff_slot(const struct backoff_tab *t, const char *key, int *found)
{
	size_t lo = 0, hi = t->n, mid;
	int c;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = backoff_cmp(t->v[mid].key, key);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct backoff_entry *backoff_find(const struct backoff_tab *t, const char *key)
{
	int found;
	size_t i = backoff_slot(t, key, &found);

	return found ? &t->v[i] : NULL;
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
	int found;
	size_t i = backoff_slot(t, key, &found);
	struct backoff_entry *e;

	if (!found) {
		if (t->n == t->cap) {
			t->cap = t->cap ? 2 * t->cap : 8;
			t->v = xreallocarray(t->v, t->cap, sizeof(*t->v));
		}
		memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof(*t->v));
		t->n++;
		memset(&t->v[i], 0, sizeof(t->v[i]));
		t->v[i].key = xstrdup(key);
	}
	e = &t->v[i];
	if (e->failures < 64)
		e->failures++;
	e->next = now + backoff_delay(e->failures);
	free(e->last_reply);
	e->last_reply = reply ? xstrdup(reply) : NULL;
	return e->next;
}

void backoff_clear(struct backoff_tab *t, const char *key)
{
	int found;
	size_t i = backoff_slot(t, key, &found);

	if (!found)
		return;
	free(t->v[i].key);
	free(t->v[i].last_reply);
	free(t->v[i].label);
	memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(*t->v));
	t->n--;
}

void backoff_label(struct backoff_tab *t, const char *key, const char *label)
{
	struct backoff_entry *e = backoff_find(t, key);

	if (e == NULL)
		return;
	free(e->label);
	e->label = label ? xstrdup(label) : NULL;
}
