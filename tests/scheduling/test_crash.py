"""SIGKILL the service in the middle of sending a notice to 1,000 people; after a restart each has one copy."""

from __future__ import annotations

import signal

from tests.scheduling.service_process import copies_per_person, counts, seed_notice, start_service, stop, wait_for

PEOPLE = 1000


async def test_killed_mid_send_then_restarted_every_recipient_has_exactly_one_copy(db_url, config_for, tmp_path):
    await seed_notice(config_for(db_url), PEOPLE)

    first, _ = start_service(db_url, tmp_path, "first")
    try:

        async def some_sent() -> bool:
            inbox, _ = await counts(db_url)
            return inbox >= 100

        await wait_for(some_sent, "the first pushes to arrive")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        stop(first)
    inbox_at_kill, waiting_at_kill = await counts(db_url)
    assert 100 <= inbox_at_kill < PEOPLE and waiting_at_kill > 0, "the kill must land mid-send"

    second, _ = start_service(db_url, tmp_path, "second")
    try:

        async def all_sent() -> bool:
            inbox, waiting = await counts(db_url)
            return waiting == 0 and inbox >= PEOPLE

        await wait_for(all_sent, "the rest to be sent after the restart")
    finally:
        stop(second)
    copies = await copies_per_person(db_url)
    assert len(copies) == PEOPLE
    assert set(copies.values()) == {1}, {k: v for k, v in copies.items() if v != 1}
