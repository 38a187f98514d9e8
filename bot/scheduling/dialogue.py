"""Small parsers the guided dialogues share: yes/no words, durations, the "when" step with ask-back."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from bot.scheduling.phrases import AskBack, Parsed, cn_int, parse_phrase, time_words

YES = {"确认", "是", "是的", "好", "好的", "对", "ok", "OK", "y", "yes", "确定", "创建", "可以"}
NO = {"取消", "否", "不", "算了", "no", "n", "放弃", "退出"}
NONE_WORDS = {"无", "没有", "不需要", "不用", "略", "-", "空"}
NOW_WORDS = ("现在", "立即", "马上", "立刻", "现在发", "现在发送", "立即发送", "now")
DURATION_RE = re.compile(r"(\d+|[一二两三四五六七八九十]+)\s*(天|日|小时|个小时|钟头|分钟|分)")


def clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().strip("。.!！")


def is_yes(text: str) -> bool:
    return clean(text) in YES


def is_no(text: str) -> bool:
    return clean(text) in NO


def is_now(text: str) -> bool:
    return clean(text) in NOW_WORDS


def parse_duration_minutes(text: str) -> int | None:
    """``1天`` / ``会前2小时`` / ``30分钟`` → minutes; ``不催`` → 0; unreadable → None."""
    t = clean(text).replace("会前", "").replace("提前", "")
    if t in NONE_WORDS or t.startswith(("不催", "不用", "不需要")):
        return 0
    m = DURATION_RE.fullmatch(t.replace(" ", ""))
    if not m:
        return None
    n = cn_int(m.group(1))
    unit = m.group(2)
    return n * 1440 if unit in ("天", "日") else n * 60 if "时" in unit or unit == "钟头" else n


def parse_when(answer: str, earlier: str, now: datetime) -> tuple[Parsed | AskBack, str]:
    """Parse a reply to "when?"; after an ask-back the reply completes the earlier phrase.

    是 accepts what the question proposed (“是指下周五吗？” → 下周五 with the earlier time), and a
    corrected date alone keeps the time said before (本周五17:00 → “下周五” → 下周五17:00).
    """
    if earlier:
        asked = parse_phrase(earlier, now)
        if is_yes(answer) and isinstance(asked, AskBack) and asked.yes:
            return parse_phrase(asked.yes, now), ""
        combined = parse_phrase(f"{earlier} {answer}", now)
        if isinstance(combined, Parsed):
            return combined, ""
        carried = time_words(earlier)
        if carried and not time_words(answer):
            with_time = parse_phrase(f"{answer} {carried}", now)
            if isinstance(with_time, Parsed):
                return with_time, ""
    result = parse_phrase(answer, now)
    return result, (answer if isinstance(result, AskBack) else "")
