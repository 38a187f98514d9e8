"""Imports date what the reminders need: a rank change, a new 考察 stage, the import itself."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.cadres.importer import import_files
from bot.cadres.models import Cadre, RecordImport, ReserveRecord
from tests.cadres.conftest import NOW
from tests.scheduling.records_data import CADRES, RESERVE, UNITS, sheet


async def test_an_import_dates_rank_and_stage_changes_and_a_dry_run_records_nothing(bot, tmp_path):
    first = [
        sheet(tmp_path / "a", "单位", UNITS, ["U1,单位,"]),
        sheet(tmp_path / "a", "干部", CADRES, ["A1,甲,U1,科长,正科", "A2,乙,U1,科员,副科"]),
        sheet(tmp_path / "a", "后备干部", RESERVE, ["A1,副处级后备,2024-01-01,未考察,"]),
    ]
    assert (await import_files(bot.db, first, now=NOW)).applied
    later = NOW.replace(year=2027, month=3, day=5)
    second = [
        sheet(tmp_path / "b", "干部", CADRES, ["A1,甲,U1,副县长,副处", "A2,乙,U1,科员,副科"]),
        sheet(tmp_path / "b", "后备干部", RESERVE, ["A1,副处级后备,2024-01-01,考察中,"]),
    ]
    assert (await import_files(bot.db, second, now=later, dry_run=True)).applied is False
    async with bot.db() as session:
        assert len(list(await session.scalars(select(RecordImport)))) == 1
        assert (await session.get(Cadre, "A1")).rank_since is None
    assert (await import_files(bot.db, second, now=later)).applied
    async with bot.db() as session:
        a1, a2 = await session.get(Cadre, "A1"), await session.get(Cadre, "A2")
        assert (a1.previous_rank, a1.rank_since) == ("正科", date(2027, 3, 5))
        assert (a2.previous_rank, a2.rank_since) == ("", None)
        reserve = await session.scalar(select(ReserveRecord))
        assert reserve.stage_since == date(2027, 3, 5)
        imports = list(await session.scalars(select(RecordImport).order_by(RecordImport.id)))
        assert [i.kinds for i in imports] == ["cadres,reserve,units", "cadres,reserve"]
        assert imports[-1].at == later
