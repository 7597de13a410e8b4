#!/bin/sh
# mailgatectl caseload as the provider's admin meets it: import (UTF-8 and a
# bad row that imports nothing), find, show, --replace, and a grep of the
# database files for the NINOs and surnames imported (there must be none).
set -u
srcdir=$(cd "${top_srcdir:-.}" && pwd)
builddir=${top_builddir:-.}
ctl="$builddir/mailgatectl"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
expect_rc() {	# NAME RC COMMAND...; output in $out
	n=$1 want=$2
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	[ "$rc" -eq "$want" ] && ok || { bad "$n: exit $rc, expected $want"; echo "$out"; }
}
has() { printf '%s\n' "$out" | grep -q -- "$2" && ok || { bad "$1: no '$2' in:"; echo "$out"; }; }

mkdir -p "$tmp/state"
head -c 48 /dev/urandom | base64 >"$tmp/log.key"
chmod 600 "$tmp/log.key"
cat >"$tmp/m.conf" <<CONF
policy_file = $srcdir/policies/policy.xml
template_dir = $srcdir/templates
state_dir = $tmp/state
log_key_file = $tmp/log.key
CONF
mg() { "$ctl" -c "$tmp/m.conf" "$@"; }

expect_rc show-fresh 0 mg caseload show
has show-fresh "none imported"
expect_rc find-fresh 1 mg caseload find AB123456C

printf 'nino,holder,surname\nAB 12 34 56 C,acme,Featherstonehaugh\nCE654321A,internal,Quixote\n' >"$tmp/a.csv"
expect_rc import 0 mg caseload import "$tmp/a.csv"
has import "2 persons imported"
expect_rc find 0 mg caseload find "ab123456"
has find "^acme$"
expect_rc find-internal 0 mg caseload find "CE 65 43 21 A"
has find-internal "^internal$"
expect_rc find-none 1 mg caseload find JK112233A
expect_rc find-invalid 2 mg caseload find QQ123456C
expect_rc show 0 mg caseload show
has show "acme  *1"
has show "total  *2"
has show "last imported 20"

# no NINO or surname in clear in any file of state_dir (the grep can fail:
# it finds the holder ids, which are stored in clear)
clear_check() {
	for s in AB123456 "AB 12 34" CE654321 JK112233 Featherstonehaugh Quixote; do
		if grep -rqi -- "$s" "$tmp/state"; then bad "$1: '$s' in clear in $tmp/state"; else ok; fi
	done
	if grep -rqi -- "$2" "$tmp/state"; then ok; else bad "$1: grep finds no '$2'"; fi
}
clear_check after-import acme
printf 'nino,holder\nJK112233A,brightpath\nJK112244A,nobody\n' >"$tmp/bad.csv"
expect_rc bad-row 1 mg caseload import "$tmp/bad.csv"
has bad-row "bad.csv:3: error: column holder"
expect_rc bad-nothing 1 mg caseload find JK112233A

printf 'nino,holder\nJK112233A,brightpath\n' >"$tmp/r.csv"
expect_rc replace 0 mg caseload import "$tmp/r.csv" --replace
expect_rc replaced-gone 1 mg caseload find AB123456C
expect_rc replaced-new 0 mg caseload find JK112233A
expect_rc usage 2 mg caseload import
clear_check after-replace brightpath


echo "caseload.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
