#!/bin/sh
# admin.sh - the conventions an admin who knows Postfix expects, without
# servers: --version on both programs; COMMAND --help for every command
# (exit 0, lines within 80 columns); --opt=value; one error prefix;
# mailgated --check (0, 78); config show (secrets as paths, a valid
# configuration itself); a value holding " #" refused naming the line;
# schema errors in the policy's terms; setup --dry-run; template show's
# standard subject.
set -u
. "${top_srcdir:-.}/tests/common.sh"
dmn="$builddir/mailgated"
conf="$srcdir/tests/messages.conf"

expect_rc ctl-version 0 "$ctl" --version
has ctl-version-text '^mailgatectl [0-9]'
expect_rc dmn-version 0 "$dmn" --version
has dmn-version-text '^mailgated [0-9]'
expect_rc ctl-help 0 "$ctl" --help
hasnt ctl-help-width '^.\{81,\}'
for c in check-message policy template config setup log incident mode held status check-servers; do
	expect_rc "help-$c" 0 "$ctl" "$c" --help
	has "help-$c-usage" "^usage: mailgatectl \[-c FILE\] $c"
	hasnt "help-$c-width" '^.\{81,\}'
done
expect_rc help-without-config 0 "$ctl" -c /nonexistent.conf status --help
expect_rc opt-equals 1 "$ctl" -c "$conf" check-message --at=2026-11-23 "$srcdir/tests/messages/no-record.eml"
has opt-equals-verdict '^reject change-of-circumstances'
expect_rc opt-space 1 "$ctl" -c "$conf" check-message --at 2026-11-23 "$srcdir/tests/messages/no-record.eml"
expect_rc config-equals 0 "$ctl" --config="$conf" policy check
expect_rc unknown-option 2 "$ctl" -c "$conf" status --bogus
has unknown-option-prefix "^mailgatectl: status: unknown option '--bogus'"
expect_rc missing-value 2 "$ctl" -c "$conf" check-message --at
has missing-value-prefix "^mailgatectl: check-message: --at needs a value"
expect_rc mode-bad 2 "$ctl" -c "$conf" mode resume
has mode-bad-prefix '^mailgatectl: mode resume needs --department-informed'
expect_rc status-format 2 "$ctl" -c "$conf" status --format=xml
has status-format-prefix "^mailgatectl: status: --format: 'xml'"

# mailgated --check: the servers' keys, the policy and its templates
cp "$srcdir/tests/messages.conf" "$tmp/m.conf"
sed -i "s|^policy_file = .*|policy_file = $(cd "$srcdir" && pwd)/policies/policy.xml|; s|^template_dir = .*|template_dir = $(cd "$srcdir" && pwd)/templates|" "$tmp/m.conf"
printf 'pw\n' > "$tmp/pw"; chmod 600 "$tmp/pw"
printf '%064d\n' 0 > "$tmp/key"; chmod 600 "$tmp/key"
cat >> "$tmp/m.conf" <<EOC
imap_host = 127.0.0.1
imap_tls = none
imap_user = whp
imap_password_file = $tmp/pw
smtp_host = 127.0.0.1
smtp_tls = none
smtp_user = whp
smtp_password_file = $tmp/pw
log_key_file = $tmp/key
state_dir = $tmp/state
EOC
expect_rc dmn-check 0 "$dmn" -c "$tmp/m.conf" --check
has dmn-check-ok ': ok: policy .* version [0-9a-f]\{64\}'
sed 's|^template_dir = .*|template_dir = /nonexistent|' "$tmp/m.conf" > "$tmp/bad.conf"
expect_rc dmn-check-bad 78 "$dmn" -c "$tmp/bad.conf" --check
has dmn-check-bad-line '^/nonexistent/exit-report.xml: error: cannot read the template'
expect_rc dmn-check-once 78 "$dmn" -c "$tmp/m.conf" --check --once

