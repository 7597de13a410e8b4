#!/bin/sh
# daemon-kill.sh - nothing lost, nothing sent twice: a run of KILL_N (300)
# messages with mailgated killed by SIGKILL at many points (random delays
# from a fixed seed) and restarted each time; then every message must be
# exactly once in Sent, Rejected or Held, none delivered twice, no notice
# doubled, and the send log intact.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/integration/common.sh"
N=${KILL_N:-300}
SEED=${KILL_SEED:-4242}

lab_up kill 24300
mkdir -p "$W/in"
i=1
while [ $i -le $N ]; do
	if [ $((i % 10)) -eq 0 ]; then
		msg_from "$M/no-record.eml" "k$i" > "$W/in/$i.eml"
	else
		msg "k$i" whp@acme.example > "$W/in/$i.eml"
	fi
	i=$((i + 1))
done
mail append Outbox "$W"/in/*.eml

# delays in milliseconds, 10..150, from the seed: short enough that a fast pass is still
# killed often before the Outbox is empty (a 300-message pass can take under a second)
awk -v s="$SEED" 'BEGIN { srand(s); for (i = 0; i < 300; i++) print 10 + int(rand() * 140) }' \
	> "$W/delays"
kill_loop Outbox
# a last clean pass finishes what the last kill left open
once
echo "killed $kills times; last pass exit $rc"

fails=0
census > "$W/census"
sort "$W/census" | grep -v ' notice ' | awk '{ print $2 }' | sort | uniq -c | awk '$1 != 1' > "$W/dups"
placed=$(grep -v ' notice ' "$W/census" | grep -vc '^Outbox ')
inoutbox=$(grep -c '^Outbox ' "$W/census")
for f in "$L"/spool/*.eml; do grep -i '^Message-ID:' "$f"; done | sort | uniq -c | awk '$1 > 1' > "$W/twice"
grep ' notice ' "$W/census" | sort | uniq -c | awk '$1 > 1' > "$W/notice-dups"
held=$(grep -c '^Held ' "$W/census")
sent=$(grep -v ' notice ' "$W/census" | grep -c '^Sent ')
# every message in Sent was delivered exactly once
notdelivered=0
for id in $(grep -v ' notice ' "$W/census" | awk '$1 == "Sent" { print $2 }'); do
	grep -qi "^Message-ID: $id" "$L"/spool/*.eml || notdelivered=$((notdelivered + 1))
done
echo "sent $sent, held $held, placed $placed of $N, left in Outbox $inoutbox"
[ "$placed" -eq "$N" ] || { echo "FAIL: $placed of $N messages placed"; fails=1; }
[ "$inoutbox" -eq 0 ] || { echo "FAIL: $inoutbox left in Outbox"; fails=1; }
[ -s "$W/dups" ] && { echo "FAIL: messages in more than one place:"; cat "$W/dups"; fails=1; }
[ -s "$W/twice" ] && { echo "FAIL: delivered twice:"; cat "$W/twice"; fails=1; }
[ -s "$W/notice-dups" ] && { echo "FAIL: notices doubled:"; cat "$W/notice-dups"; fails=1; }
[ "$notdelivered" -eq 0 ] || { echo "FAIL: $notdelivered in Sent but never delivered"; fails=1; }
[ "$kills" -ge 10 ] || { echo "FAIL: only $kills kills: the test proved little"; fails=1; }
ctl log verify > "$W/verify" 2>&1 || { echo "FAIL: log verify"; cat "$W/verify"; fails=1; }
[ $fails -eq 0 ] && echo "ok - every message exactly once, none delivered twice"
exit $fails
