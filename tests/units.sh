#!/bin/sh
# units.sh - the systemd files: the unit keeps its hardening (systemd-analyze
# security OK, at most 2.0), denies every address but the configured ones,
# bounds memory and tasks, and leaves the state folder to tmpfiles.d; and,
# as root, with tmpfiles' semantics (a set-group-ID folder made by
# systemd-tmpfiles from our line, as at every boot) the log's readers really
# read the copy the daemon's user publishes, and never the live database.
set -u
. "${top_srcdir:-.}/tests/common.sh"
unit="$builddir/systemd/mailgated.service"	# made from mailgated.service.in
tmpfiles="$srcdir/systemd/mailgate.tmpfiles"
setting() { grep -v '^[[:space:]]*#' "$unit" | grep -q "^$1"; }

setting 'StateDirectory=' && bad "StateDirectory= chowns the state folder away from the log's readers"
setting 'IPAddressDeny=any$' || bad "no IPAddressDeny=any"
setting 'MemoryMax=' || bad "no MemoryMax="
setting 'TasksMax=' || bad "no TasksMax="
grep -q '^d /var/lib/mailgate 2750 mailgate mailgate-log' "$tmpfiles" ||
	bad "tmpfiles does not make the state folder 2750 mailgate:mailgate-log"
if command -v systemd-analyze >/dev/null && systemd-analyze security --help 2>&1 | grep -q offline; then
	out=$(cd / && systemd-analyze security --offline=yes --threshold=20 "$unit" 2>&1) ||
		{ bad "systemd-analyze security is over 2.0:"; printf '%s\n' "$out" | tail -3; }
else
	echo "(no systemd-analyze --offline: the exposure check is skipped)"
fi

if [ "$(id -u)" -ne 0 ] || ! command -v systemd-tmpfiles >/dev/null || ! command -v setpriv >/dev/null; then
	echo "(not root or no systemd-tmpfiles: the folder's semantics are not tried)"
	[ $fail -eq 0 ]; exit $?
fi
d=mgd$$ r=mgr$$ lg=mglg$$
cleanup() { userdel "$d" 2>/dev/null; groupdel "$d" 2>/dev/null; userdel "$r" 2>/dev/null; groupdel "$lg" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
groupadd "$lg" && useradd -M -U -G "$lg" "$d" && useradd -M -N -g "$lg" "$r" ||
	{ echo "cannot add test users"; exit 99; }
chmod 755 "$tmp"
# our tmpfiles line with the test's folder and users
sed -e "s|/var/lib/mailgate|$tmp/state|" -e "s| mailgate mailgate-log | $d $lg |" \
	-e "s|^d /etc/mailgate .*||" "$tmpfiles" > "$tmp/t.conf"
systemd-tmpfiles --create "$tmp/t.conf" || bad "systemd-tmpfiles failed"
[ "$(stat -c '%a %U %G' "$tmp/state")" = "2750 $d $lg" ] ||
	bad "the folder is $(stat -c '%a %U %G' "$tmp/state")"
state_conf
chown "$d:$lg" "$tmp/log.key" && chmod 640 "$tmp/log.key"
chmod 644 "$tmp/m.conf"
as() { u=$1; shift; setpriv --reuid "$u" --regid "$(id -g "$u")" --init-groups "$@"; }
ctl() { "$builddir/mailgatectl" -c "$tmp/m.conf" "$@"; }
# the daemon's user writes (and so publishes); a start runs tmpfiles again
as "$d" "$builddir/mailgatectl" -c "$tmp/m.conf" mode clerical --reason "units test" >/dev/null ||
	bad "the daemon's user cannot write the log"
systemd-tmpfiles --create "$tmp/t.conf"
[ "$(stat -c '%a %G' "$tmp/state/sendlog-copy.db")" = "640 $lg" ] ||
	bad "the copy is $(stat -c '%a %G' "$tmp/state/sendlog-copy.db")"
[ "$(stat -c '%a' "$tmp/state/sendlog.db")" = 600 ] || bad "the live log is $(stat -c '%a' "$tmp/state/sendlog.db")"
out=$(as "$r" "$builddir/mailgatectl" -c "$tmp/m.conf" mode 2>&1) || bad "the reader cannot read the mode: $out"
printf '%s\n' "$out" | grep -q clerical || bad "the reader sees: $out"
out=$(as "$r" "$builddir/mailgatectl" -c "$tmp/m.conf" log verify 2>&1) || bad "the reader cannot verify: $out"
as "$r" sh -c "exec 3<'$tmp/state/sendlog.db'" 2>/dev/null && bad "the reader can open the live database"
[ $fail -eq 0 ] && echo "ok - the unit and the state folder"
[ $fail -eq 0 ]
