#!/bin/sh
# daemon-kill-inbound.sh - the kill test for the department's mail (issue 9,
# seed ¶57): KILL_N (60) messages in INBOX, mailgated killed by SIGKILL at
# many points and restarted each time; then INBOX must be empty, no original
# forwarded twice, every original either forwarded (and logged) or in Review,
# never deleted without having been forwarded, no notice doubled, each Review
# item matched with its one log row and its notice's reasons, and the send
# log intact. Among them KILL_B (20) delivery reports about messages
# sent before, and a second report for every fifth: each bounce is logged
# exactly once, with one notice in Sent, and no report is left or reviewed.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/integration/common.sh"
N=${KILL_N:-200}
B=${KILL_B:-20}
SEED=${KILL_SEED:-4343}

lab_up kill-inbound 27600
sed -i "s|^policy_file = .*|policy_file = $top_srcdir/tests/data/policy/inbound.xml|" "$L/mailgate.conf"
printf 'nino,holder,surname\nAB123456C,acme,Smith\nCE654321A,internal,Smith\n' > "$W/caseload.csv"
ctl caseload import "$W/caseload.csv" > /dev/null || { echo "FAIL: caseload import"; exit 1; }
mkdir -p "$W/in"
i=1
while [ $i -le $N ]; do
	case $((i % 4)) in
	0) nino="PR112233A" ;;		# unknown participant: Review
	1) nino="CE654321A" ;;		# internal
	*) nino="AB 12 34 56 C" ;;	# acme
	esac
	printf 'From: whp.enquiries@dwp.example\nTo: whp@provider.example\nSubject: WHP07 Change of Circumstances\nDate: Mon, 23 Nov 2026 09:14:03 +0000\nMessage-ID: <k%s@dwp.example>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\nParticipant surname: Smith\nNational Insurance number: %s\nChange: moved house.\nDate of change: 2026-11-20\n' \
		"$i" "$nino" > "$W/in/$i.eml"
	i=$((i + 1))
done
# the messages the reports are about, sent and logged before any kill
mkdir -p "$W/out" "$W/dsn"
i=1
while [ $i -le $B ]; do
	msg b$i whp@acme.example > "$W/out/b$i.eml"
	i=$((i + 1))
