"""The pace rule over generated cadres, days and rank changes (pure: no database)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.cadres.alerts import standing, year_requirement
from bot.cadres.models import Cadre, TrainingRecord
from bot.config import CadresConfig
from tests.scheduling.strategies import PROPERTY_SETTINGS

CONFIG = CadresConfig()
RANKS = ["正科", "副科", "一级主任科员", "副处", "正处", "四级调研员"]
days = st.dates(date(2026, 1, 1), date(2026, 12, 31))


@st.composite
def cadres(draw: st.DrawFn) -> tuple[Cadre, list[TrainingRecord]]:
    rank = draw(st.sampled_from(RANKS))
    changed = draw(st.one_of(st.none(), st.dates(date(2022, 1, 2), date(2026, 12, 31))))
    cadre = Cadre(cadre_id="A1", name="甲", unit_code="U1", rank=rank)
    cadre.previous_rank = draw(st.sampled_from(RANKS)) if changed else ""
    cadre.rank_since = changed
    records = [
        TrainingRecord(cadre_id="A1", course=f"课{i}", start_date=d, end_date=d, hours=h, status="已结业")
        for i, (d, h) in enumerate(
            draw(st.lists(st.tuples(st.dates(date(2020, 1, 1), date(2026, 12, 31)), st.integers(1, 200)), max_size=8))
        )
    ]
    return cadre, records


@PROPERTY_SETTINGS
@given(case=cadres(), day=days, extra=st.integers(1, 200))
def test_more_hours_never_put_a_cadre_behind(case, day: date, extra: int) -> None:
    cadre, records = case
    before = standing(cadre, records, day, CONFIG)
    more = [*records, TrainingRecord(course="补", start_date=day, end_date=day, hours=extra, status="已结业")]
    after = standing(cadre, more, day, CONFIG)
    assert after.done >= before.done
    assert not (after.behind and not before.behind)
    if before.done >= before.target:
        assert not before.behind


@PROPERTY_SETTINGS
@given(case=cadres(), day=days, later=st.integers(0, 200))
def test_pace_only_rises_through_the_year(case, day: date, later: int) -> None:
    cadre, records = case
    other = min(day + timedelta(days=later), date(day.year, 12, 31))
    assert standing(cadre, records, other, CONFIG).expected >= standing(cadre, records, day, CONFIG).expected
    assert (
        standing(cadre, records, date(day.year, 12, 31), CONFIG).expected
        == standing(cadre, records, day, CONFIG).target
    )


@PROPERTY_SETTINGS
@given(case=cadres(), day=days)
def test_a_rank_change_is_paid_at_each_rank_for_the_time_it_was_held(case, day: date) -> None:
    cadre, records = case
    s = standing(cadre, records, day, CONFIG)
    rates = (CONFIG.section_yearly_hours, CONFIG.division_five_year_hours / 5)
    years = 5 if s.window_start is not None else 1
    assert min(rates) * years - 1e-6 <= s.target <= max(rates) * years + 1e-6
    if cadre.rank_since is None:
        assert s.target == (
            CONFIG.division_five_year_hours if s.window_start is not None else CONFIG.section_yearly_hours
        )
    else:
        year = cadre.rank_since.year
        share = year_requirement(cadre, year, CONFIG)
        lo, hi = sorted((year_requirement(cadre, year - 1, CONFIG), year_requirement(cadre, year + 1, CONFIG)))
        assert lo - 1e-6 <= share <= hi + 1e-6
