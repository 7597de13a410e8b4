#!/usr/bin/python3
"""A slow-loris server for the deadline tests: every connection gets a
greeting of the given protocol one byte every INTERVAL seconds, and never
anything else. 127.0.0.1 only; says "ready" on stdout once it listens, and
serves until killed.

  slowloris.py imap|smtp PORT INTERVAL
"""
import socket
import sys
import threading
import time


def trickle(c, text, interval):
    try:
        for b in text:
            c.sendall(bytes([b]))
            time.sleep(interval)
        time.sleep(3600)
    except OSError:
        pass
    finally:
        c.close()


def main():
    kind, port, interval = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    text = b"* OK slow IMAP ready\r\n" if kind == "imap" else b"220 slow.lab.test ESMTP\r\n"
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(8)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        c, _ = s.accept()
        threading.Thread(target=trickle, args=(c, text, interval), daemon=True).start()


if __name__ == "__main__":
    main()
