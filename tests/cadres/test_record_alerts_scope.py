"""A summary never names a cadre outside its recipient's scope, over generated unit trees and scopes.

The oracle is independent of the code under test: a cadre is in an organizer's scope when the
organizer's unit is its unit or an ancestor of it, found by walking the parent links upward.
Each example writes its tree to the real database and asks the service for the checkpoint.
"""

from __future__ import annotations

import os
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from bot.cadres import alert_text, alerts
from bot.cadres.models import Cadre, ReserveRecord, TrainingRecord, Unit
from bot.storage.models import Staff
from tests.scheduling.strategies import PROPERTY_SETTINGS

EXAMPLES = max(8, int(os.environ.get("ORGBOT_PROPERTY_EXAMPLES", "150")) // 10)
DAY = date(2026, 9, 30)


@st.composite
def worlds(draw: st.DrawFn) -> dict:
    n_units = draw(st.integers(1, 7))
    # Each unit's parent comes before it (a tree), or is absent, or names a unit not in the tree.
    parents = [
        draw(st.one_of(st.none(), st.just("X9"), st.sampled_from([f"U{j}" for j in range(i)] or ["X9"])))
        for i in range(n_units)
    ]
    codes = [f"U{i}" for i in range(n_units)]
    cadres = draw(
        st.lists(
            st.tuples(st.sampled_from(codes), st.sampled_from(["正科", "副处"]), st.integers(0, 120), st.booleans()),
            min_size=1,
            max_size=10,
        )
    )
    scopes = draw(st.lists(st.sampled_from([*codes, "X9"]), min_size=1, max_size=3))
    return {"parents": dict(zip(codes, parents, strict=True)), "cadres": cadres, "scopes": scopes}


def oracle_in_scope(parents: dict[str, str | None], scope: str, unit: str) -> bool:
    node: str | None = unit
    seen: set[str] = set()
    while node is not None and node not in seen:
        if node == scope:
            return True
        seen.add(node)
        node = parents.get(node)
    return False


async def _write(bot, world: dict) -> dict[str, str]:
    """The world in the database; returns cadre ID → unit."""
    async with bot.db() as session, session.begin():
        for table in (TrainingRecord, ReserveRecord, Cadre, Unit, Staff):
            await session.execute(delete(table))
        for code, parent in world["parents"].items():
            session.add(Unit(code=code, name=f"单位{code}", parent_code=parent))
        units: dict[str, str] = {}
        for i, (unit, rank, hours, reserve) in enumerate(world["cadres"]):
            cid = f"C{1000 + i}"
            units[cid] = unit
            session.add(Cadre(cadre_id=cid, name=f"名{cid}", unit_code=unit, rank=rank))
            await session.flush()
            session.add(TrainingRecord(cadre_id=cid, course="课", start_date=date(2026, 3, 1), hours=hours))
            if reserve:
                session.add(ReserveRecord(cadre_id=cid, level="副处级后备", entered_on=date(2020, 1, 1)))
        session.add(Staff(user_id="adm", name="管理", role="admin"))
        for k, scope in enumerate(world["scopes"]):
            session.add(Staff(user_id=f"o{k}", name=f"组织{k}", role="organizer", unit_scope=scope))
    return units


@settings(PROPERTY_SETTINGS, max_examples=EXAMPLES)
@given(world=worlds())
async def test_summaries_name_only_cadres_in_the_recipients_scope(bot, world: dict) -> None:
    units = await _write(bot, world)
    config = bot.config.cadres
    scopes = {f"o{k}": scope for k, scope in enumerate(world["scopes"])}
    async with bot.db() as session:
        training = await alerts.training_plan(session, DAY, config)
        reserve = await alerts.reserve_plan(session, DAY, config)

    def check(user: str, named: list[str], text: str) -> None:
        scope = scopes[user]
        for cid, unit in units.items():
            inside = oracle_in_scope(world["parents"], scope, unit)
            if cid in named:
                assert inside, (user, scope, cid, unit)
            if not inside:
                assert cid not in text and f"名{cid}" not in text, (user, scope, cid)

    for s in training.summaries:
        check(s.user_id, [b.cadre_id for b in s.behind], alert_text.organizer_summary(s, DAY, {}, 100))
        expected = sum(1 for unit in units.values() if oracle_in_scope(world["parents"], scopes[s.user_id], unit))
        assert s.total == expected  # and nobody in scope is left out
    for r in reserve.summaries:
        check(r.user_id, [f.cadre_id for f in r.findings], alert_text.reserve_summary(r, DAY, {}, 2, 90))
    summarized = {s.user_id for s in training.summaries}
    for user, scope in scopes.items():
        has_cadres = any(oracle_in_scope(world["parents"], scope, unit) for unit in units.values())
        assert (user in summarized) == has_cadres
