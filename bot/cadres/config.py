"""The ``[cadres]`` section: lookup limits and the training-hour rules, owned by the cadre features."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CadresConfig:
    lookups_per_minute: int = 20
    lookups_per_day: int = 300
    # 干部教育培训工作条例 (2023): 县处级及以上 5 年累计 ≥550 学时; 乡科级及以下每年 ≥90 学时.
    division_five_year_hours: int = 550
    division_yearly_hours: int = 110
    section_yearly_hours: int = 90
    hours_per_day: float = 8.0
    division_rank_keywords: list[str] = field(
        default_factory=lambda: ["部", "厅", "局", "处", "县", "巡视员", "调研员"]
    )
