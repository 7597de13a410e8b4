#!/bin/sh
# The monthly return as a document: log report --format html on the sample
# month is one self-contained page (no script, nothing fetched, no NINO and
# no hash of one), rendered by headless Chromium to PDF and PNG; the PDF's
# text (pdftotext) holds the figures and they add up. Skips (77) only when
# chromium or poppler-utils is missing and cannot be installed.
set -u
. "${top_srcdir:-.}/tests/common.sh"

need() {	# COMMAND PACKAGE: installs the Debian package when it can, else skips
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" \
		    >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 &&
		    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" \
		    >/dev/null 2>&1; }
	fi
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "report-html: $2 cannot be installed here; skipped"
	exit 77
}
need chromium chromium
need pdftotext poppler-utils
need python3 python3

state_conf
mkdir -p "$tmp/home"
"$builddir/tests/mklog" "$tmp/state" "$tmp/log.key" || { echo "mklog failed"; exit 1; }
"$ctl" -c "$tmp/m.conf" log report --month 2026-12 --format html >"$tmp/return.html" &&
    ok || bad "log report --format html failed"
head=$("$ctl" -c "$tmp/m.conf" log head)

# self-contained: nothing to run, nothing to fetch
for pat in '<script' 'src=' 'href=' '<link' '@import' 'url(' 'https:'; do
	grep -qi -- "$pat" "$tmp/return.html" && bad "the page holds '$pat'" || ok
done
[ "$(grep -o 'http://[^'"'"'"]*' "$tmp/return.html" | sort -u)" = "http://www.w3.org/2000/svg" ] &&
    ok || bad "the page names a URL other than the SVG namespace"
grep -q '<svg' "$tmp/return.html" && ok || bad "no chart"
# no NINO (the sample's people) and no hash but the chain head (its last 64 digits)
grep -Eqi 'AB ?12 ?34 ?56|CE ?12 ?34 ?56|HN ?01 ?02 ?03' "$tmp/return.html" && bad "a NINO in the page" || ok
others=$(grep -oE '[0-9a-f]{64,}' "$tmp/return.html" | grep -v "^$head\$" | wc -l)
[ "$others" -eq 0 ] && ok || bad "$others hashes other than the head in the page"
grep -q "Chain head: $head" "$tmp/return.html" && ok || bad "no chain head in the footer"
printf '\033' >"$tmp/esc"
grep -q -f "$tmp/esc" "$tmp/return.html" && bad "a control character in the page" || ok

# rendered as a browser prints it
export HOME="$tmp/home"
cr() { timeout 180 chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$tmp/home/cr" "$@" "file://$tmp/return.html" >"$tmp/cr.log" 2>&1; }
cr --no-pdf-header-footer --print-to-pdf="$tmp/return.pdf" && [ -s "$tmp/return.pdf" ] &&
    ok || { bad "chromium made no PDF"; cat "$tmp/cr.log"; }
cr --hide-scrollbars --window-size=1000,2300 --screenshot="$tmp/return.png" &&
    [ -s "$tmp/return.png" ] && ok || { bad "chromium made no PNG"; cat "$tmp/cr.log"; }
python3 - "$tmp/return.png" <<'PY' && ok || bad "the PNG is not a 1000-pixel-wide image"
import struct, sys
b = open(sys.argv[1], "rb").read(32)
assert b[:8] == b"\x89PNG\r\n\x1a\n"
w, h = struct.unpack(">II", b[16:24])
assert w == 1000 and h > 1000, (w, h)
PY
pdftotext -layout "$tmp/return.pdf" "$tmp/return.txt" && ok || bad "pdftotext failed"

# the figures are on the page and add up
python3 - "$tmp/return.txt" "$head" <<'PY' && ok || { bad "the printed figures do not add up"; cat "$tmp/return.txt"; }
import re, sys
text = open(sys.argv[1]).read()
head = sys.argv[2]
assert "Send log return: December 2026" in text
def section(title, stop):
    part = text.split(title, 1)[1].split(stop, 1)[0]
    rows = {}
    for line in part.splitlines():
        m = re.match(r"\s*(\S+)(?:\s+\S+)?\s+(\d+)\s+(\d+)\s*$", line)
        if m:
            rows[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return rows
proc = section("Messages by process", "Sent and refused")
total = proc.pop("total")
assert total == (10, 14), total
assert sum(m for m, r in proc.values()) == 10 and sum(r for m, r in proc.values()) == 14, proc
assert proc["exit-report"] == (3, 4), proc
out = section("By outcome", "By organisation")
assert out.pop("total") == (10, 14)
assert out == {"held": (1, 1), "rejected": (3, 4), "sent": (6, 9)}, out
org = section("By organisation and class", "By reason code")
assert sum(r for m, r in org.values()) == 14, org
# the chart's per-process counts agree with the table
sent = sum(int(x) for x in re.findall(r"sent (\d+), refused \d+", text))
refused = sum(int(x) for x in re.findall(r"sent \d+, refused (\d+)", text))
assert (sent, refused) == (6, 4), (sent, refused)
assert "2 opened, 5 actions taken, 2 still open" in re.sub(r"\s+", " ", text)
assert "verified intact at" in text
flat = re.sub(r"\s+", "", text)
assert head in flat, "chain head not printed"
PY

if [ "${MG_REPORT_PNG:-}" != "" ]; then
	cp "$tmp/return.png" "$MG_REPORT_PNG"	# docs/: make check MG_REPORT_PNG=...
fi
echo "report-html: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
