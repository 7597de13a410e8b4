#!/bin/sh
# inbound.sh - the department's mail against the real lab (issue 9): each
# routing case of interface "Inbound mail" through mailgated --once, with
# the caseload imported by mailgatectl. Seed paragraphs in the README's
# "seed paragraph -> test" table (issue 9 block).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/integration/common.sh"

lab_up inbound 27500


sed -i "s|^policy_file = .*|policy_file = $top_srcdir/tests/data/policy/inbound.xml|" "$L/mailgate.conf"
DEPT=whp.enquiries@dwp.example
COC="WHP07 Change of Circumstances"

# dept ID FROM SUBJECT SURNAME NINO: a department message into $W/ID.eml
dept() {
	{
		printf 'From: %s\nTo: whp@provider.example\nSubject: %s\n' "$2" "$3"
		printf 'Date: Mon, 23 Nov 2026 09:14:03 +0000\nMessage-ID: <%s@dwp.example>\n' "$1"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\nDear provider,\n\n'
		[ -n "$4" ] && printf 'Participant surname: %s\n' "$4"
		[ -n "$5" ] && printf 'National Insurance number: %s\n' "$5"
		printf 'Change: The participant has moved house.\nDate of change: 2026-11-20\n'
	} > "$W/$1.eml"
}
# Deliveries forwarding the original <ID@dwp.example>, and to whom.
fwd_count() { grep -l "^X-Mailgate-Forwarded: <$1@dwp.example>" "$L"/spool/*.eml 2>/dev/null | wc -l; }
fwd_to() {
	for f in $(grep -l "^X-Mailgate-Forwarded: <$1@dwp.example>" "$L"/spool/*.eml 2>/dev/null); do
		python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["to"]))' "${f%.eml}.json"
	done
}
in_review() { mail census Review | grep -c "^Review <$1@dwp.example>"; }
reason() { mail census Review >/dev/null; mail header Review X-Mailgate-Reasons | grep . | tail -n 1; }

# before any caseload: a form routed by caseload waits in INBOX, and --once says so (75)
dept w1 $DEPT "$COC" Smith "AB123456C"
mail append INBOX "$W/w1.eml"
once
check "a form waiting for the caseload: --once exits 75" 75 $rc
check "it waits in INBOX" 1 "$(mail count INBOX)"
check "status counts it waiting" 1 "$(ctl status --format=prometheus | grep -c '^mailgate_inbox_waiting 1$')"

printf 'nino,holder,surname\nAB123456C,acme,Smith\nCE654321A,internal,Smith\nJK112233A,ended,Smith\nKL445566A,faraway,Smith\nMN778899A,acme,Jones\n' > "$W/caseload.csv"
ctl caseload import "$W/caseload.csv" > /dev/null
check "caseload imported" 0 $?

# ¶47, ¶53: held by a permitted sub-contractor: forwarded to it, deleted from INBOX
dept a1 $DEPT "$COC" Smith "AB 12 34 56 C"
# ¶53: held by a sub-contractor whose permit ended before today
dept a2 $DEPT "$COC" Smith "JK112233A"
# held in-house: the internal inboxes that take the process
dept a3 $DEPT "$COC" Smith "CE654321A"
# ¶56: unknown participant; surname mismatch
dept a4 $DEPT "$COC" Smith "PR112233A"
dept a5 $DEPT "$COC" Smith "MN778899A"
# ¶53: two records; a non-department sender; an offshore holder
dept a6 $DEPT "$COC" Smith "AB123456C CE654321A"
dept a7 someone@elsewhere.example "$COC" Smith "AB123456C"
dept a8 $DEPT "$COC" Smith "KL445566A"
mail append INBOX "$W/a1.eml" "$W/a2.eml" "$W/a3.eml" "$W/a4.eml" "$W/a5.eml" "$W/a6.eml" \
	"$W/a7.eml" "$W/a8.eml"
once; check "inbound pass exits 0" 0 $rc
check "INBOX emptied" 0 "$(mail count INBOX)"
check "the waiting form forwarded once the caseload came" 1 "$(fwd_count w1)"
check "a1 forwarded once" 1 "$(fwd_count a1)"
check "a1 to acme only" "whp@acme.example" "$(fwd_to a1)"
check "a1 not in Review" 0 "$(in_review a1)"
check "a1 forward logged" 1 "$(ctl log query --direction forward --message-id a1@dwp.example --format csv | grep -c ',sent,')"
check "a2 not forwarded" 0 "$(fwd_count a2)"
check "a2 in Review" 1 "$(in_review a2)"
check "a3 to the internal inbox" "caseworkers@provider.example" "$(fwd_to a3)"
for id in a2 a4 a5 a6 a7 a8; do
	check "$id not forwarded" 0 "$(fwd_count $id)"
	check "$id in Review" 1 "$(in_review $id)"
done
check "one notice per Review message" 6 "$(mail census Review | grep -c '^Review notice')"
check "not-entitled (permit ended, offshore)" 2 "$(mail header Review X-Mailgate-Reasons | grep -c not-entitled)"
check "unknown-participant" 1 "$(mail header Review X-Mailgate-Reasons | grep -c unknown-participant)"
check "wrong-details" 1 "$(mail header Review X-Mailgate-Reasons | grep -c wrong-details)"
check "too-many-records" 1 "$(mail header Review X-Mailgate-Reasons | grep -c too-many-records)"
check "not-from-department" 1 "$(mail header Review X-Mailgate-Reasons | grep -c not-from-department)"
check "drafts to the Performance Manager" 2 "$(mail header Review X-Mailgate-Notice | grep -c draft)"
check "no NINO in any Review notice subject" 0 "$(mail header Review Subject | grep -ciE 'PR ?11|MN ?77')"
check "review rows logged" 6 "$(ctl log query --direction in --outcome review --format csv | grep -c ',review,')"

# clerical mode: nothing forwarded, not-normal-mode
ctl mode clerical --reason "inbound test" > /dev/null
dept b1 $DEPT "$COC" Smith "AB123456C"
mail append INBOX "$W/b1.eml"
once
check "clerical: not forwarded" 0 "$(fwd_count b1)"
check "clerical: in Review" 1 "$(in_review b1)"
check "clerical: not-normal-mode" 1 "$(mail header Review X-Mailgate-Reasons | grep -c not-normal-mode)"
ctl mode resume --department-informed "inbound test over" > "$W/resume1.out"
check "resume after clerical says no re-introduction notice came" 1 \
	"$(grep -c '^resuming: no re-introduction notice from the department was received since clerical' "$W/resume1.out")"

# ¶61: a suspension notice puts mailgate in suspended at once, logged with the sender
dept c1 $DEPT "WHP Suspension Notice" "" ""
mail append INBOX "$W/c1.eml"
once
check "suspended by the notice" 1 "$(ctl mode | grep -c "^suspended .* by $DEPT")"
check "suspension notice in Review" 1 "$(in_review c1)"
# ¶62-63: a re-introduction notice never resumes by itself
dept c2 $DEPT "WHP Re-introduction Notice" "" ""
mail append INBOX "$W/c2.eml"
once
check "still suspended after re-introduction" 1 "$(ctl mode | grep -c '^suspended')"
check "re-introduction notice in Review" 1 "$(in_review c2)"
check "status shows the re-introduction notice" 1 \
	"$(ctl status | grep -c "^re-introduction notice: <c2@dwp.example> from $DEPT received ")"
check "status json names it" 1 "$(ctl status --json | grep -c '"reintroduction":{"message_id":"c2@dwp.example"')"
ctl mode resume --department-informed "inbound test over" > "$W/resume2.out"
check "mode resume names the re-introduction notice" 1 \
	"$(grep -c "^resuming after the department's re-introduction notice <c2@dwp.example> from $DEPT at " "$W/resume2.out")"
check "status no longer shows it once normal" 0 "$(ctl status | grep -c '^re-introduction notice')"

# ¶55: a send to the wrong sub-contractor: the request to delete it, sent and logged
msg mis1 whp@acme.example > "$W/mis1.eml"
mail append Outbox "$W/mis1.eml"
once
check "misdirected message sent" 1 "$(spool_count mis1@)"
ctl incident misdirected --message-id mis1@lab.test --recipient whp@acme.example \
	--action deletion-requested --send > "$W/incident.out" 2>&1
check "deletion request sent (exit 0)" 0 $?
req=$(grep -l '^Subject: Request to delete a record sent in error' "$L"/spool/*.eml | head -n 1)
check "deletion request delivered" 1 "$([ -n "$req" ] && echo 1)"
check "it names the Message-ID" 1 "$(grep -c 'Message-ID <mis1@lab.test>' "$req")"
check "it carries no NINO" 0 "$(grep -ciE 'AB ?12 ?34 ?56' "$req")"
check "to the sub-contractor only" "whp@acme.example" \
	"$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["to"]))' "${req%.eml}.json")"
check "logged as the incident's action" 1 "$(ctl incident list | grep -c 'deletion-requested')"
ctl incident misdirected --message-id mis1@lab.test --recipient whp@acme.example \
	--action alerted --send > /dev/null 2>&1
check "--send only with deletion-requested" 2 $?

# Delivery reports (RFC 3464): a message is sent, then the servers report on it.
# dsn ID ABOUT STYLE ACTION ADDRESS STATUS: a report into $W/ID.eml; STYLE headers
# (Postfix: text/rfc822-headers) or message (Gmail: the whole message returned)
dsn() {
	{
		printf 'From: MAILER-DAEMON@relay.provider.example (Mail Delivery System)\n'
		printf 'To: whp@provider.example\nSubject: Undelivered Mail Returned to Sender\n'
		printf 'Date: Tue, 1 Dec 2026 10:02:12 +0000\nMessage-ID: <%s@relay.provider.example>\n' "$1"
		printf 'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status;\n'
		printf '\tboundary="B-%s"\n\n--B-%s\nContent-Type: text/plain\n\n' "$1" "$1"
		printf 'Your message could not be delivered to one or more recipients.\n\n'
		printf -- '--B-%s\nContent-Type: message/delivery-status\n\n' "$1"
		printf 'Reporting-MTA: dns; relay.provider.example\nArrival-Date: Tue, 1 Dec 2026 10:02:11 +0000\n\n'
		printf 'Final-Recipient: rfc822; %s\nOriginal-Recipient: rfc822;%s\nAction: %s\n' "$5" "$5" "$4"
		printf 'Status: %s\nRemote-MTA: dns; mx.acme.example\n' "$6"
		printf 'Diagnostic-Code: smtp; 550 %s <%s>: Recipient address rejected:\n    User unknown\n\n' "$6" "$5"
		if [ "$3" = headers ]; then
			printf -- '--B-%s\nContent-Type: text/rfc822-headers\n\n' "$1"
			printf 'From: whp@provider.example\nTo: %s\nSubject: WHP07 Change of Circumstances\n' "$5"
			printf 'Message-ID: <%s>\n\n' "$2"
		else
			printf -- '--B-%s\nContent-Type: message/rfc822\n\n' "$1"
			printf 'From: whp@provider.example\nTo: %s\nSubject: WHP07 Change of Circumstances\n' "$5"
			printf 'Message-ID: <%s>\n\nParticipant surname: Smith\n\n' "$2"
		fi
		printf -- '--B-%s--\n' "$1"
	} > "$W/$1.eml"
}
bounced() { ctl log query --message-id "$1" --outcome bounced --format csv | grep -c ',bounced,'; }
msg bn1 whp@acme.example > "$W/bn1.eml"
mail append Outbox "$W/bn1.eml"
once
check "bn1 sent" 1 "$(spool_count bn1@)"
dsn e1 bn1@lab.test headers failed whp@acme.example 5.1.1
dsn e2 never@lab.test headers failed whp@acme.example 5.1.1
dsn e3 bn1@lab.test headers delayed whp@acme.example 4.4.1
dsn e4 bn1@lab.test message failed whp@acme.example 5.1.1
mail append INBOX "$W/e1.eml" "$W/e2.eml" "$W/e3.eml" "$W/e4.eml"
once; check "report pass exits 0" 0 $rc
check "a bounce: one bounced row for the recipient" 1 "$(bounced bn1@lab.test)"
check "the row names the recipient and the status" 1 \
	"$(ctl log query --message-id bn1@lab.test --outcome bounced --format json | grep -c '"recipient": *"whp@acme.example"')"
check "its detail carries the status and the server's words" 1 \
	"$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM log WHERE outcome = ? AND detail = ?", ("bounced", sys.argv[2])).fetchone()[0])' \
	"$L/state/sendlog.db" 'status 5.1.1: 550 5.1.1 <whp@acme.example>: Recipient address rejected: User unknown')"
check "a bounce: one notice beside the message in Sent" 1 "$(mail census Sent | grep -c '^Sent notice bounced <bn1@lab.test>')"
n=1; : > "$W/bnotice.eml"
while [ $n -le "$(mail count Sent)" ]; do
	mail fetch Sent $n > "$W/sent.eml"
	grep -q '^X-Mailgate-Notice: bounced' "$W/sent.eml" && cat "$W/sent.eml" >> "$W/bnotice.eml"
	n=$((n + 1))
done
check "the bounce notice names the recipient and the status" 1 \
	"$(grep -c '^  whp@acme.example (status 5.1.1: 550 5.1.1' "$W/bnotice.eml")"
check "the bounce notice names no NINO" 0 "$(grep -ciE 'AB ?12 ?34 ?56' "$W/bnotice.eml")"
check "the reports acted on are gone from INBOX" 0 "$(mail count INBOX)"
check "the bounce reports are not in Review" 0 "$(mail census Review | grep -cE '<e[14]@relay')"
check "an unmatched report goes to Review" 1 "$(mail census Review | grep -c '^Review <e2@relay.provider.example>')"
check "a delay only: no bounced row" 1 "$(bounced bn1@lab.test)"
check "a delay only: to Review" 1 "$(mail census Review | grep -c '^Review <e3@relay.provider.example>')"
check "unmatched-report notices" 2 "$(mail header Review X-Mailgate-Reasons | grep -c unmatched-report)"
check "a second report of the same bounce: no second notice" 1 "$(mail header Sent X-Mailgate-Notice | grep -c bounced)"
check "status counts the reports deleted and reviewed" 2 \
	"$(ctl status --format=prometheus | grep -cE '^mailgate_inbound_total\{outcome="(deleted|review)"\} 2$')"
check "status text counts them" 1 "$(ctl status | grep -c '^inbox: 0 forwarded, 2 to Review, 2 delivery reports deleted since the daemon started; waiting: 0$')"

# ¶57: Review items older than 7 days are reported (daily; every --once run)
python3 - "$L/mailgate.conf" "$top_srcdir/tests/integration" <<'PY'
import imaplib, sys, time
sys.path.insert(0, sys.argv[2])
import labmail
m = labmail.connect(labmail.conf(sys.argv[1]))
old = b"From: whp.enquiries@dwp.example\r\nSubject: old\r\nMessage-ID: <old1@dwp.example>\r\n\r\nold\r\n"
m.append('"Review"', None, imaplib.Time2Internaldate(time.time() - 8 * 86400), old)
m.logout()
PY
once
check "old Review item reported" 1 "$(grep -c 'message(s) in Review are older than 7 days' "$W/once.err")"

# the settle pass against the lab: a forward killed while its data is with the server (the
# journey left at its data stage), then its original removed from INBOX by hand: the next
# pass logs it uncertain and never forwards it again
dept s1 $DEPT "$COC" Smith "AB123456C"
mail append INBOX "$W/s1.eml"
echo 8 > "$L/spool/.delay250"
start_daemon
wait_for "fwd_count s1" 1 20
kill -9 "$DPID"; wait "$DPID" 2>/dev/null; DPID=
rm -f "$L/spool/.delay250"
check "killed after the server stored the forward, before its 250" 1 "$(fwd_count s1)"
check "the original is still in INBOX" 1 "$(mail census INBOX | grep -c '^INBOX <s1@dwp.example>')"
python3 - "$L/mailgate.conf" "$top_srcdir/tests/integration" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import labmail
m = labmail.connect(labmail.conf(sys.argv[1]))
m.select('"INBOX"')
typ, data = m.uid("SEARCH", None, "HEADER", "Message-ID", "<s1@dwp.example>")
for uid in data[0].split():
    m.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
m.expunge()
m.logout()
PY
check "removed from INBOX by hand" 0 "$(mail census INBOX | grep -c '^INBOX <s1@dwp.example>')"
once
check "the settle pass runs clean (0)" 0 $rc
check "it says the original left while the forward was under way" 1 \
	"$(grep -c 'message-id=<s1@dwp.example> left INBOX while its forward was under way; logged uncertain' "$W/once.err")"
check "the log shows it uncertain, once" 1 \
	"$(ctl log query --message-id s1@dwp.example --format csv | grep -c ',uncertain,')"
check "never forwarded again" 1 "$(fwd_count s1)"
once
check "a second pass adds no row" 1 "$(ctl log query --message-id s1@dwp.example --format csv | grep -c ',in,')"
check "nor a forward" 1 "$(fwd_count s1)"

# IDLE on INBOX (its own connection): a form is forwarded in seconds, with
# polling five minutes apart so that only IDLE can explain it
sed -i "s|^poll_interval = .*|poll_interval = 300|" "$L/mailgate.conf"
grep -q '^poll_interval' "$L/mailgate.conf" || echo "poll_interval = 300" >> "$L/mailgate.conf"
start_daemon
sleep 2
dept d1 $DEPT "$COC" Smith "AB123456C"
t0=$(date +%s.%N)
mail append INBOX "$W/d1.eml"
wait_for "fwd_count d1" 1 10
t1=$(date +%s.%N)
check "IDLE pickup forwards" 1 "$(fwd_count d1)"
# 2 s is the promise on a production build; ASan and a shared machine get 5
check "picked up and forwarded within 5 s" 1 "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a < 5) }')"
echo "# INBOX pickup to forward: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
stop_daemon

[ "$fails" -eq 0 ]
