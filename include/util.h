/*
 * util - small helpers shared by every module: a growable byte buffer,
 * ASCII case handling and checked allocation.
 *
 * Allocation failure is not recoverable in mailgate's small programs: the
 * x* functions print one line and exit(70) (EX_SOFTWARE) rather than spread
 * NULL checks for a condition that cannot be handled sensibly.
 *
 * struct sbuf owns its bytes; sbuf_free releases them; sbuf_steal hands them
 * to the caller (always NUL-terminated) and leaves the buffer empty.
 */
#ifndef MG_UTIL_H
#define MG_UTIL_H

#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct sbuf {
	char *data;		/* NUL-terminated when non-NULL */
	size_t len, cap;
};

void sbuf_init(struct sbuf *b);
void sbuf_free(struct sbuf *b);
void sbuf_reset(struct sbuf *b);
void sbuf_add(struct sbuf *b, const void *p, size_t n);
void sbuf_addc(struct sbuf *b, char c);
void sbuf_adds(struct sbuf *b, const char *s);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Room for more bytes at once (a buffer whose size is known is not grown by doubling). */
void sbuf_reserve(struct sbuf *b, size_t more);
/* Appends the UTF-8 encoding of code point cp (invalid ones as U+FFFD). */
void sbuf_add_utf8(struct sbuf *b, uint32_t cp);
char *sbuf_steal(struct sbuf *b, size_t *len);
/* The opposite: b takes over a malloc'd buffer of len bytes and a NUL after them. */
void sbuf_adopt(struct sbuf *b, char *data, size_t len);
/* Appends Windows-1252 bytes (Latin-1 labels in practice) converted to UTF-8. */
void sbuf_add_cp1252(struct sbuf *b, const char *s, size_t n);
/* 1 when the bytes are valid UTF-8 (no overlongs, no surrogates beyond 4 bytes). */
int utf8_valid(const char *s, size_t len);

/* Frees n strings and the array holding them. */
void strv_free(char **v, size_t n);

int ascii_tolower(int c);
int ascii_strcasecmp(const char *a, const char *b);
int ascii_strncasecmp(const char *a, const char *b, size_t n);
/* Lower-cases ASCII letters in place; returns s. */
char *ascii_lower(char *s);
/* Trims ASCII white space at both ends in place; returns s. */
char *str_trim(char *s);
/* Collapses runs of white space (ASCII, and U+00A0) to one space and trims. In place. */
char *str_collapse_ws(char *s);

/* Reads a whole file; NULL with errno set on failure. *len excludes the NUL added. */
char *file_read(const char *path, size_t max, size_t *len);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void hex_encode(const unsigned char *in, size_t n, char *out);

/* Appends s as a JSON string ("null" for NULL): the escaping every JSON writer shares. */
void json_add_string(struct sbuf *b, const char *s);

/* An impossible state: one line on stderr, then abort(). Never returns. */
void util_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
