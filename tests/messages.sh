#!/bin/sh
# Judges every tests/messages/*.eml with mailgatectl check-message as of
# 2026-11-23 and compares the whole human output with the message's .expect
# file: the verdict line and every "code: detail" line, so the field, the
# recipient or the file a reason names is checked, not only its code. Also
# checks that --json gives one valid JSON object with the same verdict,
# codes and details, and that the exit code matches (0 accept, 1 reject).
set -u
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
ctl="$builddir/mailgatectl"
conf="$srcdir/tests/messages.conf"
at=2026-11-23
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The JSON object must say what the human form says, reason by reason.
json_check='
import json, sys
o = json.load(open(sys.argv[1], encoding="utf-8"))
lines = open(sys.argv[2], encoding="utf-8").read().splitlines()
assert o["verdict"] in ("accept", "reject") and lines[0].split()[0] == o["verdict"], "verdict"
got = ["%s: %s" % (r["code"], r["detail"]) for r in o["reasons"] + o["warnings"]]
assert got == lines[1:], "reasons %r != %r" % (got, lines[1:])
'

for eml in "$srcdir"/tests/messages/*.eml; do
	name=$(basename "$eml" .eml)
	exp="${eml%.eml}.expect"
	if [ ! -f "$exp" ]; then
		echo "FAIL $name: no .expect file"
		fail=$((fail + 1))
		continue
	fi
	"$ctl" -c "$conf" check-message --at "$at" "$eml" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	cp "$tmp/out" "$tmp/got"
	case $(head -n 1 "$tmp/out") in
	accept*) want_rc=0 ;;
	*) want_rc=1 ;;
	esac
	if ! diff -u "$exp" "$tmp/got" >"$tmp/diff"; then
		echo "FAIL $name: verdict differs"
		cat "$tmp/diff" "$tmp/err"
		fail=$((fail + 1))
		continue
	fi
	if [ "$rc" -ne "$want_rc" ]; then
		echo "FAIL $name: exit $rc, expected $want_rc"
		cat "$tmp/err"
		fail=$((fail + 1))
		continue
	fi
	"$ctl" -c "$conf" check-message --json --at "$at" "$eml" >"$tmp/json" 2>/dev/null
	if command -v python3 >/dev/null 2>&1; then
		if ! python3 -c "$json_check" "$tmp/json" "$exp" 2>"$tmp/err"; then
			echo "FAIL $name: --json output is not the same verdict, codes and details"
			cat "$tmp/err"
			fail=$((fail + 1))
			continue
		fi
	fi
	pass=$((pass + 1))
done
echo "messages: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
