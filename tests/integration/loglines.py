#!/usr/bin/python3
"""loglines - a pflogsumm-like reader of mailgated's per-recipient journal
lines, to prove they parse:

  <6>msgid=<ID> process=P to=<ADDR> [relay=HOST[IP]:PORT tls=V dsn=D] status=S
      [reasons="A B"] [(server words)]

Every key=value is a plain word or a "quoted" value without a raw quote in
it (quotes appear as \\x22). Prints "STATUS COUNT" per status, sorted, and
"relay RELAY tls VERSION" once per relay seen; exit 1 naming the first line
that does not parse.

  loglines.py FILE
"""
import re
import sys

TOKEN = re.compile(r'\s*([a-z]+)=(<[^<>\s]*>|"[^"]*"|[^\s"()]+)')


def parse(line):
    line = re.sub(r"^<\d>", "", line.rstrip("\n"))
    words = None
    m = re.search(r" \((.*)\)$", line)
    if m:
        words, line = m.group(1), line[:m.start()]
    fields, pos = {}, 0
    while pos < len(line):
        t = TOKEN.match(line, pos)
        if not t or t.group(1) in fields:
            return None
        fields[t.group(1)] = t.group(2)
        pos = t.end()
    if not {"msgid", "to", "status"} <= set(fields):
        return None
    fields["words"] = words
    return fields


def main():
    counts, relays = {}, set()
    for n, line in enumerate(open(sys.argv[1], encoding="utf-8", errors="replace"), 1):
        if " status=" not in line:
            continue
        f = parse(line)
        if f is None:
            print("line %d does not parse: %s" % (n, line.rstrip()))
            sys.exit(1)
        counts[f["status"]] = counts.get(f["status"], 0) + 1
        if "relay" in f:
            relays.add((f["relay"], f.get("tls", "-")))
    for s in sorted(counts):
        print("%s %d" % (s, counts[s]))
    for r, t in sorted(relays):
        print("relay %s tls %s" % (r, t))


if __name__ == "__main__":
    main()
