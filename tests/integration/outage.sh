#!/bin/sh
# outage.sh - outages and the clerical route against the real lab (lab.sh),
# on the real binaries. Each check names the seed paragraph it proves
# (seed 000_6669e490fb0f7af7.txt, ¶58-63; README "Seed paragraph -> test").
#
# SMTP down -> outage after outage_after_seconds -> a restart keeps its
# start -> 48 hours pass -> clerical by itself -> Outbox messages held with
# copies and notices, nothing delivered -> resume refused without the text
# -> resumed -> held ones stay held -> one moved back is already-clerical ->
# a new message is sent.
#
# The 48 hours: faketime (libfaketime) deadlocks in the initialisation of an
# AddressSanitizer binary, which this suite builds, so time is moved the
# other way: the outage's first failure, which the daemon keeps in its state
# table, is set 49 hours back while the daemon is stopped, and the daemon
# restarted on it. That is exactly what a daemon restarted two days into an
# outage finds; the TLS certificates of the lab (valid two days) stay valid.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/integration/common.sh"

lab_up outage 26500

DB="$L/state/sendlog.db"
sql() { /usr/bin/python3 -c 'import sqlite3,sys
c = sqlite3.connect(sys.argv[1])
for r in c.execute(sys.argv[2]): print("|".join(str(x) for x in r))
c.commit()' "$DB" "$1"; }
rows() { sql "SELECT count(*) FROM log WHERE kind = '$1' AND outcome = '$2'$3"; }
held_notices() { mail header Held X-Mailgate-Reasons | grep -c "$1"; }

echo "outage_after_seconds = 2" >> "$L/mailgate.conf"

# ¶58 a fresh state_dir: mode and the read-only commands work before the daemon ran
out=$(ctl mode 2>&1); check "¶58 mode on a fresh state_dir exits 0" 0 $?
check "¶58 mode on a fresh state_dir says normal" 1 "$(echo "$out" | grep -c '^normal (no send log yet')"
ctl clerical list > "$W/cl0.out" 2>&1; check "¶58 clerical list on a fresh state_dir exits 0" 0 $?
check "¶58 no sqlite words on a fresh state_dir" 0 "$(grep -ci 'unable to open' "$W/cl0.out")"
ctl log query > "$W/lq0.out" 2>&1
check "¶58 log query on a fresh state_dir says no send log yet" 1 "$(grep -c 'no send log yet' "$W/lq0.out")"

# ¶58 SMTP down: the first failure is not yet an outage
echo down > "$L/spool/.fault"
msg out1 whp@acme.example > "$W/out1.eml"
mail append Outbox "$W/out1.eml"
once; check "¶58 SMTP down exits 69" 69 $rc
check "¶58 one failure is not an outage" 1 "$(ctl mode | grep -c '^normal')"
sleep 3
once; check "¶58 still down exits 69" 69 $rc
check "¶58 outage after outage_after_seconds" 1 "$(ctl mode | grep -c '^outage since .*smtp 127.0.0.1 unreachable since')"
check "¶58 outage start logged once" 1 "$(rows outage start '')"
check "¶58 journal err at the start" 1 "$(grep -c '^<3>outage: smtp' "$W/once.err")"
ctl status > "$W/st.out"; src=$?
check "¶58 status degraded (exit 1)" 1 $src
check "¶58 status says since when" 1 "$(grep -c '^outage: smtp unreachable since 20' "$W/st.out")"
check "¶58 staff told in INBOX (IMAP works, SMTP not)" 1 "$(mail census INBOX | grep -c '^INBOX notice outage')"
check "¶58 during the outage the message waits in Outbox" 1 "$(mail count Outbox)"
since1=$(ctl mode | sed 's/ by .*//')

# ¶58 a restart during the outage keeps its start; no second start, notice or journal line
once; check "¶58 restarted daemon still down exits 69" 69 $rc
check "¶58 restart keeps the outage's start" "$since1" "$(ctl mode | sed 's/ by .*//')"
check "¶58 still one start row after restart" 1 "$(rows outage start '')"
check "¶58 no second journal line within the day" 0 "$(grep -c '^<3>outage: smtp' "$W/once.err")"
check "¶58 INBOX notice once per outage" 1 "$(mail census INBOX | grep -c '^INBOX notice outage')"
first=$(sql "SELECT value FROM state WHERE key = 'outage'" | cut -f2)
started=$(sql "SELECT value FROM state WHERE key = 'outage'" | cut -f3)
check "¶58 the state keeps the first failure as the start" "$first" "$started"

# ¶59 48 hours of outage: clerical by itself (the clock moved back 49 hours, see above)
back=$(( $(date +%s) - 49 * 3600 ))
sql "UPDATE state SET value = '0	$back	$back	1	$back	1	0' WHERE key = 'outage'" > /dev/null
once; check "¶59 pass after 49 hours exits 69 (SMTP still down)" 69 $rc
check "¶59 clerical by itself" 1 "$(ctl mode | grep -c '^clerical since .*automatic: the outage since')"
check "¶59 journal says clerical" 1 "$(grep -c '^<3>mode clerical: automatic' "$W/once.err")"
check "¶59 reminder line after a day" 1 "$(grep -c '^<3>outage: smtp .*(49 hours)' "$W/once.err")"
check "¶59 Outbox message held" 1 "$(census | grep -c '^Held <out1@')"
check "¶59 held notice: clerical route" 1 "$(mail grep Held 'the clerical route is in use')"
check "¶59 logged clerical" 1 "$(rows message clerical " AND message_id = 'out1@lab.test'")"
msg out2 whp@acme.example > "$W/out2.eml"
mail append Outbox "$W/out2.eml"
once
check "¶59 a new message in clerical mode is held too" 1 "$(census | grep -c '^Held <out2@')"
check "¶59 nothing delivered in clerical mode" 0 "$(( $(spool_count out1@) + $(spool_count out2@) ))"

# ¶59 the clerical copies: listed, printable, 0640, the form only
ctl clerical list > "$W/cl.out"; check "¶59 clerical list exits 0" 0 $?
check "¶59 two copies waiting" 2 "$(grep -c 'Change of Circumstances (WHP07)' "$W/cl.out")"
check "¶59 clerical list drafts the notice to the department" 1 "$(grep -c '^Notice of an email outage' "$W/cl.out")"
check "¶59 the notice names the designated inbox" 1 "$(grep -c 'whp@provider.example' "$W/cl.out")"
check "¶59 the notice dates it from the outage's start" 1 "$(grep -c "^From $(date -u -d "@$back" '+%Y-%m-%d %H:%M') UTC" "$W/cl.out")"
ctl clerical list --format json > "$W/cl.json"
id1=$(/usr/bin/python3 -c 'import json,sys
print([e["id"] for e in json.load(open(sys.argv[1])) if e["message_id"] == "out1@lab.test"][0])' "$W/cl.json")
id2=$(/usr/bin/python3 -c 'import json,sys
print([e["id"] for e in json.load(open(sys.argv[1])) if e["message_id"] == "out2@lab.test"][0])' "$W/cl.json")
check "¶59 clerical list csv header" "id,made,process,form,message_id" "$(ctl clerical list --format csv | head -1 | tr -d '\r')"
ctl clerical show "$id1" > "$W/show.out"; check "¶59 clerical show exits 0" 0 $?
check "¶59 the copy holds the fields" 1 "$(grep -c '^National Insurance number: AB 12 34 56 C' "$W/show.out")"
check "¶59 and nothing else of the message" 0 "$(grep -c 'Hello Acme team\|Thanks' "$W/show.out")"
check "¶59 copies are 0640" "640 640 640" "$(stat -c %a "$L/state/clerical/$id1.html" "$L/state/clerical/$id1.txt" "$L/state/clerical/index.html" | tr '\n' ' ' | sed 's/ $//')"
check "¶59 index.html lists both" 2 "$(grep -c 'href=' "$L/state/clerical/index.html")"
if command -v chromium > /dev/null && command -v pdftotext > /dev/null; then
	timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$W/chromium" \
		--no-pdf-header-footer --print-to-pdf="$W/copy.pdf" "file://$L/state/clerical/$id1.html" > "$W/chromium.out" 2>&1
	pdftotext -layout "$W/copy.pdf" "$W/copy.txt" 2>/dev/null
	check "¶59 the printed copy has the title" 1 "$(grep -c 'Change of Circumstances' "$W/copy.txt")"
	check "¶59 the printed copy has the form code" 1 "$(grep -c 'Form WHP07' "$W/copy.txt")"
	check "¶59 the printed copy has the surname" 1 "$(grep -c 'Smith' "$W/copy.txt")"
	check "¶59 the printed copy is A4" 1 "$(pdfinfo "$W/copy.pdf" 2>/dev/null | grep -c '^Page size:.*(A4)')"
	check "¶59 the printed copy has nothing else" 0 "$(grep -c 'Hello Acme' "$W/copy.txt")"
else
	echo "FAIL - ¶59 the printed copy: chromium and poppler-utils are needed"; fails=$((fails + 1))
fi

# ¶60 resume only with the text saying how the department was told
ctl mode resume > /dev/null 2>&1; check "¶60 resume refused without the text" 2 $?
ctl mode resume --department-informed "" > /dev/null 2>&1; check "¶60 resume refused with an empty text" 2 $?
check "¶60 still clerical after the refusals" 1 "$(ctl mode | grep -c '^clerical')"
rm -f "$L/spool/.fault"
ctl mode resume --department-informed "phoned the contract manager" > "$W/resume.out"
check "¶60 resume exits 0" 0 $?
check "¶60 resume drafts the notice of the return to email" 1 "$(grep -c '^Notice of the return to email' "$W/resume.out")"
check "¶60 the notice gives how the department was informed" 1 "$(grep -c '^How the department was informed: phoned the contract manager' "$W/resume.out")"
once; check "¶60 first pass after resume exits 0" 0 $rc
check "¶60 held ones stay held" 2 "$(census | grep -c '^Held <out[12]@')"
check "¶60 nothing sent by itself" 0 "$(( $(spool_count out1@) + $(spool_count out2@) ))"
check "¶58 the outage ended (a log row)" 1 "$(rows outage end '')"

# ¶60 nothing goes twice: moved back to Outbox, waiting or done, it is already-clerical
mail append Outbox "$W/out1.eml"
once
check "¶60 a waiting copy's message moved back is held again" 2 "$(census | grep -c '^Held <out1@')"
check "¶60 its notice says already-clerical" 1 "$(held_notices already-clerical)"
check "¶60 not delivered" 0 "$(spool_count out1@)"
ctl clerical done "$id2" > /dev/null 2>&1; check "clerical done needs --note" 2 $?
ctl clerical done "$id2" --note "posted to the department" > /dev/null; check "¶59 clerical done exits 0" 0 $?
check "¶59 done removes the copy" 0 "$(ls "$L/state/clerical/$id2".* 2>/dev/null | wc -l)"
check "¶59 done is a log row" 1 "$(rows clerical done " AND message_id = 'out2@lab.test'")"
mail append Outbox "$W/out2.eml"
once
check "¶60 a done copy's message moved back is already-clerical" 2 "$(census | grep -c '^Held <out2@')"
check "¶60 not delivered after done" 0 "$(spool_count out2@)"

# ¶60 a new message is sent
msg out3 whp@acme.example > "$W/out3.eml"
mail append Outbox "$W/out3.eml"
once; check "¶60 a new message after resume exits 0" 0 $rc
check "¶60 the new message is delivered" 1 "$(spool_count out3@)"

# ¶61 suspended on the department's word: the clerical route as well
ctl mode suspend --reason "department IT failure" > /dev/null
msg out4 whp@acme.example > "$W/out4.eml"
mail append Outbox "$W/out4.eml"
once
check "¶61 suspended: held with a clerical copy" 1 "$(ctl clerical list --format csv | grep -c 'out4@lab.test')"
check "¶61 nothing delivered while suspended" 0 "$(spool_count out4@)"
ctl mode resume --department-informed "department notice of the end of suspension" > /dev/null
# ¶62 the department asks the provider to revert to the clerical process
ctl mode clerical --reason "the department asked us to use the clerical process" > "$W/cler.out"
check "¶62 mode clerical exits 0" 0 $?
check "¶62 mode clerical drafts the notice of the outage" 1 "$(grep -c '^Notice of an email outage' "$W/cler.out")"
check "¶62 the notice gives the reason" 1 "$(grep -c '^Reason: the department asked us' "$W/cler.out")"
# ¶63 the department says email is back: resume
ctl mode resume --department-informed "department notice of re-introduction" > /dev/null
check "¶63 resumed to normal" 1 "$(ctl mode | grep -c '^normal since')"

# ¶59/¶60 the notice templates are the admins' to edit: an unknown placeholder is a policy check error
cp -r "$top_srcdir/templates" "$W/tpl"
echo "Signed: {{signature}}" >> "$W/tpl/notice-return.txt"
conf_variant badnotice "s|^template_dir = .*|template_dir = $W/tpl|"
"$MAILGATECTL" -c "$L/badnotice.conf" policy check > "$W/pc.out" 2>&1
check "¶60 an unknown placeholder fails policy check (exit 1)" 1 $?
check "¶60 the error names the file and line" 1 "$(grep -c "notice-return.txt:$(wc -l < "$W/tpl/notice-return.txt"): error: unknown placeholder '{{signature}}'" "$W/pc.out")"
ctl policy check > /dev/null 2>&1; check "the shipped notice templates pass policy check" 0 $?

# permits and policy show (interface, last item of "Outages")
ctl policy show --at 2026-12-01 --process change-of-circumstances > "$W/pshow.out"
check "policy show exits 0" 0 $?
check "policy show lists the permitted sub-contractor with dates" 1 "$(grep -c '^  sub-contractor: acme (Acme Skills Ltd) from 2026-01-01 until 2027-03-31' "$W/pshow.out")"
check "policy show lists the department inbox" 1 "$(grep -c '^  department inbox: whp.enquiries@dwp.example' "$W/pshow.out")"
ctl policy show --process no-such > /dev/null 2>&1; check "policy show of an unknown process exits 2" 2 $?
ctl log verify > /dev/null 2>&1; check "the log with its outage, mode and clerical rows verifies" 0 $?
check "passwords never logged" 0 "$(cat "$W"/*.err | grep -c "$LAB_PW")"
echo "$fails failure(s)"
[ $fails -eq 0 ]
