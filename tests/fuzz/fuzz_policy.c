/*
 * fuzz_policy - libFuzzer target for the policy loader: arbitrary bytes as
 * a policy file, with the sample templates. Whatever the input, loading
 * must end in a policy or in errors, never a crash, a hang or a leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *top = getenv("top_srcdir");
	char tdir[4096];
	struct policy *p = NULL;
	struct diag d;
	mgday today = 20780;	/* 2026-11-23 */

	snprintf(tdir, sizeof(tdir), "%s/templates", top ? top : MG_SRCDIR);
	diag_init(&d);
	if (policy_load_mem((const char *)data, size, "fuzz.xml", tdir, today, &p, &d) == 0 &&
	    (p == NULL || d.nerrors != 0))
		__builtin_trap();
	policy_free(p);
	diag_free(&d);
	return 0;
}
