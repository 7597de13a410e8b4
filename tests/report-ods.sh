#!/bin/sh
# The CSV export opens cleanly in a spreadsheet: LibreOffice (headless)
# converts log query --format csv and log report --format csv to ODS, as
# its import dialog does with "detect special numbers"; the cells read back
# hold the header, real dates in time_utc and local_time, numbers in
# records, and the hostile Message-ID as text, never a formula. A control
# file shows that a formula would have been seen. Skips (77) only when
# LibreOffice Calc is missing and cannot be installed.
set -u
. "${top_srcdir:-.}/tests/common.sh"

if ! command -v soffice >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
	for pkg in libreoffice-calc-nogui libreoffice-calc; do
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" \
		    >/dev/null 2>&1 && break
	done
fi
if ! command -v soffice >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	echo "report-ods: LibreOffice Calc cannot be installed here; skipped"
	exit 77
fi

state_conf
mkdir -p "$tmp/home" "$tmp/ods"
"$builddir/tests/mklog" "$tmp/state" "$tmp/log.key" || { echo "mklog failed"; exit 1; }
"$ctl" -c "$tmp/m.conf" log query --format csv >"$tmp/query.csv" || { echo "FAIL query"; exit 1; }
"$ctl" -c "$tmp/m.conf" log report --month 2026-12 --format csv >"$tmp/report.csv" ||
    { echo "FAIL report"; exit 1; }
printf 'a,b\r\n=1+1,x\r\n' >"$tmp/control.csv"
HOME="$tmp/home" timeout 300 soffice --headless --norestore \
    -env:UserInstallation=file://"$tmp/home/lo" --infilter=CSV:44,34,76,1,,2057,false,true \
    --convert-to ods --outdir "$tmp/ods" "$tmp/query.csv" "$tmp/report.csv" "$tmp/control.csv" \
    >"$tmp/soffice.log" 2>&1
for f in query report control; do
	[ -s "$tmp/ods/$f.ods" ] || { echo "FAIL no $f.ods"; cat "$tmp/soffice.log"; exit 1; }
done

python3 - "$tmp/ods" <<'PY'
import sys, zipfile, xml.etree.ElementTree as ET
T = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
O = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
def sheet(name):
    root = ET.fromstring(zipfile.ZipFile(f"{sys.argv[1]}/{name}.ods").read("content.xml"))
    rows = []
    for row in root.iter(T + "table-row"):
        cells = []
        for c in row.findall(T + "table-cell"):
            rep = int(c.get(T + "number-columns-repeated", "1"))
            if rep > 100:
                break
            cells += [(c.get(O + "value-type"), c.get(O + "date-value") or c.get(O + "value"),
                       "".join(c.itertext()), c.get(T + "formula"))] * rep
        if any(x[2] for x in cells):
            rows.append(cells)
    return rows
fails = 0
def check(ok, what):
    global fails
    if not ok:
        fails += 1
        print("FAIL", what)
# the control: a formula-looking cell is read as a formula, so the check below means something
ctl = sheet("control")
check(ctl[1][0][3] is not None, "the control's =1+1 was not read as a formula: the test sees nothing")
q = sheet("query")
head = [c[2] for c in q[0]]
check(head == ["time_utc", "direction", "process", "recipient", "recipient_class", "org", "outcome",
               "records", "message_id", "reasons", "local_time", "submitted_by", "policy_version"], head)
check(len(q) == 20, f"{len(q) - 1} data rows, expected 19")
col = {h: i for i, h in enumerate(head)}
bst = [r for r in q[1:] if r[col["message_id"]][2] == "s01@provider.example"][0]
check(bst[col["time_utc"]][:2] == ("date", "2026-07-15T22:30:00"), bst[col["time_utc"]])
check(bst[col["local_time"]][:2] == ("date", "2026-07-15T23:30:00"), bst[col["local_time"]])
check(bst[col["records"]][:2] == ("float", "1"), bst[col["records"]])
check(bst[col["submitted_by"]][2] == "caseworker@provider.example", bst[col["submitted_by"]])
check(bst[col["policy_version"]][2] == "1ec8f437698e6128", bst[col["policy_version"]])
for r in q[1:]:
    for c in r:
        check(c[3] is None, f"a formula in the export: {c}")
hostile = [r for r in q[1:] if "HYPERLINK" in r[col["message_id"]][2]]
check(len(hostile) == 1 and hostile[0][col["message_id"]][0] == "string", hostile)
rep = sheet("report")
tot = [r for r in rep if r[0][2] == "total"]
check(len(tot) == 1 and tot[0][3][:2] == ("float", "10") and tot[0][4][:2] == ("float", "14"), tot)
proc = [r for r in rep if r[0][2] == "process"]
check(sum(int(r[3][1]) for r in proc) == 10, "process messages do not add up to 10")
check(sum(int(r[4][1]) for r in proc) == 14, "process recipients do not add up to 14")
print(f"report-ods: {'0 failed' if fails == 0 else str(fails) + ' failed'}")
sys.exit(1 if fails else 0)
PY
