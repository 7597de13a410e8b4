#!/bin/sh
# daemon-faults.sh - exactly once while the daemon keeps running, whatever
# fails (issue "Exactly once, whatever fails"): the send log locked by
# another process, state_dir on a tmpfs that fills and empties, Dovecot
# restarted right after a 250 and during a 300-message run, the SMTP server
# killed mid-DATA, slow-loris IMAP and SMTP servers (one deadline for the
# whole command, one time-out for the whole pass), SIGTERM during each
# wait, and a UID FETCH answered with another message's body. Deliveries are counted in the SMTP spool.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/integration/common.sh"
N=${FAULTS_N:-300}
BASE=$((23100 + ${LAB_PORT_SHIFT:-0}))
SLOW_IMAP=$((BASE + 10)) SLOW_SMTP=$((BASE + 11))

lab_up faults 23100
lab() { "$top_srcdir/tests/integration/lab.sh" "$1" "$L"; }
# most deliveries of any one Message-ID in the spool (0 when none)
most_delivered() {
	for f in "$L"/spool/*.eml; do [ -f "$f" ] && grep -i '^Message-ID:' "$f"; done |
		sort | uniq -c | awk 'BEGIN { m = 0 } $1 > m { m = $1 } END { print m }'
}
# messages (not notices) with this id prefix, by folder: "Sent 3 Held 1"
where() { census | grep -v ' notice ' | grep " <$1" | awk '{ print $1 }' | sort | uniq -c |
	awk '{ printf "%s%s %s", (NR > 1 ? " " : ""), $2, $1 }'; }
elapsed() { echo $(( $(date +%s) - $1 )); }
SLOWPIDS=
cleanup() {
	[ -n "$SLOWPIDS" ] && kill $SLOWPIDS 2>/dev/null
	mountpoint -q "$W/tmpstate" 2>/dev/null && umount "$W/tmpstate"
	lab_down
}
trap cleanup EXIT INT TERM
conf_variant fast "s/^poll_interval = .*/poll_interval = 2\ncommand_timeout = 4/"
cp "$L/fast.conf" "$L/mailgate.conf"

# 1. the send log locked by another process: nothing starts without a durable intent
start_daemon
sleep 1
/usr/bin/python3 - "$L/state/sendlog.db" 6 <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=5)
c.execute("BEGIN EXCLUSIVE")
time.sleep(float(sys.argv[2]))
c.execute("COMMIT")
PY
LOCKPID=$!
sleep 0.5
for i in 1 2 3; do msg "lock$i" whp@acme.example > "$W/lock$i.eml"; done
mail append Outbox "$W"/lock1.eml "$W"/lock2.eml "$W"/lock3.eml
sleep 3
check "nothing delivered while the log is locked" 0 "$(spool_count lock)"
ctl status > "$W/status-locked.out" 2>&1; src=$?
check "status is an error while the log refuses writes" 2 $src
check "status says why" 1 "$(grep -c 'send log: refusing writes' "$W/status-locked.out")"
wait $LOCKPID
wait_for "spool_count lock" 3 30
check "the Outbox drains once the lock is gone" 3 "$(spool_count lock)"
wait_for "where lock" "Sent 3" 20
check "all three in Sent" "Sent 3" "$(where lock)"
check "the refusal said once in the journal" 1 "$(grep -c 'send log refuses writes' "$W/daemon.err")"
check "and its end" 1 "$(grep -c 'send log writable again' "$W/daemon.err")"
ctl status > /dev/null 2>&1; check "status no longer an error" 1 "$([ $? -le 1 ] && echo 1)"

# 2. Dovecot restarted right after a 250: the copy is filed, never sent again
echo 3 > "$L/spool/.delay250"
msg after250 whp@acme.example > "$W/after250.eml"
mail append Outbox "$W/after250.eml"
wait_for "spool_count after250" 1 20
lab restart-imap
rm -f "$L/spool/.delay250"
wait_for "where after250" "Sent 1" 40
check "after an IMAP restart right after the 250: in Sent" "Sent 1" "$(where after250)"
check "delivered once" 1 "$(spool_count after250)"
check "logged sent" 1 "$(ctl log query --message-id 'after250@lab.test' --format csv | grep -c ',sent,')"

