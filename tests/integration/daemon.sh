#!/bin/sh
# daemon.sh - mailgated against the real lab servers (lab.sh): every outcome
# path, IDLE pickup, refused TLS (wrong CA, wrong host, no STARTTLS), SMTP
# down then back, a 4xx then success, MAIL/RCPT/DATA pipelined or not (a 451
# and a 550 to RCPT, alone or beside an accepted recipient), lines that begin with a dot, the Sent APPEND with LITERAL+ or
# without, and the IMAP connection cut mid-run.
# The kill test is daemon-kill.sh.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/integration/common.sh"

lab_up daemon 24200


# 1. sent, rejected + notice, warning + notice, in one pass
msg ok1 whp@acme.example > "$W/ok1.eml"
msg_from "$M/no-record.eml" rej1 > "$W/rej1.eml"
msg_from "$M/employment-business-late.eml" warn1 > "$W/warn1.eml"
mail append Outbox "$W/ok1.eml" "$W/rej1.eml" "$W/warn1.eml"
once; check "pass with sent, rejected, warning exits 0" 0 $rc
check "Outbox empty" 0 "$(mail count Outbox)"
# one Postfix-style line per recipient, parsed as a pflogsumm-like reader would
/usr/bin/python3 "$top_srcdir/tests/integration/loglines.py" "$W/once.err" > "$W/summary.out"
check "the outcome lines parse" 0 $?
check "two sent, one rejected" "rejected 1 sent 2" "$(grep -v '^relay' "$W/summary.out" | tr '\n' ' ' | sed 's/ $//')"
check "the relay and TLS version are logged" 1 "$(grep -c '^relay 127.0.0.1\[127.0.0.1\]:[0-9]* tls TLSv1.[23]$' "$W/summary.out")"
check "the remote queue id is logged" 2 "$(grep -c 'status=sent.* (250 2.0.0 Ok: queued as [0-9-]*)$' "$W/once.err")"
check "sent message in Sent" 1 "$(census | grep -c '^Sent <ok1@')"
check "delivered once" 1 "$(spool_count ok1@)"
check "rejected message in Rejected" 1 "$(census | grep -c '^Rejected <rej1@')"
check "rejected notice beside it" 1 "$(census | grep -c '^Rejected notice rejected <rej1@')"
check "rejected never delivered" 0 "$(spool_count rej1@)"
check "warned message in Sent" 1 "$(census | grep -c '^Sent <warn1@')"
check "warning notice in Sent" 1 "$(census | grep -c '^Sent notice warning <warn1@')"
check "From rewritten in the delivered copy" 1 "$(grep -l 'ok1@' "$L"/spool/*.eml | xargs grep -c '^From: Provider WHP Team <whp@provider.example>')"
check "envelope sender is the designated inbox" 0 "$(grep -L '"from": "whp@provider.example"' "$L"/spool/*.json | wc -l)"
check "notice reasons" "X-Mailgate-Reasons: no-record template-incomplete" \
	"$(mail header Rejected X-Mailgate-Reasons | grep . | sed 's/^/X-Mailgate-Reasons: /')"

# 2. already-sent: the same Message-ID again
mail append Outbox "$W/ok1.eml"
once; check "already-sent pass exits 0" 0 $rc
check "second copy held" 1 "$(census | grep -c '^Held <ok1@')"
check "held notice already-sent" 1 "$(mail header Held X-Mailgate-Reasons | grep -c already-sent)"
check "not delivered twice" 1 "$(spool_count ok1@)"

# 3. not-normal mode holds
ctl mode suspend --reason "integration test" > /dev/null
msg mode1 whp@acme.example > "$W/mode1.eml"
mail append Outbox "$W/mode1.eml"
once; check "suspended pass exits 0" 0 $rc
check "held in suspended mode" 1 "$(census | grep -c '^Held <mode1@')"
check "not-normal-mode notice" 1 "$(mail header Held X-Mailgate-Reasons | grep -c not-normal-mode)"
check "nothing delivered while suspended" 0 "$(spool_count mode1@)"
ctl mode resume --department-informed "integration test over" > /dev/null

# 4. smtp-permanent: 554 after DATA
echo reject > "$L/spool/.fault"
msg perm1 whp@acme.example > "$W/perm1.eml"
mail append Outbox "$W/perm1.eml"
once; check "5xx pass exits 0" 0 $rc
check "5xx message in Rejected" 1 "$(census | grep -c '^Rejected <perm1@')"
check "smtp-permanent notice" 1 "$(mail header Rejected X-Mailgate-Reasons | grep -c smtp-permanent)"
check "the notice gives the server's words" 1 "$(mail grep Rejected '554 5.7.1 lab: message refused')"

# 5. 4xx then success
echo tempfail > "$L/spool/.fault"
msg temp1 whp@acme.example > "$W/temp1.eml"
mail append Outbox "$W/temp1.eml"
once; check "4xx leaves it for a retry (75)" 75 $rc
check "still in Outbox" 1 "$(mail count Outbox)"
once; check "retry succeeds (0)" 0 $rc
check "then in Sent" 1 "$(census | grep -c '^Sent <temp1@')"
check "delivered once after retry" 1 "$(spool_count temp1@)"

