"""Local receivers for the notifier's channels, started by the tests: an HTTP server standing in for the group
robots (企业微信, 钉钉) and the SMS gateway, and an SMTP server (aiosmtpd).

Both record what they accepted, with the notice id the sender carried (X-Notice-Id; the e-mail's Message-ID).
The HTTP receiver can hold one request without answering (`hang_on`), so a test can kill the sender while a
delivery is in flight, before the receiver's 200, and know that one was not accepted."""
from __future__ import annotations

import email
import email.policy
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional

from aiosmtpd.controller import Controller


@dataclass
class Delivery:
    path: str
    notice_id: str
    body: Any


@dataclass
class HttpReceiver:
    port: int
    hang_on: Optional[int] = None  # the n-th request (1-based) is held unanswered until `release()`
    accepted: list[Delivery] = field(default_factory=list)
    requests: int = 0
    hanging: threading.Event = field(default_factory=threading.Event)
    _release: threading.Event = field(default_factory=threading.Event)
    _server: Optional[ThreadingHTTPServer] = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "HttpReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"null")
                with receiver._lock:
                    receiver.requests += 1
                    n = receiver.requests
                if receiver.hang_on == n:
                    receiver.hanging.set()
                    receiver._release.wait(60)
                    self.close_connection = True  # never answered: not accepted
                    return
                with receiver._lock:
                    receiver.accepted.append(Delivery(self.path, self.headers.get("X-Notice-Id", ""), body))
                reply = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def release(self) -> None:
        self._release.set()

    def stop(self) -> None:
        self.release()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def ids(self) -> list[str]:
        with self._lock:
            return [d.notice_id for d in self.accepted]


@dataclass
class Mail:
    to: list[str]
    message_id: str
    notice_id: str
    subject: str
    text: str


class _Collect:
    def __init__(self, box: list[Mail]):
        self.box = box

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        self.box.append(Mail(list(envelope.rcpt_tos), str(msg["Message-ID"]), str(msg["X-Notice-Id"]),
                             str(msg["Subject"]), body.get_content() if body else ""))
        return "250 OK"


class SmtpReceiver:
    def __init__(self, port: int):
        self.port = port
        self.mails: list[Mail] = []
        self._controller = Controller(_Collect(self.mails), hostname="127.0.0.1", port=port)

    def start(self) -> "SmtpReceiver":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def message_ids(self) -> list[str]:
        return [m.message_id for m in self.mails]
