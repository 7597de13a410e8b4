#!/bin/sh
# lab-demo.sh BUILD_DIR - the daemon part of the demo (scripts/demo.sh).
# Starts a throw-away mail lab on 127.0.0.1 (Dovecot with the designated
# inbox and its folders; an aiosmtpd submission server with STARTTLS and
# AUTH that stores what it receives; certificates from a throw-away CA),
# drops sample messages into the Outbox, runs mailgated until the Outbox is
# empty, and shows what was delivered, what the caseworker sees in Rejected
# and Held, and the send log. The lab is removed at the end.
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$(cd "${1:-$top_srcdir/build}" && pwd)
# the build tree's programs read the source tree's schemas
MAILGATE_SCHEMA_DIR=${MAILGATE_SCHEMA_DIR:-$top_srcdir/policies}
export MAILGATE_SCHEMA_DIR
. "$top_srcdir/tests/integration/common.sh"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

lab_up demo 24700
say "the lab: IMAP $(grep '^imap_' "$L/mailgate.conf" | tr '\n' ' ')"

# a selection of the samples, as caseworkers would leave them in the Outbox
for name in coc-thunderbird-plain coc-outlook-alternative docx-form names-list-csv \
    employment-business-late offshore-subcontractor nino-in-subject unknown-process \
    pdf-attachment two-participants; do
	msg_from "$M/$name.eml" "demo-$name" >"$W/$name.eml"
done
mail append Outbox "$W"/*.eml
say "Outbox before: $(mail count Outbox) messages"

say "mailgated --once (until the Outbox is empty)"
for pass in 1 2 3; do
	"$MAILGATED" -c "$L/mailgate.conf" --once 2>&1 | sed 's/^<[0-9]>//'
	[ "$(mail count Outbox)" -eq 0 ] && break
done

say "the folders a caseworker sees"
for f in Outbox Sent Rejected Held; do
	printf '%-9s %s\n' "$f" "$(mail count "$f")"
done

say "what the SMTP server received (envelope and headers)"
for j in "$L"/spool/*.json; do
	[ -f "$j" ] || continue
	/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("envelope from %s to %s, over the %s listener (AUTH required there)" % (d.get("from"), ",".join(d.get("to") or []), d.get("listener")))' "$j" 2>/dev/null || cat "$j"
	grep -m 3 -E '^(From|To|Subject):' "${j%.json}.eml"
done

say "a notice in Rejected, as the caseworker reads it"
n=$(mail count Rejected)
i=1
while [ "$i" -le "$n" ]; do
	if mail fetch Rejected "$i" | grep -q '^X-Mailgate-Notice: rejected'; then
		mail fetch Rejected "$i" | tr -d '\r'
		break
	fi
	i=$((i + 1))
done

say "mailgatectl log query (the send log)"
ctl log query
say "mailgatectl log verify"
ctl log verify
say "mailgatectl status"
ctl status || true
