#!/usr/bin/python3
"""An IMAP man in the middle for one guarantee: a message's bytes are never
taken for another's. It stands between the daemon and the lab's Dovecot,
STARTTLS on both sides (the lab's server certificate towards the daemon,
so the daemon's verification passes), and relays everything unchanged
but, while the file SWITCH exists, the UID of every FETCH response that
carries a message body (BODY[]), which it replaces with that UID + 1000:
the server answering a UID FETCH with another message's body.

  fetchswap.py LISTEN-PORT DOVECOT-PORT CERT KEY SWITCH

Says "ready" on stdout once it listens; serves connections until killed.
127.0.0.1 only.
"""
import os
import re
import select
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


class Down:
    """Dovecot's bytes to the daemon's: line by line, literals as they are."""

    def __init__(self, switch):
        self.switch = switch
        self.buf = b""
        self.literal = 0  # bytes of a literal still to pass
        self.body = False  # inside a FETCH response that carries BODY[]

    def feed(self, data):
        self.buf += data
        out = []
        while self.buf:
            if self.literal > 0:
                n = min(self.literal, len(self.buf))
                out.append(self.buf[:n])
                self.buf = self.buf[n:]
                self.literal -= n
                continue
            i = self.buf.find(b"\r\n")
            if i < 0:
                break
            line, self.buf = self.buf[:i + 2], self.buf[i + 2:]
            if FETCH.match(line):
                self.body = b"BODY[]" in line
            if self.body and os.path.exists(self.switch):
                line = swap(line)
            out.append(line)
            m = LITERAL.search(line)
            if m:
                self.literal = int(m.group(1))
            elif self.body:
                self.body = False  # the response's last line
        return b"".join(out)


def relay(c, u, switch):
    """Both ways in one thread: an SSL object is never read and written at once."""
    down = Down(switch)
    while True:
        ready = [s for s in (c, u) if s.pending()]
        if not ready:
            ready, _, _ = select.select([c, u], [], [])
        for s in ready:
            data = s.recv(65536)
            if not data:
                return
            if s is u:
                c.sendall(down.feed(data))
            else:
                u.sendall(data)


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
    # TLS 1.2 upstream: no session ticket arrives after the handshake, where
    # a blocking read would wait past it for data that only the daemon's
    # next command brings
    cctx.maximum_version = ssl.TLSVersion.TLSv1_2
    u = cctx.wrap_socket(u, server_hostname="127.0.0.1")
    c = sctx.wrap_socket(c, server_side=True)
    relay(c, u, switch)


def main():
    port, dport, cert, key, switch = sys.argv[1:6]
    sctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    sctx.load_cert_chain(cert, key)
    sctx.num_tickets = 0  # the same towards the daemon
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(port)))
    s.listen(8)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        c, _ = s.accept()
        threading.Thread(target=lambda c=c: run(c, int(dport), sctx, switch), daemon=True).start()


def run(c, dport, sctx, switch):
    try:
        serve(c, dport, sctx, switch)
    except EOFError:
        pass
    except (OSError, ssl.SSLError) as e:
        sys.stderr.write("fetchswap: %s\n" % e)
    finally:
        c.close()


if __name__ == "__main__":
    main()