# 3. the SMTP server killed mid-DATA (after the data, before the 250): held uncertain, never resent
echo 5 > "$L/spool/.delay250"
msg middata whp@acme.example > "$W/middata.eml"
mail append Outbox "$W/middata.eml"
wait_for "spool_count middata" 1 20
lab kill-smtp
rm -f "$L/spool/.delay250"
lab start-smtp
wait_for "where middata" "Held 1" 30
check "SMTP killed mid-DATA: held as uncertain" "Held 1" "$(where middata)"
check "uncertain notice" 1 "$(mail header Held X-Mailgate-Reasons | grep -c uncertain)"
sleep 3
check "never sent again" 1 "$(spool_count middata)"
stop_daemon
check "SIGTERM while idle exits 0" 0 $drc

# 4. Dovecot restarted twice during a run of N messages
mkdir -p "$W/bulk"
i=1
while [ $i -le "$N" ]; do msg "bulk$i" whp@acme.example > "$W/bulk/$i.eml"; i=$((i + 1)); done
mail append Outbox "$W"/bulk/*.eml
start_daemon
sleep 1
lab restart-imap
sleep 1.5
lab restart-imap
wait_for "mail count Outbox" 0 180
check "the run drains after two IMAP restarts" 0 "$(mail count Outbox)"
stop_daemon
placed=$(census | grep -v ' notice ' | grep ' <bulk' | wc -l)
check "every message in exactly one folder" "$N" "$placed"
check "no message in two places" 0 "$(census | grep -v ' notice ' | grep ' <bulk' | awk '{ print $2 }' | sort | uniq -d | wc -l)"
check "none delivered twice" 1 "$(most_delivered)"
ctl log verify > "$W/verify.out" 2>&1; check "the log verifies" 0 $?

# 5. state_dir on a small tmpfs that fills, then empties: the Outbox drains by itself
mkdir -p "$W/tmpstate"
if mount -t tmpfs -o size=4m,mode=0700 tmpfs "$W/tmpstate" 2>/dev/null; then
	conf_variant tmpfs "s|^state_dir = .*|state_dir = $W/tmpstate|"
	"$MAILGATED" -c "$L/tmpfs.conf" > "$W/tmpfs.out" 2>> "$W/tmpfs.err" &
	DPID=$!
	sleep 1
	dd if=/dev/zero of="$W/tmpstate/filler" bs=64k 2>/dev/null
	for i in 1 2 3 4 5; do msg "full$i" whp@acme.example > "$W/full$i.eml"; done
	mail append Outbox "$W"/full*.eml
	sleep 4
	full_sent=$(spool_count full)
	if grep -q 'send log refuses writes' "$W/tmpfs.err"; then
		"$MAILGATECTL" -c "$L/tmpfs.conf" status > /dev/null 2>&1
		check "status is an error while the disk is full" 2 $?
	fi
	rm -f "$W/tmpstate/filler"
	wait_for "where full" "Sent 5" 40
	check "after space is freed every message is in Sent" "Sent 5" "$(where full)"
	check "none delivered twice" 5 "$(spool_count full)"
	kill -TERM $DPID; wait $DPID; DPID=
	for i in 1 2 3 4 5; do
		check "full$i has its sent row" 1 "$("$MAILGATECTL" -c "$L/tmpfs.conf" log query \
			--message-id "full$i@lab.test" --format csv | grep -c ',sent,')"
	done
	echo "# delivered while the disk was full: $full_sent"
	umount "$W/tmpstate"
else
	echo "# skipped the tmpfs case: cannot mount tmpfs here"
fi

# 6. slow-loris servers: one deadline per command, one time-out per pass, SIGTERM within a second
/usr/bin/python3 "$top_srcdir/tests/integration/slowloris.py" imap $SLOW_IMAP 2 > "$W/slowimap.ready" &
SLOWPIDS="$!"
/usr/bin/python3 "$top_srcdir/tests/integration/slowloris.py" smtp $SLOW_SMTP 2 > "$W/slowsmtp.ready" &
SLOWPIDS="$SLOWPIDS $!"
wait_for "cat '$W/slowimap.ready' '$W/slowsmtp.ready' 2>/dev/null | tr -d '\n'" readyready 10
conf_variant slowimap "s/^imap_port = .*/imap_port = $SLOW_IMAP/"
t0=$(date +%s)
once_conf slowimap
check "a slow-loris IMAP server: --once exits 69" 69 $rc
check "within the greeting deadline" 1 "$([ "$(elapsed $t0)" -le 14 ] && echo 1)"
check "the error says what" 1 "$(grep -c 'no IMAP greeting within 10 s' "$W/once.err")"
"$MAILGATED" -c "$L/slowimap.conf" > /dev/null 2> "$W/slow.err" &
DPID=$!
sleep 2
t0=$(date +%s)
kill -TERM $DPID; wait $DPID; drc=$?; DPID=
check "SIGTERM during an IMAP wait is honoured at once" 1 "$([ "$(elapsed $t0)" -le 1 ] && echo 1)"
check "and exits 0" 0 $drc

