#!/bin/sh
# The send-log commands as compliance staff and the log's owner meet them:
# every query filter and format on a seeded log, report, verify (clean and
# tampered), head, purge, mode and incidents, and writes refused to anyone
# but the owner of state_dir. As root, also a real reader: a user in the
# log's group queries with no writer running.
set -u
. "${top_srcdir:-.}/tests/common.sh"

state_conf
c="-c $tmp/m.conf"
"$builddir/bench/bench_sendlog" --seed "$tmp/state" "$tmp/log.key" || { echo "seeding failed"; exit 1; }

expect_rc all 0 mg log query
has all "(5 messages, 6 rows"
has all-header "time (London)  *process  *outcome  *rcpts  *to  *records  *message_id  *reasons"
expect_rc all-rcpt 0 mg log query --per-recipient
has all-rcpt "(6 rows)"
has all-rcpt-header "time (London)  *process  *recipient  *class  *org  *outcome  *message_id  *reasons"
expect_rc nino 0 mg log query --nino "ab 12-34 56 d" --per-recipient
has nino "(2 rows)"
has nino-row "2026-10-17 15:05:00+01:00"
expect_rc nino-bad 2 mg log query --nino "QQ123456C"
expect_rc acme-october 0 mg log query --org acme --since 2026-10-01 --until 2026-10-31
has acme-october "(1 message, 1 row;"
expect_rc until-inclusive 0 mg log query --until 2026-10-02
has until-inclusive "(2 messages, 2 rows"
expect_rc since-offset 0 mg log query --since 2026-11-20T17:45:00+01:00
has since-offset "(1 message, 1 row;"
expect_rc combined 0 mg log query --process exit-report --class department --outcome sent --direction out --per-recipient
has combined "jcp.whp@dwp.example"
has combined "(1 row)"
expect_rc recipient 0 mg log query --recipient WHP@ACME.example --message-id a4@provider.example
has recipient "(1 message, 1 row;"
expect_rc none 0 mg log query --process exit-report --org faraway
has none "(0 messages, 0 rows"
expect_rc bad-date 2 mg log query --since 2026-13-01
expect_rc csv 0 mg log query --format csv --outcome rejected
has csv "^time_utc,direction,process,recipient,recipient_class,org,outcome,records,message_id,reasons,local_time,submitted_by,policy_version"
has csv "^2026-10-17 14:05:00,out,change-of-circumstances,whp@faraway.example,subcontractor,faraway,rejected,1,a3@provider.example,offshore-recipient,2026-10-17 15:05:00,caseworker@provider.example,"
expect_rc json 0 mg log query --format json --message-id a2@provider.example
has json '"reasons": \["late-notice"\]'
has json '"records": 1'
if command -v python3 >/dev/null; then
	printf '%s' "$out" | python3 -c 'import json,sys; a=json.load(sys.stdin); assert len(a)==1 and a[0]["org"]=="DWP"' && ok || bad "json does not parse"
fi
expect_rc report 0 mg log report --month 2026-11
has report "exit-report  *1  *2"
has report "DWP  *department  *2  *2"
expect_rc report-csv 0 mg log report --month 2026-10 --format csv
has report-csv "^process,change-of-circumstances,,2,2,"
has report-csv "^org,faraway,subcontractor,1,1,"
expect_rc report-usage 2 mg log report --month 2026-1
expect_rc verify 0 mg log verify
has verify intact
has verify-no-head "no recorded head was given or found"
has verify-unpinned "log_verify_key is not set"
expect_rc head 0 mg log head
head=$out
expect_rc verify-head 0 mg log verify --head "$head"
has verify-head "0 rows came after it"
expect_rc head-malformed 2 mg log verify --head "xyz"
expect_rc head-signed 0 mg log head --signed
printf 'Dec 01 10:00:00 host mailgated[42]: %s\n' "$out" >"$tmp/heads.txt"
expect_rc verify-heads 0 mg log verify --heads "$tmp/heads.txt"
has verify-heads "0 rows came after it"
expect_rc mode-show 0 mg mode
has mode-show normal
expect_rc mode-clerical 0 mg mode clerical --reason "provider mail server down"
has mode-clerical "clerical since"
expect_rc resume-refused 2 mg mode resume
# who did it: a lone SUDO_USER is a claim, not a name; one that agrees with SUDO_UID
# is kept beside the real account; control characters never reach the log
if command -v sqlite3 >/dev/null; then
	who_last() { sqlite3 "$tmp/state/sendlog.db" "SELECT submitted_by FROM log ORDER BY seq DESC LIMIT 1"; }
	real=$(id -un)
	if [ "$(cat /proc/self/loginuid 2>/dev/null)" = 4294967295 ]; then
		SUDO_USER=anyone mg mode clerical --reason "who 1" >/dev/null 2>&1
		[ "$(who_last)" = "$real" ] && ok || bad "who: a lone SUDO_USER was believed: $(who_last)"
		SUDO_USER=nobody SUDO_UID=0 mg mode clerical --reason "who 2" >/dev/null 2>&1
		[ "$(who_last)" = "$real" ] && ok || bad "who: SUDO_USER against SUDO_UID was believed: $(who_last)"
		SUDO_USER=nobody SUDO_UID=$(id -u nobody) mg mode clerical --reason "who 3" >/dev/null 2>&1
		[ "$(who_last)" = "nobody via $real" ] && ok || bad "who: an agreeing SUDO_USER: $(who_last)"
	else
		lu=$(getent passwd "$(cat /proc/self/loginuid)" | cut -d: -f1)
		SUDO_USER=anyone SUDO_UID=0 mg mode clerical --reason "who 1" >/dev/null 2>&1
		[ "$(who_last)" = "$lu" ] && ok || bad "who: the login uid is not used: $(who_last)"
	fi
