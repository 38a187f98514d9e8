"""When a schedule fires: one-off, cron, calendar rules ("每月最后一个工作日"), deadline ladders.

A rule yields *occurrences* (the meeting, the deadline, the monthly push); a ladder
turns each occurrence into reminders some days before it. Every fire then moves off
holidays (to the previous workday by default) and out of quiet hours unless urgent,
so the preview an admin sees is exactly what will be sent.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
from apscheduler.triggers.cron import CronTrigger

from bot.scheduling.workdays import WorkCalendar

WEEKDAYS = "一二三四五六日"
MAX_OCCURRENCES = 5000
# A push whose wait for the end of quiet hours would land on a non-workday goes this long before
# quiet hours begin instead (a Friday 21:30 push: Friday 20:30, not Saturday 08:00).
QUIET_MARGIN = timedelta(minutes=30)


class RuleError(ValueError):
    """A rule that cannot fire as written, phrased for the admin."""


def parse_hhmm(text: str) -> time:
    hh, _, mm = text.partition(":")
    if not (hh.isdigit() and mm.isdigit()) or int(hh) > 23 or int(mm) > 59:
        raise RuleError(f"时间 {text!r} 应写成 HH:MM，如 09:00")
    return time(int(hh), int(mm))


@dataclass(frozen=True)
class Rule:
    """``type`` is ``once`` (``at``), ``cron`` (``cron``, five fields) or ``calendar`` (``months`` + ``day``)."""

    type: str
    at: str = ""
    cron: str = ""
    months: tuple[int, ...] = ()
    day: str = ""
    time: str = "09:00"
    ladder: tuple[int, ...] = ()
    ladder_time: str = "09:00"
    deadline: bool = False
    workdays_only: bool = False
    shift: str = "previous"
    event_at: str = ""
    rereminder_minutes: int = 0

    def to_json(self) -> str:
        data = {k: v for k, v in asdict(self).items() if v not in ("", (), 0, False) or k == "type"}
        if self.shift != "previous":
            data["shift"] = self.shift
        else:
            data.pop("shift", None)
        if self.time == "09:00":
            data.pop("time", None)
        if self.ladder_time == "09:00":
            data.pop("ladder_time", None)
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Rule:
        data: dict[str, Any] = json.loads(text)
        for key in ("months", "ladder"):
            if key in data:
                data[key] = tuple(data[key])
        return cls(**data)

    def validate(self) -> None:
        if self.type not in ("once", "cron", "calendar"):
            raise RuleError(f"未知的规则类型 {self.type!r}")
        if self.type == "once":
            _local_iso(self.at)
        if self.type == "cron":
            try:
                cron_trigger(self.cron, UTC)
            except (ValueError, TypeError) as exc:
                raise RuleError(f"cron 表达式 {self.cron!r} 有误：{exc}") from exc
        if self.type == "calendar":
            if any(not 1 <= m <= 12 for m in self.months):
                raise RuleError("月份应在 1–12 之间")
            _day_spec(self.day)
        parse_hhmm(self.time)
        parse_hhmm(self.ladder_time)
        if any(d < 0 or d > 366 for d in self.ladder):
            raise RuleError("提前天数应在 0–366 之间")
        if self.shift not in ("previous", "next", "none"):
            raise RuleError("节假日顺延方式应为 previous / next / none")
        if self.event_at:
            _local_iso(self.event_at)


def _local_iso(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise RuleError(f"时间 {text!r} 应写成 2026-12-03T15:00 的形式") from exc
    return value.replace(tzinfo=None)


CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def cron_trigger(expr: str, tz: Any) -> CronTrigger:
    """Standard crontab (day of week 0/7 = Sunday), unlike APScheduler 3's own 0 = Monday."""
    fields = expr.split()
    if len(fields) != 5:
        raise RuleError(f"cron 表达式 {expr!r} 应有 5 段：分 时 日 月 周")
    minute, hour, day, month, dow = fields
    if dow not in ("*", "?"):
        dow = re.sub(r"\d+", lambda m: CRON_DAYS[int(m.group())] if int(m.group()) < 8 else m.group(), dow)
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=dow, timezone=tz)


def _day_spec(day: str) -> tuple[str, int]:
    if day.isdigit() and 1 <= int(day) <= 31:
        return "date", int(day)
    if day in ("last", "last_workday", "first_workday"):
        return day, 0
    if day.startswith("workday:") and day[8:].isdigit() and 1 <= int(day[8:]) <= 23:
        return "workday", int(day[8:])
    raise RuleError(f"日期规则 {day!r} 无法识别")


