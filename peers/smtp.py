"""A small SMTP server on loopback, in a thread: for the e-mail tests and the requests bench.

It speaks enough of RFC 5321 for smtplib and Django's SMTP backend (greeting, EHLO/HELO, MAIL,
RCPT, DATA, RSET, NOOP, QUIT), records each message and counts connections. ``delay`` holds
every reply that long (a slow mail server); ``rcpt_reply`` answers RCPT with another line (a
``451`` is a transient refusal, a ``550`` a permanent one).
"""

from __future__ import annotations

import socketserver
import threading
import time
from dataclasses import dataclass, field
from typing import Any

LOOPBACK = "127.0.0.1"


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: str


@dataclass
class SmtpServer:
    delay: float = 0.0
    rcpt_reply: str = "250 OK"
    messages: list[Received] = field(default_factory=list)
    connections: int = 0
    _server: socketserver.ThreadingTCPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the server first"
        return int(self._server.server_address[1])

    def start(self) -> SmtpServer:
        peer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                with peer._lock:
                    peer.connections += 1
                peer._session(self)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        server = socketserver.ThreadingTCPServer((LOOPBACK, 0), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _session(self, handler: socketserver.StreamRequestHandler) -> None:
        def reply(line: str) -> None:
            if self.delay:
                time.sleep(self.delay)
            handler.wfile.write(line.encode() + b"\r\n")
            handler.wfile.flush()

        reply("220 localhost ESMTP test")
        sender, recipients = "", list[str]()
        while True:
            raw = handler.rfile.readline()
            if not raw:
                return
            command = raw.decode("utf-8", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                reply("250 localhost")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].strip(), list[str]()
                reply("250 OK")
            elif verb == "RCPT":
                if self.rcpt_reply.startswith("2"):
                    recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                reply(self.rcpt_reply)
            elif verb == "DATA":
                reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                for line in iter(handler.rfile.readline, b""):
                    if line in (b".\r\n", b".\n"):
                        break
                    lines.append(line.decode("utf-8", "replace"))
                with self._lock:
                    self.messages.append(Received(sender, recipients, "".join(lines)))
                reply("250 OK queued")
            elif verb == "QUIT":
                reply("221 Bye")
                return
            elif verb in ("RSET", "NOOP"):
                reply("250 OK")
            else:
                reply("502 Command not implemented")
