"""The loopback server's client (``bench.uvicorn_driver``), in a process of its own: reads
``<n> <request in hex>`` lines on stdin, sends the request ``n`` times one after the other
on one keep-alive connection to ``127.0.0.1:<port>``, and answers each line with the
statuses, space-separated. A blocking HTTP/1.1 client for responses with a
``content-length`` (all the bench's)."""

from __future__ import annotations

import socket
import sys


class Client:
    def __init__(self, port: int) -> None:
        self._sock = socket.create_connection(("127.0.0.1", port))
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = b""

    def exchange(self, raw: bytes, n: int) -> list[int]:
        return [self._one(raw) for _ in range(n)]

    def _one(self, raw: bytes) -> int:
        self._sock.sendall(raw)
        while b"\r\n\r\n" not in self._buffer:
            self._read()
        head, _, rest = self._buffer.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            self._buffer = rest
            self._read()
            rest = self._buffer
        self._buffer = rest[length:]
        return int(head.split(b" ", 2)[1])

    def _read(self) -> None:
        chunk = self._sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self._buffer += chunk


def main(port: int) -> None:
    client = Client(port)
    for line in sys.stdin.buffer:
        count, _, raw = line.strip().partition(b" ")
        statuses = client.exchange(bytes.fromhex(raw.decode()), int(count))
        sys.stdout.write(" ".join(map(str, statuses)) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(int(sys.argv[1]))
