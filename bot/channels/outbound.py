"""Calls to platform APIs: one place that turns network trouble into retryable DeliveryErrors."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.channels.base import DeliveryError

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=15, connect=5)


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: dict[str, Any]
    headers: Mapping[str, str]


def _retry_after(headers: Mapping[str, str], default: float) -> float:
    for name in ("Retry-After", "x-ogw-ratelimit-reset"):
        value = headers.get(name)
        if value:
            try:
                return max(1.0, float(value))
            except ValueError:
                pass
    return default


async def call_json(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    what: str,
    json_body: Any = None,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> ApiResponse:
    """One request; 5xx, 429, timeouts and unreadable bodies raise a transient DeliveryError.

    ``what`` names the call in errors and logs; URLs are never logged because they carry keys and tokens.
    """
    try:
        async with session.request(
            method, url, json=json_body, params=params, headers=headers, timeout=REQUEST_TIMEOUT
        ) as resp:
            raw = await resp.read()
            status, resp_headers = resp.status, resp.headers
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise DeliveryError(f"{what}：网络错误 {type(exc).__name__}") from exc
    if status == 429:
        raise DeliveryError(f"{what}：平台限流（HTTP 429）", retry_after=_retry_after(resp_headers, 60.0))
    if status >= 500:
        raise DeliveryError(f"{what}：平台服务错误（HTTP {status}）", retry_after=_retry_after(resp_headers, 2.0))
    try:
        body = json.loads(raw) if raw else {}
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DeliveryError(f"{what}：平台返回的不是 JSON（HTTP {status}）") from exc
    if not isinstance(body, dict):
        raise DeliveryError(f"{what}：平台返回格式异常（HTTP {status}）")
    return ApiResponse(status, body, resp_headers)


async def with_retries(
    attempt: Callable[[], Awaitable[None]], *, what: str, attempts: int = 4, max_wait: float = 60.0
) -> bool:
    """Run ``attempt`` until it succeeds, a permanent error, or the attempts run out; True on success.

    For replies to a live message, which have no outbox row to retry them later.
    """
    delay = 1.0
    for n in range(1, attempts + 1):
        try:
            await attempt()
            return True
        except DeliveryError as exc:
            if exc.permanent or n == attempts:
                log.error("%s failed (%s): %s", what, "permanent" if exc.permanent else f"after {n} attempts", exc)
                return False
            wait = min(max_wait, exc.retry_after if exc.retry_after is not None else delay)
            log.warning("%s failed, retrying in %.1fs: %s", what, wait, exc)
            await asyncio.sleep(wait)
            delay = min(max_wait, delay * 2)
    return False
