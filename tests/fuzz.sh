#!/bin/sh
# Runs each fuzz target over its corpus plus a fixed number of mutated
# inputs with a fixed seed (FUZZ_RUNS, default 3000), so make check is
# repeatable. libFuzzer writes new inputs into its first directory, so that
# is a temporary one: the source tree is never changed.
set -u
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
runs=${FUZZ_RUNS:-3000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
pass=0
fail=0
for t in message policy config; do
	bin="$builddir/tests/fuzz/fuzz_$t"
	mkdir -p "$tmp/$t"
	if "$bin" -runs="$runs" -seed=1 -max_len=262144 -timeout=20 -rss_limit_mb=4096 \
	    "$tmp/$t" "$srcdir/tests/fuzz/corpus/$t" >"$tmp/$t.log" 2>&1; then
		pass=$((pass + 1))
		echo "fuzz_$t: $runs runs, no crash"
	else
		fail=$((fail + 1))
		status=1
		echo "FAIL fuzz_$t"
		tail -n 40 "$tmp/$t.log"
	fi
done
echo "fuzz: $pass passed, $fail failed"
exit $status
