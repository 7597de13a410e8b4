#!/bin/sh
# lab.sh - a throw-away mail lab on 127.0.0.1 for the daemon's integration
# tests and benchmark: Dovecot (IMAP STARTTLS and implicit TLS, Maildir,
# user alice) and tests/integration/smtplab.py (submission with STARTTLS +
# AUTH, implicit TLS + AUTH, and a plain no-AUTH listener), both with a
# certificate from a throw-away CA (SAN: IP 127.0.0.1 and mail.lab.test, so
# "localhost" is a wrong host name). Writes DIR/mailgate.conf for mailgated.
#
#   lab.sh start DIR     lab.sh stop DIR
#   lab.sh restart-imap DIR   stop Dovecot and start it again (connections drop)
#   lab.sh kill-smtp DIR      SIGKILL the SMTP server (mid-transaction)
#   lab.sh start-smtp DIR     start it again
#
# Ports come from LAB_BASE (default 24100): +0 IMAP, +1 IMAPS, +2 SMTP
# STARTTLS, +3 SMTPS, +4 plain SMTP. Run as root, the servers run as nobody.
set -eu
cmd=${1:?usage: lab.sh start|stop DIR}
D=${2:?usage: lab.sh start|stop DIR}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
B=${LAB_BASE:-24100}
IMAP=$B IMAPS=$((B + 1)) SMTP=$((B + 2)) SMTPS=$((B + 3)) PLAIN=$((B + 4))
U=alice PW=s3cret-pw

stop() {
	for f in "$D"/dovecot.pid "$D"/smtplab.pid; do
		[ -f "$f" ] || continue
		p=$(cat "$f")
		kill "$p" 2>/dev/null || true
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		kill -9 "$p" 2>/dev/null || true
		rm -f "$f"
	done
}

port_open() {
	/usr/bin/python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(0 if s.connect_ex(('127.0.0.1', $1)) == 0 else 1)"
}

start_smtp() {
	if [ "$(id -u)" = 0 ]; then
		AS="setpriv --reuid=$(id -u nobody) --regid=$(id -g nobody) --clear-groups"
	else
		AS=
	fi
	$AS /usr/bin/python3 "$here/smtplab.py" "$D" $U $PW $SMTP $SMTPS $PLAIN >> "$D/smtplab.log" 2>&1 &
	echo $! > "$D/smtplab.pid"
}

start_dovecot() {
	/usr/sbin/dovecot -F -c "$D/dovecot/dovecot.conf" > "$D/dovecot/stdout.log" 2>&1 &
	echo $! > "$D/dovecot.pid"
}

case $cmd in
stop) stop; exit 0 ;;
restart-imap)
	p=$(cat "$D/dovecot.pid")
	kill "$p"
	while kill -0 "$p" 2>/dev/null; do sleep 0.05; done
	start_dovecot
	i=0
	until port_open "$IMAP" || [ $i -gt 200 ]; do sleep 0.05; i=$((i + 1)); done
	exit 0 ;;
kill-smtp)
	kill -9 "$(cat "$D/smtplab.pid")"
	exit 0 ;;
start-smtp)
	start_smtp
	i=0
	until port_open "$SMTP" || [ $i -gt 200 ]; do sleep 0.05; i=$((i + 1)); done
	exit 0 ;;
start) ;;
*) echo "lab.sh: unknown command $cmd" >&2; exit 2 ;;
esac

for p in $IMAP $IMAPS $SMTP $SMTPS $PLAIN; do
	if port_open $p; then echo "lab.sh: port $p already in use" >&2; exit 1; fi
done
mkdir -p "$D/certs" "$D/spool" "$D/mail" "$D/dovecot/run" "$D/dovecot/state" "$D/state"
D=$(cd "$D" && pwd)
if [ "$(id -u)" = 0 ]; then RUNU=nobody RUNG=nogroup; else RUNU=$(id -un) RUNG=$(id -gn); fi
RUNUID=$(id -u $RUNU) RUNGID=$(id -g $RUNU)

# the throw-away CA, the server certificate, and a second CA nobody trusts
(
	cd "$D/certs"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
		-subj "/CN=mailgate lab CA" 2>/dev/null
	openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days 2 \
		-subj "/CN=mailgate other CA" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
		-subj "/CN=mail.lab.test" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:mail.lab.test\n' > san.ext
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
		-out server.pem -days 2 -extfile san.ext 2>/dev/null
	chmod 644 server.key
)
printf '%s:{PLAIN}%s\n' $U $PW > "$D/users"

cat > "$D/dovecot/dovecot.conf" <<CONF
protocols = imap
listen = 127.0.0.1
base_dir = $D/dovecot/run
state_dir = $D/dovecot/state
log_path = $D/dovecot/dovecot.log
ssl = yes
ssl_cert = <$D/certs/server.pem
ssl_key = <$D/certs/server.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = $RUNU
default_login_user = $RUNU
default_internal_group = $RUNG
first_valid_uid = 1
mail_location = maildir:$D/mail/%u/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $D/users
}
userdb {
  driver = static
  args = uid=$RUNUID gid=$RUNGID home=$D/mail/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    port = $IMAP
  }
  inet_listener imaps {
    port = $IMAPS
    ssl = yes
  }
}
service anvil {
  chroot =
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    auto = subscribe
  }
  mailbox Outbox {
    auto = subscribe
  }
}
# a test's own settings (rawlog_dir, imap_capability), read again on SIGHUP
!include_try $D/dovecot/local.conf
CONF
chown -R $RUNU:$RUNG "$D/mail" "$D/dovecot" "$D/spool" "$D/users"
chmod 755 "$D" "$D/certs"
if [ "$(id -u)" = 0 ]; then AS="setpriv --reuid=$RUNUID --regid=$RUNGID --clear-groups"; else AS=; fi

start_dovecot
start_smtp

if ! /usr/bin/python3 - $IMAP $IMAPS $SMTP $SMTPS $PLAIN <<'PY'
import socket, sys, time
end = time.time() + 30
for p in map(int, sys.argv[1:]):
    while True:
        s = socket.socket()
        s.settimeout(0.2)
        ok = s.connect_ex(("127.0.0.1", p)) == 0
        s.close()
        if ok:
            break
        if time.time() > end:
            sys.exit(1)
        time.sleep(0.05)
PY
then
	echo "lab.sh: servers did not start; see $D/dovecot/dovecot.log $D/smtplab.log" >&2
	stop
	exit 1
fi

# the daemon's configuration and secrets
printf '%s\n' $PW > "$D/imap.password"
printf '%s\n' $PW > "$D/smtp.password"
head -c 48 /dev/urandom > "$D/log.key"
chmod 600 "$D/imap.password" "$D/smtp.password" "$D/log.key"
chmod 700 "$D/state"
cat > "$D/mailgate.conf" <<CONF
# written by lab.sh
imap_host = 127.0.0.1
imap_port = $IMAP
imap_tls = starttls
imap_user = $U
imap_password_file = imap.password
smtp_host = 127.0.0.1
smtp_port = $SMTP
smtp_tls = starttls
smtp_user = $U
smtp_password_file = smtp.password
tls_ca_file = certs/ca.pem
policy_file = $top/policies/policy.xml
template_dir = $top/templates
state_dir = state
log_key_file = log.key
poll_interval = 5
CONF
echo "lab up in $D: IMAP $IMAP/$IMAPS SMTP $SMTP/$SMTPS plain $PLAIN"
