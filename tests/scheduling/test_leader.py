"""Two instances share one PostgreSQL: one leads; kill it mid-send and the other finishes, nothing doubled."""

from __future__ import annotations

import signal

import pytest

from tests.scheduling.service_process import copies_per_person, counts, seed_notice, start_service, stop, wait_for

PEOPLE = 600


async def test_second_instance_takes_over_when_the_leader_is_killed(db_url, config_for, tmp_path):
    if not db_url.startswith("postgresql"):
        pytest.skip("the leader lock is a PostgreSQL advisory lock; SQLite runs one instance")
    config = config_for(db_url)
    a, a_log = start_service(db_url, tmp_path, "a", per_second=150)
    b = None
    try:
        await wait_for(lambda: "became the scheduling leader" in a_log.read_text(encoding="utf-8"), "a to lead")
        b, b_log = start_service(db_url, tmp_path, "b", per_second=150)
        await wait_for(lambda: "scheduler started" in b_log.read_text(encoding="utf-8"), "b to start")
        assert "became the scheduling leader" not in b_log.read_text(encoding="utf-8")

        await seed_notice(config, PEOPLE)

        async def some_sent() -> bool:
            inbox, _ = await counts(db_url)
            return inbox >= 100

        await wait_for(some_sent, "the leader to start sending")
        a.send_signal(signal.SIGKILL)
        a.wait(timeout=10)
        inbox_at_kill, _ = await counts(db_url)
        assert inbox_at_kill < PEOPLE, "the kill must land mid-send"

        async def all_sent() -> bool:
            inbox, waiting = await counts(db_url)
            return waiting == 0 and inbox >= PEOPLE

        await wait_for(all_sent, "b to take over and finish", timeout=60)
        assert "became the scheduling leader" in b_log.read_text(encoding="utf-8")
    finally:
        stop(a)
        if b is not None:
            stop(b)
    copies = await copies_per_person(db_url)
    assert len(copies) == PEOPLE and set(copies.values()) == {1}