# 5b. MAIL and RCPT pipelined (RFC 2920) where offered; a refused RCPT in the group
check "MAIL and RCPT went in one write" 1 "$(grep -l 'temp1@' "$L"/spool/*.eml | sed 's/eml$/json/' | xargs grep -c '"pipelined": true')"
echo rcpt-tempfail > "$L/spool/.fault"
msg rcpt1 whp@acme.example > "$W/rcpt1.eml"
mail append Outbox "$W/rcpt1.eml"
once; check "a 451 to the pipelined RCPT leaves it for a retry (75)" 75 $rc
check "nothing delivered on the 451" 0 "$(spool_count rcpt1@)"
once; check "its retry succeeds (0)" 0 $rc
check "delivered once after the RCPT retry" 1 "$(spool_count rcpt1@)"
echo rcpt-reject > "$L/spool/.fault"
msg rcpt2 whp@acme.example > "$W/rcpt2.eml"
mail append Outbox "$W/rcpt2.eml"
once; check "a 550 to the pipelined RCPT exits 0" 0 $rc
check "then in Rejected" 1 "$(census | grep -c '^Rejected <rcpt2@')"
check "with the server's words" 1 "$(mail grep Rejected 'lab: recipient refused')"
check "never delivered" 0 "$(spool_count rcpt2@)"
# a refused RCPT beside an accepted one: the server says 354 to the pipelined
# DATA and would deliver whatever came to the accepted recipient; the
# connection is dropped instead, and the next message opens a new one
echo rcpt-reject > "$L/spool/.fault"
msg rcpt3 "whp@acme.example, jcp.whp@dwp.example" > "$W/rcpt3.eml"
msg after3 whp@acme.example > "$W/after3.eml"
mail append Outbox "$W/rcpt3.eml"
mail append Outbox "$W/after3.eml"
once; check "a 550 beside an accepted RCPT exits 0" 0 $rc
check "that message in Rejected" 1 "$(census | grep -c '^Rejected <rcpt3@')"
check "not delivered to the accepted recipient either" 0 "$(spool_count rcpt3@)"
check "the next message of the pass is sent once" 1 "$(spool_count after3@)"
check "MAIL, RCPT and DATA went in one write" 1 \
	"$(grep -l 'after3@' "$L"/spool/*.eml | sed 's/eml$/json/' | xargs grep -c '"data_pipelined": true')"
echo rcpt-tempfail > "$L/spool/.fault"
msg rcpt4 "whp@acme.example, jcp.whp@dwp.example" > "$W/rcpt4.eml"
mail append Outbox "$W/rcpt4.eml"
once; check "a 451 beside an accepted RCPT leaves it for a retry (75)" 75 $rc
check "nothing delivered on that 451" 0 "$(spool_count rcpt4@)"
once; check "that retry succeeds (0)" 0 $rc
check "delivered once, to both" 1 \
	"$(grep -l 'rcpt4@' "$L"/spool/*.eml | sed 's/eml$/json/' | xargs grep -c '"to": \["whp@acme.example", "jcp.whp@dwp.example"\]')"
touch "$L/spool/.nopipelining"
msg nopipe1 whp@acme.example > "$W/nopipe1.eml"
mail append Outbox "$W/nopipe1.eml"
once; check "without PIPELINING: sent (0)" 0 $rc
check "one command at a time" 1 "$(grep -l 'nopipe1@' "$L"/spool/*.eml | sed 's/eml$/json/' | xargs grep -c '"pipelined": false')"
rm -f "$L/spool/.nopipelining"

# 5c. lines that begin with a dot, a lone "." among them, arrive as written
# (mailgated dot-stuffs the data; the lab reads it in one search and unstuffs it)
msg dots1 whp@acme.example | sed 's/\r$//' > "$W/dots1.eml"
printf '.\n..two dots\n.one dot\nlast line\n' >> "$W/dots1.eml"
mail append Outbox "$W/dots1.eml"
once; check "a message with dot lines is sent (0)" 0 $rc
check "its dot lines arrive unchanged" "$(printf '.\r\n..two dots\r\n.one dot\r\nlast line\r')" \
	"$(grep -l 'dots1@' "$L"/spool/*.eml | xargs tail -n 4)"

# 5d. the Sent copy goes with a non-synchronising literal (LITERAL+, RFC 7888)
# where Dovecot offers it, and waits for the server's "+" where it does not
dovecot_local() { # dovecot_local SETTING...: the lab's local.conf, then a reload
	printf '%s\n' "$@" > "$L/dovecot/local.conf"
	kill -HUP "$(cat "$L/dovecot.pid")"; sleep 1
}
mkdir -p "$L/rawlog"; chmod 777 "$L/rawlog"
dovecot_local "rawlog_dir = $L/rawlog"
msg lit1 whp@acme.example > "$W/lit1.eml"
mail append Outbox "$W/lit1.eml"
once; check "sent with LITERAL+ offered (0)" 0 $rc
check "the Sent copy is there" 1 "$(census | grep -c '^Sent <lit1@')"
check "its APPEND did not wait for a continuation" 1 \
	"$(cat "$L"/rawlog/*.in | tr -d '\r' | grep -c ' APPEND "Sent" (\\Seen) {[0-9]*+}$')"
