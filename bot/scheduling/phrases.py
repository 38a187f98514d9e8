"""Chinese date phrasings → a rule, or a question back when the phrase could mean two things.

Understood: 今天/明天/后天, 下周三, 本周五, 12月3日, 2026-12-03, 3号, 月底, 上午/下午/晚上 N 点
(半/一刻/三刻), 15:00, 每天, 每个工作日, 每周一, 每月20日, 每月最后一个工作日, 每月第一个工作日,
每季度第一个月5日, 每年6月20日, and a trailing 前/之前 that makes it a deadline.
Hours 1–7 without 上午/下午 are asked back; so is 晚上12点 (midnight or noon?), and a bare
weekday that could be today.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from bot.scheduling.rules import Rule

CN_NUM = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
WEEKDAY_CHARS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
DEADLINE_LADDER = (7, 3, 1, 0)
MONTHLY_DEADLINE_LADDER = (3, 1, 0)

NUM = r"(\d{1,2}|[零一二两三四五六七八九十]{1,3})"
PERIOD_RE = re.compile(r"(上午|早上|早晨|清早|中午|下午|晚上|傍晚|夜里|半夜|深夜|午夜|凌晨)")
NIGHT = ("晚上", "傍晚", "夜里", "半夜", "深夜", "午夜")
TIME_RE = re.compile(
    r"(?:(\d{1,2})\s*[:：]\s*(\d{2}))|(?:"
    + NUM
    + r"\s*[点时]\s*(?:(半)|([一三])刻|(\d{1,2}|[一二三四五]十[一二三四五六七八九]?|[一二三四五六七八九十])\s*分?)?)"
)
DEADLINE_RE = re.compile(r"(之前|以前|前|截止|为止)\s*$")


@dataclass(frozen=True)
class Parsed:
    rule: Rule
    note: str = ""


@dataclass(frozen=True)
class AskBack:
    """A question back. ``yes``: the phrase meant if the person answers 是 (a yes/no question)."""

    question: str
    yes: str = ""


EXAMPLES = (
    "例如：“下周三下午3点”“12月5日 9:00”“6月20日前”“每月最后一个工作日 16:00”“每季度第一个月5日前”“每周一上午9点”。"
)


def cn_int(text: str) -> int:
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + CN_NUM[text[1]]
    if "十" in text:
        tens, _, ones = text.partition("十")
        return CN_NUM[tens] * 10 + (CN_NUM[ones] if ones else 0)
    return CN_NUM[text]


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip()
    return re.sub(r"\s+", " ", text)


def _parse_time(text: str) -> tuple[int, int] | AskBack | None:
    m = TIME_RE.search(text)
    if not m:
        period_only = PERIOD_RE.search(text)
        if period_only and period_only.group(1) == "中午":
            return 12, 0
        return None
    if m.group(1):
        hour, minute = int(m.group(1)), int(m.group(2))
        explicit = True
    else:
        hour = cn_int(m.group(3))
        quarter = {"一": 15, "三": 45}.get(m.group(5) or "")
        minute = 30 if m.group(4) else quarter if quarter else (cn_int(m.group(6)) if m.group(6) else 0)
        explicit = False
    if hour > 23 or minute > 59:
        return AskBack(f"“{m.group(0)}”不是有效的时间，请重新说一下几点几分。")
    period_m = PERIOD_RE.search(text)
    period = period_m.group(1) if period_m else ""
    if period in NIGHT and hour == 12:
        # 晚上12点 is midnight to most people, noon to a naive 12-hour reading: never guess.
        return AskBack(
            f"“{period}12点”是指这天夜里 24:00（即第二天 0:00），还是中午 12:00？"
            "请说清楚，例如“后天0点”“明天23:59”或“明天中午12点”。"
        )
    if (period in ("下午", *NIGHT) and hour < 12) or (period == "中午" and hour < 6):
        hour += 12
    elif period == "凌晨" and hour == 12:
        hour = 0
    elif not period and not explicit and 1 <= hour <= 7:
        return AskBack(f"“{m.group(0)}”是上午 {hour} 点还是下午 {hour} 点（{hour + 12}:00）？请回复“上午”或“下午”。")
    return hour, minute


def time_words(text: str) -> str:
    """The time-of-day words of a phrase (“下午3点”), to carry over to a corrected date."""
    text = _normalize(text)
    found = [m.group(0) for m in PERIOD_RE.finditer(text)] + [m.group(0) for m in TIME_RE.finditer(text)]
    return "".join(found)


def _strip_time(text: str) -> str:
    return PERIOD_RE.sub("", TIME_RE.sub("", text)).strip()


def parse_phrase(phrase: str, now: datetime) -> Parsed | AskBack:
    """``now`` is the local aware time; one-off times in the past are asked back, not moved."""
    text = _normalize(phrase)
    if not text:
        return AskBack("请告诉我时间，" + EXAMPLES)
    deadline = bool(DEADLINE_RE.search(text))
    body = DEADLINE_RE.sub("", text).strip() if deadline else text
    clock = _parse_time(body)
    if isinstance(clock, AskBack):
        return clock
    date_part = _strip_time(body)
    if date_part.startswith("每"):
        return _recurring(date_part, clock, deadline)
    day = _one_day(date_part, now.date())
    if isinstance(day, AskBack):
        if day.yes:
            return AskBack(day.question, yes=re.sub(r"(本|这个?)(周|星期|礼拜)", r"下\2", text, count=1))
        return day
    if day is None:
        if clock is None or date_part:
            return AskBack(f"没看懂“{phrase}”这个时间。" + EXAMPLES)
        day = now.date()
    note = ""
    if day.year != now.year and not re.search(r"\d{4}", date_part):
        note = f"按 {day.year} 年 {day.month} 月 {day.day} 日理解"
    if deadline:
        hour, minute = clock if clock else (17, 30)
        at = datetime(day.year, day.month, day.day, hour, minute)
        if day < now.date():
            return AskBack(f"{day:%Y-%m-%d} 已经过去了，请给一个以后的截止日期。")
        return Parsed(Rule("once", at=at.isoformat(timespec="minutes"), deadline=True, ladder=DEADLINE_LADDER), note)
    if clock is None:
        return AskBack(f"{day.month}月{day.day}日几点发送？例如“上午9点”或“15:30”。")
    at = datetime(day.year, day.month, day.day, clock[0], clock[1], tzinfo=now.tzinfo)
    if at <= now:
        return AskBack(f"{at:%Y-%m-%d %H:%M} 已经过去了，请给一个以后的时间。")
    return Parsed(Rule("once", at=at.replace(tzinfo=None).isoformat(timespec="minutes")), note)


def _one_day(text: str, today: date) -> date | AskBack | None:
    text = text.replace("的", "").strip(" ，,")
    if not text:
        return None
    rel = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}
    if text in rel:
        return today + timedelta(days=rel[text])
    m = re.fullmatch(r"(下下|下个?|本|这个?|上)?(?:周|星期|礼拜)([一二三四五六日天1-7])", text)
    if m:
        prefix = (m.group(1) or "").rstrip("个")
        wd_char = m.group(2)
        weekday = int(wd_char) - 1 if wd_char.isdigit() else WEEKDAY_CHARS[wd_char]
        monday = today - timedelta(days=today.weekday())
        if prefix == "下":
            return monday + timedelta(days=7 + weekday)
        if prefix == "下下":
            return monday + timedelta(days=14 + weekday)
        if prefix in ("本", "这"):
            day = monday + timedelta(days=weekday)
            if day < today:
                return AskBack(f"本周{wd_char}（{day:%m月%d日}）已经过去了，是指下周{wd_char}吗？", yes="yes")
            return day
        if prefix == "上":
            return AskBack("上周的时间已经过去了，请给一个以后的时间。")
        if weekday == today.weekday():
            nxt = today + timedelta(days=7)
            return AskBack(f"今天就是周{wd_char}：是指今天（{today:%m月%d日}）还是下周{wd_char}（{nxt:%m月%d日}）？")
        return today + timedelta(days=(weekday - today.weekday()) % 7)
    m = re.fullmatch(r"(本月|这个?月|下个?月)?月?底", text)
    if m:
        year, month = today.year, today.month
        if (m.group(1) or "").startswith("下"):
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    m = re.fullmatch(r"(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*[日号]?", text)
    if m:
        return _valid_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = re.fullmatch(r"(今年|明年)?" + NUM + r"\s*月\s*" + NUM + r"\s*[日号]", text)
    if m:
        month, day_n = cn_int(m.group(2)), cn_int(m.group(3))
        year = today.year + (m.group(1) == "明年")
        found = _valid_date(year, month, day_n)
        if isinstance(found, date) and found < today and not m.group(1):
            found = _valid_date(year + 1, month, day_n)
        return found
    m = re.fullmatch(r"(本月|下个?月)?" + NUM + r"\s*[日号]", text)
    if m:
        day_n = cn_int(m.group(2))
        year, month = today.year, today.month
        if (m.group(1) or "").startswith("下") or (not m.group(1) and day_n < today.day):
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return _valid_date(year, month, day_n)
    return AskBack(f"没看懂日期“{text}”。" + EXAMPLES)


def _valid_date(year: int, month: int, day: int) -> date | AskBack:
    try:
        return date(year, month, day)
    except ValueError:
        return AskBack(f"{year}年{month}月没有{day}日，请检查日期。")


def _recurring(text: str, clock: tuple[int, int] | None, deadline: bool) -> Parsed | AskBack:
    text = text.replace("的", "").replace(" ", "")
    at_time = f"{clock[0]:02d}:{clock[1]:02d}" if clock else ""
    rule: Rule | None = None
    m = re.fullmatch(r"每(?:天|日)", text)
    if m:
        rule = Rule("cron", cron=_cron(clock), shift="none")
    if re.fullmatch(r"每个?工作日", text):
        rule = Rule("cron", cron=_cron(clock), workdays_only=True, shift="none")
    m = re.fullmatch(r"每(?:个)?(?:周|星期|礼拜)([一二三四五六日天1-7、,和]+)", text)
    if m:
        days = [c for c in m.group(1) if c not in "、,和"]
        cron_days = ",".join(str((int(c) if c.isdigit() else WEEKDAY_CHARS[c] + 1) % 7) for c in days)
        rule = Rule("cron", cron=_cron(clock, dow=cron_days))
    m = re.fullmatch(r"每(?:个)?(月|季度?|年)(.*)", text)
    if m:
        unit, rest = m.group(1), m.group(2)
        months: tuple[int, ...] = ()
        if unit.startswith("季"):
            months = (1, 4, 7, 10)
            qm = re.match(r"(第一个月|首月|第1个月|第二个月|第2个月|第三个月|最后一个月|第3个月|末月)", rest)
            if qm:
                offset = {
                    "第一": 0,
                    "首月": 0,
                    "第1": 0,
                    "第二": 1,
                    "第2": 1,
                    "第三": 2,
                    "第3": 2,
                    "最后": 2,
                    "末月": 2,
                }
                key = next(k for k in offset if qm.group(1).startswith(k))
                months = tuple(m0 + offset[key] for m0 in months)
                rest = rest[qm.end() :]
        elif unit == "年":
            ym = re.match(NUM + r"月", rest)
            if not ym:
                return AskBack("每年几月几日？例如“每年6月20日前”。")
            months = (cn_int(ym.group(1)),)
            rest = rest[ym.end() :]
        day = _day_rule(rest)
        if isinstance(day, AskBack):
            return day
        rule = Rule("calendar", months=months, day=day)
    if rule is None:
        return AskBack(f"没看懂重复规则“{text}”。" + EXAMPLES)
    if deadline:
        ladder = MONTHLY_DEADLINE_LADDER if rule.type == "calendar" and len(rule.months) != 1 else DEADLINE_LADDER
        if rule.type != "calendar":
            return AskBack("“每天/每周……前”的截止提醒请直接说推送时间，例如“每周五下午4点”。")
        return Parsed(replace(rule, deadline=True, ladder=ladder, time=at_time or "17:30"))
    if not clock:
        return AskBack("几点推送？例如“上午9点”或“16:00”。")
    if rule.type == "calendar":
        rule = replace(rule, time=at_time)
    return Parsed(rule)


def _cron(clock: tuple[int, int] | None, dow: str = "*") -> str:
    hour, minute = clock or (9, 0)
    return f"{minute} {hour} * * {dow}"


def _day_rule(rest: str) -> str | AskBack:
    if re.fullmatch(r"最后一个?工作日", rest):
        return "last_workday"
    if re.fullmatch(r"(第一个?|首个)工作日", rest):
        return "first_workday"
    m = re.fullmatch(r"第" + NUM + r"个工作日", rest)
    if m:
        return f"workday:{cn_int(m.group(1))}"
    if re.fullmatch(r"(最后一天|月底|末)", rest):
        return "last"
    m = re.fullmatch(NUM + r"[日号]", rest)
    if m and 1 <= cn_int(m.group(1)) <= 31:
        return str(cn_int(m.group(1)))
    if not rest:
        return AskBack("每月哪一天？例如“每月20日”或“每月最后一个工作日”。")
    return AskBack(f"没看懂“{rest}”是哪一天。例如“每月20日”“每月最后一个工作日”。")
