"""Hole 2 of the security issue: one API token acted as every user. Replayed against a running app."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.messages import Outgoing, Reply, Target
from bot.storage.models import AuditEntry
from tests.security.conftest import A1002_ID_NUMBER, AUTH

LOOKUP = "/干部 A1002"


async def ask(client, user_id: str, text: str = LOOKUP) -> str:
    resp = await client.post("/api/v1/chat", json={"user_id": user_id, "text": text}, headers=AUTH)
    assert resp.status == 200, await resp.text()
    return "\n".join(r["text"] for r in (await resp.json())["replies"])


async def test_token_without_act_as_naming_an_admin_gets_a_guest_refusal(running):
    bot, client = await running()
    answer = await ask(client, "demo_admin")
    assert A1002_ID_NUMBER not in answer and "李娜" not in answer
    assert "已登记的工作人员" in answer
    assert "访客" in await ask(client, "demo_admin", "/帮助")
    async with bot.db() as session:
        rows = list(await session.scalars(select(AuditEntry).where(AuditEntry.query == LOOKUP)))
    assert [(r.actor, r.actor_role, r.channel, r.outcome) for r in rows] == [
        ("api:demo_admin", "guest", "http", "denied")
    ]


async def test_the_same_request_succeeds_for_an_identity_the_token_may_act_as(running):
    """The control: the attack above would have worked, so the refusal is the rule's doing."""
    _, client = await running(ORGBOT_API_ACT_AS="demo_admin")
    assert A1002_ID_NUMBER in await ask(client, "demo_admin")
    assert A1002_ID_NUMBER not in await ask(client, "demo_organizer")
    assert "访客" in await ask(client, "demo_organizer", "/帮助")


async def test_star_is_everyone(running):
    _, client = await running(ORGBOT_API_ACT_AS="*")
    assert A1002_ID_NUMBER in await ask(client, "demo_admin")


async def test_the_guest_identity_cannot_be_turned_into_staff(running):
    """``api:demo_admin`` is the token's guest, whatever act_as says, and no staff record can take that name."""
    _, client = await running(ORGBOT_API_ACT_AS="*")
    answer = await ask(client, "api:demo_admin")
    assert A1002_ID_NUMBER not in answer and "已登记的工作人员" in answer


async def test_token_cannot_read_or_consume_another_persons_inbox(running):
    bot, client = await running(ORGBOT_API_ACT_AS="demo_staff")
    await bot.deliver(Outgoing(Target("local", user_id="demo_admin"), Reply("干部任免材料请于周五前报送")))
    resp = await client.get("/api/v1/inbox", params={"user_id": "demo_admin"}, headers=AUTH)
    assert resp.status == 403
    assert "act_as" in (await resp.json())["error"]
    resp = await client.get("/api/v1/inbox", params={"user_id": "demo_staff"}, headers=AUTH)
    assert resp.status == 200 and (await resp.json())["messages"] == []
    # Nothing was lost: the push still waits for its owner.
    from bot.channels.local import fetch_inbox

    assert [p.text for p in await fetch_inbox(bot, "demo_admin")] == ["干部任免材料请于周五前报送"]


@pytest.fixture
async def default_app(running):
    """One running app with the default config (no act_as), shared by the examples of a property test."""
    return await running()


user_ids = st.one_of(
    st.sampled_from(["demo_admin", "demo_organizer", "demo_staff", "api:demo_admin", "DEMO_ADMIN", "demo_admin\u200b"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(
        lambda s: s.strip() != ""
    ),
)


@settings(max_examples=25, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(user_id=user_ids)
async def test_invariant_no_user_id_lets_a_token_without_act_as_see_a_record(default_app, user_id):
    """Whatever user_id the body names, a token without act_as never sees personal data or another's inbox."""
    _, client = default_app
    answer = await ask(client, user_id)
    assert A1002_ID_NUMBER not in answer and "李娜" not in answer
    resp = await client.get("/api/v1/inbox", params={"user_id": user_id}, headers=AUTH)
    if user_id.strip().startswith("api:"):
        assert resp.status == 200
    else:
        assert resp.status == 403
