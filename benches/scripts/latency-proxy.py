#!/usr/bin/env python3
"""A TCP proxy that holds every chunk DELAY milliseconds in each direction: a Redis on
loopback (about 0.1 ms a round trip) made to answer as one across a network does.

    python3 benches/scripts/latency-proxy.py --target 127.0.0.1:6379 --delay-ms 0.5
    # prints "listening on 127.0.0.1:PORT"; point the clients at that port

Each chunk is forwarded DELAY after it arrived, in order, without waiting for the chunks
before it to be delayed in turn, so pipelined commands keep their spacing: a round trip costs
twice DELAY plus the proxy's own time (measure it: `redis-cli -p PORT --latency`). A reader
and a writer thread per direction sleep with the kernel's precision (tens of microseconds),
which an event loop's timer (a millisecond at best) does not give. BENCHMARKS.md section 15.
"""

import argparse
import collections
import socket
import sys
import threading
import time


def pump(src, dst, delay):
    """Copies src to dst, each chunk delay seconds after it was read."""
    queue = collections.deque()
    ready = threading.Condition()

    def read():
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            with ready:
                queue.append((time.monotonic() + delay, data))
                ready.notify()
            if not data:
                return

    def write():
        while True:
            with ready:
                while not queue:
                    ready.wait()
                due, data = queue.popleft()
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if not data:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            try:
                dst.sendall(data)
            except OSError:
                return

    threading.Thread(target=read, daemon=True).start()
    threading.Thread(target=write, daemon=True).start()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", required=True, help="host:port to forward to")
    parser.add_argument("--listen", default="127.0.0.1:0", help="host:port to listen on")
    parser.add_argument("--delay-ms", type=float, default=0.5, help="each direction")
    args = parser.parse_args()
    # Threads blocked in recv or sleep hold no lock; a short switch interval keeps one busy
    # thread from holding the others up to 5 ms (Python's default).
    sys.setswitchinterval(0.0001)
    target_host, target_port = args.target.rsplit(":", 1)
    host, port = args.listen.rsplit(":", 1)
    server = socket.create_server((host, int(port)))
    print(f"listening on {host}:{server.getsockname()[1]}", flush=True)
    delay = args.delay_ms / 1000
    while True:
        client, _ = server.accept()
        upstream = socket.create_connection((target_host, int(target_port)))
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pump(client, upstream, delay)
        pump(upstream, client, delay)


if __name__ == "__main__":
    main()