done
mail append Outbox "$W"/out/*.eml
once
[ "$(ctl log query --outcome sent --direction out --format csv | grep -c '@lab.test')" -eq "$B" ] ||
	{ echo "FAIL: the $B messages to bounce were not all sent"; exit 1; }
# report ID ABOUT: a Postfix-shaped report that whp@acme.example refused ABOUT
report() {
	printf 'From: MAILER-DAEMON@relay.provider.example\nTo: whp@provider.example\nSubject: Undelivered Mail Returned to Sender\nMessage-ID: <%s@relay>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\n\n--B\nContent-Type: text/plain\n\nnot delivered\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay\n\nFinal-Recipient: rfc822; whp@acme.example\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n\n--B\nContent-Type: text/rfc822-headers\n\nFrom: whp@provider.example\nMessage-ID: <%s>\n\n--B--\n' \
		"$1" "$2" > "$W/dsn/$1.eml"
}
i=1
while [ $i -le $B ]; do
	report r$i b$i@lab.test
	[ $((i % 5)) -eq 0 ] && report r$i-again b$i@lab.test
	i=$((i + 1))
done
mail append INBOX "$W"/in/*.eml "$W"/dsn/*.eml

awk -v s="$SEED" 'BEGIN { srand(s); for (i = 0; i < 300; i++) print 10 + int(rand() * 140) }' \
	> "$W/delays"
kill_loop INBOX
once
echo "killed $kills times; last pass exit $rc"

fails=0
mail census INBOX Review > "$W/census"
for f in "$L"/spool/*.eml; do
	[ -f "$f" ] && grep -i '^X-Mailgate-Forwarded:' "$f"
done | sort | uniq -c > "$W/forwards"
awk '$1 > 1' "$W/forwards" > "$W/twice"
grep ' notice ' "$W/census" | sort | uniq -c | awk '$1 > 1' > "$W/notice-dups"
ctl log query --direction forward --format csv > "$W/fwdrows"
deleted_unforwarded=0
i=1
while [ $i -le $N ]; do
	inrev=$(grep -c "^Review <k$i@dwp.example>" "$W/census")
	fwd=$(grep -c "<k$i@dwp.example>" "$W/forwards")
	if [ "$inrev" -eq 0 ]; then
		# gone from INBOX without Review: it must have been forwarded, and logged
		if [ "$fwd" -ne 1 ] || ! grep -q "k$i@dwp.example" "$W/fwdrows"; then
			deleted_unforwarded=$((deleted_unforwarded + 1))
			echo "k$i: deleted, forwarded $fwd times"
		fi
	fi
	[ "$inrev" -le 1 ] || { echo "FAIL: k$i $inrev times in Review"; fails=1; }
	i=$((i + 1))
done
# Review against the log, item by item: each message in Review has exactly one row of its own
# (direction in, outcome review or uncertain) whose reasons are its notice's, and one notice;
# a message not in Review has no such row
mail notices Review > "$W/review-notices"
ctl log query --direction in --format csv > "$W/inrows"
/usr/bin/python3 - "$N" "$W/census" "$W/review-notices" "$W/inrows" > "$W/review-vs-log" <<'PY'
import csv, sys
n, census, notices, rows = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
bare = lambda m: m.strip().strip("<>")	# the log keeps a Message-ID without its brackets
inrev = {bare(l.split()[1]) for l in open(census) if l.startswith("Review <")}
notes = {}
for l in open(notices):
    p = l.split(None, 2)
    notes.setdefault(bare(p[0]), []).append(p[2].strip() if len(p) > 2 else "")
logged = {}
for r in csv.DictReader(open(rows, newline="")):
    logged.setdefault(bare(r["message_id"]), []).append((r["outcome"], " ".join(r["reasons"].split())))
if len(inrev) < n // 8:
    print("only %d messages in Review: the comparison proves little" % len(inrev))
for i in range(1, n + 1):
    mid = "k%d@dwp.example" % i
    got = logged.get(mid, [])
    if mid in inrev:
        if len(got) != 1 or got[0][0] not in ("review", "uncertain"):
            print("%s in Review, its rows in the log: %r" % (mid, got))
        elif notes.get(mid) != [got[0][1]]:
            print("%s in Review: notice reasons %r, the log's %r" % (mid, notes.get(mid), got[0][1]))
    elif got:
        print("%s not in Review, yet its rows in the log: %r" % (mid, got))
PY
[ -s "$W/review-vs-log" ] && { echo "FAIL: Review and the log disagree:"; cat "$W/review-vs-log"; fails=1; }
echo "Review compared with the log: $(grep -c '^Review <' "$W/census") items, $(grep -c . "$W/review-notices") notices"
left=$(grep -c '^INBOX ' "$W/census")
echo "forwarded $(wc -l < "$W/forwards"), in Review $(grep -c '^Review <' "$W/census"), left $left"
[ "$left" -eq 0 ] || { echo "FAIL: $left left in INBOX"; fails=1; }
[ -s "$W/twice" ] && { echo "FAIL: forwarded twice:"; cat "$W/twice"; fails=1; }
[ -s "$W/notice-dups" ] && { echo "FAIL: notices doubled:"; cat "$W/notice-dups"; fails=1; }
[ "$deleted_unforwarded" -eq 0 ] || { echo "FAIL: $deleted_unforwarded deleted without a forward"; fails=1; }
[ "$kills" -ge 10 ] || { echo "FAIL: only $kills kills: the test proved little"; fails=1; }
# each bounce logged exactly once, one notice beside it in Sent, no report reviewed
mail census Sent > "$W/sent-census"
ctl log query --outcome bounced --format csv > "$W/bounced"
i=1
while [ $i -le $B ]; do
	rows=$(grep -c ",b$i@lab.test," "$W/bounced")
	notes=$(grep -c "^Sent notice bounced <b$i@lab.test>" "$W/sent-census")
	[ "$rows" -eq 1 ] || { echo "FAIL: b$i bounced $rows times in the log"; fails=1; }
	[ "$notes" -eq 1 ] || { echo "FAIL: b$i has $notes bounce notices"; fails=1; }
	i=$((i + 1))
done
[ "$(grep -c '^Review <r' "$W/census")" -eq 0 ] || { echo "FAIL: a matched report went to Review"; fails=1; }
echo "bounced rows $(grep -c ',bounced,' "$W/bounced") for $B reports and their repeats"
ctl log verify > "$W/verify" 2>&1 || { echo "FAIL: log verify"; cat "$W/verify"; fails=1; }
[ $fails -eq 0 ] && echo "ok - every original forwarded at most once, none deleted unforwarded"
exit $fails
