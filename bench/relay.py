#!/usr/bin/python3
"""relay - the bare relay that is mailgated's throughput baseline: exactly
the protocol work mailgate must do for each Outbox message and nothing
more (no judging, no worker, no log): UID FETCH of the message, one SMTP
transaction on one STARTTLS+AUTH session, APPEND of the bytes to Sent,
then STORE \\Deleted and UID EXPUNGE. Prints the seconds it took.

With --nodelay it also turns Nagle's algorithm off on both sockets, as
mailgated does: without it the tail of each message's data waits for the
server's delayed ACK (40 ms on Linux), which is most of this relay's time
for messages of a few kilobytes and more. The plain form is the issue's
baseline; this one is the harder one.

With --inbound TO it is the baseline of inbound forwarding instead: each
message of INBOX is fetched, sent to TO on the same session and deleted
(UID FETCH, one SMTP transaction, STORE \\Deleted + UID EXPUNGE; a forward is
not filed in Sent).

  relay.py [--nodelay] [--inbound TO] MAILGATE.CONF
"""
import imaplib
import os
import re
import smtplib
import socket
import ssl
import sys
import time


def conf(path):
    c, base = {}, os.path.dirname(os.path.abspath(path))
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            c[k.strip()] = v.strip()
    for k in ("tls_ca_file", "imap_password_file", "smtp_password_file"):
        if k in c and not c[k].startswith("/"):
            c[k] = os.path.join(base, c[k])
    return c


def main():
    args = sys.argv[1:]
    nodelay = args[0] == "--nodelay"
    if nodelay:
        args = args[1:]
    inbound = args[1] if args[0] == "--inbound" else None
    c = conf(args[-1])
    ctx = ssl.create_default_context(cafile=c["tls_ca_file"])
    pw = open(c["imap_password_file"]).read().rstrip("\n")
    spw = open(c["smtp_password_file"]).read().rstrip("\n")
    t0 = time.monotonic()
    im = imaplib.IMAP4(c["imap_host"], int(c["imap_port"]))
    if nodelay:
        im.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    im.starttls(ssl_context=ctx)
    im.login(c["imap_user"], pw)
    sm = smtplib.SMTP(c["smtp_host"], int(c["smtp_port"]))
    if nodelay:
        sm.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sm.starttls(context=ctx)
    sm.login(c["smtp_user"], spw)
    im.select("INBOX" if inbound else "Outbox")
    typ, data = im.uid("SEARCH", None, "UNDELETED")
    for uid in data[0].split():
        typ, msg = im.uid("FETCH", uid, "(BODY.PEEK[])")
        raw = msg[0][1]
        if inbound:
            sm.sendmail("whp@provider.example", [inbound], raw)
        else:
            to = re.search(rb"^To:[^\r\n]*?([\w.+-]+@[\w.-]+)", raw, re.M | re.I).group(1).decode()
            sm.sendmail("whp@provider.example", [to], raw)
            im.append("Sent", "(\\Seen)", None, raw)
        im.uid("STORE", uid, "+FLAGS.SILENT", "(\\Deleted)")
        im.uid("EXPUNGE", uid)
    sm.quit()
    im.logout()
    print("%.3f" % (time.monotonic() - t0))


if __name__ == "__main__":
    main()