@dataclass(frozen=True)
class Policy:
    """What the rules need from the configuration: the zone, the calendar, quiet hours."""

    tz: ZoneInfo
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)

    @classmethod
    def from_config(cls, config: Any) -> Policy:
        sched = config.scheduler
        return cls(
            tz=ZoneInfo(config.bot.timezone),
            calendar=WorkCalendar.from_config(sched.extra_holidays, sched.extra_workdays),
            quiet_start=parse_hhmm(sched.quiet_start),
            quiet_end=parse_hhmm(sched.quiet_end),
        )

    @property
    def key(self) -> str:
        """A fingerprint of everything that decides fire times; stored beside each ``next_fire_at``
        so that a change of calendar, quiet hours or zone is noticed and the stored fire recomputed."""
        parts = [
            str(self.tz),
            self.quiet_start.isoformat(),
            self.quiet_end.isoformat(),
            ",".join(sorted(d.isoformat() for d in self.calendar.extra_holidays)),
            ",".join(sorted(d.isoformat() for d in self.calendar.extra_workdays)),
            getattr(chinese_calendar, "__version__", ""),
        ]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]

    def in_quiet_hours(self, local: datetime) -> bool:
        t = local.time()
        if self.quiet_start == self.quiet_end:
            return False
        if self.quiet_start < self.quiet_end:
            return self.quiet_start <= t < self.quiet_end
        return t >= self.quiet_start or t < self.quiet_end

    def after_quiet_hours(self, local: datetime) -> datetime:
        """The first moment at or after ``local`` outside quiet hours."""
        if not self.in_quiet_hours(local):
            return local
        day = local.date()
        if self.quiet_start > self.quiet_end and local.time() >= self.quiet_start:
            day += timedelta(days=1)
        return datetime.combine(day, self.quiet_end, tzinfo=local.tzinfo)


@dataclass(frozen=True)
class Fire:
    """One moment a schedule sends, and why it is then."""

    at: datetime
    stage: str = ""
    occurrence: datetime | None = None
    moved_from: date | None = None
    moved_reason: str = ""
    # Other rungs of the same deadline's ladder (or other occurrences) a shift put on this instant.
    merged: tuple[Fire, ...] = ()
    # Where quiet hours moved it from (the time it would otherwise have been sent).
    quiet_from: datetime | None = None
    # A one-off typed for a non-workday whose earlier workday is already past: the person must
    # choose 照常 (shift none) or 顺延 (shift next); holds the day's name (周日, 国庆节).
    needs_choice: str = ""
    # Why this occurrence will not be sent at all (the preview says so).
    skipped: str = ""

    @property
    def keys(self) -> set[str]:
        """This fire's key and those of the rungs/occurrences merged into it."""
        return {self.key, *(m.key for m in self.merged)}

    @property
    def key(self) -> str:
        """Which occurrence and rung this is, independent of where shifts put it: each key fires once."""
        occ = self.occurrence.replace(tzinfo=None).isoformat(timespec="minutes") if self.occurrence else "-"
        return f"{occ}/{self.stage}"[:64]

    @property
    def days_before(self) -> int | None:
        return int(self.stage[2:]) if self.stage.startswith("D-") else None


def _occurrences(rule: Rule, policy: Policy, start: datetime) -> Iterator[datetime]:
    """Local occurrence times at or after ``start`` (local, aware), in order."""
    tz = policy.tz
    if rule.type == "once":
        # Always the one occurrence: its fires (a 催办 days after the notice) are filtered by time.
        yield _local_iso(rule.at).replace(tzinfo=tz)
        return
    if rule.type == "cron":
        trigger = cron_trigger(rule.cron, tz)
        prev = None
        now = start
        for _ in range(MAX_OCCURRENCES):
            nxt = trigger.get_next_fire_time(prev, now)
            if nxt is None:
                return
            yield nxt
            prev = nxt
            now = nxt + timedelta(seconds=1)
        return
    kind, n = _day_spec(rule.day)
    at_time = parse_hhmm(rule.time)
    months = set(rule.months or range(1, 13))
    year, month = start.year, start.month
    for _ in range(MAX_OCCURRENCES):
        if month in months:
            day = _calendar_day(policy.calendar, year, month, kind, n)
            if day is not None:
                at = datetime.combine(day, at_time, tzinfo=tz)
                if at >= start:
                    yield at
        month += 1
        if month == 13:
            year, month = year + 1, 1


