/*
 * fuzz_csv - libFuzzer target for the list forms' CSV reader: csv_parse()
 * and csv_sniff() on arbitrary bytes. A parse either fails with a one-line
 * error or gives rows whose cells are NUL-terminated strings no longer
 * than the input, and no blank row (blank lines are ignored).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_table t;
	char err[128];
	size_t r, c;

	(void)csv_sniff((const char *)data, size);
	if (csv_parse((const char *)data, size, &t, err, sizeof(err)) < 0) {
		if (err[0] == '\0' || memchr(err, '\n', strlen(err)) != NULL)
			__builtin_trap();	/* the error is one line */
		return 0;
	}
	for (r = 0; r < t.nrows; r++) {
		if (t.rows[r].ncells == 0)
			__builtin_trap();
		for (c = 0; c < t.rows[r].ncells; c++)
			if (strlen(t.rows[r].cells[c]) > size)
				__builtin_trap();
	}
	csv_free(&t);
	return 0;
}
