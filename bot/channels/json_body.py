"""Read JSON from outside (request bodies, decrypted events, socket frames) with limits, before anything else.

``json.loads`` recurses once per nesting level: a body of 100 000 ``[`` sent without
any signature raised RecursionError, a 500, before the signature was even looked at.
It also turns integers of more than 4 300 digits into a ValueError, accepts NaN and
Infinity (not JSON) and turns 1e999 into one, and parses ``"\\u0000"`` or a lone ``"\\ud800"`` into strings the
databases cannot store. Everything from outside goes through ``parse_json`` first,
so the rest of the code only ever sees bounded, storable JSON, and the sender gets a
clear reason for a refusal.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

from bot.storable_text import text_problem

MAX_DEPTH = 32
MAX_BYTES = 1_048_576

# A JSON string (or an unterminated one up to the end, so a failed match never rescans): brackets inside don't nest.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class BadJson(ValueError):
    """A refused body; the message is Chinese, names no secret and may be sent back as it is."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


def _refuse_constant(name: str) -> Any:
    raise BadJson(f"JSON 中不允许 {name}")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadJson("JSON 中的数字超出范围")
    return value


def nesting_depth(text: str) -> int:
    """How deep ``[``/``{`` nest in ``text``, in one linear pass without recursion (brackets in strings skipped)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets.encode())), default=0)


def _check_strings(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            why = text_problem(item)
            if why is not None:
                raise BadJson(f"JSON 字符串{why}")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def parse_json(raw: bytes | str, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value in ``raw`` (UTF-8), or BadJson saying why not."""
    if len(raw) > max_bytes:
        raise BadJson(f"JSON 过大（最多 {max_bytes} 字节）", status=413)
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadJson("请求体不是 UTF-8 编码的 JSON") from None
    else:
        text = raw
    if nesting_depth(text) > max_depth:
        raise BadJson(f"JSON 嵌套过深（最多 {max_depth} 层）")
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except BadJson:
        raise
    except json.JSONDecodeError:
        raise BadJson("请求体不是有效的 JSON") from None
    except (ValueError, RecursionError):
        # int() refuses more than sys.get_int_max_str_digits() digits; the depth check makes RecursionError unlikely.
        raise BadJson("JSON 中的数字过长") from None
    _check_strings(value)
    return value


def parse_json_object(raw: bytes | str, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """Like ``parse_json``, for the many places where only an object makes sense."""
    value = parse_json(raw, max_bytes=max_bytes, max_depth=max_depth)
    if not isinstance(value, dict):
        raise BadJson("JSON 应为对象（{…}）")
    return value