def _calendar_day(cal: WorkCalendar, year: int, month: int, kind: str, n: int) -> date | None:
    if kind == "date":
        last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
        return date(year, month, min(n, last))
    if kind == "last":
        return date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    days = cal.workdays_of_month(year, month)
    if not days:
        return None
    if kind == "first_workday":
        return days[0]
    if kind == "last_workday":
        return days[-1]
    return days[n - 1] if n <= len(days) else None


def _period(rule: Rule, occ: date) -> tuple[date, date] | None:
    """The days a shifted push must stay within: a weekly rule's week, a monthly rule's month.

    Without this a holiday shift can put two weeks' pushes into one week and none into the next.
    """
    if rule.ladder or rule.type == "once":
        return None
    weekly = False
    monthly = rule.type == "calendar"
    if rule.type == "cron":
        fields = rule.cron.split()
        weekly = fields[4] not in ("*", "?") and fields[2] in ("*", "?")
        monthly = fields[2] not in ("*", "?")
    if weekly:
        first = occ - timedelta(days=occ.weekday())
        return first, first + timedelta(days=6)
    if monthly:
        first = occ.replace(day=1)
        nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        return first, nxt - timedelta(days=1)
    return None


def _nearest_workday(cal: WorkCalendar, day: date, limit: date) -> date:
    """A ladder rung on a holiday goes to the nearer workday (the earlier on a tie), never on or
    after ``limit`` (the next rung's or the deadline's day), so rungs keep their order and distance."""
    before = cal.previous_workday(day)
    after = cal.next_workday(day)
    if after < limit and (after - day) < (day - before):
        return after
    return before


def _shift_day(rule: Rule, cal: WorkCalendar, fire: Fire, floor: datetime | None) -> tuple[date | None, str]:
    """Where a fire planned on a non-workday goes: (day or None for "nowhere", why not elsewhere)."""
    day = fire.at.date()
    limit = fire.occurrence.date() if fire.occurrence is not None else day + timedelta(days=60)
    if fire.days_before is not None:
        choices = [_nearest_workday(cal, day, limit if fire.days_before else day + timedelta(days=1))]
        choices.append(cal.next_workday(day) if choices[0] < day else cal.previous_workday(day))
    elif rule.type == "once":
        # A date the person typed: moved the way they said, or they are asked (never guessed).
        choices = [cal.previous_workday(day) if rule.shift == "previous" else cal.next_workday(day)]
    elif rule.shift == "previous":
        choices = [cal.previous_workday(day), cal.next_workday(day)]
    else:
        choices = [cal.next_workday(day), cal.previous_workday(day)]
    period = _period(rule, fire.occurrence.date() if fire.occurrence is not None else day)
    for choice in choices:
        if period is not None and not period[0] <= choice <= period[1]:
            continue
        if fire.days_before is not None and fire.days_before > 0 and choice >= limit:
            continue
        if fire.days_before == 0 and choice > day:
            continue
        if floor is not None and datetime.combine(choice, fire.at.timetz()) < floor:
            continue
        return choice, ""
    if period is not None:
        return None, "period"
    return None, "past"


def _fires_of(rule: Rule, policy: Policy, occ: datetime, urgent: bool, floor: datetime | None = None) -> list[Fire]:
    cal = policy.calendar
    if rule.workdays_only and not rule.ladder and not cal.is_workday(occ.date()):
        return []
    raw: list[Fire] = []
    if rule.ladder:
        ladder_at = parse_hhmm(rule.ladder_time)
        for days in sorted(set(rule.ladder), reverse=True):
            day = occ.date() - timedelta(days=days)
            raw.append(Fire(datetime.combine(day, ladder_at, tzinfo=occ.tzinfo), f"D-{days}", occ))
    else:
        raw.append(Fire(occ, "notice" if rule.event_at else "", occ))
    if rule.event_at and rule.rereminder_minutes:
        event = _local_iso(rule.event_at).replace(tzinfo=occ.tzinfo)
        raw.append(Fire(event - timedelta(minutes=rule.rereminder_minutes), "rereminder", occ))
    out: list[Fire] = []
    for fire in raw:
        placed = _place(fire, rule, policy, urgent, floor)
        if placed is not None:
            out.append(placed)
    return out


