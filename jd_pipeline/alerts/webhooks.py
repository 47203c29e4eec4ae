"""Group-robot webhooks of 企业微信 (WeCom), 钉钉 (DingTalk) and 飞书 (Feishu/Lark).

URLs and secrets come only from the environment and never appear in logs or errors (the URL
carries the robot's token):

| channel | URL | secret (signing) |
| --- | --- | --- |
| `wecom` | `JD_ALERT_WECOM_URL` | — (the key in the URL is the credential) |
| `dingtalk` | `JD_ALERT_DINGTALK_URL` | `JD_ALERT_DINGTALK_SECRET`: `timestamp` (ms) and `sign` = base64(HMAC-SHA256(key=secret, msg="{timestamp}\\n{secret}")) added to the query |
| `feishu` | `JD_ALERT_FEISHU_URL` | `JD_ALERT_FEISHU_SECRET`: `timestamp` (s) and `sign` = base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg="")) in the body |

Each platform answers HTTP 200 with an error code in the body when it refuses a message (bad
signature, rate limit): only code 0 counts as delivered.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

CHANNEL_ENV = {
    "wecom": ("JD_ALERT_WECOM_URL", None),
    "dingtalk": ("JD_ALERT_DINGTALK_URL", "JD_ALERT_DINGTALK_SECRET"),
    "feishu": ("JD_ALERT_FEISHU_URL", "JD_ALERT_FEISHU_SECRET"),
}
# The platforms' size limits (bytes of the text): WeCom markdown 4096, DingTalk 20000, Feishu ~30k.
MAX_TEXT_BYTES = {"wecom": 4000, "dingtalk": 18000, "feishu": 18000}


@dataclass(frozen=True)
class Channel:
    name: str
    url: str
    secret: str | None = None

    def __repr__(self) -> str:  # never print the URL or the secret
        return f"Channel({self.name})"


class DeliveryError(RuntimeError):
    """A platform did not accept a message (the message names the channel, never its URL)."""


def channels_from_env(env: dict[str, str] | None = None) -> list[Channel]:
    env = dict(os.environ) if env is None else env
    out = []
    for name, (url_var, secret_var) in CHANNEL_ENV.items():
        url = env.get(url_var, "").strip()
        if url:
            out.append(
                Channel(name, url, (env.get(secret_var) or "").strip() or None if secret_var else None)
            )
    return out


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def truncate(text: str, max_bytes: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    cut = data[: max_bytes - len("\n…".encode())].decode("utf-8", errors="ignore")
    return cut.rsplit("\n", 1)[0] + "\n…"


def build_request(channel: Channel, title: str, markdown: str, plain: str, now: float) -> tuple[str, bytes]:
    """(url, JSON body) of one message in the channel's format, signed where the platform signs."""
    url = channel.url
    if channel.name == "wecom":
        body = {"msgtype": "markdown", "markdown": {"content": truncate(markdown, MAX_TEXT_BYTES["wecom"])}}
    elif channel.name == "dingtalk":
        body = {
            "msgtype": "markdown",
            "markdown": {"title": title, "text": truncate(markdown, MAX_TEXT_BYTES["dingtalk"])},
        }
        if channel.secret:
            ts = int(now * 1000)
            sep = "&" if urllib.parse.urlsplit(url).query else "?"
            url = (
                f"{url}{sep}timestamp={ts}&sign={urllib.parse.quote_plus(dingtalk_sign(channel.secret, ts))}"
            )
    elif channel.name == "feishu":
        body = {"msg_type": "text", "content": {"text": truncate(plain, MAX_TEXT_BYTES["feishu"])}}
        if channel.secret:
            ts = int(now)
            body = {"timestamp": str(ts), "sign": feishu_sign(channel.secret, ts), **body}
    else:
        raise ValueError(f"unknown channel {channel.name!r}")
    return url, json.dumps(body, ensure_ascii=False).encode("utf-8")


def _accepted(channel: Channel, status: int, payload: bytes) -> tuple[bool, str]:
    if status != 200:
        return False, f"HTTP {status}"
    try:
        answer = json.loads(payload or b"{}")
    except json.JSONDecodeError:
        return False, "answer is not JSON"
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
    if code in (0, "0"):
        return True, "ok"
    message = str(answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage") or "")
    return False, f"code {code}: {message[:200]}"


def post(channel: Channel, url: str, body: bytes, timeout: float) -> tuple[bool, str]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return _accepted(channel, response.status, response.read())
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, f"{type(exc).__name__}: {type(reason).__name__}"


def send_with_retries(
    channel: Channel,
    title: str,
    markdown: str,
    plain: str,
    *,
    attempts: int = 3,
    backoff_seconds: float = 2.0,
    timeout: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> int:
    """Send one message; retry (re-signing each time) with a growing pause. Returns the attempts used;
    raises DeliveryError with the last reason when every attempt failed."""
    reason = ""
    for attempt in range(1, attempts + 1):
        url, body = build_request(channel, title, markdown, plain, clock())
        ok, reason = post(channel, url, body, timeout)
        if ok:
            return attempt
        if attempt < attempts:
            sleep(backoff_seconds * attempt)
    raise DeliveryError(f"{channel.name}: not delivered after {attempts} attempt(s): {reason}")
