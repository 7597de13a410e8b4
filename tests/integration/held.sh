#!/bin/sh
# held.sh - mailgatectl held list|release|discard against the lab: list
# counts messages, not their notices, and names the reasons and the form;
# release needs --reason, moves the message back to Outbox once and the
# next pass sends it; an already-sent one needs --resend and goes out under
# a new Message-ID; discard deletes it; every action is a send-log row with
# who and why; and status --format=prometheus parses as the textfile format.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/integration/common.sh"

lab_up held 27000

logrows() { sqlite3 "$L/state/sendlog.db" "SELECT submitted_by || ' ' || detail FROM log WHERE kind = 'held' AND message_id = '$1'"; }

# 1. held (uncertain: the connection broke after the data); list shows one message (not its
# notice), reasons and form. (A message held in clerical or suspended mode has a clerical copy:
# released, it is held again as already-clerical, so it cannot show release-then-send.)
echo drop > "$L/spool/.fault"
msg hold1 whp@acme.example > "$W/hold1.eml"
mail append Outbox "$W/hold1.eml"
once; check "the pass whose connection broke exits 0" 0 $rc
check "status counts the message, not its notice" 1 "$(ctl status | grep -c '^held: 1$')"
ctl held list > "$W/list.out"; check "held list exits 0" 0 $?
check "one held message counted" "held: 1 message" "$(tail -n 1 "$W/list.out")"
check "listed with reasons and form" 1 \
	"$(grep -c '^<hold1@lab.test> .* reasons=uncertain form="WHP07 Change of Circumstances"$' "$W/list.out")"
check "json list" 1 "$(ctl held list --format=json | grep -c '"message_id":"hold1@lab.test"')"

# 2. release: --reason needed; back to Outbox once; the next pass sends it
ctl held release hold1@lab.test > /dev/null 2>&1; check "release without --reason is usage" 2 $?
ctl held release '<hold1@lab.test>' --reason="not delivered" > /dev/null; check "release exits 0" 0 $?
check "released message in Outbox" 1 "$(census | grep -c '^Outbox <hold1@')"
check "its notice gone from Held" 0 "$(mail count Held)"
check "release logged with who and why" "$(id -un) release: not delivered" "$(logrows hold1@lab.test)"
once; check "pass after release exits 0" 0 $rc
check "released message sent" 1 "$(spool_count hold1@)"
ctl held release hold1@lab.test --reason=again > /dev/null 2>&1
check "a message not in Held is exit 1" 1 $?

# a message held in clerical mode and released comes back as already-clerical
ctl mode suspend --reason "held test" > /dev/null
msg cler1 whp@acme.example > "$W/cler1.eml"
mail append Outbox "$W/cler1.eml"; once
ctl mode resume --department-informed "held test over" > /dev/null
ctl held release cler1@lab.test --reason="try email" > /dev/null; once
check "released clerical message held again as already-clerical" 1 \
	"$(ctl held list | grep -c '^<cler1@.*reasons=already-clerical')"
check "and never delivered" 0 "$(spool_count cler1@)"
ctl held discard cler1@lab.test --reason="sent on paper" > /dev/null

# 3. already-sent needs --resend, which sends a copy under a new Message-ID
msg dup1 whp@acme.example > "$W/dup1.eml"
mail append Outbox "$W/dup1.eml"; once
mail append Outbox "$W/dup1.eml"; once
check "second copy held as already-sent" 1 "$(ctl held list | grep -c '^<dup1@.*reasons=already-sent')"
ctl held release dup1@lab.test --reason=ask > /dev/null 2>&1; check "already-sent without --resend is 1" 1 $?
check "still in Held" 1 "$(census | grep -c '^Held <dup1@')"
ctl held release dup1@lab.test --reason="recipient lost it" --resend > /dev/null
check "resend exits 0" 0 $?
check "the copy names the original" 1 "$(mail grep Outbox 'X-Mailgate-Resend-Of: <dup1@lab.test>')"
once; check "resent once under a new id" 1 "$(spool_count resend-)"
check "original id delivered only once" 1 "$(spool_count dup1@)"
check "resend logged" "$(id -un) resend: recipient lost it" "$(logrows dup1@lab.test)"

# 4. discard deletes message and notice, logged
ctl mode clerical --reason "held test" > /dev/null
msg gone1 whp@acme.example > "$W/gone1.eml"
mail append Outbox "$W/gone1.eml"; once
ctl held discard gone1@lab.test --reason="sent on paper" > /dev/null; check "discard exits 0" 0 $?
check "Held empty after discard" 0 "$(mail count Held)"
check "discard logged" "$(id -un) discard: sent on paper" "$(logrows gone1@lab.test)"
check "never delivered" 0 "$(spool_count gone1@)"

ctl log verify > /dev/null; check "the log with held rows verifies" 0 $?

# 5. status --format=prometheus: every sample line is NAME{LABELS} NUMBER
ctl status --format=prometheus > "$W/prom.out"
check "prometheus samples parse" 0 "$(grep -v '^#' "$W/prom.out" |
	grep -cvE '^[a-z_]+(\{[a-z]+="[^"]*"\})? -?[0-9]+(\.[0-9]+)?$')"
check "messages by outcome" 1 "$(grep -c '^mailgate_messages{outcome="sent"} 3$' "$W/prom.out")"
check "mode gauge" 1 "$(grep -c '^mailgate_mode{mode="clerical"} 1$' "$W/prom.out")"
check "every sample has HELP and TYPE" 0 "$(grep -v '^#' "$W/prom.out" | sed 's/[{ ].*//' | sort -u |
	while read -r n; do grep -qE "^# TYPE $n (gauge|counter)$" "$W/prom.out" || echo "$n"; done | wc -l)"
check "seconds since the last good IMAP contact" 1 "$(grep -c '^mailgate_server_seconds_since_ok{server="imap"} [0-9]' "$W/prom.out")"

echo "$fails failure(s)"
[ $fails -eq 0 ]
