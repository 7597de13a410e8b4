# common.sh - shared by the mailgatectl tests that run on a throw-away
# state_dir, without the lab (sourced): caseload.sh, sendlog.sh,
# logreport.sh, report-html.sh, report-ods.sh, units.sh. Needs top_srcdir
# and top_builddir (default .). Sets srcdir and builddir (absolute), ctl and
# tmp (removed on exit, unless the test traps EXIT itself); counts checks in
# pass and fail (ok, bad, expect_rc, has, hasnt); state_conf makes
# $tmp/state, a log key $tmp/log.key and $tmp/m.conf naming them, which mg
# runs mailgatectl with. (The integration tests' is tests/integration/common.sh.)
srcdir=$(cd "${top_srcdir:-.}" && pwd)
builddir=$(cd "${top_builddir:-.}" && pwd)
ctl="$builddir/mailgatectl"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
expect_rc() {	# NAME RC COMMAND...; stdout and stderr in $out
	n=$1 want=$2
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	[ "$rc" -eq "$want" ] && ok || { bad "$n: exit $rc, expected $want"; echo "$out"; }
}
has() { printf '%s\n' "$out" | grep -q -- "$2" && ok || { bad "$1: no '$2' in:"; echo "$out"; }; }
hasnt() { printf '%s\n' "$out" | grep -q -- "$2" && { bad "$1: '$2' should not be in:"; echo "$out"; } || ok; }

state_conf() {
	mkdir -p "$tmp/state"
	head -c 48 /dev/urandom | base64 >"$tmp/log.key"
	chmod 600 "$tmp/log.key"
	cat >"$tmp/m.conf" <<CONF
policy_file = $srcdir/policies/policy.xml
template_dir = $srcdir/templates
state_dir = $tmp/state
log_key_file = $tmp/log.key
CONF
}
mg() { "$ctl" -c "$tmp/m.conf" "$@"; }
