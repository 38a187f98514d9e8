"""Which days are workdays in mainland China: statutory holidays, make-up workdays (调休), config overrides.

The chinese-calendar package only knows the years the State Council has announced;
for a later year the calendar falls back to plain weekends and says so, so that a
preview can warn the admin instead of silently trusting weekends.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar

from bot.config import ConfigError


class CalendarDateError(ConfigError):
    """A bad date in [scheduler] extra_holidays / extra_workdays: start-up stops naming it."""


# Holidays whose dates never change: they are holidays every year, announced or not.
FIXED_HOLIDAYS = {(1, 1): "元旦", (5, 1): "劳动节", (10, 1): "国庆节", (10, 2): "国庆节", (10, 3): "国庆节"}
# 春节 (Spring Festival) always falls in this window; a config is taken to cover a year only
# once it names a holiday inside it, since one stray extra day says nothing about 春节.
SPRING_FESTIVAL_WINDOW = ((1, 20), (2, 21))


def _statutory_workday(day: date) -> bool | None:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def _parse_dates(values: Iterable[str], key: str) -> frozenset[date]:
    out = set()
    for raw in values:
        try:
            out.add(date.fromisoformat(raw.strip()))
        except ValueError as exc:
            raise CalendarDateError(f"[scheduler] {key} 中的日期 {raw!r} 应写成 2027-01-01 的形式") from exc
    return frozenset(out)


@dataclass(frozen=True)
class WorkCalendar:
    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)
    # The package validates every call against its whole table, which is slow; remember answers.
    _known: dict[date, bool | None] = field(default_factory=dict, compare=False, hash=False, repr=False)
    _names: dict[date, str] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def from_config(cls, holidays: Iterable[str], workdays: Iterable[str]) -> WorkCalendar:
        return cls(_parse_dates(holidays, "extra_holidays"), _parse_dates(workdays, "extra_workdays"))

    def knows_year(self, year: int) -> bool:
        """True when the statutory holidays of ``year`` are known: from the package, or from config
        entries that include 春节 (a lone extra day such as 01-01 does not make a year known)."""
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
            return True
        except NotImplementedError:
            start, end = (date(year, *md) for md in SPRING_FESTIVAL_WINDOW)
            return any(start <= d <= end for d in self.extra_holidays)

    def is_workday(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        if day not in self._known:
            self._known[day] = _statutory_workday(day)
        known = self._known[day]
        if known is None:
            return (day.month, day.day) not in FIXED_HOLIDAYS and day.weekday() < 5
        return known

    def holiday_name(self, day: date) -> str:
        if day not in self._names:
            self._names[day] = self._holiday_name(day)
        return self._names[day]

    def _holiday_name(self, day: date) -> str:
        if self.is_workday(day):
            return ""
        try:
            _, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            name = None
        if name:
            return HOLIDAY_NAMES.get(name, "节假日")
        if (day.month, day.day) in FIXED_HOLIDAYS and day not in self.extra_holidays:
            return FIXED_HOLIDAYS[(day.month, day.day)]
        return "周末" if day.weekday() >= 5 else "节假日"

    def previous_workday(self, day: date) -> date:
        """``day`` itself when it is a workday, else the closest workday before it."""
        for _ in range(60):
            if self.is_workday(day):
                return day
            day -= timedelta(days=1)
        raise CalendarDateError("前 60 天内没有工作日，请检查节假日配置")

    def next_workday(self, day: date) -> date:
        for _ in range(60):
            if self.is_workday(day):
                return day
            day += timedelta(days=1)
        raise CalendarDateError("后 60 天内没有工作日，请检查节假日配置")

    def workdays_of_month(self, year: int, month: int) -> list[date]:
        day = date(year, month, 1)
        out = []
        while day.month == month:
            if self.is_workday(day):
                out.append(day)
            day += timedelta(days=1)
        return out


HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "纪念日",
}
