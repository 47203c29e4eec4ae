"""A local stand-in for the three group-robot endpoints: records every request and answers as the
platform would, verifying the signatures with its own copy of the secret (independent of the code
under test: the documented algorithms are re-implemented here)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    platform: str
    path: str
    query: dict[str, str]
    body: dict[str, Any]
    signature_ok: bool | None


@dataclass
class RobotServer:
    dingtalk_secret: str
    feishu_secret: str
    received: list[Received] = field(default_factory=list)
    fail_next: int = 0  # answer HTTP 500 to the next N requests
    refuse_next: int = 0  # answer HTTP 200 with an error code to the next N requests
    server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> RobotServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                owner._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def of(self, platform: str) -> list[Received]:
        return [r for r in self.received if r.platform == platform]

    def _verify(self, platform: str, query: dict[str, str], body: dict[str, Any]) -> bool | None:
        if platform == "dingtalk":
            ts, sign = query.get("timestamp"), query.get("sign")
            if ts is None or sign is None:
                return False
            expected = base64.b64encode(
                hmac.new(
                    self.dingtalk_secret.encode(), f"{ts}\n{self.dingtalk_secret}".encode(), hashlib.sha256
                ).digest()
            )
            return hmac.compare_digest(expected.decode(), sign)
        if platform == "feishu":
            ts, sign = body.get("timestamp"), body.get("sign")
            if ts is None or sign is None:
                return False
            key = f"{ts}\n{self.feishu_secret}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            return hmac.compare_digest(expected, sign)
        return None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        split = urllib.parse.urlsplit(handler.path)
        platform = split.path.strip("/").split("/")[0]
        query = dict(urllib.parse.parse_qsl(split.query))
        length = int(handler.headers.get("Content-Length") or 0)
        body = json.loads(handler.rfile.read(length) or b"{}")
        if self.fail_next > 0:
            self.fail_next -= 1
            handler.send_response(500)
            handler.end_headers()
            return
        ok = self._verify(platform, query, body)
        refused = self.refuse_next > 0 or ok is False
        if self.refuse_next > 0:
            self.refuse_next -= 1
        if not refused:
            self.received.append(Received(platform, split.path, query, body, ok))
        if platform == "feishu":
            answer = (
                {
                    "code": 19021,
                    "msg": "sign match fail or timestamp is not within one hour from current time",
                }
                if refused
                else {"code": 0, "msg": "success", "data": {}}
            )
        else:
            answer = (
                {"errcode": 310000, "errmsg": "sign not match"} if refused else {"errcode": 0, "errmsg": "ok"}
            )
        data = json.dumps(answer).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
