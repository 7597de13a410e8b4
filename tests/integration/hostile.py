#!/usr/bin/python3
"""A hostile server for one STARTTLS injection test (libetpan's CVE-2020-15953).

  hostile.py smtp|imap PORT LOGFILE

It answers STARTTLS with its go-ahead and, in the same packet, a forged
line, as a man in the middle would; it records every command it receives in
LOGFILE, so the test can check that nothing (no AUTH, no MAIL FROM, no
LOGIN) was sent after. Serves connections until killed. 127.0.0.1 only.
"""
import socket
import sys


def serve(kind, port, log):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(4)
    while True:
        c, _ = s.accept()
        c.settimeout(10)
        f = c.makefile("rb")
        try:
            if kind == "smtp":
                c.sendall(b"220 hostile ESMTP\r\n")
            else:
                c.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS] hostile\r\n")
            for line in f:
                with open(log, "ab") as lf:
                    lf.write(line)
                word = line.split(b" ")
                if kind == "smtp":
                    cmd = line[:4].upper()
                    if cmd in (b"EHLO", b"HELO"):
                        c.sendall(b"250-hostile\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n")
                    elif cmd == b"STAR":
                        c.sendall(b"220 2.0.0 go ahead\r\n250 2.1.0 injected\r\n")
                    elif cmd == b"QUIT":
                        c.sendall(b"221 bye\r\n")
                        break
                    else:
                        c.sendall(b"250 ok\r\n")
                else:
                    tag = word[0]
                    cmd = word[1].strip().upper() if len(word) > 1 else b""
                    if cmd == b"CAPABILITY":
                        c.sendall(b"* CAPABILITY IMAP4rev1 STARTTLS IDLE\r\n" + tag + b" OK done\r\n")
                    elif cmd == b"STARTTLS":
                        c.sendall(tag + b" OK begin TLS\r\n* OK [CAPABILITY IMAP4rev1] injected\r\n")
                    elif cmd == b"LOGOUT":
                        c.sendall(b"* BYE\r\n" + tag + b" OK bye\r\n")
                        break
                    else:
                        c.sendall(tag + b" OK done\r\n")
        except (OSError, IndexError):
            pass
        finally:
            c.close()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), sys.argv[3])
