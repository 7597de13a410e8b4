/*
 * fuzz_clean - libFuzzer target for the one cleaning path of headers and
 * text (src/mime_int.h): RFC 2047 decoding and mt_clean() for a header
 * value, mt_clean() under a charset chosen by the first byte, RFC 2231
 * sections, and HTML rendering. Whatever the input, the output must be
 * valid UTF-8 without the invisible characters the rules delete, and the
 * fold must be idempotent.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime_int.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fc_check(const char *s, size_t n)
{
	struct sbuf again;

	if (!utf8_valid(s, n) || memmem(s, n, "\xC2\xAD", 2) || memmem(s, n, "\xE2\x80\x8B", 3) ||
	    memmem(s, n, "\xE2\x81\xA0", 3) || memmem(s, n, "\xEF\xBB\xBF", 3))
		__builtin_trap();
	sbuf_init(&again);
	sbuf_add(&again, s, n);
	mt_fold(&again);
	if (again.len != n || (n && memcmp(again.data, s, n) != 0))
		__builtin_trap();	/* NFKC and the deletions are already done */
	sbuf_free(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *charsets[] = { NULL, "utf-8", "utf-16le", "utf-16be", "utf-16",
		"windows-1252", "iso-8859-2", "shift_jis", "x-unknown" };
	struct mh_section sec[2];
	struct sbuf b, t, e, c;
	char *s, *v;
	size_t half;

	if (size == 0)
		return 0;
	s = xstrndup((const char *)data + 1, size - 1);	/* header values are C strings */
	v = mh_decode(s);
	fc_check(v, strlen(v));
	free(v);
	half = strlen(s) / 2;
	sec[1] = (struct mh_section){ 1, data[0] & 1, s + half };
	sec[0] = (struct mh_section){ 0, 1, s };
	s[half] = '\0';
	v = mh_join_2231(sec, 2);
	fc_check(v, strlen(v));
	free(v);
	free(s);
	sbuf_init(&b);
	mt_clean((const char *)data + 1, size - 1, charsets[data[0] % 9], MT_REFS, &b);
	fc_check(b.data ? b.data : "", b.len);
	sbuf_free(&b);
	sbuf_init(&t);
	sbuf_init(&e);
	sbuf_init(&c);
	mt_html((const char *)data + 1, size - 1, &t, &e, &c);
	sbuf_free(&t);
	sbuf_free(&e);
	sbuf_free(&c);
	return 0;
}
