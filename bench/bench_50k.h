/*
 * bench_50k - the 50 KB message bench_verdict times and mime_dump compares.
 */
#ifndef MG_BENCH_50K_H
#define MG_BENCH_50K_H

#include <stddef.h>

/* A 50 KB Outlook-style message, malloc'd: HTML alternative with a completed form. */
char *bench_make_50k(size_t *len);

#endif
