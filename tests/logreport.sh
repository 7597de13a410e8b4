#!/bin/sh
# What compliance staff ask of the log, on the sample month (tests/mklog):
# every filter's refusal of a value that cannot match, matching in any case
# and with or without brackets, repeated filters as any of, London days at
# both clocks, tables that fit a terminal, output safe for terminals and
# spreadsheets, and a report whose totals add up.
set -u
. "${top_srcdir:-.}/tests/common.sh"
lines() {	# NAME N: exactly N lines in $out
	n=$(printf '%s\n' "$out" | wc -l)
	[ "$n" -eq "$2" ] && ok || { bad "$1: $n lines, expected $2"; echo "$out"; }
}

state_conf
"$builddir/tests/mklog" "$tmp/state" "$tmp/log.key" || { echo "mklog failed"; exit 1; }

# --- a value that cannot match is refused, with the nearest known one ---
expect_rc typo-process 2 mg log query --process employment-busines
has typo-process "employment-busines"
has typo-process "did you mean employment-business?"
lines typo-process 1
expect_rc typo-class 2 mg log query --class dept
has typo-class "did you mean department?"
expect_rc typo-outcome 2 mg log query --outcome deferred
has typo-outcome "outcome 'deferred'"
has typo-outcome "did you mean "
expect_rc typo-outcome-2 2 mg log query --outcome rejectd
has typo-outcome-2 "did you mean rejected?"
expect_rc typo-direction 2 mg log query --direction outbound
has typo-direction "did you mean out?"
expect_rc typo-org 2 mg log query --org acmee
has typo-org "did you mean acme?"
expect_rc typo-repeated 2 mg log query --outcome sent --outcome helt
has typo-repeated "did you mean held?"
expect_rc typo-nino 2 mg log query --nino QQ123456C
expect_rc bad-since 2 mg log query --since 2026-13-01
has bad-since "--since: '2026-13-01'"
expect_rc bad-until 2 mg log query --until 2026-02-30
has bad-until "--until: '2026-02-30'"
expect_rc twice-since 2 mg log query --since 2026-12-01 --since 2026-12-02
has twice-since "given twice"
expect_rc twice-month 2 mg log report --month 2026-12 --month 2026-11
has twice-month "given twice"
expect_rc unknown-opt 2 mg log query --proces exit-report
has unknown-opt "unknown option '--proces'"
expect_rc bad-format 2 mg log query --format xml
expect_rc bad-month 2 mg log report --month 2026-13
has bad-month "--month: '2026-13' is not a month"
lines bad-month 1
expect_rc bad-month-2 2 mg log report --month 2026-1
expect_rc month-and-since 2 mg log report --month 2026-12 --since 2026-12-01
expect_rc backwards 2 mg log report --since 2026-12-07 --until 2026-12-01
has backwards "must not be before"
# a process of the policy that the log has no row for is no typo: 0 rows, exit 0
expect_rc known-empty 0 mg log query --process esf-1420
has known-empty "(0 messages, 0 rows"

# --- matching: organisations and Message-IDs in any case, with or without brackets ---
expect_rc org-case 0 mg log query --org ACME --per-recipient
has org-case "(3 rows)"
expect_rc mid-brackets 0 mg log query --message-id '<d01@provider.example>'
has mid-brackets "(1 message, 2 rows"
expect_rc mid-case 0 mg log query --message-id 'd02@PROVIDER.EXAMPLE'
has mid-case "(1 message, 1 row;"
# repeated: any of
expect_rc any-of 0 mg log query --outcome held --outcome rejected --since 2026-12-01 --until 2026-12-31
has any-of "(4 messages, 5 rows"
expect_rc any-of-process 0 mg log query --process good-news-story --process names-and-ninos
has any-of-process "(3 messages, 5 rows"
expect_rc nino 0 mg log query --nino "hn 01 02 03 a"
has nino "(2 messages, 2 rows"

