#!/bin/sh
# proofs.sh - a reader cannot disturb the writer, and the log proves itself
# from the daemon's own journal lines: the live database, WAL and SHM are
# the daemon's alone (0600); the readers' copy is published 0640 after each
# pass; a user in the log's group holding every lock it can take on what it
# can read does not delay a send, and meanwhile queries and verifies the
# copy; log verify --heads on the daemon's stderr (what journald keeps)
# finds the newest signed head in the chain, and finds it gone once the
# newest rows are deleted.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/integration/common.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null || ! command -v useradd >/dev/null; then
	echo "skip: needs root, setpriv and useradd (a second user reads the log)"; exit 77
fi
lab_up proofs 25500
fails=0
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
mode_of() { stat -c %a "$1" 2>/dev/null; }
S="$L/state"

msg p1 whp@acme.example > "$W/p1.eml"
mail append Outbox "$W/p1.eml"
start_daemon
wait_for "mail count Sent" 1 30
[ "$(mail count Sent)" = 1 ] || bad "the first message was not sent"
wait_for "grep -c 'log head: ' '$W/daemon.err'" 1 10
# the daemon's parser zygote and its ready child hold neither the IMAP password nor the log key
scan() {	# scan PID FILE: 1 when PID's readable memory holds FILE's bytes, else 0
	/usr/bin/python3 - "$1" "$2" <<'PY'
import sys
pid, needle = sys.argv[1], open(sys.argv[2], "rb").read()
found = 0
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
        if line.split()[1][0] != "r" or hi - lo > 256 << 20:
            continue  # the sanitizers' shadow: terabytes of nothing
        try:
            mem.seek(lo)
            if needle in mem.read(hi - lo):
                found = 1
                break
        except OSError:
            pass
print(found)
PY
}
head -1 "$L/imap.password" | tr -d '\n' > "$W/pw"
head -c 32 "$L/log.key" > "$W/key32"
# the zygote (no filter) and the next message's child (filter installed), both children of the daemon
find_parsers() {
	zpid=
	wpid=
	nz=0
	for p in $(ps -o pid= --ppid "$DPID"); do
		case "$(readlink /proc/"$p"/exe)" in
		*/mailgate-analyse)
			case "$(awk '/^Seccomp:/ {print $2}' /proc/"$p"/status 2>/dev/null)" in
			0) zpid=$p; nz=$((nz + 1)) ;;
			2) wpid=$p ;;
			esac ;;
		esac
	done
}
for i in $(seq 50); do	# the next child is forked asynchronously after a message
	find_parsers
	[ -n "$zpid" ] && [ -n "$wpid" ] && break
	sleep 0.1
done
[ "$nz" -le 1 ] || bad "$nz zygotes beside the daemon"
[ -n "$zpid" ] || bad "no zygote (unfiltered mailgate-analyse) beside the daemon"
[ -n "$wpid" ] || bad "no sandboxed per-message child beside the daemon"
[ "$(scan "$DPID" "$W/pw")" = 1 ] || bad "the scan does not find the password in the daemon"
for p in $zpid $wpid; do
	[ "$(scan "$p" "$W/pw")" = 0 ] || bad "the parser program $p holds the IMAP password"
	[ "$(scan "$p" "$W/key32")" = 0 ] || bad "the parser program $p holds the log key"
done
for f in sendlog.db sendlog.db-wal sendlog.db-shm; do
	[ "$(mode_of "$S/$f")" = 600 ] || bad "$f has mode $(mode_of "$S/$f"), not 600"
done
[ "$(mode_of "$S/sendlog-copy.db")" = 640 ] || bad "the copy has mode $(mode_of "$S/sendlog-copy.db")"
ctl log verify --heads "$W/daemon.err" > "$W/v1" 2>&1 || { bad "verify --heads"; cat "$W/v1"; }

# a compliance officer in the log's group, not its owner
u=mgproof$$
g=mgproofg$$
groupadd "$g" && useradd -M -N -g "$g" "$u" || bad "cannot add a test user"
cleanup_user() { userdel "$u" 2>/dev/null; groupdel "$g" 2>/dev/null; }
chgrp "$g" "$S" "$S/sendlog-copy.db" "$S/sign.pub" "$L/log.key" "$L/mailgate.conf"
chmod 750 "$S"
chmod 640 "$L/log.key" "$L/mailgate.conf"
chmod 711 "$W" "$L"
mkdir "$W/r" && chown "$u" "$W/r"
as_reader() { setpriv --reuid "$u" --regid "$g" --clear-groups "$@"; }
# every lock it can take: each file it can open, read-write if it may, else read-only
as_reader /usr/bin/python3 - "$S" "$W/r/locked" <<'PY' &
import fcntl, os, sys, time
d, flag = sys.argv[1], sys.argv[2]
held = []
for name in sorted(os.listdir(d)):
    p = os.path.join(d, name)
    for mode, lock in ((os.O_RDWR, fcntl.F_WRLCK), (os.O_RDONLY, fcntl.F_RDLCK)):
        try:
            fd = os.open(p, mode)
        except OSError:
            continue
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX if lock == fcntl.F_WRLCK else fcntl.LOCK_SH)
            held.append(name)
        except OSError:
            pass
        break
open(flag, "w").write(" ".join(held) + "\n")
time.sleep(25)
PY
LPID=$!
wait_for "test -s '$W/r/locked' && echo yes" yes 10
echo "the reader holds locks on: $(cat "$W/r/locked")"
grep -q sendlog-copy.db "$W/r/locked" || bad "the reader could not even lock the copy"
grep -q 'sendlog.db-shm' "$W/r/locked" && bad "the reader could lock the live SHM"
t0=$(date +%s)
msg p2 whp@acme.example > "$W/p2.eml"
mail append Outbox "$W/p2.eml"
wait_for "mail count Sent" 2 30
t1=$(date +%s)
[ "$(mail count Sent)" = 2 ] || bad "the second message was not sent while the reader held its locks"
[ $((t1 - t0)) -le 5 ] || bad "the send took $((t1 - t0)) s with the reader's locks held"
as_reader "$MAILGATECTL" -c "$L/mailgate.conf" log query --message-id p1@lab.test > "$W/q" 2>&1 ||
	{ bad "the reader's query"; cat "$W/q"; }
grep -q "(1 message, 1 row;" "$W/q" || { bad "the reader's query found no row"; cat "$W/q"; }
as_reader "$MAILGATECTL" -c "$L/mailgate.conf" log verify --heads "$W/daemon.err" > "$W/v2" 2>&1 ||
	{ bad "the reader's verify"; cat "$W/v2"; }
kill "$LPID" 2>/dev/null
wait "$LPID" 2>/dev/null
stop_daemon
[ "$drc" -eq 0 ] || bad "mailgated exited $drc"
ctl log verify --heads "$W/daemon.err" > "$W/v3" 2>&1 || { bad "verify after stop"; cat "$W/v3"; }

# the newest rows removed: the daemon's last head is no longer in the chain
last=$(sqlite3 "$S/sendlog.db" "SELECT max(seq) FROM log")
sqlite3 "$S/sendlog.db" "DELETE FROM log WHERE seq = $last"
ctl log verify --heads "$W/daemon.err" > "$W/v4" 2>&1
[ $? -eq 1 ] || { bad "a removed last row was not seen"; cat "$W/v4"; }
cleanup_user
[ $fails -eq 0 ] && echo "ok - readers cannot stop the writer; the journal's heads prove the log"
exit $fails
