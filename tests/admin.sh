#!/bin/sh
# admin.sh - the conventions an admin who knows Postfix expects, without
# servers: --version on both programs; COMMAND --help for every command
# (exit 0, lines within 80 columns); --opt=value; one error prefix;
# mailgated --check (0, 78); config show (secrets as paths, a valid
# configuration itself); a value holding " #" refused naming the line;
# schema errors in the policy's terms; setup --dry-run; template show's
# standard subject.
set -u
srcdir=${top_srcdir:-.}
ctl="${top_builddir:-.}/mailgatectl"
dmn="${top_builddir:-.}/mailgated"
conf="$srcdir/tests/messages.conf"
T=$(mktemp -d /tmp/mg-admin.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
pass=0
fail=0
check() {	# check NAME WANT_RC COMMAND... (output in $out)
	name=$1 want=$2
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -eq "$want" ]; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL $name: exit $rc, expected $want"; echo "$out"; fi
}
grep_out() {	# grep_out NAME PATTERN
	if printf '%s\n' "$out" | grep -q -- "$2"; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL $1: no '$2' in:"; echo "$out"; fi
}
no_out() {	# no_out NAME PATTERN
	if printf '%s\n' "$out" | grep -q -- "$2"; then
		fail=$((fail + 1)); echo "FAIL $1: '$2' in:"; echo "$out"; else pass=$((pass + 1)); fi
}

check ctl-version 0 "$ctl" --version
grep_out ctl-version-text '^mailgatectl [0-9]'
check dmn-version 0 "$dmn" --version
grep_out dmn-version-text '^mailgated [0-9]'
check ctl-help 0 "$ctl" --help
no_out ctl-help-width '^.\{81,\}'
for c in check-message policy template config setup log incident mode held status check-servers; do
	check "help-$c" 0 "$ctl" "$c" --help
	grep_out "help-$c-usage" "^usage: mailgatectl \[-c FILE\] $c"
	no_out "help-$c-width" '^.\{81,\}'
done
check help-without-config 0 "$ctl" -c /nonexistent.conf status --help
check opt-equals 1 "$ctl" -c "$conf" check-message --at=2026-11-23 "$srcdir/tests/messages/no-record.eml"
grep_out opt-equals-verdict '^reject change-of-circumstances'
check opt-space 1 "$ctl" -c "$conf" check-message --at 2026-11-23 "$srcdir/tests/messages/no-record.eml"
check config-equals 0 "$ctl" --config="$conf" policy check
check unknown-option 2 "$ctl" -c "$conf" status --bogus
grep_out unknown-option-prefix "^mailgatectl: status: unknown option '--bogus'"
check missing-value 2 "$ctl" -c "$conf" check-message --at
grep_out missing-value-prefix "^mailgatectl: check-message: --at needs a value"
check mode-bad 2 "$ctl" -c "$conf" mode resume
grep_out mode-bad-prefix '^mailgatectl: mode resume needs --department-informed'
check status-format 2 "$ctl" -c "$conf" status --format=xml
grep_out status-format-prefix "^mailgatectl: status: --format: 'xml'"

# mailgated --check: the servers' keys, the policy and its templates
cp "$srcdir/tests/messages.conf" "$T/m.conf"
sed -i "s|^policy_file = .*|policy_file = $(cd "$srcdir" && pwd)/policies/policy.xml|; s|^template_dir = .*|template_dir = $(cd "$srcdir" && pwd)/templates|" "$T/m.conf"
printf 'pw\n' > "$T/pw"; chmod 600 "$T/pw"
printf '%064d\n' 0 > "$T/key"; chmod 600 "$T/key"
cat >> "$T/m.conf" <<EOC
imap_host = 127.0.0.1
imap_tls = none
imap_user = whp
imap_password_file = $T/pw
smtp_host = 127.0.0.1
smtp_tls = none
smtp_user = whp
smtp_password_file = $T/pw
log_key_file = $T/key
state_dir = $T/state
EOC
check dmn-check 0 "$dmn" -c "$T/m.conf" --check
grep_out dmn-check-ok ': ok: policy .* version [0-9a-f]\{64\}'
sed 's|^template_dir = .*|template_dir = /nonexistent|' "$T/m.conf" > "$T/bad.conf"
check dmn-check-bad 78 "$dmn" -c "$T/bad.conf" --check
grep_out dmn-check-bad-line '^/nonexistent/exit-report.xml: error: cannot read the template'
check dmn-check-once 78 "$dmn" -c "$T/m.conf" --check --once

