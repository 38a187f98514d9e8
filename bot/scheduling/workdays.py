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

    @classmethod
    def from_config(cls, holidays: Iterable[str], workdays: Iterable[str]) -> WorkCalendar:
        return cls(_parse_dates(holidays, "extra_holidays"), _parse_dates(workdays, "extra_workdays"))

    def knows_year(self, year: int) -> bool:
        """True when the statutory holidays of ``year`` are known (from the package or from config)."""
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
            return True
        except NotImplementedError:
            return any(d.year == year for d in self.extra_holidays)

    def is_workday(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        if day not in self._known:
            self._known[day] = _statutory_workday(day)
        known = self._known[day]
        return day.weekday() < 5 if known is None else known

    def holiday_name(self, day: date) -> str:
        if self.is_workday(day):
            return ""
        try:
            _, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            name = None
        if name:
            return HOLIDAY_NAMES.get(name, "节假日")
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
