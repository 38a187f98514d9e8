"""DingTalk signatures: Base64(HMAC-SHA256(key=secret, msg=timestamp + "\\n" + secret)), timestamp in ms.

The same formula signs the robot's HTTP callback (key = AppSecret, header value used
verbatim) and the custom-robot webhook (key = the SEC… secret, URL-encoded in the query).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus


def sign(timestamp_ms: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signature_matches(given: str, timestamp_ms: str, secret: str) -> bool:
    return hmac.compare_digest(sign(timestamp_ms, secret).encode(), given.encode())


def signed_webhook_url(url: str, secret: str, now_ms: int | None = None) -> str:
    if not secret:
        return url
    ts = str(now_ms if now_ms is not None else int(time.time() * 1000))
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}timestamp={ts}&sign={quote_plus(sign(ts, secret))}"