fi
expect_rc resume 0 mg mode resume --department-informed "told WHP enquiries, ref 7"
has resume "normal since"
expect_rc incident-unknown 1 mg incident misdirected --message-id zz@p --recipient whp@acme.example --action alerted
expect_rc incident 0 mg incident misdirected --message-id a1@provider.example --recipient whp@acme.example --action alerted
expect_rc incident-2 0 mg incident misdirected --message-id a1@provider.example --recipient whp@acme.example --action deletion-confirmed --note "by phone"
expect_rc incident-list 0 mg incident list
has incident-list "a1@provider.example  *whp@acme.example  *closed  *20..-..-.. ..:..:..+0.:00  *alerted"
has incident-list "deletion-confirmed  *[^ ]*  *by phone"
expect_rc verify-after 0 mg log verify
expect_rc head-moved 0 mg log verify --head "$head"
has head-moved "the recorded head (row 6) is in the chain; 7 rows came after it"
mg log head --signed >>"$tmp/heads.txt"
# --journal, and the default, read mailgated.service's lines through journalctl
mkdir "$tmp/bin"
cat >"$tmp/bin/journalctl" <<JC
#!/bin/sh
case " \$* " in *" _SYSTEMD_UNIT=mailgated.service "*) ;; *) echo "wrong filter: \$*" >&2; exit 1 ;; esac
[ -f "$tmp/journal-down" ] && exit 1
cat "$tmp/heads.txt"
JC
chmod +x "$tmp/bin/journalctl"
expect_rc journal 0 env PATH="$tmp/bin:$PATH" "$ctl" $c log verify --journal
has journal "the recorded head (row 13) is in the chain; 0 rows came after it"
expect_rc journal-default 0 env PATH="$tmp/bin:$PATH" "$ctl" $c log verify
has journal-default "the recorded head (row 13)"
hasnt journal-default "no recorded head"
touch "$tmp/journal-down"
expect_rc journal-down 2 env PATH="$tmp/bin:$PATH" "$ctl" $c log verify --journal
has journal-down "the journal cannot be read"
rm "$tmp/journal-down"
expect_rc purge 0 mg log purge
has purge "removed"
expect_rc verify-purged 0 mg log verify

