#!/bin/sh
# bench_memory.sh - peak memory of mailgated and its analysis worker for one
# message at max-message-bytes (accepted: a form with a large text
# attachment), against the message's own size in the same run (the ratio
# is the figure), for one just over the limit (judged on its header: its
# body is never fetched), and for one at the limit arriving in INBOX from
# the department, forwarded to its holder. Peak RSS is the largest of the
# daemon and the workers it waited for (RUSAGE_CHILDREN). Then the analysis worker
# alone for the same message (bench_worker_rss: the zygote and the
# message's child, with no daemon). Prints a markdown section.
#
#   top_builddir=BUILD bench/bench_memory.sh
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/bench/common.sh"
LIMIT=$(sed -n 's/.*max-message-bytes="\([0-9]*\)".*/\1/p' "$top_srcdir/policies/policy.xml" | head -n 1)
LIMIT=${LIMIT:-10485760}

lab_up benchmem 24460

# big ID BYTES: a form whose text attachment brings it to BYTES (CRLF counted)
big() {
	/usr/bin/python3 - "$M/coc-thunderbird-plain.eml" "$1" "$2" <<'PY'
import base64, sys
src, mid, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
hdr, body = open(src, encoding="utf-8").read().replace("\r\n", "\n").split("\n\n", 1)
lines = [l for l in hdr.split("\n") if not l.lower().startswith(("content-", "mime-version", "message-id"))]
head = "\r\n".join(lines + ["Message-ID: <%s@lab.test>" % mid, "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="b"']) + "\r\n\r\n"
part1 = "--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" + body.replace("\n", "\r\n") + "\r\n"
att = "--b\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Disposition: attachment; filename=notes.txt\r\nContent-Transfer-Encoding: base64\r\n\r\n"
tail = "\r\n--b--\r\n"
room = want - len(head) - len(part1) - len(att) - len(tail)
raw_len = room // 78 * 57
text = (b"The participant attended the weekly session and discussed progress. " * (raw_len // 68 + 1))[:raw_len]
b64 = base64.b64encode(text).decode()
enc = "\r\n".join(b64[i:i + 76] for i in range(0, len(b64), 76))
msg = head + part1 + att + enc + tail
sys.stdout.write(msg + " " * max(0, want - len(msg) - 2) + ("\r\n" if want - len(msg) >= 2 else ""))
PY
}

peak() { # peak FILE: append it, run --once, print "KiB bytes-of-message outcome"
	mail append Outbox "$1"
	/usr/bin/python3 - "$MAILGATED" "$L/mailgate.conf" <<'PY'
import resource, subprocess, sys
r = subprocess.run([sys.argv[1], "-c", sys.argv[2], "--once"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)
sys.stdout.write("%d %d\n" % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode))
PY
}

big atlimit "$LIMIT" > "$W/atlimit.eml"
big over $((LIMIT + 4096)) > "$W/over.eml"
size_at=$(wc -c < "$W/atlimit.eml")
size_over=$(wc -c < "$W/over.eml")
set -- $(peak "$W/atlimit.eml")
rss_at=$1 rc_at=$2
where_at=$(census | grep -v ' notice ' | grep ' <atlimit@' | awk '{ print $1 }')
set -- $(peak "$W/over.eml")
rss_over=$1 rc_over=$2
where_over=$(census | grep -v ' notice ' | grep ' <over@' | awk '{ print $1 }')
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# the same size arriving from the department in INBOX, forwarded to the holder
# (tests/data/policy/inbound.xml, the same max-message-bytes: the default)
sed -e "s|^policy_file = .*|policy_file = $top_srcdir/tests/data/policy/inbound.xml|" \
	"$L/mailgate.conf" > "$L/inbound.conf"
printf 'nino,holder,surname\nAB123456C,acme,Smith\n' > "$W/caseload.csv"
"$MAILGATECTL" -c "$L/inbound.conf" caseload import "$W/caseload.csv" > /dev/null
/usr/bin/python3 - "$LIMIT" > "$W/inlimit.eml" <<'PY'
import base64, sys
want = int(sys.argv[1])
head = ("From: whp.enquiries@dwp.example\r\nTo: whp@provider.example\r\n"
        "Subject: WHP07 Change of Circumstances\r\nDate: Mon, 23 Nov 2026 09:14:03 +0000\r\n"
        "Message-ID: <inlimit@dwp.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n')
part1 = ("--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nDear provider,\r\n\r\n"
         "Participant surname: Smith\r\nNational Insurance number: AB123456C\r\n"
         "Change: The participant has moved house.\r\nDate of change: 2026-11-20\r\n")
att = ("--b\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Disposition: attachment; "
       "filename=notes.txt\r\nContent-Transfer-Encoding: base64\r\n\r\n")
tail = "\r\n--b--\r\n"
room = want - len(head) - len(part1) - len(att) - len(tail)
raw_len = room // 78 * 57
text = (b"The participant attended the weekly session and discussed progress. " * (raw_len // 68 + 1))[:raw_len]
b64 = base64.b64encode(text).decode()
msg = head + part1 + att + "\r\n".join(b64[i:i + 76] for i in range(0, len(b64), 76)) + tail
sys.stdout.write(msg)
PY
size_in=$(wc -c < "$W/inlimit.eml")
mail append INBOX "$W/inlimit.eml"
set -- $(/usr/bin/python3 - "$MAILGATED" "$L/inbound.conf" <<'PY'
import resource, subprocess, sys
r = subprocess.run([sys.argv[1], "-c", sys.argv[2], "--once"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)
sys.stdout.write("%d %d\n" % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode))
PY
)
rss_in=$1 rc_in=$2
if grep -q '^X-Mailgate-Forwarded: <inlimit@dwp.example>' "$L"/spool/*.eml 2>/dev/null; then
	where_in=forwarded
elif mail census Review | grep -q '<inlimit@'; then
	where_in=Review
else
	where_in=INBOX
fi

echo "## Peak memory for a message at the limit"
echo
echo "max-message-bytes is $LIMIT. Peak RSS is the largest of mailgated and its workers."
echo
echo "| message | size | ended in | peak RSS | RSS / size | aim (≤ 1.2 × size + 16 MiB) |"
echo "| --- | --- | --- | --- | --- | --- |"
awk -v s="$size_at" -v r="$rss_at" -v w="$where_at" 'BEGIN {
	printf "| at the limit | %.1f MiB | %s | %.1f MiB | %.2f× | %s |\n", s / 1048576, w,
	    r / 1024, r * 1024 / s, (r * 1024 <= 1.2 * s + 16 * 1048576) ? "met" : "not met" }'
awk -v s="$size_over" -v r="$rss_over" -v w="$where_over" 'BEGIN {
	printf "| over the limit (header only) | %.1f MiB | %s | %.1f MiB | %.2f× | %s |\n",
	    s / 1048576, w, r / 1024, r * 1024 / s, (r * 1024 <= 1.2 * s + 16 * 1048576) ? "met" : "not met" }'
awk -v s="$size_in" -v r="$rss_in" -v w="$where_in" 'BEGIN {
	printf "| inbound, at the limit | %.1f MiB | %s | %.1f MiB | %.2f× | %s |\n", s / 1048576, w,
	    r / 1024, r * 1024 / s, (r * 1024 <= 1.2 * s + 16 * 1048576) ? "met" : "not met" }'
set -- $("$top_builddir/bench/bench_worker_rss" "$LIMIT" "$W/atlimit.eml")
rss_worker=$2
awk -v s="$size_at" -v r="$rss_worker" 'BEGIN {
	printf "| at the limit, the analysis worker alone | %.1f MiB | - | %.1f MiB | %.2f× | %s |\n",
	    s / 1048576, r / 1024, r * 1024 / s, (r * 1024 <= 1.2 * s + 16 * 1048576) ? "met" : "not met" }'
echo
echo "(exit codes of the three runs: $rc_at, $rc_over, $rc_in)"