def _place(fire: Fire, rule: Rule, policy: Policy, urgent: bool, floor: datetime | None) -> Fire | None:
    """Move one planned fire off non-workdays and out of quiet hours; None when it cannot be sent.

    A shift never moves a push before ``floor`` (the moment the schedule was made): then it goes
    the other way, or — for a date typed explicitly (a one-off) — stays and is flagged
    ``needs_choice`` so the person is asked (照常 or 顺延).
    """
    cal = policy.calendar
    at = fire.at
    if rule.shift != "none" and not cal.is_workday(at.date()):
        reason = cal.holiday_name(at.date())
        new_day, why = _shift_day(rule, cal, fire, floor)
        if new_day is None:
            if why == "past" and rule.type == "once" and not rule.ladder and fire.stage != "rereminder":
                # Shown as if 照常 until the person chooses; quiet hours still apply.
                return _out_of_quiet(
                    replace(fire, needs_choice=reason), replace(rule, shift="none"), policy, urgent, floor
                )
            if why == "period":
                span = "本周" if _weekly(rule) else "本月"
                return replace(fire, skipped=f"{at:%m-%d} 为{reason}，{span}没有可改发的工作日")
            if floor is not None and fire.at > floor:
                return replace(fire, skipped=f"{at:%m-%d} 为{reason}，之前可改发的工作日已过")
            return None
        fire = replace(fire, moved_from=at.date(), moved_reason=reason)
        at = datetime.combine(new_day, at.timetz())
    return _out_of_quiet(replace(fire, at=at), rule, policy, urgent, floor)


def _out_of_quiet(fire: Fire, rule: Rule, policy: Policy, urgent: bool, floor: datetime | None) -> Fire:
    """Wait out quiet hours — unless the wait would land on a non-workday, after a ladder rung's
    day or in the next week/month: then go before quiet hours begin, or to the next workday."""
    cal = policy.calendar
    at = fire.at
    if not urgent and policy.in_quiet_hours(at):
        held = policy.after_quiet_hours(at)
        period = _period(rule, fire.occurrence.date() if fire.occurrence is not None else at.date())
        stays = (
            held.date() == at.date()
            or rule.shift == "none"
            or (
                cal.is_workday(held.date())
                and fire.days_before is None
                and (period is None or period[0] <= held.date() <= period[1])
            )
        )
        if stays:
            return replace(fire, at=held, quiet_from=at)
        earlier = datetime.combine(at.date(), policy.quiet_start, tzinfo=at.tzinfo) - QUIET_MARGIN
        if (
            at.time() >= policy.quiet_start
            and not policy.in_quiet_hours(earlier)
            and (floor is None or earlier > floor)
        ):
            return replace(fire, at=earlier, quiet_from=at)
        next_day = cal.next_workday(held.date())
        if fire.occurrence is not None and fire.days_before is not None and next_day > fire.occurrence.date():
            return replace(fire, at=at, skipped=f"{at:%m-%d %H:%M} 在免打扰时段，之前已来不及、之后已过截止日")
        return replace(fire, at=datetime.combine(next_day, policy.quiet_end, tzinfo=at.tzinfo), quiet_from=at)
    return replace(fire, at=at)


def _weekly(rule: Rule) -> bool:
    if rule.type != "cron":
        return False
    fields = rule.cron.split()
    return fields[4] not in ("*", "?") and fields[2] in ("*", "?")


