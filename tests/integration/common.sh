# common.sh - shared by the daemon's integration tests and benchmark (sourced).
# Needs top_srcdir and top_builddir (default .), which it makes absolute;
# sets L (lab dir), W (work dir), M (messages); check counts failures in fails.
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "${top_builddir:-.}" && pwd)
M="$top_srcdir/tests/messages"
MAILGATED="$top_builddir/mailgated"
MAILGATECTL="$top_builddir/mailgatectl"
# the parser program as built, not as installed
MAILGATE_ANALYSE=${MAILGATE_ANALYSE:-$top_builddir/mailgate-analyse}
export MAILGATE_ANALYSE
MAILGATE_SCHEMA_DIR=${MAILGATE_SCHEMA_DIR:-$top_srcdir/policies}
export MAILGATE_SCHEMA_DIR
LAB_PW=s3cret-pw
DPID=
fails=0

check() { # check WHAT EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "FAIL - $1: expected '$2', got '$3'"; fails=$((fails + 1)); fi
}

lab_up() { # lab_up NAME PORTBASE; skips (77) without the lab's servers
	if [ ! -x /usr/sbin/dovecot ] || ! /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
		echo "skip: the lab needs dovecot-imapd and python3-aiosmtpd"; exit 77
	fi
	W=$(mktemp -d "/tmp/mg-$1.XXXXXX")
	chmod 755 "$W"	# the lab servers run as nobody
	L="$W/lab"
	# LAB_PORT_SHIFT moves every lab of a run (two checkouts testing at once)
	LAB_BASE=$(($2 + ${LAB_PORT_SHIFT:-0}))
	export LAB_BASE
	trap 'lab_down' EXIT INT TERM
	"$top_srcdir/tests/integration/lab.sh" start "$L" > "$W/lab.out" 2>&1 || {
		cat "$W/lab.out" >&2; exit 99; }
}

lab_down() {
	[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
	"$top_srcdir/tests/integration/lab.sh" stop "$L" > /dev/null 2>&1
	if [ -z "${KEEP:-}" ]; then rm -rf "$W"; else echo "kept $W"; fi
}

mail() { /usr/bin/python3 "$top_srcdir/tests/integration/labmail.py" "$L/mailgate.conf" "$@"; }
census() { mail census Outbox Sent Rejected Held; }
ctl() { "$MAILGATECTL" -c "$L/mailgate.conf" "$@"; }

# A change-of-circumstances form the policy accepts, Message-ID <ID@lab.test>, to RCPT.
msg() {
	sed -e "s/^Message-ID: .*/Message-ID: <$1@lab.test>/" -e "s/^To: .*/To: $2/" \
		"$M/coc-thunderbird-plain.eml"
}
# Another sample message with its Message-ID made unique.
msg_from() { sed -e "s/^Message-ID: .*/Message-ID: <$2@lab.test>/" "$1"; }

# Deliveries in the SMTP spool carrying this Message-ID.
spool_count() {
	n=0
	for f in "$L"/spool/*.eml; do
		[ -f "$f" ] || continue
		grep -qi "^Message-ID: <$1" "$f" && n=$((n + 1))
	done
	echo $n
}

once() { "$MAILGATED" -c "$L/mailgate.conf" --once > "$W/once.out" 2> "$W/once.err"; rc=$?; }
conf_variant() { sed -e "$2" "$L/mailgate.conf" > "$L/$1.conf"; }
once_conf() { "$MAILGATED" -c "$L/$1.conf" --once > "$W/once.out" 2> "$W/once.err"; rc=$?; }

start_daemon() {
	"$MAILGATED" -c "$L/mailgate.conf" > "$W/daemon.out" 2>> "$W/daemon.err" &
	DPID=$!
}
stop_daemon() {
	kill -TERM "$DPID"
	wait "$DPID"; drc=$?
	DPID=
}
# kill_loop FOLDER: the daemon started and SIGKILLed after each delay of
# $W/delays (milliseconds, one a line) until FOLDER is empty; $kills counts them.
kill_loop() {
	kills=0
	for d in $(cat "$W/delays"); do
		[ "$(mail count "$1")" -eq 0 ] && break
		start_daemon
		sleep "$(awk -v d="$d" 'BEGIN { printf "%.3f", d / 1000 }')"
		kill -9 "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
		DPID=
		kills=$((kills + 1))
	done
}

# wait_for CMD EXPECTED SECONDS: until CMD prints EXPECTED.
wait_for() {
	i=0
	while [ "$(eval "$1")" != "$2" ] && [ $i -lt $(($3 * 10)) ]; do sleep 0.1; i=$((i + 1)); done
}

# Cuts the daemon's IMAP connection: kills the imap processes Dovecot started for it.
kick_imap() {
	for p in $(ps -o pid= --ppid "$(cat "$L/dovecot.pid")"); do
		case "$(ps -o comm= -p "$p")" in imap) kill -9 "$p" ;; esac
	done
}
