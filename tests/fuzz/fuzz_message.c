/*
 * fuzz_message - libFuzzer target for the message analyser: the pre-filter
 * and mime_analyse() on arbitrary bytes, in process (the worker's isolation
 * is what the daemon relies on; this finds the crashes it would contain).
 * Inputs the pre-filter refuses are the known libetpan crashes and stop
 * there, as in the worker. Every result must survive the worker's encoding
 * unchanged: encoded, decoded and compared field by field.
 */
#include <stddef.h>
#include <stdint.h>

#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_limits lim;
	struct mime_result r, back;
	struct sbuf enc;
	const char *why;

	if (mime_prefilter((const char *)data, size, &why))
		return 0;
	mime_limits_default(&lim, 1 << 20);
	mime_result_init(&r);
	mime_analyse((const char *)data, size, &lim, &r);
	sbuf_init(&enc);
	mime_result_encode(&r, &enc);
	mime_result_init(&back);
	if (mime_result_decode(enc.data, enc.len, &back) != 0)
		__builtin_trap();	/* an encoding must always decode */
	if (!mime_result_equal(&r, &back))
		__builtin_trap();	/* and give back the same result */
	mime_result_free(&back);
	sbuf_free(&enc);
	mime_result_free(&r);
	return 0;
}
