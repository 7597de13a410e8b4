#!/bin/sh
# bench_backlog.sh - a backlog drains at full speed (issue 12, item 5): N
# messages (default 10,000, as after a clerical period) queued in the Outbox
# and drained by one mailgated --once, against 300 drained the same way in
# the same run (the baseline: the per-message rate the relay comparison
# measures). While the backlog drains, every two seconds: mailgated's and the
# analysis worker's RSS, and what `mailgatectl status --json` says of the
# pass, beside the deliveries counted in the SMTP spool at that moment.
# Prints a markdown section.
#
#   top_builddir=BUILD bench/bench_backlog.sh [N]
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/bench/common.sh"
N=${1:-10000}

lab_up backlog 24520

# queue K TAG: K small forms with unique Message-IDs appended in one IMAP session
queue() {
	/usr/bin/python3 - "$L/mailgate.conf" "$M/coc-thunderbird-plain.eml" "$1" "$2" <<'PY'
import imaplib, os, re, ssl, sys
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "bench"))
from relay import conf
c = conf(sys.argv[1])
raw = open(sys.argv[2], encoding="utf-8").read().replace("\r\n", "\n").replace("\n", "\r\n")
ctx = ssl.create_default_context(cafile=c["tls_ca_file"])
im = imaplib.IMAP4(c["imap_host"], int(c["imap_port"]))
im.starttls(ssl_context=ctx)
im.login(c["imap_user"], open(c["imap_password_file"]).read().rstrip("\n"))
for i in range(1, int(sys.argv[3]) + 1):
    m = re.sub(r"(?m)^Message-ID: .*$", "Message-ID: <bl-%s-%d@lab.test>" % (sys.argv[4], i), raw)
    im.append("Outbox", None, None, m.encode())
im.logout()
PY
}
export top_srcdir

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
spooled() { find "$L/spool" -name '*.eml' | wc -l; }

# drain K TAG: queue, then one --once pass; prints seconds; samples to $W/TAG.samples
drain() {
	queue "$1" "$2"
	s0=$(spooled)
	t0=$(date +%s.%N)
	"$MAILGATED" -c "$L/mailgate.conf" --once > /dev/null 2> "$W/$2.err" &
	pid=$!
	: > "$W/$2.samples"
	while kill -0 $pid 2>/dev/null; do
		sleep 2
		kill -0 $pid 2>/dev/null || break
		zyg=$(pgrep -P $pid -x mailgate-analys | head -n 1)
		st=$(ctl status --json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
p = json.load(sys.stdin).get("pass", {})
print(p.get("treated", -1), p.get("sent", -1), p.get("listed", -1))' 2>/dev/null || echo "-1 -1 -1")
		echo "$(date +%s.%N) $(rss $pid) $(rss "${zyg:-0}") $st $(($(spooled) - s0))" >> "$W/$2.samples"
	done
	wait $pid || { echo "bench_backlog: mailgated failed ($?), see $W/$2.err" >&2; KEEP=1; exit 1; }
	t1=$(date +%s.%N)
	[ "$(mail count Outbox)" -eq 0 ] || { echo "bench_backlog: Outbox not empty" >&2; exit 1; }
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

base=$(drain 300 base)
big=$(drain "$N" big)
sent=$(grep -c 'status=sent' "$W/big.err")
echo "## A backlog drains at full speed (bench/bench_backlog.sh)"
echo
echo "$N small forms queued in the Outbox at once, drained by one \`mailgated --once\`, against"
echo "300 drained the same way just before on the same lab (the baseline)."
echo
echo "| run | messages | seconds | ms a message | ratio to the 300 |"
echo "| --- | ---: | ---: | ---: | ---: |"
awk -v b="$base" -v g="$big" -v n="$N" 'BEGIN {
	printf "| baseline | 300 | %.2f | %.2f | 1.00 |\n", b, b * 1000 / 300
	printf "| backlog | %d | %.2f | %.2f | %.2f |\n", n, g, g * 1000 / n, (b / 300) / (g / n) }'
echo
echo "All $sent of $N logged sent, the Outbox empty at the end."
echo
# memory across the drain, and what status said against the spool
/usr/bin/python3 - "$W/big.samples" "$N" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
n = int(sys.argv[2])
rows = [r for r in rows if len(r) == 7 and int(r[3]) >= 0]
if not rows:
    print("(no samples: the drain took under two seconds)"); sys.exit()
def at(frac):
    want = frac * n
    return min(rows, key=lambda r: abs(int(r[3]) - want))
print("| progress (status) | mailgated RSS | worker RSS | status: treated | status: sent | delivered (spool) |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for f in (0.1, 0.5, 0.9):
    r = at(f)
    print("| %d%% | %.1f MiB | %.1f MiB | %s | %s | %s |" % (f * 100, int(r[1]) / 1024, int(r[2]) / 1024, r[3], r[4], r[6]))
mono = all(int(b[3]) >= int(a[3]) for a, b in zip(rows, rows[1:]))
lag = max(int(r[6]) - int(r[4]) for r in rows)
peak = max(int(r[1]) for r in rows) / 1024
lo = at(0.1); hi = at(0.9)
print()
print("Peak mailgated RSS %.1f MiB; from 10%% to 90%% of the drain it changed by %+.1f MiB. "
      "%d samples; the pass's counts in status only grew (%s) and were at most %d deliveries "
      "behind the spool (status is rewritten every 2 s)." % (peak, (int(hi[1]) - int(lo[1])) / 1024,
      len(rows), "yes" if mono else "NO", lag))
PY
