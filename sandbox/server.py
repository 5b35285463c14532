"""Run a WSGI app (a sandbox double, or Ponte itself) on a loopback port in a background thread."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class KeepUnderscoreHeaders(WSGIRequestHandler):
    """Werkzeug drops headers with underscores (anti-spoofing); Asaas's key travels in ``access_token``."""

    def make_environ(self) -> dict[str, Any]:  # type: ignore[override]
        environ = super().make_environ()
        for key, value in self.headers.items():
            if "_" in key:
                environ["HTTP_" + key.upper().replace("-", "_")] = value.replace("\r\n", "")
        return environ


@dataclass
class RunningServer:
    """A server started by :func:`serve_in_thread`; ``url`` has no trailing slash."""

    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_in_thread(app, port: int = 0) -> RunningServer:  # noqa: ANN001 - any WSGI callable
    """Start ``app`` on 127.0.0.1 (port 0 = a free one), threaded, and return at once."""
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=KeepUnderscoreHeaders)
    thread = threading.Thread(target=server.serve_forever, name=f"wsgi-{server.server_port}", daemon=True)
    thread.start()
    return RunningServer(server, thread)