# config show: effective, secrets as paths, itself a valid configuration
expect_rc config-show 0 "$ctl" -c "$tmp/m.conf" config show
has config-show-secret "^imap_password_file = $tmp/pw$"
hasnt config-show-no-password '= pw$'
has config-show-default '^poll_interval = 60$'
has config-show-abs "^policy_file = /"
printf '%s\n' "$out" > "$tmp/shown.conf"
# every key the sample configuration names (set or commented out) is shown
for k in $(sed -n 's/^#\{0,1\}\([a-z_]*\) = .*/\1/p' "$srcdir/etc/mailgate.conf"); do
	grep -q "^$k = \|^# $k is not set$" "$tmp/shown.conf" || { fail=$((fail + 1)); echo "FAIL config show lacks $k"; }
done
expect_rc config-show-reloads 0 "$ctl" -c "$tmp/shown.conf" config show

# " #" in a value is an error naming the line
printf 'policy_file = %s\nimap_user = whp   # note\n' "$(cd "$srcdir" && pwd)/policies/policy.xml" > "$tmp/hash.conf"
expect_rc hash-in-value 2 "$ctl" -c "$tmp/hash.conf" policy check
has hash-in-value-line "hash.conf:2: error: the value of 'imap_user' holds ' #'"

# schema errors in the policy's terms
pol="$(cd "$srcdir" && pwd)/policies/policy.xml"
sed 's/until="2027-03-31"/until="31\/03\/2027"/' "$pol" > "$tmp/date.xml"
expect_rc schema-date 1 "$ctl" -c "$conf" policy check "$tmp/date.xml"
has schema-date-words 'date.xml:[0-9]*: error: <permit>: until must be a date YYYY-MM-DD, like 2026-12-31, not .31/03/2027.'
hasnt schema-date-raw 'Invalid attribute'
sed '0,/offshore="false"/s//offshore="no"/' "$pol" > "$tmp/bool.xml"
expect_rc schema-bool 1 "$ctl" -c "$conf" policy check "$tmp/bool.xml"
has schema-bool-words 'offshore must be true or false, not .no.'
hasnt schema-bool-echo 'failed to validate'
sed '0,/<permit /s//<permit colour="red" /' "$pol" > "$tmp/extra.xml"
expect_rc schema-extra 1 "$ctl" -c "$conf" policy check "$tmp/extra.xml"
has schema-extra-words "<permit> takes no attribute 'colour'"

# setup --dry-run names what it would create and creates nothing
sed "s|^state_dir = .*|state_dir = $tmp/newstate|; s|^log_key_file = .*|log_key_file = $tmp/new.key|" "$tmp/m.conf" > "$tmp/setup.conf"
expect_rc setup-dry 0 "$ctl" -c "$tmp/setup.conf" setup --dry-run --user="$(id -un)" --group="$(id -gn)"
has setup-dry-key "^would create $tmp/new.key: a new log key"
has setup-dry-state "^would create $tmp/newstate"
[ ! -e "$tmp/new.key" ] && [ ! -e "$tmp/newstate" ]; expect_rc setup-dry-nothing 0 test $?
expect_rc setup-no-config 2 "$ctl" -c "$tmp/none.conf" setup --user="$(id -un)" --group="$(id -gn)"
has setup-no-config-words "none.conf: error: cannot read the configuration"
expect_rc setup-no-user 2 "$ctl" -c "$tmp/setup.conf" setup --user=no-such-user-mg
has setup-no-user-words "^mailgatectl: setup: no user 'no-such-user-mg': run systemd-sysusers"

# template show: the standard subject first
expect_rc template-subject 0 "$ctl" -c "$conf" template show change-of-circumstances
has template-subject-first '^Subject: WHP07 Change of Circumstances$'
[ "$(printf '%s\n' "$out" | head -n 1)" = "Subject: WHP07 Change of Circumstances" ]; expect_rc template-subject-line1 0 test $?

echo "admin: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
