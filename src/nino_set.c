/*
 * nino_set - the set of distinct persons (stems) found by the scanner, in
 * first-seen order, with an open-addressing hash index so that a message
 * stuffed with numbers costs linear time, not quadratic.
 *
 *	struct nino_set s; nino_set_init(&s);
 *	nino_set_add(&s, "AB123456");	1 new, 0 already there
 *	nino_set_free(&s);
 *
 * The set owns v and idx; a zeroed struct is a valid empty set.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nino.h"
#include "util.h"

void
nino_set_init(struct nino_set *set)
{
	memset(set, 0, sizeof *set);
}

void
nino_set_free(struct nino_set *set)
{
	free(set->v);
	free(set->idx);
	memset(set, 0, sizeof *set);
}

/* FNV-1a over the 8 stem bytes: short keys, no adversary gains from collisions
 * beyond a longer probe, and the table is kept at most half full. */
static size_t
nino_set_hash(const char stem[NINO_STEM_LEN])
{
	uint32_t h = 2166136261u;
	int i;

	for (i = 0; i < NINO_STEM_LEN; i++) {
		h ^= (unsigned char)stem[i];
		h *= 16777619u;
	}
	return h;
}

/* The slot holding stem, or the empty slot where it belongs. */
static size_t
nino_set_slot(const struct nino_set *set, const char stem[NINO_STEM_LEN])
{
	size_t mask = set->idx_cap - 1, i = nino_set_hash(stem) & mask;

	while (set->idx[i] != 0 &&
	    memcmp(set->v[set->idx[i] - 1].s, stem, NINO_STEM_LEN) != 0)
		i = (i + 1) & mask;
	return i;
}

static void
nino_set_rehash(struct nino_set *set, size_t cap)
{
	size_t k;

	free(set->idx);
	set->idx = xcalloc(cap, sizeof *set->idx);
	set->idx_cap = cap;
	for (k = 0; k < set->n; k++)
		set->idx[nino_set_slot(set, set->v[k].s)] = (uint32_t)(k + 1);
}

int
nino_set_has(const struct nino_set *set, const char stem[NINO_STEM_LEN])
{
	if (set->n == 0 || set->idx == NULL)
		return 0;
	return set->idx[nino_set_slot(set, stem)] != 0;
}

int
nino_set_add(struct nino_set *set, const char stem[NINO_STEM_LEN])
{
	size_t slot;

	if (nino_set_has(set, stem))
		return 0;
	if (set->n >= UINT32_MAX - 1)
		return 0;	/* cannot happen with real text; never overflow the index */
	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 16;
		set->v = xreallocarray(set->v, set->cap, sizeof *set->v);
	}
	memcpy(set->v[set->n].s, stem, NINO_STEM_LEN);
	set->v[set->n].s[NINO_STEM_LEN] = '\0';
	set->n++;
	if (set->idx == NULL || set->n * 2 > set->idx_cap) {
		nino_set_rehash(set, set->idx_cap ? set->idx_cap * 2 : 64);
	} else {
		slot = nino_set_slot(set, stem);
		set->idx[slot] = (uint32_t)set->n;
	}
	return 1;
}

void
nino_set_merge(struct nino_set *dst, const struct nino_set *src)
{
	size_t k;

	for (k = 0; k < src->n; k++)
		nino_set_add(dst, src->v[k].s);
}