# tampering with the file is found and named
if command -v sqlite3 >/dev/null; then
	fresh() {	# a copy of the log to attack, and its config
		rm -rf "$tmp/state2"
		cp -a "$tmp/state" "$tmp/state2"
		sed "s|$tmp/state\$|$tmp/state2|" "$tmp/m.conf" >"$tmp/m2.conf"
	}
	mg2() { "$ctl" -c "$tmp/m2.conf" "$@"; }
	fresh
	sqlite3 "$tmp/state2/sendlog.db" "UPDATE log SET recipient = 'x@evil.example' WHERE seq = 2"
	expect_rc tampered 1 mg2 log verify
	has tampered "row 2"
	# a NUL hides a row from queries: the value is hashed by its length
	fresh
	sqlite3 "$tmp/state2/sendlog.db" "UPDATE log SET recipient = CAST(recipient || X'00' || 'x' AS TEXT) WHERE seq = 3"
	expect_rc nul-hidden 1 mg2 log verify
	has nul-hidden "row 3"
	# the newest rows removed: the last signed head is not there
	fresh
	last=$(sqlite3 "$tmp/state2/sendlog.db" "SELECT max(seq) FROM log")
	sqlite3 "$tmp/state2/sendlog.db" "DELETE FROM log WHERE seq >= $((last - 1))"
	expect_rc truncated-unseen 0 mg2 log verify
	expect_rc truncated 1 mg2 log verify --heads "$tmp/heads.txt"
	has truncated "before the recorded head at row"
	# every row removed
	fresh
	sqlite3 "$tmp/state2/sendlog.db" "DELETE FROM person; DELETE FROM log; DELETE FROM anchor"
	expect_rc emptied 1 mg2 log verify --heads "$tmp/heads.txt"
	# replaced, log and key together (a fresh log written by its owner)
	rm -rf "$tmp/state2" && mkdir "$tmp/state2"
	sed "s|$tmp/state\$|$tmp/state2|" "$tmp/m.conf" >"$tmp/m2.conf"
	mg2 mode clerical --reason "a new log" >/dev/null 2>&1
	expect_rc replaced 1 mg2 log verify --heads "$tmp/heads.txt"
	has replaced "not signed by the log's key"
	# the key pinned outside state_dir: a replaced key is seen without any head
	expect_rc key 0 mg log key
	fpr=$(printf '%s\n' "$out" | head -1)
	{ cat "$tmp/m2.conf"; echo "log_verify_key = $fpr"; } >"$tmp/m3.conf"
	expect_rc pinned-replaced 1 "$ctl" -c "$tmp/m3.conf" log verify
	has pinned-replaced "is not the pinned key"
	{ cat "$tmp/m.conf"; echo "log_verify_key = $fpr"; } >"$tmp/m3.conf"
	expect_rc pinned-ok 0 "$ctl" -c "$tmp/m3.conf" log verify --heads "$tmp/heads.txt"
	hasnt pinned-ok "log_verify_key is not set"
	{ cat "$tmp/m.conf"; echo "log_verify_key = $tmp/state/sign.pub"; } >"$tmp/m3.conf"
	expect_rc pinned-inside 2 "$ctl" -c "$tmp/m3.conf" log verify
	has pinned-inside "inside state_dir"
	{ cat "$tmp/m.conf"; echo "log_verify_key = sha256:12"; } >"$tmp/m3.conf"
	expect_rc pin-bad 2 "$ctl" -c "$tmp/m3.conf" log verify
	has pin-bad "m3.conf:5: error: log_verify_key"
fi

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && command -v useradd >/dev/null; then
	# a compliance officer: in the log's group, not its owner; the daemon stopped
	u=mglogreader$$
	groupadd -f mglog$$ && useradd -M -N -g mglog$$ "$u" 2>/dev/null
	chgrp -R mglog$$ "$tmp/state" "$tmp/log.key"
	chmod 750 "$tmp" "$tmp/state"
	chmod 640 "$tmp/log.key" "$tmp/m.conf"
	chgrp mglog$$ "$tmp" "$tmp/m.conf"
	ls -l "$tmp/state" >"$tmp/ls" 2>&1
	expect_rc reader-query 0 setpriv --reuid "$u" --regid mglog$$ --clear-groups "$ctl" $c log query --nino AB123456C
	has reader-query "rows;"
	expect_rc reader-verify 0 setpriv --reuid "$u" --regid mglog$$ --clear-groups "$ctl" $c log verify
	hasnt reader-fresh "minutes old"
	# a copy the daemon stopped publishing says how old it is
	touch -d '10 minutes ago' "$tmp/state/sendlog-copy.db"
	expect_rc reader-stale 0 setpriv --reuid "$u" --regid mglog$$ --clear-groups "$ctl" $c log query --format csv
	has reader-stale "note: this copy of the send log is 10 minutes old"
	setpriv --reuid "$u" --regid mglog$$ --clear-groups sh -c "exec 3<'$tmp/state/sendlog.db'" 2>/dev/null &&
		bad "reader-live: the reader can open the live database" || ok
	expect_rc reader-no-write 2 setpriv --reuid "$u" --regid mglog$$ --clear-groups "$ctl" $c mode clerical --reason x
	has reader-no-write "only its owner"
	expect_rc reader-no-purge 2 setpriv --reuid "$u" --regid mglog$$ --clear-groups "$ctl" $c log purge
	userdel "$u" 2>/dev/null
	groupdel mglog$$ 2>/dev/null
else
	echo "(not root: the group-reader checks are skipped)"
fi
echo "sendlog: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
