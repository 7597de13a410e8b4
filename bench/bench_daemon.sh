#!/bin/sh
# bench_daemon.sh - mailgated's throughput from Outbox to the SMTP server's
# store, against Postfix's smtp-source sending the same number of messages
# of the same size straight to the lab's plain no-AUTH listener in the same
# run (the ratio is the figure); as shipped and with the send log's fsyncs
# off (MAILGATE_BENCH_NOSYNC=1, benchmark only); and the time from APPEND to
# delivery with IDLE (median, 99th percentile). Prints a markdown section.
#
#   top_builddir=BUILD bench/bench_daemon.sh [N]
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/bench/common.sh"
N=${1:-500}
LAT_N=${LAT_N:-100}
SMTP_SOURCE=${SMTP_SOURCE:-/usr/sbin/smtp-source}
[ -x "$SMTP_SOURCE" ] || { echo "bench_daemon: $SMTP_SOURCE missing (apt-get install postfix)" >&2; exit 2; }

lab_up bench 24400
spool_n() { ls "$L/spool" | grep -c '\.eml$'; }

fill() { # fill PREFIX: N accepted messages into the Outbox
	rm -rf "$W/in"; mkdir -p "$W/in"
	i=1
	while [ $i -le $N ]; do msg "$1$i" whp@acme.example > "$W/in/$i.eml"; i=$((i + 1)); done
	mail append Outbox "$W"/in/*.eml
}

run_daemon() { # run_daemon PREFIX [env]: seconds for N messages Outbox -> store
	fill "$1"
	before=$(spool_n)
	t0=$(now)
	env ${2:-MAILGATE_BENCH_NOSYNC=0} "$MAILGATED" -c "$L/mailgate.conf" --once 2> "$W/bench.err" ||
		{ echo "bench_daemon: mailgated failed, see $W/bench.err" >&2; KEEP=1; exit 1; }
	t1=$(now)
	got=$(($(spool_n) - before))
	[ "$got" -eq "$N" ] || { echo "bench_daemon: $got of $N delivered" >&2; KEEP=1; exit 1; }
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

size=$(msg size1 whp@acme.example | wc -c)
before=$(spool_n)
t0=$(now)
"$SMTP_SOURCE" -s 1 -m "$N" -l "$size" -f whp@provider.example -t whp@acme.example \
	"127.0.0.1:$((LAB_BASE + 4))"
t1=$(now)
src=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
[ $(($(spool_n) - before)) -eq "$N" ] || { echo "bench_daemon: smtp-source short" >&2; exit 1; }

shipped=$(run_daemon s)
nosync=$(run_daemon n MAILGATE_BENCH_NOSYNC=1)

# APPEND to delivery with the daemon idle in IDLE
start_daemon
sleep 2
/usr/bin/python3 - "$L/mailgate.conf" "$L/spool" "$LAT_N" "$top_srcdir/tests/messages/coc-thunderbird-plain.eml" > "$W/lat" <<'PY'
import os, sys, time, re
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests/integration"))
import labmail
conf, spool, n, tpl = sys.argv[1], sys.argv[2], int(sys.argv[3]), open(sys.argv[4], "rb").read()
m = labmail.connect(labmail.conf(conf))
lat = []
for i in range(n):
    body = re.sub(rb"(?m)^Message-ID: .*$", b"Message-ID: <lat%d@lab.test>" % i, tpl)
    body = body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    have = set(os.listdir(spool))
    t0 = time.monotonic()
    m.append('"Outbox"', None, None, body)
    while True:
        new = [f for f in set(os.listdir(spool)) - have if f.endswith(".eml")]
        if new:
            break
        if time.monotonic() - t0 > 30:
            sys.exit("no delivery within 30 s")
        time.sleep(0.002)
    lat.append(time.monotonic() - t0)
lat.sort()
print("%.3f %.3f" % (lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))]))
PY
lrc=$?
stop_daemon
[ $lrc -eq 0 ] || { echo "bench_daemon: latency run failed" >&2; exit 1; }
read med p99 < "$W/lat"

awk -v n="$N" -v size="$size" -v src="$src" -v sh="$shipped" -v ns="$nosync" \
    -v med="$med" -v p99="$p99" -v latn="$LAT_N" -v cpu="$(nproc)" 'BEGIN {
	rs = n / src; r1 = n / sh; r2 = n / ns
	printf "## mailgated: Outbox to the SMTP store (bench/bench_daemon.sh)\n\n"
	printf "%d messages of %d bytes, one at a time, lab on 127.0.0.1 (%d CPUs).\n\n", n, size, cpu
	printf "| sender | seconds | messages/s | ratio to smtp-source |\n|---|---:|---:|---:|\n"
	printf "| smtp-source -s 1 (plain, no AUTH, no TLS) | %.2f | %.1f | 1.00 |\n", src, rs
	printf "| mailgated --once, as shipped (fsync) | %.2f | %.1f | %.2f |\n", sh, r1, r1 / rs
	printf "| mailgated --once, send log without fsync | %.2f | %.1f | %.2f |\n", ns, r2, r2 / rs
	printf "\nmailgated does per message: IMAP FETCH, analysis in a fresh sandboxed worker, judging twice, "
	printf "the durable intent and its progress marks, SMTP over TLS, APPEND to Sent, EXPUNGE from "
	printf "Outbox, the chained signed log rows.\n\n"
	printf "APPEND to delivery with IDLE, %d messages one after another: median %.0f ms, 99th percentile %.0f ms.\n", latn, med * 1000, p99 * 1000
}'
