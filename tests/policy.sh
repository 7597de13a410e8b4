#!/bin/sh
# mailgatectl's policy and template commands as an admin meets them: exit
# codes (0 valid with warnings, 1 invalid, 2 usage or unknown template),
# one FILE:LINE diagnostic per problem, and the blank form.
set -u
. "${top_srcdir:-.}/tests/common.sh"
conf="$srcdir/tests/messages.conf"
expect_rc sample 0 "$ctl" -c "$conf" policy check
has sample-warning "policy.xml:[0-9]*: warning: process good-news-story has no approval"
expect_rc sample-after-command 0 "$ctl" policy check -c "$conf"
expect_rc semantic 1 "$ctl" -c "$conf" policy check "$srcdir/tests/data/policy/semantic-errors.xml"
has semantic-line "semantic-errors.xml:16: error: a@dwp.example is already listed on line 12"
expect_rc dtd 1 "$ctl" -c "$conf" policy check "$srcdir/tests/data/policy/billion-laughs.xml"
has dtd-text "billion-laughs.xml:2: error: DTDs are not allowed"
expect_rc usage 2 "$ctl" -c "$conf" policy
expect_rc bad-config 2 "$ctl" -c "$srcdir/tests/data/config/bad.conf" policy check
has bad-config-line "bad.conf:2: error: unknown key 'bogus'"
expect_rc show 0 "$ctl" -c "$conf" template show change-of-circumstances
has show-field "^National Insurance number: $"
expect_rc show-unknown 2 "$ctl" -c "$conf" template show no-such-form
expect_rc unknown-command 2 "$ctl" -c "$conf" frobnicate
expect_rc missing-message 2 "$ctl" -c "$conf" check-message /nonexistent.eml
expect_rc bad-at 2 "$ctl" -c "$conf" check-message --at 2026-02-30 "$srcdir/tests/messages/no-record.eml"
echo "policy: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
