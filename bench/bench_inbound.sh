#!/bin/sh
# bench_inbound.sh - inbound forwarding (interface "Inbound mail") against
# its bare relay (bench/relay.py --inbound: UID FETCH from INBOX, one SMTP
# transaction on one STARTTLS+AUTH session, STORE \Deleted + UID EXPUNGE; no
# judging, no caseload, no worker, no log) on the same lab with the same
# messages in the same run, alternating: N of the department's change-of-
# circumstances forms, each about a participant the caseload gives to the
# permitted sub-contractor acme, small (the bare form) and realistic (padded
# to 3-60 KB). mailgated forwards each, wrapped (message/rfc822), to acme's
# inbox and deletes it. The ratio (relay time / mailgated time; above 1
# mailgated is faster) is the figure; a second one is against the relay
# with Nagle off (--nodelay), as mailgated runs. Prints a markdown section.
#
#   top_builddir=BUILD bench/bench_inbound.sh [N] [ROUNDS]
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/bench/common.sh"
N=${1:-300}
ROUNDS=${2:-3}
HOLDER=whp@acme.example
BENCH=bench_inbound RELAY_ARGS="--inbound $HOLDER"

lab_up inbench 24500
sed -i "s|^policy_file = .*|policy_file = $top_srcdir/tests/data/policy/inbound.xml|" "$L/mailgate.conf"

# the caseload: N participants (one NINO each) held by acme
/usr/bin/python3 - "$N" > "$W/caseload.csv" <<'PY'
import sys
print("nino,holder,surname")
for i in range(1, int(sys.argv[1]) + 1):
    print("AB%06d%s,acme,Smith" % (i, "ABCD"[i % 4]))
PY
ctl caseload import "$W/caseload.csv" > /dev/null || { echo "bench_inbound: caseload import failed" >&2; exit 1; }

# gen SET ROUND: N department forms of the set, unique Message-IDs, into INBOX
gen() {
	rm -rf "$W/in"; mkdir -p "$W/in"
	/usr/bin/python3 - "$1" "$2" "$N" "$W/in" <<'PY'
import os, random, sys
kind, rnd, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rng = random.Random(1234)
words = ("the participant attended the weekly session and discussed progress towards work "
         "with the adviser who agreed the next steps and a review date").split()
for i in range(1, n + 1):
    m = ("From: whp.enquiries@dwp.example\nTo: whp@provider.example\n"
         "Subject: WHP07 Change of Circumstances\nDate: Mon, 23 Nov 2026 09:14:03 +0000\n"
         "Message-ID: <in-%s-%s-%d@dwp.example>\nMIME-Version: 1.0\n"
         "Content-Type: text/plain; charset=UTF-8\n\nDear provider,\n\n"
         "Participant surname: Smith\nNational Insurance number: AB%06d%s\n"
         "Change: The participant has moved house.\nDate of change: 2026-11-20\n"
         % (rnd, kind, i, i, "ABCD"[i % 4]))
    if kind != "small":
        want = rng.randint(3 * 1024, 60 * 1024)
        lines, size = [], len(m)
        while size < want:
            line = " ".join(rng.choice(words) for _ in range(12)).capitalize() + "."
            lines.append(line)
            size += len(line) + 1
        m += "\n" + "\n".join(lines) + "\n"
    open(os.path.join(out, "%05d.eml" % i), "w", encoding="utf-8").write(m)
PY
	mail append INBOX "$W"/in/*.eml
}

delivered() { ls "$L"/spool/*.eml 2>/dev/null | wc -l; }
before_mg() { before=$(delivered); }
after_mg() {
	[ "$(mail count INBOX)" -eq 0 ] || { echo "bench_inbound: INBOX not empty" >&2; KEEP=1; exit 1; }
	[ $(($(delivered) - before)) -eq "$N" ] ||
		{ echo "bench_inbound: $(($(delivered) - before)) of $N forwarded" >&2; KEEP=1; exit 1; }
}

echo "## Inbound forwarding against its bare relay (bench/bench_inbound.sh)"
echo
echo "Each round appends $N of the department's forms to INBOX, each about a participant the"
echo "caseload gives to acme, and moves them all; the relay (fetch, send to acme, delete), the"
echo "relay with Nagle off and mailgated --once (judge, caseload, forward wrapped, log, delete)"
echo "alternate, $ROUNDS rounds each; medians (every round in brackets). Each ratio is relay"
echo "time / mailgated time: above 1.00 mailgated is the faster."
echo
ratio_table_head
run_set small
run_set realistic