rm -f "$L"/rawlog/*
dovecot_local "rawlog_dir = $L/rawlog" \
	"imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE UIDPLUS MOVE NAMESPACE UNSELECT CHILDREN SPECIAL-USE"
msg lit2 whp@acme.example > "$W/lit2.eml"
mail append Outbox "$W/lit2.eml"
once; check "sent without LITERAL+ (0)" 0 $rc
check "that Sent copy is there too" 1 "$(census | grep -c '^Sent <lit2@')"
check "its APPEND waited for the +" 1 \
	"$(cat "$L"/rawlog/*.in | tr -d '\r' | grep -c ' APPEND "\{0,1\}Sent"\{0,1\} (\\Seen) {[0-9]*}$')"
dovecot_local ""

# 6. refused TLS: nothing sent, exit 69
msg tls1 whp@acme.example > "$W/tls1.eml"
mail append Outbox "$W/tls1.eml"
conf_variant wrongca "s|^tls_ca_file = .*|tls_ca_file = certs/other-ca.pem|"
once_conf wrongca; check "wrong CA exits 69" 69 $rc
check "wrong CA named in the error" 1 "$(grep -c 'certificate rejected' "$W/once.err")"
conf_variant wronghost "s|^imap_host = .*|imap_host = localhost|"
once_conf wronghost; check "wrong host name exits 69" 69 $rc
conf_variant nostarttls "s|^smtp_port = .*|smtp_port = $((LAB_BASE + 4))|"
once_conf nostarttls; check "no STARTTLS exits 69" 69 $rc
check "no STARTTLS named" 1 "$(grep -c '^<3>smtp .*STARTTLS not offered' "$W/once.err")"
check "nothing delivered over refused TLS" 0 "$(spool_count tls1@)"
check "message still in Outbox" 1 "$(census | grep -c '^Outbox <tls1@')"

ctl check-servers > "$W/cs.out" 2>&1; check "check-servers passes against the lab" 0 $?
"$MAILGATECTL" -c "$L/wrongca.conf" check-servers > "$W/cs.out" 2>&1; check "check-servers fails on a wrong CA" 1 $?
check "check-servers sent nothing" 0 "$(spool_count tls1@)"

# 7. SMTP down then back
echo down > "$L/spool/.fault"
once; check "SMTP down exits 69" 69 $rc
rm -f "$L/spool/.fault"
once; check "SMTP back exits 0" 0 $rc
check "sent once SMTP is back" 1 "$(spool_count tls1@)"

# 8. IDLE pickup and an IMAP connection cut mid-run
start_daemon
sleep 2
msg idle1 whp@acme.example > "$W/idle1.eml"
mail append Outbox "$W/idle1.eml"
wait_for "spool_count idle1@" 1 10; check "IDLE pickup delivers" 1 "$(spool_count idle1@)"
kick_imap
msg cut1 whp@acme.example > "$W/cut1.eml"
sleep 1
mail append Outbox "$W/cut1.eml"
wait_for "spool_count cut1@" 1 30; check "delivered after the IMAP connection was cut" 1 "$(spool_count cut1@)"
check "daemon logged the reconnect" 1 "$(grep -c 'connection lost' "$W/daemon.err" | sed 's/^[1-9][0-9]*$/1/')"
# SIGHUP with a broken policy keeps the old one
cp "$L/mailgate.conf" "$L/mailgate.conf.good"
sed -i "s|^policy_file = .*|policy_file = $top_srcdir/tests/data/policy/malformed.xml|" "$L/mailgate.conf"
kill -HUP "$DPID"
wait_for "grep -c 'keeping the configuration' '$W/daemon.err'" 1 10
check "reload failure keeps the old policy" 1 "$(grep -c 'keeping the configuration and policy in use' "$W/daemon.err")"
cp "$L/mailgate.conf.good" "$L/mailgate.conf"
msg hup1 whp@acme.example > "$W/hup1.eml"
mail append Outbox "$W/hup1.eml"
wait_for "spool_count hup1@" 1 10; check "still sending after a failed reload" 1 "$(spool_count hup1@)"
stop_daemon; check "SIGTERM exits 0" 0 $drc
ctl status > "$W/status.out"; src=$?
check "status after a clean run is 0 or 1" 1 "$([ $src -le 1 ] && echo 1)"
check "status names the mode" 1 "$(grep -c '^mode: normal' "$W/status.out")"
check "passwords never logged" 0 "$(cat "$W"/*.err | grep -c "$LAB_PW")"

echo "$fails failure(s)"
[ $fails -eq 0 ]
