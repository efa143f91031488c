"""A real local TCP server on 127.0.0.1 that answers each connection as a test tells it to: an HTTP answer of
any body (a Prometheus or Kubernetes API gone wrong), a banner that is not HTTP, a reset, or nothing at all."""

from __future__ import annotations

import json
import socket
import struct
import threading
import urllib.parse
from typing import Any, Callable

# How to answer one request: (the request's path and query) -> the bytes to send, RESET or SILENT.
RESET, SILENT = b"<reset>", b"<silent>"
Answer = Callable[[str, dict[str, str]], bytes]


def http(body: Any, status: int = 200) -> bytes:
    """An HTTP/1.1 answer whose body is `body` (bytes as they are, anything else as JSON)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return (f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
            "Connection: close\r\n\r\n").encode() + data


class FakeServer:
    def __init__(self) -> None:
        self.answer: Answer = lambda path, query: http({})
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.05)
        self._stop = threading.Event()
        self._silent: list[socket.socket] = []
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except OSError:
                continue
            self._handle(connection)

    def _handle(self, connection: socket.socket) -> None:
        connection.settimeout(2)
        try:
            request = connection.recv(65536).decode("latin-1")
        except OSError:
            connection.close()
            return
        target = request.split(" ")[1] if request.count(" ") >= 2 else "/"
        parsed = urllib.parse.urlparse(target)
        reply = self.answer(parsed.path, dict(urllib.parse.parse_qsl(parsed.query)))
        if reply == SILENT:
            self._silent.append(connection)  # held open, never answered, until the server stops
            return
        if reply == RESET:  # SO_LINGER 0: close() sends a TCP reset
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            connection.sendall(reply)
        connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for connection in self._silent:
            connection.close()
        self._socket.close()
