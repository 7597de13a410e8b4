# common.sh - shared by the lab benchmarks (sourced once top_srcdir is set):
# the lab of the integration tests (tests/integration/common.sh) and the
# timing: now, secs, median; and for the benchmarks of mailgated --once
# against the bare relay (bench_relay.sh, bench_inbound.sh), run_set and
# the header of the table of its rows.
#
#	BENCH=bench_x RELAY_ARGS="..."; gen() {...}; before_mg() {...}; after_mg() {...}
#	ratio_table_head; run_set small; run_set realistic
. "$top_srcdir/tests/integration/common.sh"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", b - a }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

ratio_table_head() {
	echo "| messages | n | bare relay | relay --nodelay | mailgated --once | ratio | ratio to --nodelay |"
	echo "| --- | --- | --- | --- | --- | --- | --- |"
}

# run_set SET: ROUNDS rounds alternating the relay (bench/relay.py $RELAY_ARGS),
# the relay with Nagle off and mailgated --once, each on the messages of
# gen SET ROUND; before_mg and after_mg run around each mailgated pass (the
# latter exits when it left the wrong result). Then the set's row: medians,
# every round in brackets, and the ratios relay time / mailgated time.
run_set() {
	: > "$W/relay.t"; : > "$W/relaynd.t"; : > "$W/mg.t"
	r=1
	while [ $r -le "$ROUNDS" ]; do
		gen "$1" "a$r"
		# shellcheck disable=SC2086
		/usr/bin/python3 "$top_srcdir/bench/relay.py" $RELAY_ARGS "$L/mailgate.conf" \
			>> "$W/relay.t" || { echo "$BENCH: relay failed" >&2; exit 1; }
		gen "$1" "n$r"
		# shellcheck disable=SC2086
		/usr/bin/python3 "$top_srcdir/bench/relay.py" --nodelay $RELAY_ARGS "$L/mailgate.conf" \
			>> "$W/relaynd.t" || { echo "$BENCH: relay --nodelay failed" >&2; exit 1; }
		gen "$1" "b$r"
		before_mg
		t0=$(now)
		"$MAILGATED" -c "$L/mailgate.conf" --once 2> "$W/mg.err" ||
			{ echo "$BENCH: mailgated failed ($?), see $W/mg.err" >&2; KEEP=1; exit 1; }
		t1=$(now)
		secs "$t0" "$t1" >> "$W/mg.t"
		after_mg
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
