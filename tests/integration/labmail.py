#!/usr/bin/python3
"""labmail - the integration tests' hands on the lab mailbox (IMAP over TLS
verified against the lab CA), read from the lab's mailgate.conf.

  labmail.py CONF append FOLDER FILE...     put messages in a folder
  labmail.py CONF count FOLDER              messages not flagged \\Deleted
  labmail.py CONF ids FOLDER                Message-ID of each message, one a line
  labmail.py CONF header FOLDER FIELD       that field of each message, one a line
  labmail.py CONF fetch FOLDER N            the N-th message (1-based) to stdout
  labmail.py CONF flagdel FOLDER FILE       append FILE flagged \\Deleted
  labmail.py CONF grep FOLDER TEXT          how many messages contain TEXT
  labmail.py CONF census FOLDER...          "FOLDER ID" for each message that is not a
                                            notice, and "FOLDER notice KIND ID" for notices
  labmail.py CONF notices FOLDER            "ID KIND REASONS" for each notice: the message
                                            it is about, its kind and its reason codes
"""
import email.parser
import imaplib
import os
import ssl
import sys


def conf(path):
    c = {}
    base = os.path.dirname(os.path.abspath(path))
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        k, v = line.split("=", 1)
        c[k.strip()] = v.strip()
    for k in ("tls_ca_file", "imap_password_file"):
        if k in c and not c[k].startswith("/"):
            c[k] = os.path.join(base, c[k])
    return c


def connect(c):
    ctx = ssl.create_default_context(cafile=c.get("tls_ca_file"))
    host = c.get("imap_host", "127.0.0.1")
    mode = c.get("imap_tls", "starttls")
    if mode == "implicit":
        m = imaplib.IMAP4_SSL(host, int(c.get("imap_port", 993)), ssl_context=ctx)
    else:
        m = imaplib.IMAP4(host, int(c.get("imap_port", 143)))
        if mode == "starttls":
            m.starttls(ssl_context=ctx)
    pw = open(c["imap_password_file"], encoding="utf-8").read().rstrip("\n")
    m.login(c["imap_user"], pw)
    return m


def q(folder):
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def messages(m, folder):
    typ, _ = m.select(q(folder), readonly=True)
    if typ != "OK":
        return []
    typ, data = m.uid("SEARCH", None, "UNDELETED")
    out = []
    for uid in data[0].split():
        typ, d = m.uid("FETCH", uid, "(BODY.PEEK[])")
        for part in d:
            if isinstance(part, tuple):
                out.append(part[1])
    return out


def main():
    c = conf(sys.argv[1])
    cmd, folder = sys.argv[2], sys.argv[3]
    m = connect(c)
    if cmd in ("append", "flagdel"):
        flags = "(\\Deleted)" if cmd == "flagdel" else None
        for f in sys.argv[4:]:
            data = open(f, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            typ, r = m.append(q(folder), flags, None, data)
            if typ != "OK":
                sys.exit("append %s: %s" % (f, r))
    elif cmd == "count":
        print(len(messages(m, folder)))
    elif cmd in ("ids", "header"):
        field = "Message-ID" if cmd == "ids" else sys.argv[4]
        for raw in messages(m, folder):
            h = email.parser.BytesHeaderParser().parsebytes(raw)
            print(str(h.get(field, "")).strip())
    elif cmd == "census":
        for f in sys.argv[3:]:
            for raw in messages(m, f):
                h = email.parser.BytesHeaderParser().parsebytes(raw)
                kind = h.get("X-Mailgate-Notice")
                if kind:
                    print(f, "notice", kind.strip(), str(h.get("X-Mailgate-Message-ID", "")).strip())
                else:
                    print(f, str(h.get("Message-ID", "")).strip())
    elif cmd == "notices":
        for raw in messages(m, folder):
            h = email.parser.BytesHeaderParser().parsebytes(raw)
            kind = h.get("X-Mailgate-Notice")
            if kind:
                print(str(h.get("X-Mailgate-Message-ID", "")).strip(), kind.strip(),
                      " ".join(str(h.get("X-Mailgate-Reasons", "")).split()))
    elif cmd == "grep":
        print(sum(1 for raw in messages(m, folder) if sys.argv[4].encode() in raw))
    elif cmd == "fetch":
        msgs = messages(m, folder)
        sys.stdout.buffer.write(msgs[int(sys.argv[4]) - 1])
    else:
        sys.exit("unknown command " + cmd)
    m.logout()


if __name__ == "__main__":
    main()
