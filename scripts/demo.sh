#!/bin/sh
# The demo: sets up everything on a fresh Debian machine (as root), builds,
# then shows mailgate at work.
#  1. "policy check" on the sample policy and its templates;
#  2. "check-message" on every sample message in tests/messages/, printing
#     why each is accepted or refused;
#  3. when the daemon is built: a throw-away mail lab on 127.0.0.1 (Dovecot
#     and a real SMTP submission server with STARTTLS and AUTH, certificates
#     from a throw-away CA); the samples go into the Outbox, mailgated runs
#     until the Outbox is empty, and the demo shows what was delivered, what
#     a caseworker sees in Rejected and Held, and the send log.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR="$top/build" "$top/scripts/setup.sh"
build="$top/build"
ctl="$build/mailgatectl"
MAILGATE_ANALYSE="$build/mailgate-analyse"	# the parser program as built
export MAILGATE_ANALYSE
conf="$top/tests/messages.conf"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "mailgatectl policy check (the sample policy and every template it names)"
"$ctl" -c "$conf" policy check || true

say "mailgatectl template show change-of-circumstances (the blank form staff copy)"
"$ctl" -c "$conf" template show change-of-circumstances

say "mailgatectl check-message on each sample message, as of 2026-11-23"
for eml in "$top"/tests/messages/*.eml; do
	printf '\n-- %s\n' "$(basename "$eml")"
	"$ctl" -c "$conf" check-message --at 2026-11-23 "$eml" || true
done

if [ -x "$build/mailgated" ] && [ -x "$top/scripts/lab-demo.sh" ]; then
	say "the daemon against a throw-away mail lab on 127.0.0.1"
	"$top/scripts/lab-demo.sh" "$build"
fi
