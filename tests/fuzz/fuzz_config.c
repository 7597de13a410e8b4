/*
 * fuzz_config - libFuzzer target for the configuration reader: the bytes
 * are written to a temporary file and loaded; any outcome but a crash, a
 * hang or a leak is fine.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/mgfuzzconfXXXXXX";
	struct config c;
	struct diag d;
	int fd = mkstemp(path);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	diag_init(&d);
	if (config_load(path, &c, &d) == 0 && d.nerrors != 0)
		__builtin_trap();
	config_free(&c);
	diag_free(&d);
	unlink(path);
	return 0;
}
