#!/bin/sh
# install.sh - a fresh install in a throw-away root: make install DESTDIR=R
# from this build, then the README's install steps from "cp" on (the block
# between install-begin and install-end), run as written with /etc and
# /usr/share moved into R: the unit names the configured sbindir, the
# README, man pages, schemas, examples and completion are installed,
# mailgatectl setup creates log.key, the empty password files and
# state_dir with their modes (twice: the second run changes nothing), and
# the installed mailgated --check passes with the installed schemas only.
# Test-only deviations: state_dir inside R, setup's --user/--group the
# caller's (the mailgate user comes from systemd-sysusers).
set -u
top_srcdir=$(cd "${top_srcdir:-.}" && pwd)
top_builddir=$(cd "${top_builddir:-.}" && pwd)
R=$(mktemp -d /tmp/mg-install.XXXXXX)	# the root
T=$(mktemp -d /tmp/mg-install-out.XXXXXX)	# this test's own files
trap 'rm -rf "$R" "$T"' EXIT INT TERM
fails=0
check() { # check WHAT EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "FAIL - $1: expected '$2', got '$3'"; fails=$((fails + 1)); fi
}
dir() { printf 'include Makefile\nprint-%%:\n\t@echo $($*)\n' | env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory -C "$top_builddir" -f - "print-$1"; }

sbindir=$(dir sbindir) bindir=$(dir bindir) sysconfdir=$(dir sysconfdir)
pkgdatadir=$(dir pkgdatadir) docdir=$(dir docdir) mandir=$(dir mandir)
unitdir=$(dir systemdsystemunitdir) compdir=$(dir bashcompletiondir)
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" install DESTDIR="$R" > "$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; exit 1; }

check "unit ExecStart from sbindir" "ExecStart=$sbindir/mailgated -c $sysconfdir/mailgate/mailgate.conf" \
	"$(grep '^ExecStart=' "$R$unitdir/mailgated.service")"
check "unit credentials from sysconfdir" 3 "$(grep -c "^LoadCredential=.*:$sysconfdir/mailgate/" "$R$unitdir/mailgated.service")"
check "README under docdir" 0 "$(cmp -s "$top_srcdir/README.md" "$R$docdir/README.md"; echo $?)"
check "man pages" 4 "$(ls "$R$mandir"/man5/*.5 "$R$mandir"/man8/*.8 | wc -l)"
check "schemas" 2 "$(ls "$R$pkgdatadir"/schema/*.rng | wc -l)"
check "example templates" 1 "$([ -f "$R$pkgdatadir/examples/templates/change-of-circumstances.xml" ] && echo 1)"
check "bash completion for both programs" 2 "$(ls "$R$compdir/mailgatectl" "$R$compdir/mailgated" | wc -l)"
check "completion is bash" 0 "$(bash -n "$R$compdir/mailgatectl"; echo $?)"

# The README's steps, from cp on; /etc and /usr/share are those of the root.
sed -n '/<!-- install-begin -->/,/<!-- install-end -->/p' "$top_srcdir/README.md" |
	sed -e 's/  *#.*//' > "$T/steps"
step() { grep "^$1" "$T/steps" | sed -e "s|/usr/share/mailgate|$R$pkgdatadir|g" \
	-e "s|/etc/mailgate|$R$sysconfdir/mailgate|g"; }
check "the README has the steps" 3 "$(grep -c '^cp -r \|^mailgatectl setup\|^mailgated --check' "$T/steps")"
mkdir -p "$R$sysconfdir/mailgate"
eval "$(step 'cp -r')"; check "cp of the examples" 0 $?
conf="$R$sysconfdir/mailgate/mailgate.conf"
mkdir -p "$R/var/lib"
echo "state_dir = $R/var/lib/mailgate" >> "$conf"
# the installed programs look for their schemas in pkgdatadir, which is inside the root here
MAILGATE_SCHEMA_DIR=$R$pkgdatadir/schema
export MAILGATE_SCHEMA_DIR
ctl="$R$bindir/mailgatectl -c $conf"
setup="$ctl setup --user=$(id -un) --group=$(id -gn)"
$setup > "$T/setup.out" 2>&1; check "setup exits 0" 0 $?
cd "$R$sysconfdir/mailgate" || exit 1
check "log.key 64 hex digits and a newline" "1 65" "$(grep -cE '^[0-9a-f]{64}$' log.key) $(wc -c < log.key)"
check "modes" "640 640 640 2750" "$(stat -c %a log.key imap.password smtp.password "$R/var/lib/mailgate" | tr '\n' ' ' | sed 's/ $//')"
check "password files empty" "0 0" "$(wc -c < imap.password) $(wc -c < smtp.password)"
check "setup says what is left" 1 "$(grep -c "write the password into $R$sysconfdir/mailgate/imap.password" "$T/setup.out")"
cp log.key "$T/key.before"
$setup > "$T/setup2.out" 2>&1; check "second setup exits 0" 0 $?
check "second setup creates nothing" 0 "$(grep -c '^created' "$T/setup2.out")"
check "log.key kept" 0 "$(cmp -s log.key "$T/key.before"; echo $?)"
echo pw > imap.password; echo pw > smtp.password
check "README's mailgated --check" 0 "$(cd / && eval "$(step 'mailgated --check' | sed -e "s|^mailgated|$R$sbindir/mailgated -c $conf|" -e 's/ &&.*//')" > "$T/check.out" 2>&1; echo $?)"
[ $fails -eq 0 ] || cat "$T/check.out"
[ -e "$pkgdatadir/schema/policy.rng" ] ||	# (a real install there would answer)
check "without MAILGATE_SCHEMA_DIR: the installed schemas, never the build folder" 1 \
	"$(env -u MAILGATE_SCHEMA_DIR "$R$sbindir/mailgated" -c "$conf" --check 2>&1 |
	grep -c "^$pkgdatadir/schema/policy.rng: error: the schema does not load")"
check "config show: secrets as paths" 0 "$($ctl config show | grep -c pw)"
$ctl config show > "$T/shown.conf"
check "config show output is a valid config" 0 "$("$R$bindir/mailgatectl" -c "$T/shown.conf" config show > /dev/null 2>&1; echo $?)"
sed -i 's/^policy_file = .*/policy_file = nonexistent.xml/' "$conf"
check "mailgated --check exit 78 on a broken config" 78 "$("$R$sbindir/mailgated" -c "$conf" --check > /dev/null 2>&1; echo $?)"
check "versions" "mailgatectl 0.1.0 mailgated 0.1.0" "$("$R$bindir/mailgatectl" --version) $("$R$sbindir/mailgated" --version)"

cd / && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" uninstall DESTDIR="$R" > /dev/null 2>&1
check "uninstall leaves only what setup and the admin made" 0 \
	"$(find "$R" -type f ! -path "$R$sysconfdir/mailgate/*" ! -path "$R/var/*" | wc -l)"
echo "$fails failure(s)"
[ $fails -eq 0 ]