# config show: effective, secrets as paths, itself a valid configuration
check config-show 0 "$ctl" -c "$T/m.conf" config show
grep_out config-show-secret "^imap_password_file = $T/pw$"
no_out config-show-no-password '= pw$'
grep_out config-show-default '^poll_interval = 60$'
grep_out config-show-abs "^policy_file = /"
printf '%s\n' "$out" > "$T/shown.conf"
# every key the sample configuration names (set or commented out) is shown
for k in $(sed -n 's/^#\{0,1\}\([a-z_]*\) = .*/\1/p' "$srcdir/etc/mailgate.conf"); do
	grep -q "^$k = \|^# $k is not set$" "$T/shown.conf" || { fail=$((fail + 1)); echo "FAIL config show lacks $k"; }
done
check config-show-reloads 0 "$ctl" -c "$T/shown.conf" config show

# " #" in a value is an error naming the line
printf 'policy_file = %s\nimap_user = whp   # note\n' "$(cd "$srcdir" && pwd)/policies/policy.xml" > "$T/hash.conf"
check hash-in-value 2 "$ctl" -c "$T/hash.conf" policy check
grep_out hash-in-value-line "hash.conf:2: error: the value of 'imap_user' holds ' #'"

# schema errors in the policy's terms
pol="$(cd "$srcdir" && pwd)/policies/policy.xml"
sed 's/until="2027-03-31"/until="31\/03\/2027"/' "$pol" > "$T/date.xml"
check schema-date 1 "$ctl" -c "$conf" policy check "$T/date.xml"
grep_out schema-date-words 'date.xml:[0-9]*: error: <permit>: until must be a date YYYY-MM-DD, like 2026-12-31, not .31/03/2027.'
no_out schema-date-raw 'Invalid attribute'
sed '0,/offshore="false"/s//offshore="no"/' "$pol" > "$T/bool.xml"
check schema-bool 1 "$ctl" -c "$conf" policy check "$T/bool.xml"
grep_out schema-bool-words 'offshore must be true or false, not .no.'
no_out schema-bool-echo 'failed to validate'
sed '0,/<permit /s//<permit colour="red" /' "$pol" > "$T/extra.xml"
check schema-extra 1 "$ctl" -c "$conf" policy check "$T/extra.xml"
grep_out schema-extra-words "<permit> takes no attribute 'colour'"

# setup --dry-run names what it would create and creates nothing
sed "s|^state_dir = .*|state_dir = $T/newstate|; s|^log_key_file = .*|log_key_file = $T/new.key|" "$T/m.conf" > "$T/setup.conf"
check setup-dry 0 "$ctl" -c "$T/setup.conf" setup --dry-run --user="$(id -un)" --group="$(id -gn)"
grep_out setup-dry-key "^would create $T/new.key: a new log key"
grep_out setup-dry-state "^would create $T/newstate"
[ ! -e "$T/new.key" ] && [ ! -e "$T/newstate" ]; check setup-dry-nothing 0 test $?
check setup-no-config 2 "$ctl" -c "$T/none.conf" setup --user="$(id -un)" --group="$(id -gn)"
grep_out setup-no-config-words "none.conf: error: cannot read the configuration"
check setup-no-user 2 "$ctl" -c "$T/setup.conf" setup --user=no-such-user-mg
grep_out setup-no-user-words "^mailgatectl: setup: no user 'no-such-user-mg': run systemd-sysusers"

# template show: the standard subject first
check template-subject 0 "$ctl" -c "$conf" template show change-of-circumstances
grep_out template-subject-first '^Subject: WHP07 Change of Circumstances$'
[ "$(printf '%s\n' "$out" | head -n 1)" = "Subject: WHP07 Change of Circumstances" ]; check template-subject-line1 0 test $?

echo "admin: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
