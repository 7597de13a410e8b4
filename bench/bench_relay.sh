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
top_builddir=${top_builddir:-.}
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
. "$top_srcdir/tests/integration/common.sh"
N=${1:-300}
ROUNDS=${2:-3}

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

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", b - a }'; }
now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

run_set() { # run_set SET: alternate relay, relay --nodelay and mailgated ROUNDS times
	: > "$W/relay.t"; : > "$W/relaynd.t"; : > "$W/mg.t"
	r=1
	while [ $r -le "$ROUNDS" ]; do
		gen "$1" "a$r"
		/usr/bin/python3 "$top_srcdir/bench/relay.py" "$L/mailgate.conf" >> "$W/relay.t" ||
			{ echo "bench_relay: relay failed" >&2; exit 1; }
		gen "$1" "n$r"
		/usr/bin/python3 "$top_srcdir/bench/relay.py" --nodelay "$L/mailgate.conf" >> "$W/relaynd.t" ||
			{ echo "bench_relay: relay --nodelay failed" >&2; exit 1; }
		gen "$1" "b$r"
		t0=$(now)
		"$MAILGATED" -c "$L/mailgate.conf" --once 2> "$W/mg.err" ||
			{ echo "bench_relay: mailgated failed ($?), see $W/mg.err" >&2; KEEP=1; exit 1; }
		t1=$(now)
		secs "$t0" "$t1" >> "$W/mg.t"
		[ "$(mail count Outbox)" -eq 0 ] || { echo "bench_relay: Outbox not empty" >&2; exit 1; }
		r=$((r + 1))
	done
	rt=$(median < "$W/relay.t"); nt=$(median < "$W/relaynd.t"); mt=$(median < "$W/mg.t")
	printf '| %s | %d | %s s (%s) | %s s (%s) | %s s (%s) | %s× | %s× |\n' "$1" "$N" \
	    "$rt" "$(tr '\n' ' ' < "$W/relay.t" | sed 's/ $//')" \
	    "$nt" "$(tr '\n' ' ' < "$W/relaynd.t" | sed 's/ $//')" \
	    "$mt" "$(tr '\n' ' ' < "$W/mg.t" | sed 's/ $//')" \
	    "$(awk -v r="$rt" -v m="$mt" 'BEGIN { printf "%.2f", r / m }')" \
	    "$(awk -v r="$nt" -v m="$mt" 'BEGIN { printf "%.2f", r / m }')"
}

echo "## mailgated against the bare relay"
echo
echo "Each round appends $N messages to the Outbox and moves them all; the relay, the"
echo "relay with Nagle off (--nodelay, as mailgated) and mailgated --once alternate,"
echo "$ROUNDS rounds each; medians (every round in brackets). Each ratio is relay time /"
echo "mailgated time: above 1.00 mailgated is the faster."
echo
echo "| messages | n | bare relay | relay --nodelay | mailgated --once | ratio | ratio to --nodelay |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
run_set small
run_set realistic
