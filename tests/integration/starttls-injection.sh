#!/bin/sh
# A server that pipelines a forged line after its STARTTLS go-ahead (for
# SMTP, then for IMAP) is refused before any handshake, naming the host and
# "data injected before TLS"; mailgated --once exits 69 and nothing is sent:
# no AUTH, no MAIL FROM, no LOGIN reaches the hostile server.
set -u
top_srcdir=$(cd "${top_srcdir:-.}" && pwd)
top_builddir=$(cd "${top_builddir:-.}" && pwd)
[ "${MG_LAB:-1}" = 0 ] && { echo "skip: MG_LAB=0"; exit 77; }
. "$top_srcdir/tests/integration/common.sh"
lab_up injection 24800
pass=0
fail=0
check() {	# NAME WANT GOT
	if [ "$2" = "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1: got $3, want $2"; fi
}
HPORT=24890
for kind in smtp imap; do
	: >"$W/$kind.log"
	/usr/bin/python3 "$top_srcdir/tests/integration/hostile.py" $kind $HPORT "$W/$kind.log" &
	hp=$!
	i=0
	while ! /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $HPORT), 1)" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 50 ] && break; sleep 0.1
	done
	msg "inj-$kind" whp@acme.example >"$W/m.eml"
	mail append Outbox "$W/m.eml"
	conf_variant hostile "s|^${kind}_port = .*|${kind}_port = $HPORT|"
	once_conf hostile
	check "$kind: exit 69" 69 "$rc"
	grep -q "127.0.0.1: data injected before TLS" "$W/once.err"
	check "$kind: error names host and injection" 0 $?
	check "$kind: nothing after STARTTLS" 0 \
	    "$(grep -ciE '^(AUTH|MAIL|RCPT|DATA|[^ ]+ LOGIN|[^ ]+ AUTHENTICATE)' "$W/$kind.log" | tr -d ' ')"
	check "$kind: nothing delivered" 0 "$(spool_count "inj-$kind")"
	kill $hp 2>/dev/null
	wait $hp 2>/dev/null
	HPORT=$((HPORT + 1))
done
echo "starttls-injection: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
