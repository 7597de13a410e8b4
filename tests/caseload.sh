#!/bin/sh
# mailgatectl caseload as the provider's admin meets it: import (UTF-8 and a
# bad row that imports nothing), find, show, --replace, and a grep of the
# database files for the NINOs and surnames imported (there must be none).
set -u
. "${top_srcdir:-.}/tests/common.sh"

state_conf

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