# --- London days ---
# 2026-07-15T22:30Z is 23:30 BST on 15 July: that day's, not the 16th's
expect_rc bst-day 0 mg log query --since 2026-07-15 --until 2026-07-15
has bst-day "(1 message, 1 row;"
has bst-day "2026-07-15 23:30:00+01:00"
bst_day=$out
expect_rc opt-equals 0 mg log query --since=2026-07-15 --until=2026-07-15
[ "$out" = "$bst_day" ] && ok || bad "opt-equals: --since=D is not the same query as --since D"
expect_rc bst-next 0 mg log query --since 2026-07-16 --until 2026-07-31
has bst-next "(0 messages, 0 rows"
# 2026-07-31T23:30Z is 00:30 BST on 1 August; 2026-06-30T23:30Z is July's
expect_rc bst-august 0 mg log query --since 2026-08-01 --until 2026-08-01
has bst-august "s02@provider.example"
expect_rc month-bst 0 mg log report --month 2026-07 --format json
has month-bst '"totals": {"messages": 2, "recipients": 2}'
has month-bst '"since": "2026-06-30T23:00:00Z"'
has month-bst '"until": "2026-07-31T22:59:59Z"'
expect_rc month-bst-aug 0 mg log report --month 2026-08 --format json
has month-bst-aug '"totals": {"messages": 1, "recipients": 1}'
# GMT: the month ends at 23:59:59Z
expect_rc month-gmt 0 mg log report --month 2026-12 --format json
has month-gmt '"until": "2026-12-31T23:59:59Z"'
expect_rc gmt-last 0 mg log query --since 2026-12-31 --until 2026-12-31
has gmt-last "d08@provider.example"
hasnt gmt-last "j01@provider.example"
# a time without an offset is London's wall clock; with one, that moment
expect_rc wall 0 mg log query --since 2026-07-15T23:30:00 --until 2026-07-15T23:30:00
has wall "(1 message, 1 row;"
expect_rc offset 0 mg log query --since 2026-07-15T22:30:00Z --until 2026-07-15T22:30:00Z
has offset "(1 message, 1 row;"

# --- tables for a terminal ---
expect_rc table 0 mg log query
wmax=$(printf '%s\n' "$out" | python3 -c 'import sys; print(max(len(l.rstrip("\n")) for l in sys.stdin))')
[ "$wmax" -le 120 ] && ok || bad "table is $wmax columns wide"
has table "…"
expect_rc table-rcpt 0 mg log query --per-recipient
wmax=$(printf '%s\n' "$out" | python3 -c 'import sys; print(max(len(l.rstrip("\n")) for l in sys.stdin))')
[ "$wmax" -le 120 ] && ok || bad "per-recipient table is $wmax columns wide"
has table-rcpt "(19 rows)"
expect_rc wide 0 mg log query --wide
has wide "change-of-circumstances"
hasnt wide "…"
has wide "one line each"
# one line per message, its recipients counted
expect_rc per-message 0 mg log query --message-id d07@provider.example
has per-message "names-and-ninos  *sent  *3  *brightpath,acme,DWP"

# --- safe for terminals and spreadsheets ---
esc=$(printf '\033')
expect_rc term 0 mg log query --outcome rejected --wide
hasnt term "$esc"
has term 'HYPERLINK("http://evil.example")\\x1b\]0;owned\\x07@p'
expect_rc csv 0 mg log query --format csv --outcome rejected
hasnt csv "^[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,\"=HYP"
has csv "\"'=HYPERLINK("
hasnt csv "$esc"
has csv 'evil.example"")\\x1b\]0;owned\\x07@p'
has csv "^time_utc,direction,process,recipient,recipient_class,org,outcome,records,message_id,reasons,local_time,submitted_by,policy_version"
has csv "^2026-12-10 16:00:00,out,compliance-doubt,lmdm.whp@dwp.example,department,DWP,rejected,0,d06@provider.example,too-many-records;unknown-recipient,2026-12-10 16:00:00,caseworker@provider.example,1ec8f437698e6128"
expect_rc json 0 mg log query --format json --outcome rejected
printf '%s' "$out" | python3 -c '
import json, sys
a = json.load(sys.stdin)
ids = [r["message_id"] for r in a]
assert "=HYPERLINK(\"http://evil.example\")\x1b]0;owned\x07@p" in ids, ids
r = [r for r in a if r["message_id"] == "d06@provider.example"][0]
assert r["reasons"] == ["too-many-records", "unknown-recipient"], r
assert r["local_time"] == "2026-12-10T16:00:00+00:00" and r["time"] == "2026-12-10T16:00:00Z", r
assert r["submitted_by"] == "caseworker@provider.example" and r["policy_version"], r
' && ok || bad "json keeps the original Message-ID and the fields"
expect_rc json-bst 0 mg log query --format json --message-id s01@provider.example
has json-bst '"local_time": "2026-07-15T23:30:00+01:00"'

