#!/bin/sh
# Runs each fuzz target over its corpus plus a fixed number of mutated
# inputs with a fixed seed (FUZZ_RUNS, default 3000), so make check is
# repeatable. libFuzzer writes new inputs into its first directory, so that
# is a temporary one: the source tree is never changed.
# A target fails when its corpus is empty or missing (a replay of nothing
# proves nothing) and, with libFuzzer, when the binary shows fewer than
# FUZZ_MIN_COUNTERS coverage counters (the code under test was built
# without -fsanitize=fuzzer-no-link: libFuzzer would fuzz blind).
set -u
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
runs=${FUZZ_RUNS:-3000}
min_counters=${FUZZ_MIN_COUNTERS:-200}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
for t in message clean csv policy config; do
	bin="$builddir/tests/fuzz/fuzz_$t"
	corpus="$srcdir/tests/fuzz/corpus/$t"
	n=$(find "$corpus" -type f 2>/dev/null | wc -l)
	if [ "$n" -eq 0 ]; then
		echo "FAIL fuzz_$t: the corpus $corpus is empty or missing"
		fail=$((fail + 1))
		continue
	fi
	mkdir -p "$tmp/$t"
	if ! "$bin" -runs="$runs" -seed=1 -max_len=262144 -timeout=20 -rss_limit_mb=4096 \
	    "$tmp/$t" "$corpus" >"$tmp/$t.log" 2>&1; then
		echo "FAIL fuzz_$t"
		tail -n 40 "$tmp/$t.log"
		fail=$((fail + 1))
		continue
	fi
	counters=$(sed -n 's/.*(\([0-9]*\) inline 8-bit counters).*/\1/p' "$tmp/$t.log" | head -n 1)
	if grep -q '^INFO: Seed:' "$tmp/$t.log" && [ "${counters:-0}" -lt "$min_counters" ]; then
		echo "FAIL fuzz_$t: ${counters:-no} coverage counters (fewer than $min_counters): the code is not instrumented"
		fail=$((fail + 1))
		continue
	fi
	pass=$((pass + 1))
	echo "fuzz_$t: $n corpus files, $runs runs, ${counters:-uncounted} counters, no crash"
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