def plan(
    rule: Rule,
    policy: Policy,
    after: datetime,
    n: int = 5,
    *,
    urgent: bool = False,
    floor: datetime | None = None,
    skip: Callable[[Fire], bool] | None = None,
) -> Plan:
    """The next ``n`` fires strictly after ``after`` (aware), in UTC, at most one per instant,
    plus the occurrences in that span that will not be sent and why (for the preview).

    ``skip`` drops fires already taken (by their occurrence key), so a config change that moves
    an occurrence later cannot make it fire a second time.
    """
    # A fire lands later than its occurrence by a forward shift or quiet hours (at most about two
    # weeks over 春节/国庆), and earlier by at most the ladder plus a backward shift.
    # Under 照常 (shift none) only quiet hours move a fire, by less than a day and only later.
    slack = timedelta(days=1 if rule.shift == "none" else 15)
    forward = slack
    backward = timedelta(days=max(rule.ladder, default=0)) + slack
    start = after.astimezone(policy.tz) - forward
    found: dict[datetime, Fire] = {}
    skipped: list[Fire] = []
    for occ in _occurrences(rule, policy, start):
        if len(found) >= n and occ - backward > sorted(found)[n - 1]:
            break
        for fire in _fires_of(rule, policy, occ, urgent, floor):
            at = fire.at.astimezone(UTC)
            if at <= after or (skip is not None and skip(fire)):
                continue
            if fire.skipped:
                skipped.append(replace(fire, at=at))
                continue
            current = found.get(at)
            if current is None:
                found[at] = replace(fire, at=at)
            elif _same_ladder(fire, current):
                # Two rungs collapsed onto one instant: send once, as the one nearer the deadline,
                # and remember the other so the preview can say so.
                near, far = (fire, current) if _closer(fire, current) else (current, fire)
                found[at] = replace(near, at=at, merged=(*near.merged, *far.merged, replace(far, merged=())))
            elif _closer(fire, current):
                found[at] = replace(fire, at=at, merged=(*fire.merged, replace(current, merged=())))
            else:
                found[at] = replace(current, merged=(*current.merged, replace(fire, at=at, merged=())))
    fires = [found[k] for k in sorted(found)[:n]]
    end = fires[-1].at if len(fires) >= n else None
    return Plan(fires, [f for f in skipped if end is None or f.at <= end])


def next_fires(
    rule: Rule,
    policy: Policy,
    after: datetime,
    n: int = 5,
    *,
    urgent: bool = False,
    floor: datetime | None = None,
    skip: Callable[[Fire], bool] | None = None,
) -> list[Fire]:
    """The next ``n`` fires strictly after ``after``; see :func:`plan`."""
    return plan(rule, policy, after, n, urgent=urgent, floor=floor, skip=skip).fires


@dataclass(frozen=True)
class Plan:
    fires: list[Fire]
    skipped: list[Fire]


def _same_ladder(fire: Fire, other: Fire) -> bool:
    return fire.days_before is not None and other.days_before is not None and fire.occurrence == other.occurrence


def _closer(fire: Fire, other: Fire) -> bool:
    """Two reminders collapsed into one instant: keep the one nearer the deadline."""
    a, b = fire.days_before, other.days_before
    return a is not None and b is not None and a < b


def describe_fire(fire: Fire, policy: Policy) -> str:
    local = fire.at.astimezone(policy.tz)
    text = f"{local:%Y-%m-%d} 周{WEEKDAYS[local.weekday()]} {local:%H:%M}"
    if fire.stage.startswith("D-") and fire.occurrence is not None:
        days = (fire.occurrence.astimezone(policy.tz).date() - local.date()).days
        text += "（截止当天）" if days == 0 else f"（截止前 {days} 天）"
    elif fire.stage == "rereminder":
        text += "（催未回执者）"
    if fire.merged and fire.days_before is not None:
        return text + _describe_merge(fire, local.date())
    if fire.moved_from:
        text += (
            f"〔{fire.moved_from:%m-%d} 为{fire.moved_reason}，已提前〕"
            if local.date() < fire.moved_from
            else (f"〔{fire.moved_from:%m-%d} 为{fire.moved_reason}，已顺延〕")
        )
    if fire.quiet_from is not None:
        planned = fire.quiet_from.astimezone(policy.tz)
        if local < planned:
            text += f"〔{planned:%H:%M} 在免打扰时段，推迟会落到非工作日或下一周期，已提前到 {local:%H:%M}〕"
        else:
            text += f"〔原定 {planned:%m-%d %H:%M} 在免打扰时段，推迟到此时〕"
    if fire.merged:
        dates = "、".join(f"{m.occurrence.astimezone(policy.tz):%m-%d}" for m in fire.merged if m.occurrence)
        text += f"〔{dates} 的推送因节假日改到同一时间，合并为这一条〕"
    return text


def describe_skipped(fire: Fire) -> str:
    """A preview line for an occurrence that will not be sent, and why."""
    return f"不发送：{fire.skipped}"


def _rung_text(fire: Fire) -> str:
    days = fire.days_before
    return "截止当天" if days == 0 else f"截止前 {days} 天"


