#!/usr/bin/python3
"""An IMAP man in the middle for one guarantee: a message's bytes are never
taken for another's. It stands between the daemon and the lab's Dovecot,
STARTTLS on both sides (the lab's server certificate towards the daemon,
so the daemon's verification passes), and relays everything unchanged
but, while the file SWITCH exists, the UID of every FETCH response that
carries a message body (BODY[]), which it replaces with that UID + 1000:
the server answering a UID FETCH with another message's body.

  fetchswap.py LISTEN-PORT DOVECOT-PORT CERT KEY SWITCH

Serves connections until killed. 127.0.0.1 only.
"""
import os
import re
import socket
import ssl
import sys
import threading

UID = re.compile(rb"\bUID (\d+)")
FETCH = re.compile(rb"^\* \d+ FETCH ")
LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")


def readline(f):
    line = f.readline()
    if not line:
        raise EOFError
    return line


def swap(line):
    return UID.sub(lambda m: b"UID %d" % (int(m.group(1)) + 1000), line)


def downstream(up, down, switch):
    """Dovecot to the daemon: line by line, literals copied as they are."""
    f = up.makefile("rb")
    body = False  # inside a FETCH response that carries BODY[]
    try:
        while True:
            line = readline(f)
            if FETCH.match(line):
                body = b"BODY[]" in line
            if body and os.path.exists(switch):
                line = swap(line)
            down.sendall(line)
            m = LITERAL.search(line)
            if m:
                n = int(m.group(1))
                while n > 0:
                    chunk = f.read(min(n, 65536))
                    if not chunk:
                        raise EOFError
                    down.sendall(chunk)
                    n -= len(chunk)
            elif body:
                body = False  # the response's last line
    except (EOFError, OSError):
        pass
    finally:
        for s in (up, down):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def upstream(down, up):
    try:
        while True:
            data = down.recv(65536)
            if not data:
                break
            up.sendall(data)
    except OSError:
        pass
    finally:
        try:
            up.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve(c, dport, sctx, switch):
    u = socket.create_connection(("127.0.0.1", dport))
    cf, uf = c.makefile("rb"), u.makefile("rb")
    c.sendall(readline(uf))  # the greeting
    # plain text up to STARTTLS: each command and its whole answer
    while True:
        cmd = readline(cf)
        u.sendall(cmd)
        tag = cmd.split(b" ", 1)[0]
        while True:
            line = readline(uf)
            c.sendall(line)
            if line.startswith(tag + b" "):
                break
        if b" STARTTLS" in cmd.upper() and line.split(b" ")[1:2] == [b"OK"]:
            break
    cctx = ssl.create_default_context()
    cctx.check_hostname = False
    cctx.verify_mode = ssl.CERT_NONE
    u = cctx.wrap_socket(u, server_hostname="127.0.0.1")
    c = sctx.wrap_socket(c, server_side=True)
    threading.Thread(target=upstream, args=(c, u), daemon=True).start()
    downstream(u, c, switch)


def main():
    port, dport, cert, key, switch = sys.argv[1:6]
    sctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    sctx.load_cert_chain(cert, key)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(port)))
    s.listen(8)
    while True:
        c, _ = s.accept()
        threading.Thread(target=lambda c=c: run(c, int(dport), sctx, switch), daemon=True).start()


def run(c, dport, sctx, switch):
    try:
        serve(c, dport, sctx, switch)
    except (EOFError, OSError, ssl.SSLError):
        pass
    finally:
        c.close()


if __name__ == "__main__":
    main()
