"""Two instances share one PostgreSQL: one leads; kill it mid-send and the other finishes, nothing doubled."""

from __future__ import annotations

import signal

import pytest

from tests.scheduling.service_process import (
    copies_per_person,
    counts,
    outbox_texts,
    seed_admin,
    seed_notice,
    start_service,
    stop,
    unsent_notice_rows,
    wait_for,
)

PEOPLE = 600


async def test_second_instance_takes_over_when_the_leader_is_killed(db_url, config_for, tmp_path):
    if not db_url.startswith("postgresql"):
        pytest.skip("several instances share a database only on PostgreSQL")
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


async def test_a_hung_leader_loses_its_lease_and_the_standby_finishes_without_doubling(db_url, config_for, tmp_path):
    """kill -STOP the leader mid-send (issue 11, item 9): it keeps its connection, yet after
    lease_seconds the standby takes over, sends the rest and tells the admins; woken up, the old
    leader finds its epoch fenced off and steps down — every person still has one copy."""
    if not db_url.startswith("postgresql"):
        pytest.skip("several instances share a database only on PostgreSQL")
    config = config_for(db_url)
    await seed_admin(config)
    lease = {"ORGBOT_SCHEDULER_LEASE_SECONDS": "3"}
    a, a_log = start_service(db_url, tmp_path, "a", per_second=150, **lease)
    b = None
    try:
        await wait_for(lambda: "became the scheduling leader" in a_log.read_text(encoding="utf-8"), "a to lead")
        b, b_log = start_service(db_url, tmp_path, "b", per_second=150, **lease)
        await wait_for(lambda: "scheduler started" in b_log.read_text(encoding="utf-8"), "b to start")
        await seed_notice(config, PEOPLE)

        async def some_sent() -> bool:
            inbox, _ = await counts(db_url)
            return inbox >= 100

        await wait_for(some_sent, "the leader to start sending")
        a.send_signal(signal.SIGSTOP)
        inbox_at_stop, _ = await counts(db_url)
        assert inbox_at_stop < PEOPLE, "the stop must land mid-send"

        async def all_sent() -> bool:
            return len(await copies_per_person(db_url)) >= PEOPLE and not await unsent_notice_rows(db_url)

        await wait_for(all_sent, "b to take over and finish", timeout=90)
        assert "took the scheduler lease over" in b_log.read_text(encoding="utf-8")
        # The admins are told (sent at once, or after quiet hours: it is not urgent).
        notices = await outbox_texts(db_url, "admin1")
        assert len(notices) == 1 and "【定时推送服务接管】" in notices[0]

        a.send_signal(signal.SIGCONT)
        await wait_for(lambda: "lost the scheduler lease" in a_log.read_text(encoding="utf-8"), "a to step down")
    finally:
        if a.poll() is None:
            a.send_signal(signal.SIGCONT)
        stop(a)
        if b is not None:
            stop(b)
    copies = await copies_per_person(db_url)
    assert copies.pop("admin1", 1) == 1
    assert len(copies) == PEOPLE and set(copies.values()) == {1}


async def test_second_instance_on_one_sqlite_file_is_refused_at_start_with_a_clear_message(db_url, tmp_path):
    """Issue 11, item 12: two `orgbot run` on one SQLite file both claimed the scheduler."""
    if not db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL runs several instances on purpose")
    a, a_log = start_service(db_url, tmp_path, "a")
    try:
        await wait_for(lambda: "became the scheduling leader" in a_log.read_text(encoding="utf-8"), "a to lead")
        b, b_log = start_service(db_url, tmp_path, "b")
        try:
            assert b.wait(timeout=60) == 2
        finally:
            stop(b)
        message = b_log.read_text(encoding="utf-8")
        assert "另一个 orgbot 实例" in message and f"进程 {a.pid}" in message and "PostgreSQL" in message
        assert "database is locked" not in message and "Traceback" not in message
        assert a.poll() is None, "the first instance keeps running"
    finally:
        stop(a)
    # Once the first has stopped, the file is free again.
    c, c_log = start_service(db_url, tmp_path, "c")
    try:
        await wait_for(lambda: "became the scheduling leader" in c_log.read_text(encoding="utf-8"), "c to lead")
    finally:
        stop(c)
