/*
 * nino_unicode - private to the nino module: the generated table of Unicode
 * letters and numbers above ASCII (src/nino_unicode.c, written by
 * scripts/gen_nino_unicode.py). Sorted, non-overlapping, inclusive ranges.
 */
#ifndef MG_NINO_UNICODE_H
#define MG_NINO_UNICODE_H

#include <stddef.h>
#include <stdint.h>

extern const uint32_t nino_uc_ranges[][2];
extern const size_t nino_uc_nranges;

#endif
