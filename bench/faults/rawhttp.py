"""HTTP at the socket level: send exact bytes, read whatever comes back, parse only the status line.

The fuzz scenario and the webhook tests need requests no client library will build (a malformed
chunk, a Content-Length that lies, a body cut short, a method that does not exist), so they are
written byte by byte here.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class RawAnswer:
    """What the server sent back: ``status`` (None when it closed without a status line) and the bytes."""

    status: int | None
    data: bytes

    @property
    def body(self) -> bytes:
        return self.data.partition(b"\r\n\r\n")[2]


def send_raw(host: str, port: int, data: bytes, *, timeout: float = 10.0, half_close: bool = True) -> RawAnswer:
    """Send ``data`` on a fresh connection, optionally shut our side (a body cut short stays short),
    and read until the server closes or ``timeout`` passes."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may close on us mid-send; what it answered is still readable
        received = b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
                if _complete(received):
                    break
        except (TimeoutError, OSError):
            pass
    return RawAnswer(_status(received), received)


def _status(data: bytes) -> int | None:
    line = data.split(b"\r\n", 1)[0].split(b" ")
    if len(line) >= 2 and line[0].startswith(b"HTTP/") and line[1].isdigit():
        return int(line[1])
    return None


def _complete(data: bytes) -> bool:
    """One whole answer with a Content-Length arrived (keep-alive servers would not close)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return len(body) >= int(value.strip())
    return False


def request_bytes(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    """A request head (``Host`` added when missing) followed by ``body`` exactly as given."""
    lines = [f"{method} {path} HTTP/1.1"]
    if not any(k.lower() == "host" for k in headers):
        lines.append("Host: 127.0.0.1")
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
