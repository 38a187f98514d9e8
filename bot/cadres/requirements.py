"""How many study hours a cadre owes, and how many count, under the 干部教育培训工作条例 (2023).

Per the regulation as summarized by 12371.cn (see docs/domain.md §5): cadres at 县处级
and above need 3 months or 550 学时 over a rolling five years; cadres at 乡科级 and below
need 12 days or 90 学时 every calendar year. All figures come from [cadres] config.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.cadres.config import CadresConfig
from bot.cadres.models import TrainingRecord

# Status words that mean the hours are earned; anything else (在学, 未结业, 退学…) is shown but not counted.
COUNTED_STATUSES = frozenset({"", "已结业", "结业", "已完成", "完成", "合格", "已合格", "通过", "已通过"})


@dataclass(frozen=True)
class Requirement:
    tier: str
    yearly_hours: float
    five_year_hours: float | None

    @property
    def label(self) -> str:
        if self.five_year_hours:
            return f"{self.tier}：5 年累计不少于 {self.five_year_hours:g} 学时（年均参考 {self.yearly_hours:g} 学时）"
        return f"{self.tier}：每年不少于 {self.yearly_hours:g} 学时"


@dataclass(frozen=True)
class Progress:
    requirement: Requirement
    year: int
    year_hours: float
    window_hours: float
    window_start: int

    @property
    def year_missing(self) -> float:
        return max(0.0, self.requirement.yearly_hours - self.year_hours)

    @property
    def window_missing(self) -> float:
        return max(0.0, (self.requirement.five_year_hours or 0) - self.window_hours)

    @property
    def met(self) -> bool:
        if self.requirement.five_year_hours:
            return self.window_missing == 0
        return self.year_missing == 0


def is_division_rank(rank: str, config: CadresConfig) -> bool:
    return any(word in rank for word in config.division_rank_keywords)


def requirement_for(rank: str, config: CadresConfig) -> Requirement:
    if is_division_rank(rank, config):
        return Requirement("县处级及以上", config.division_yearly_hours, config.division_five_year_hours)
    return Requirement("乡科级及以下", config.section_yearly_hours, None)


def counts(record: TrainingRecord) -> bool:
    return record.status.strip() in COUNTED_STATUSES


def record_year(record: TrainingRecord) -> int:
    """Hours belong to the year the course ended (a class over New Year counts when it finishes)."""
    return (record.end_date or record.start_date).year


def progress(rank: str, records: Iterable[TrainingRecord], year: int, config: CadresConfig) -> Progress:
    req = requirement_for(rank, config)
    window_start = year - 4
    year_hours = 0.0
    window_hours = 0.0
    for r in records:
        if not counts(r):
            continue
        y = record_year(r)
        if y == year:
            year_hours += r.hours
        if window_start <= y <= year:
            window_hours += r.hours
    return Progress(req, year, year_hours, window_hours, window_start)
