#!/bin/sh
# mailgatectl's policy and template commands as an admin meets them: exit
# codes (0 valid with warnings, 1 invalid, 2 usage or unknown template),
# one FILE:LINE diagnostic per problem, and the blank form.
set -u
srcdir=${top_srcdir:-.}
ctl="${top_builddir:-.}/mailgatectl"
conf="$srcdir/tests/messages.conf"
pass=0
fail=0
check() {	# check NAME WANT_RC COMMAND... (output in $out)
	name=$1 want=$2
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -eq "$want" ]; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL $name: exit $rc, expected $want"; echo "$out"; fi
}
grep_out() {	# grep_out NAME PATTERN
	if printf '%s\n' "$out" | grep -q -- "$2"; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL $1: no '$2' in:"; echo "$out"; fi
}
check sample 0 "$ctl" -c "$conf" policy check
grep_out sample-warning "policy.xml:[0-9]*: warning: process good-news-story has no approval"
check sample-after-command 0 "$ctl" policy check -c "$conf"
check semantic 1 "$ctl" -c "$conf" policy check "$srcdir/tests/data/policy/semantic-errors.xml"
grep_out semantic-line "semantic-errors.xml:16: error: a@dwp.example is already listed on line 12"
check dtd 1 "$ctl" -c "$conf" policy check "$srcdir/tests/data/policy/billion-laughs.xml"
grep_out dtd-text "billion-laughs.xml:2: error: DTDs are not allowed"
check usage 2 "$ctl" -c "$conf" policy
check bad-config 2 "$ctl" -c "$srcdir/tests/data/config/bad.conf" policy check
grep_out bad-config-line "bad.conf:2: error: unknown key 'bogus'"
check show 0 "$ctl" -c "$conf" template show change-of-circumstances
grep_out show-field "^National Insurance number: $"
check show-unknown 2 "$ctl" -c "$conf" template show no-such-form
check unknown-command 2 "$ctl" -c "$conf" frobnicate
check missing-message 2 "$ctl" -c "$conf" check-message /nonexistent.eml
check bad-at 2 "$ctl" -c "$conf" check-message --at 2026-02-30 "$srcdir/tests/messages/no-record.eml"
echo "policy: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
