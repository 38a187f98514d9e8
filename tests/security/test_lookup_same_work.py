"""Attack: tell which cadre IDs exist from how long a refusal takes.

A refused lookup of an existing ID used to take 3-4 ms longer than one of an unknown ID
(it loaded the whole record twice). Timing is measured by bench/lookup_timing.py; this
test proves the cause is gone: the two refusals run the very same SQL statements, in
the same order, and answer with the same text, for any pair of IDs a person may not see.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from bot.app import OrgBot
from bot.cadres.demo import seed_demo
from bot.clock import ManualClock
from tests.conftest import say

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ALL_IDS = [f"A{n}" for n in range(1001, 1013)]
# Out of reach: demo_staff sees only A1001; demo_organizer sees unit U0101 and below.
HIDDEN = {
    "demo_staff": [i for i in ALL_IDS if i != "A1001"],
    "demo_organizer": ["A1005", "A1006", "A1007", "A1008", "A1009", "A1010", "A1011"],
}
VISIBLE = {"demo_staff": ["A1001"], "demo_organizer": ["A1001", "A1002", "A1003", "A1004", "A1012"]}


@contextmanager
def statements(bot: OrgBot) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(bot.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(bot.engine.sync_engine, "before_cursor_execute", record)


@pytest.fixture
async def probe_bot(make_bot) -> OrgBot:
    # No answer workers: their idle inbox poll would land among the recorded statements.
    bot = await make_bot(
        clock=ManualClock(NOW),
        answering=False,
        ORGBOT_CADRES_LOOKUPS_PER_MINUTE="100000",
        ORGBOT_CADRES_LOOKUPS_PER_DAY="100000",
    )
    await seed_demo(bot)
    return bot


def unknown_ids(viewer: str) -> st.SearchStrategy[str]:
    """Unknown IDs that, like the hidden ones, are part of no ID the viewer may see (no suggestion list)."""
    return st.from_regex(r"[A-Z][0-9]{3,5}", fullmatch=True).filter(
        lambda i: i not in ALL_IDS and not any(i in v for v in VISIBLE[viewer])
    )


@settings(
    max_examples=12,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), viewer=st.sampled_from(sorted(HIDDEN)), command=st.sampled_from(["干部", "培训", "后备"]))
async def test_refusing_an_existing_and_an_unknown_id_runs_the_same_statements(probe_bot, data, viewer, command):
    hidden = data.draw(st.sampled_from(HIDDEN[viewer]), label="hidden")
    unknown = data.draw(unknown_ids(viewer), label="unknown")
    with statements(probe_bot) as for_hidden:
        hidden_reply = await say(probe_bot, viewer, f"/{command} {hidden}")
    with statements(probe_bot) as for_unknown:
        unknown_reply = await say(probe_bot, viewer, f"/{command} {unknown}")
    assert for_hidden == for_unknown
    assert "没有找到您有权查看" in hidden_reply
    assert hidden_reply.replace(hidden, "<ID>") == unknown_reply.replace(unknown, "<ID>")
