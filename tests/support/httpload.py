"""A small pipelined HTTP/1.1 GET client on raw sockets, for checking every answer of a
large epoch (and for driving load when `wrk` is missing).

httpx or urllib spend ~0.3-1 ms of Python per request; writing a window of requests on a
keep-alive connection and cutting the answers out of one receive buffer by Content-Length
gets well over ten thousand a second from one process, so a test can afford to ask for
every one of 100,000 claims. One thread per connection (recv releases the GIL).
"""

from __future__ import annotations

import socket
import threading
import time


def _parse(buf: bytearray, pos: int):
    """One response at buf[pos:] -> (status, headers, body, next pos), or None if partial."""
    end = buf.find(b"\r\n\r\n", pos)
    if end < 0:
        return None
    head = bytes(buf[pos:end]).decode("latin-1").split("\r\n")
    headers = {}
    for line in head[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    if len(buf) < end + 4 + n:
        return None
    return int(head[0].split(" ", 2)[1]), headers, bytes(buf[end + 4:end + 4 + n]), end + 4 + n


def _conn(host: str, port: int, paths: list[str], out: dict, window: int,
          latencies: list[float] | None) -> None:
    with socket.create_connection((host, port)) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(0, len(paths), window):
            batch = paths[i:i + window]
            t0 = time.perf_counter()
            s.sendall(b"".join(f"GET {p} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
                               for p in batch))
            buf, pos, got = bytearray(), 0, 0
            while got < len(batch):
                r = _parse(buf, pos)
                if r is None:
                    chunk = s.recv(1 << 20)
                    if not chunk:
                        raise ConnectionError("server closed the connection")
                    buf += chunk
                    continue
                status, headers, body, pos = r
                out[batch[got]] = (status, headers, body)
                got += 1
                if latencies is not None:
                    latencies.append(time.perf_counter() - t0)


def get_many(host: str, port: int, paths: list[str], *, connections: int = 4,
             window: int = 16, latencies: list[float] | None = None
             ) -> dict[str, tuple[int, dict, bytes]]:
    """GET every path; returns {path: (status, headers, body)}. Paths must be distinct."""
    out: dict = {}
    errors: list[BaseException] = []

    def work(part):
        try:
            _conn(host, port, part, out, window, latencies)
        except BaseException as exc:  # surfaced below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(paths[k::connections],))
               for k in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return out