def _describe_merge(fire: Fire, day: date) -> str:
    """Ladder rungs a holiday shift put on one day: name each planned day and why it moved."""
    rungs = sorted((fire, *fire.merged), key=lambda f: -(f.days_before or 0))
    moved = [r for r in rungs if r.moved_from]
    kept = [r for r in rungs if not r.moved_from]
    verb = "提前" if any(r.moved_from and r.moved_from > day for r in moved) else "顺延"
    moved_text = "、".join(f"{r.moved_from:%m-%d}（{_rung_text(r)}）为{r.moved_reason}" for r in moved)
    if kept:
        anchor = "、".join(_rung_text(r) for r in kept)
        return f"〔{moved_text}，已{verb}到这天，与{anchor}的提醒合并为一条〕"
    return f"〔原定 {moved_text}，合并{verb}到 {day:%m-%d}〕"


def fire_years(fire: Fire, policy: Policy) -> set[int]:
    """The years whose holidays decided this fire's day: where it lands and where it was planned."""
    years = {fire.at.astimezone(policy.tz).year}
    years.update(f.moved_from.year for f in (fire, *fire.merged) if f.moved_from)
    return years


def describe_rule(rule: Rule, policy: Policy) -> str:
    """A one-line Chinese description of the rule, for lists and confirmations."""
    if rule.type == "once":
        at = _local_iso(rule.at)
        head = f"{at:%Y-%m-%d %H:%M}" if not rule.deadline else f"{at:%Y-%m-%d}"
    elif rule.type == "cron":
        head = describe_cron(rule)
    else:
        kind, n = _day_spec(rule.day)
        months = rule.months
        if not months or len(months) == 12:
            period = "每月"
        elif months == (1, 4, 7, 10):
            period = "每季度第一个月"
        elif months == (3, 6, 9, 12):
            period = "每季度最后一个月"
        elif len(months) == 1:
            period = f"每年 {months[0]} 月"
        else:
            period = "每年 " + "、".join(str(m) for m in months) + " 月"
        day = {
            "date": f"{n}日",
            "last": "最后一天",
            "last_workday": "最后一个工作日",
            "first_workday": "第一个工作日",
            "workday": f"第 {n} 个工作日",
        }[kind]
        head = f"{period}{day}"
        if not rule.deadline:
            head += f" {rule.time}"
    if rule.deadline:
        head += " 截止"
    parts = [head]
    if rule.workdays_only and not head.startswith("每个工作日"):
        parts.append("仅工作日")
    if rule.ladder:
        ladder = "、".join("当天" if d == 0 else f"{d} 天" for d in sorted(set(rule.ladder), reverse=True))
        parts.append(f"提前 {ladder}（{rule.ladder_time}）提醒")
    if rule.event_at:
        parts.append(f"会议时间 {_local_iso(rule.event_at):%Y-%m-%d %H:%M}")
    if rule.rereminder_minutes:
        parts.append(f"会前 {_minutes_text(rule.rereminder_minutes)}催未回执者")
    if rule.shift == "none":
        parts.append("节假日照常发送")
    elif rule.shift == "next":
        parts.append("遇节假日顺延")
    return "，".join(parts)


def describe_cron(rule: Rule) -> str:
    """A cron rule in words (每周一 09:00, 每个工作日 08:30); people are never shown cron syntax."""
    minute, hour, day, month, dow = rule.cron.split()
    if not (minute.isdigit() and hour.isdigit()):
        return "按自定义时间表重复（请在 /提醒 查看 中核对接下来的发送时间）"
    at = f"{int(hour):02d}:{int(minute):02d}"
    days = [d for d in re.split(r"[,，]", dow) if d]
    if day in ("*", "?") and month == "*" and dow in ("*", "?"):
        return f"每个工作日 {at}" if rule.workdays_only else f"每天 {at}"
    if day in ("*", "?") and month == "*" and all(d.isdigit() and int(d) <= 7 for d in days):
        names = "、".join("周" + WEEKDAYS[(int(d) - 1) % 7] for d in days)
        return f"每{names} {at}"
    if day.isdigit() and month == "*" and dow in ("*", "?"):
        return f"每月{int(day)}日 {at}"
    return f"按自定义日期重复，{at}（请在 /提醒 查看 中核对接下来的发送时间）"


def _minutes_text(minutes: int) -> str:
    if minutes % 1440 == 0:
        return f"{minutes // 1440} 天"
    if minutes % 60 == 0:
        return f"{minutes // 60} 小时"
    return f"{minutes} 分钟"


def unknown_years(rule: Rule, policy: Policy, fires: list[Fire]) -> list[int]:
    """Years among the fires whose statutory holidays are not known yet."""
    years = sorted(set().union(*(fire_years(f, policy) for f in fires))) if fires else []
    return [y for y in years if not policy.calendar.knows_year(y)]
