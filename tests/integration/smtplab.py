#!/usr/bin/python3
"""smtplab - the lab's submission server (aiosmtpd): STARTTLS + AUTH on one
port, implicit TLS + AUTH on another, and a plain no-AUTH listener (for
smtp-source and the no-STARTTLS test). Every accepted message is stored as
SPOOL/<n>.eml with a .json of its envelope.

Recipients steer failures: reject-me@... 550 at RCPT, tempfail@... 451 at RCPT.
The file SPOOL/.fault, when present, holds one word for the next DATA:
  tempfail   451 after DATA (then the file is removed)
  reject     554 after DATA (once)
  drop       close the connection after the data, before any reply (once)
  down       refuse every connection with 421 while it exists
  rcpt-tempfail  451 to the next RCPT (once)
  rcpt-reject    550 to the next RCPT (once)
The file SPOOL/.delay250, when present, holds a number of seconds to wait
after storing each message before saying 250 (a crash or an IMAP restart
can then fall right after the delivery).
PIPELINING (RFC 2920) is offered unless SPOOL/.nopipelining exists; each
.json says whether the client's RCPT had already arrived when its MAIL was
answered ("pipelined"), and its DATA when its last RCPT was
("data_pipelined").

The data of a message is read up to its terminating line in one search,
not a line at a time as aiosmtpd does (a coroutine step per line cost ~40 ms
of a core for a 30 KB message, which made the lab, not its clients, what
the throughput benchmarks measured); the rules are aiosmtpd's: a leading dot
removed from each line, 500 for a line over 1000 bytes with its CRLF, 552
over the size limit, both after the whole data has been read.
"""
import asyncio
import signal
import json
import os
import ssl
import sys
import itertools

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, AuthResult, LoginPassword, SMTP

DIR = sys.argv[1]
USER, PASS = sys.argv[2], sys.argv[3]
PORT_STARTTLS, PORT_TLS, PORT_PLAIN = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
SPOOL = os.path.join(DIR, "spool")
FAULT = os.path.join(SPOOL, ".fault")
counter = itertools.count(1)


def fault(consume):
    try:
        w = open(FAULT).read().strip()
    except OSError:
        return None
    if consume and w in ("tempfail", "drop", "reject"):
        os.unlink(FAULT)
    return w


class Handler:
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if not os.path.exists(os.path.join(SPOOL, ".nopipelining")):
            responses.insert(len(responses) - 1, "250-PIPELINING")
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        # the next command already read: the client did not wait for this reply
        session.lab_pipelined = len(getattr(server._reader, "_buffer", b"")) > 0
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        f = fault(False)
        if f in ("rcpt-tempfail", "rcpt-reject"):
            os.unlink(FAULT)
            if f == "rcpt-reject":
                return "550 5.1.1 <%s>: lab: recipient refused" % address
            return "451 4.3.0 <%s>: lab: try again later" % address
        local = address.split("@")[0].lower()
        if local == "reject-me":
            return "550 5.1.1 <%s>: Recipient address rejected" % address
        if local == "tempfail":
            return "451 4.3.0 <%s>: try again later" % address
        envelope.rcpt_tos.append(address)
        session.lab_data_pipelined = len(getattr(server._reader, "_buffer", b"")) > 0
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        f = fault(True)
        if f == "tempfail":
            return "451 4.3.0 lab: try again later"
        if f == "reject":
            return "554 5.7.1 lab: message refused"
        if f == "drop":
            server.transport.close()
            return None
        n = "%d-%06d" % (os.getpid(), next(counter))
        tmp = os.path.join(SPOOL, ".%s.tmp" % n)
        with open(tmp, "wb") as fp:
            fp.write(envelope.original_content)
        with open(os.path.join(SPOOL, n + ".json"), "w") as fp:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                       "auth": getattr(session, "auth_data", None) and str(session.auth_data),
                       "listener": server.lab_name,
                       "pipelined": getattr(session, "lab_pipelined", False),
                       "data_pipelined": getattr(session, "lab_data_pipelined", False)}, fp)
        os.rename(tmp, os.path.join(SPOOL, n + ".eml"))
        try:
            delay = float(open(os.path.join(SPOOL, ".delay250")).read().strip())
        except (OSError, ValueError):
            delay = 0
        if delay > 0:
            await asyncio.sleep(delay)
        return "250 2.0.0 Ok: queued as %s" % n


def auth(server, session, envelope, mechanism, data):
    if isinstance(data, LoginPassword) and data.login.decode() == USER and data.password.decode() == PASS:
        return AuthResult(success=True)
    return AuthResult(success=False, handled=False)


class LabSMTP(SMTP):
    def connection_made(self, transport):
        super().connection_made(transport)
        if fault(False) == "down":
            transport.write(b"421 4.3.2 lab: service down\r\n")
            transport.close()

    async def lab_read_data(self):
        """The data up to its "." line as sent (dot-stuffed); None if the peer left."""
        r = self._reader
        # a CRLF in front, so that every line, the first and an empty
        # message's "." included, follows a CRLF
        r._buffer[0:0] = b"\r\n"
        saved, r._limit = r._limit, 1 << 31
        try:
            raw = await r.readuntil(b"\r\n.\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        finally:
            r._limit = saved
        return raw[2:-3]

    async def smtp_DATA(self, arg):
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        raw = await self.lab_read_data()
        if raw is None:
            return
        if max(map(len, raw.split(b"\r\n"))) + 2 > self.line_length_limit:
            await self.push("500 Line too long (see RFC5321 4.5.3.1.6)")
            self._set_post_data_state()
            return
        if self.data_size_limit and len(raw) > self.data_size_limit:
            await self.push("552 Error: Too much mail data")
            self._set_post_data_state()
            return
        content = (b"\r\n" + raw).replace(b"\r\n.", b"\r\n")[2:]
        self.envelope.content = self.envelope.original_content = content
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push("250 OK" if status is MISSING else status)


class LabController(Controller):
    def __init__(self, name, **kw):
        self.lab_name = name
        self.lab_kw = kw
        super().__init__(Handler(), **kw)

    def factory(self):
        s = LabSMTP(self.handler, **self.SMTP_kwargs)
        s.lab_name = self.lab_name
        return s


def main():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(os.path.join(DIR, "certs/server.pem"), os.path.join(DIR, "certs/server.key"))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctrls = [
        LabController("starttls", hostname="127.0.0.1", port=PORT_STARTTLS, tls_context=ctx,
                      require_starttls=True, authenticator=auth, auth_required=True,
                      auth_require_tls=True),
        LabController("tls", hostname="127.0.0.1", port=PORT_TLS, ssl_context=ctx,
                      authenticator=auth, auth_required=True, auth_require_tls=False),
        LabController("plain", hostname="127.0.0.1", port=PORT_PLAIN),
    ]
    for c in ctrls:
        c.start()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    for c in ctrls:
        c.stop()


if __name__ == "__main__":
    main()
