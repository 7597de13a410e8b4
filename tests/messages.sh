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
# The size rule, through check-message: counted with CRLF line endings,
# equal passes; a file too large to read is counted as it streams. Made
# here rather than kept: 10 MiB each.
size_case() { # size_case NAME LINE-END TOTAL-CRLF-BYTES WANT-TOO-LARGE
	python3 - "$tmp/$1.eml" "$2" "$3" <<'PY'
import sys
path, eol, total = sys.argv[1], sys.argv[2].encode().decode("unicode_escape"), int(sys.argv[3])
head = "From: a@provider.example{0}To: whp@acme.example{0}Subject: WHP07 Change of Circumstances{0}{0}".format(eol)
crlf = lambda s: len(s) + (s.count("\n") if eol == "\n" else 0)
body, line = [], "x" * 70 + eol
size = crlf(head)
while size + crlf(line) <= total:
    body.append(line)
    size += crlf(line)
rest = total - size
body.append("y" * (rest - (2 if rest >= 2 else 0)) + ("\r\n" if eol == "\r\n" and rest >= 2 else ("\n" if rest >= 2 else "")))
open(path, "w", newline="").write(head + "".join(body))
PY
	"$ctl" -c "$conf" check-message --at "$at" "$tmp/$1.eml" >"$tmp/out" 2>"$tmp/err"
	if grep -q '^message-too-large: the message is '"$3"' bytes with CRLF line endings; the policy allows 10485760$' "$tmp/out"; then
		got=1
	else
		got=0
	fi
	if [ "$got" -ne "$4" ] || grep -q 'malformed-message' "$tmp/out"; then
		echo "FAIL size $1: $(head -n 2 "$tmp/out" | tr '\n' ' ') $(cat "$tmp/err")"
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
}
if command -v python3 >/dev/null 2>&1; then
	size_case crlf-at-limit '\r\n' 10485760 0
	size_case crlf-over-limit '\r\n' 10485761 1
	size_case lf-over-when-counted '\n' 10485761 1
	size_case lf-file-over-limit '\n' 12000001 1
fi
echo "messages: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
