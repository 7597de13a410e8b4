#!/bin/sh
# bench_relay.sh - mailgated --once against the bare relay (bench/relay.py:
# UID FETCH, one SMTP transaction on one STARTTLS+AUTH session, APPEND to
# Sent, STORE \Deleted + UID EXPUNGE; no judging, no worker, no log) on the
# same lab with the same messages in the same run, alternating, for small
# messages (the sample change-of-circumstances form) and realistic ones
# (3-60 KB: padded forms, docx forms, CSV lists). The ratio (relay time /
# mailgated time; above 1 mailgated is faster) is the figure; a second one
# is against the relay with Nagle off (relay.py --nodelay), as mailgated
# runs. Prints a markdown section.
#
#   top_builddir=BUILD bench/bench_relay.sh [N] [ROUNDS]
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/bench/common.sh"
N=${1:-300}
ROUNDS=${2:-3}
BENCH=bench_relay RELAY_ARGS=

lab_up relay 24480

# gen SET ROUND: N messages of the set, unique Message-IDs, in $W/in
gen() {
	rm -rf "$W/in"; mkdir -p "$W/in"
	/usr/bin/python3 - "$M" "$1" "$2" "$N" "$W/in" <<'PY'
import os, random, re, sys
M, kind, rnd, n, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
rng = random.Random(1234)
words = ("the participant attended the weekly session and discussed progress towards work "
         "with the adviser who agreed the next steps and a review date").split()
srcs = {"plain": "coc-thunderbird-plain.eml", "docx": "docx-form.eml", "csv": "names-list-csv.eml"}
raw = {k: open(os.path.join(M, v), encoding="utf-8").read() for k, v in srcs.items()}
for i in range(1, n + 1):
    k = "plain" if kind == "small" else ("plain", "docx", "csv")[i % 3]
    m = re.sub(r"(?m)^Message-ID: .*$", "Message-ID: <r%s-%s-%d@lab.test>" % (rnd, kind, i), raw[k])
    if kind != "small":
        want = rng.randint(3 * 1024, 60 * 1024)
        lines = []
        size = len(m)
        while size < want:
            line = " ".join(rng.choice(words) for _ in range(12)).capitalize() + "."
            lines.append(line)
            size += len(line) + 1
        m = m.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
    open(os.path.join(out, "%05d.eml" % i), "w", encoding="utf-8").write(m)
PY
	mail append Outbox "$W"/in/*.eml
}

before_mg() { :; }
after_mg() { [ "$(mail count Outbox)" -eq 0 ] || { echo "bench_relay: Outbox not empty" >&2; exit 1; }; }

echo "## mailgated against the bare relay"
echo
echo "Each round appends $N messages to the Outbox and moves them all; the relay, the"
echo "relay with Nagle off (--nodelay, as mailgated) and mailgated --once alternate,"
echo "$ROUNDS rounds each; medians (every round in brackets). Each ratio is relay time /"
echo "mailgated time: above 1.00 mailgated is the faster."
echo
ratio_table_head
run_set small
run_set realistic