for i in 1 2 3; do msg "slow$i" whp@acme.example > "$W/slow$i.eml"; done
mail append Outbox "$W"/slow1.eml "$W"/slow2.eml "$W"/slow3.eml
conf_variant slowsmtp "s/^smtp_port = .*/smtp_port = $SLOW_SMTP/"
t0=$(date +%s)
once_conf slowsmtp
check "a slow-loris SMTP server: --once exits 69" 69 $rc
check "one time-out for the whole pass, not one per message" 1 "$([ "$(elapsed $t0)" -le 14 ] && echo 1)"
check "all three wait in Outbox" "Outbox 3" "$(where slow)"
"$MAILGATED" -c "$L/slowsmtp.conf" > /dev/null 2> "$W/slow.err" &
DPID=$!
sleep 3
t0=$(date +%s)
kill -TERM $DPID; wait $DPID; drc=$?; DPID=
check "SIGTERM during an SMTP wait is honoured at once" 1 "$([ "$(elapsed $t0)" -le 1 ] && echo 1)"
once
check "then the real server takes them, once each" 3 "$(spool_count slow)"
check "in Sent" "Sent 3" "$(where slow)"

# 6b. a UID FETCH answered with another message's body (a man in the middle
# rewrites the UID of every FETCH response that carries BODY[]): nothing is
# sent, nothing is filed, the messages wait; once the server answers right,
# each is sent once
SWAP=$((BASE + 12))
/usr/bin/python3 "$top_srcdir/tests/integration/fetchswap.py" $SWAP \
	"$(sed -n 's/^imap_port = //p' "$L/mailgate.conf")" "$L/certs/server.pem" \
	"$L/certs/server.key" "$W/swap.on" > "$W/swap.ready" 2> "$W/swap.err" &
SLOWPIDS="$SLOWPIDS $!"
wait_for "cat '$W/swap.ready' 2>/dev/null" ready 10
conf_variant swap "s/^imap_port = .*/imap_port = $SWAP/"
for i in 1 2; do msg "swap$i" whp@acme.example > "$W/swap$i.eml"; done
mail append Outbox "$W"/swap1.eml "$W"/swap2.eml
touch "$W/swap.on"
once_conf swap
check "another message's body: the pass does not exit 0" 1 "$([ $rc -ne 0 ] && echo 1)"
check "the error names it" 1 "$(grep -c "answered with another message's body" "$W/once.err" |
	awk '{ print ($1 > 0) }')"
check "nothing delivered" 0 "$(spool_count swap)"
check "both wait in Outbox" "Outbox 2" "$(where swap)"
rm -f "$W/swap.on"
once_conf swap
check "answered right, the pass exits 0" 0 $rc
check "each is delivered once" "1 1" "$(spool_count swap1) $(spool_count swap2)"
check "both in Sent" "Sent 2" "$(where swap)"

# 7. size before download: over max-message-bytes, judged on its header alone
/usr/bin/python3 - "$W/huge.eml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("From: a@provider.example\r\nTo: whp@acme.example\r\n"
            "Subject: WHP07 Change of Circumstances\r\nMessage-ID: <huge1@lab.test>\r\n\r\n")
    f.write(("x" * 998 + "\r\n") * 10700)
PY
mail append Outbox "$W/huge.eml"
once; check "a message over the limit: the pass exits 0" 0 $rc
check "it is in Rejected" "Rejected 1" "$(where huge1)"
check "as message-too-large" 1 "$(mail header Rejected X-Mailgate-Reasons | grep -c message-too-large)"
check "never delivered" 0 "$(spool_count huge1)"

# 8. monitoring and compliance do not depend on the policy file
conf_variant nopolicy "s|^policy_file = .*|policy_file = $W/no-such-policy.xml|"
"$MAILGATECTL" -c "$L/nopolicy.conf" status > /dev/null 2>&1; src=$?
check "status works without the policy file" 1 "$([ $src -le 1 ] && echo 1)"
"$MAILGATECTL" -c "$L/nopolicy.conf" mode > /dev/null 2>&1; check "mode works without it" 0 $?
"$MAILGATECTL" -c "$L/nopolicy.conf" log query > /dev/null 2>&1; check "log query works without it" 0 $?

check "passwords never logged" 0 "$(cat "$W"/*.err | grep -c "$LAB_PW")"
[ $fails -eq 0 ] && echo "ok - exactly once whatever failed"
exit $fails
