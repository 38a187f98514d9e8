"""Invariants over every state-changing console route: a missing or forged CSRF token (or another
site's request) is always refused and changes nothing; with a valid token, every action is audited."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.auth.logins import csrf_for
from bot.cadres.models import TrainingRecord
from bot.console.site import page_routes
from bot.scheduling.models import OutboxRow, Schedule, ScheduleChange
from bot.storage.models import AuditEntry, Staff
from tests.console.conftest import audit_rows


def _concrete(path: str) -> list[str]:
    path = re.sub(r"\{id:[^}]*\}", "1", path)
    path = re.sub(r"\{kind\}", "cadres", path)
    found = re.search(r"\{op:([^}]*)\}", path)
    if not found:
        return [f"/admin{path}"]
    return [f"/admin{path[: found.start()]}{op}{path[found.end() :]}" for op in found.group(1).split("|")]


POSTS = sorted({p for r in page_routes() if r.method == "POST" for p in _concrete(r.path)})
AUDITED_POSTS = sorted({p for r in page_routes() if r.method == "POST" and not r.quiet for p in _concrete(r.path)})
# Form fields that would make each action do something real, if the guard let it through.
FORM = {
    "name": "越权提醒",
    "when": "每周一 9:00",
    "to": "@demo_staff",
    "event": "12月5日下午3点",
    "doc": "培训规定",
    "answer": "答案",
    "q": "A1002",
}


async def fingerprint(bot) -> tuple:
    async with bot.db() as session:
        schedules = tuple((await session.execute(select(Schedule.id, Schedule.status, Schedule.name))).all())
        outbox = tuple((await session.execute(select(OutboxRow.id, OutboxRow.status, OutboxRow.attempts))).all())
        changes = await session.scalar(select(func.count()).select_from(ScheduleChange))
        training = await session.scalar(select(func.count()).select_from(TrainingRecord))
        staff = await session.scalar(select(func.count()).select_from(Staff))
    kb = await bot.kb.get()
    docs = tuple(d.doc_key for d in await kb.list_documents())
    return schedules, outbox, changes, training, staff, docs, (await kb.stats())["unanswered"]


@pytest.fixture
async def seeded(console):
    c = await console("demo_admin")
    resp = await c.post("/admin/schedules/new", {"name": "周报", "when": "每周一 9:00", "to": "@demo_staff"})
    assert resp.status == 303
    now = c.bot.clock.now()
    async with c.bot.db() as session, session.begin():
        session.add(
            OutboxRow(idempotency_key="k", fire_at=now, channel="local", text="x", status="failed", next_attempt_at=now)
        )
    kb = await c.bot.kb.get()
    await kb.record_unanswered("一个没人答过的问题", user_id="demo_staff")
    return c


@settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(POSTS),
    how=st.sampled_from(["missing", "forged", "other-session", "cross-site"]),
    forged=st.text(alphabet="0123456789abcdef", min_size=0, max_size=64),
)
async def test_invariant_no_valid_csrf_token_nothing_changes(seeded, path, how, forged):
    c = seeded
    before = await fingerprint(c.bot)
    refusals = len(await audit_rows(c.bot, outcome="refused", channel="console"))
    headers = {}
    if how == "missing":
        resp = await c.post(path, FORM, csrf=None)
    elif how == "forged":
        resp = await c.post(path, FORM, csrf=forged or "0")
    elif how == "other-session":
        resp = await c.post(path, FORM, csrf=csrf_for("another-session-" + forged))
    else:
        headers = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
        resp = await c.post(path, FORM, headers=headers)
    assert resp.status == 403, (path, how, await resp.text())
    assert "安全校验失败" in await resp.text()
    assert await fingerprint(c.bot) == before
    assert len(await audit_rows(c.bot, outcome="refused", channel="console")) == refusals + 1


@pytest.mark.parametrize("path", AUDITED_POSTS)
async def test_every_action_with_a_valid_token_is_audited(seeded, path):
    c = seeded
    async with c.bot.db() as session:
        last = await session.scalar(select(func.max(AuditEntry.id))) or 0
    resp = await c.post(path, FORM)
    assert resp.status in (200, 303, 403, 404), (path, resp.status, await resp.text())
    async with c.bot.db() as session:
        rows = list(await session.scalars(select(AuditEntry).where(AuditEntry.id > last)))
    mine = [r for r in rows if r.channel == "console" and r.actor == "demo_admin"]
    assert mine, f"{path}: no audit row with channel console"


async def test_without_a_session_a_post_is_refused_and_changes_nothing(console, seeded):
    anonymous = await console(None)
    before = await fingerprint(seeded.bot)
    for path in POSTS:
        resp = await anonymous.post(path, FORM, csrf=seeded.csrf)
        assert resp.status == 401, path
    assert await fingerprint(seeded.bot) == before
