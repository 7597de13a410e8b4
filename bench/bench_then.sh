#!/bin/sh
# bench_then.sh - the 50 KB message's judging time against the code that
# issue 12 measured (commit 73bf96d: 0.461 ms in process, 0.805 ms through
# the worker on its machine), built from this checkout's history in a
# temporary git worktree and run alternately with the current bench_verdict
# in the same run. The issue's aims (0.3 ms, 0.5 ms) were absolute figures
# on one machine; on another machine the same aims are the ratios
# 0.3 / 0.461 and 0.5 / 0.805 of that code, which this prints beside the
# medians. Needs a git checkout (skips otherwise).
#
#   top_builddir=BUILD bench/bench_then.sh [ROUNDS]
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build-bench}
. "$top_srcdir/bench/common.sh"	# median
ROUNDS=${1:-5}
THEN=73bf96d68c91e815425a1c3049d2de6aa9277f18

if ! git -C "$top_srcdir" cat-file -e "$THEN^{commit}" 2>/dev/null; then
	echo "(bench_then.sh: no git history with $THEN here; skipped)"
	exit 0
fi
now_bin="$top_builddir/bench/bench_verdict"
[ -x "$now_bin" ] || { echo "bench_then.sh: $now_bin is not built" >&2; exit 1; }

T=$(mktemp -d /tmp/mg-then.XXXXXX)
trap 'git -C "$top_srcdir" worktree remove --force "$T/src" >/dev/null 2>&1; rm -rf "$T"' EXIT INT TERM
git -C "$top_srcdir" worktree add --detach --force "$T/src" "$THEN" >/dev/null 2>&1 ||
	{ echo "bench_then.sh: git worktree add failed" >&2; exit 1; }
(
	cd "$T/src" && autoreconf -fi >/dev/null 2>&1 && mkdir b && cd b &&
	../configure -q CFLAGS=-O2 >/dev/null 2>&1 && make -s -j2 bench/bench_verdict >/dev/null 2>&1
) || { echo "bench_then.sh: building $THEN failed (see $T)" >&2; trap - EXIT; exit 1; }
then_bin="$T/src/b/bench/bench_verdict"

# field LABEL: the value (ms) of the bench_verdict row starting with LABEL
field() { grep -F "| $1" | head -n 1 | sed 's/.*| \([0-9.]*\) ms |$/\1/'; }

: > "$T/ti"; : > "$T/tw"; : > "$T/ni"; : > "$T/nw"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	(cd "$T/src" && "$then_bin" policies/policy.xml templates tests/messages) > "$T/out" 2>&1 ||
		{ echo "bench_then.sh: the old bench_verdict failed" >&2; cat "$T/out" >&2; exit 1; }
	field "50 KB message, median, in process" < "$T/out" >> "$T/ti"
	field "50 KB message, median, worker included" < "$T/out" >> "$T/tw"
	MAILGATE_ANALYSE="$top_builddir/mailgate-analyse" MAILGATE_SCHEMA_DIR="$top_srcdir/policies" \
	    "$now_bin" "$top_srcdir/policies/policy.xml" "$top_srcdir/templates" \
	    "$top_srcdir/tests/messages" > "$T/out" 2>&1 ||
		{ echo "bench_then.sh: bench_verdict failed" >&2; cat "$T/out" >&2; exit 1; }
	field "50 KB message, median, in process" < "$T/out" >> "$T/ni"
	field "50 KB message, median, worker included" < "$T/out" >> "$T/nw"
	r=$((r + 1))
done

row() { # row WHAT THEN-FILE NOW-FILE ISSUE-THEN AIM
	t=$(median < "$2"); n=$(median < "$3")
	printf '| %s | %s ms (%s) | %s ms (%s) | %s | %s |\n' "$1" \
	    "$t" "$(tr '\n' ' ' < "$2" | sed 's/ $//')" "$n" "$(tr '\n' ' ' < "$3" | sed 's/ $//')" \
	    "$(awk -v a="$n" -v b="$t" 'BEGIN { printf "%.2f", a / b }')" \
	    "$(awk -v a="$5" -v b="$4" 'BEGIN { printf "%.2f (%s / %s)", a / b, a, b }')"
}
echo "### The 50 KB message against the issue's code (bench_then.sh)"
echo
echo "Commit ${THEN%"${THEN#???????}"} (the code issue 12 measured) built -O2 from this checkout's"
echo "history and run alternately with the current bench_verdict, $ROUNDS rounds each;"
echo "medians (every round in brackets). The aim, as a ratio, is the issue's"
echo "absolute aim over that code's time on the issue's machine."
echo
echo "| 50 KB message | then | now | now / then | aim |"
echo "| --- | --- | --- | --- | --- |"
row "in process" "$T/ti" "$T/ni" 0.461 0.3
row "through the worker, child ready in advance" "$T/tw" "$T/nw" 0.805 0.5