# --- the report adds up ---
expect_rc report-json 0 mg log report --month 2026-12 --format json
printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
t = r["totals"]
assert t == {"messages": 10, "recipients": 14}, t
for k in ("by_process", "by_outcome"):
    assert sum(x["messages"] for x in r[k]) == t["messages"], k
    assert sum(x["recipients"] for x in r[k]) == t["recipients"], k
assert sum(x["recipients"] for x in r["by_org"]) == t["recipients"]
o = {x["outcome"]: x["messages"] for x in r["by_outcome"]}
assert o == {"sent": 6, "rejected": 3, "held": 1}, o
p = {x["process"]: (x["messages"], x["recipients"]) for x in r["by_process"]}
assert p["exit-report"] == (3, 4) and p["names-and-ninos"] == (1, 3), p
rs = {x["reason"]: (x["messages"], x["recipients"]) for x in r["by_reason"]}
assert rs["unknown-recipient"] == (2, 3) and rs["too-many-records"] == (1, 2), rs
assert r["incidents"] == {"opened": 2, "actions": 5, "still_open": 2}, r["incidents"]
assert len(r["mode_changes"]) == 4 and [m["mode"] for m in r["mode_changes"]] == ["outage", "normal", "clerical", "normal"]
assert r["outages"] == [{"start": "2026-12-05T08:00:00Z", "end": "2026-12-05T11:00:00Z"}], r["outages"]
assert r["chain"]["intact"] is True and len(r["chain"]["head"]) == 80
assert r["chain"]["result"].startswith("verified intact at ")
' && ok || bad "report json does not add up"
expect_rc report-table 0 mg log report --month 2026-12
has report-table "^total  *10  *14"
has report-table "DWP  *department  *7  *7"
has report-table "unknown-recipient  *2  *3"
has report-table "Incidents: 2 opened, 5 actions taken, 2 still open"
has report-table "Outages: 1"
has report-table "Chain: verified intact at"
wmax=$(printf '%s\n' "$out" | python3 -c 'import sys; print(max(len(l.rstrip("\n")) for l in sys.stdin))')
[ "$wmax" -le 120 ] && ok || bad "report table is $wmax columns wide"
hasnt report-table "$esc"
expect_rc report-csv 0 mg log report --month 2026-12 --format csv
has report-csv "^section,item,detail,messages,recipients,count"
has report-csv "^total,all,,10,14,"
has report-csv "^outcome,sent,,6,9,"
has report-csv "^incidents,still open,,,,2"
has report-csv "^outage,2026-12-05 08:00:00,2026-12-05 11:00:00"
expect_rc report-days 0 mg log report --since 2026-12-01 --until 2026-12-07 --format json
has report-days '"title": "2026-12-01 to 2026-12-07"'
has report-days '"totals": {"messages": 5, "recipients": 6}'

# --- incidents with their notes, in every format ---
expect_rc incidents 0 mg incident list
has incidents "d02@provider.example  *whp@acme.example  *closed"
has incidents "deletion-requested  *alice  *asked by ph…"
has incidents "(3 incidents)"
expect_rc incidents-wide 0 mg incident list --wide
has incidents-wide "note  *alice  *DWP says it was forwarded internally"
expect_rc incidents-csv 0 mg incident list --format csv
has incidents-csv "^message_id,recipient,state,time_utc,local_time,action,by,note"
has incidents-csv "^n01@provider.example,jcp.whp@dwp.example,open,2026-12-05 12:00:00,2026-12-05 12:00:00,note,alice,DWP says it was forwarded internally"
expect_rc incidents-json 0 mg incident list --format json
printf '%s' "$out" | python3 -c '
import json, sys
a = json.load(sys.stdin)
assert len(a) == 3 and a[1]["state"] == "closed" and len(a[1]["actions"]) == 3
assert a[1]["actions"][1]["note"] == "asked by phone"
' && ok || bad "incident json"
expect_rc incidents-bad 2 mg incident list --format html

# --- a tampered log makes the report say so (and exit 1) ---
if command -v sqlite3 >/dev/null; then
	cp -a "$tmp/state" "$tmp/state2"
	sqlite3 "$tmp/state2/sendlog.db" "UPDATE log SET outcome = 'sent' WHERE message_id = 'd03@provider.example'"
	sed "s|$tmp/state\$|$tmp/state2|" "$tmp/m.conf" >"$tmp/m2.conf"
	expect_rc tampered 1 "$ctl" -c "$tmp/m2.conf" log report --month 2026-12
	has tampered "Chain: TAMPERED"
fi
echo "logreport: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
