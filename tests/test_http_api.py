"""The HTTP JSON channel and the operations endpoints, over a real loopback server."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.messages import Outgoing, Reply, Target

AUTH = {"Authorization": "Bearer test-token"}


@pytest.fixture
async def bot(make_bot):
    """These tests are about the API itself, so the token may act as anyone (what act_as limits is in tests/security)."""
    return await make_bot(ORGBOT_API_ACT_AS="*")


@pytest.fixture
async def client(bot):
    async with TestClient(TestServer(bot.web_app())) as c:
        yield c


async def test_chat_answers_with_replies(client):
    resp = await client.post("/api/v1/chat", json={"user_id": "u1", "chat_id": "c1", "text": "/帮助"}, headers=AUTH)
    assert resp.status == 200
    body = await resp.json()
    assert body["replies"][0]["format"] == "text"
    assert "可以帮您" in body["replies"][0]["text"]


async def test_chat_id_defaults_to_user(client):
    resp = await client.post("/api/v1/chat", json={"user_id": "u1", "text": "/help"}, headers=AUTH)
    assert resp.status == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "test-token"}])
async def test_wrong_or_missing_token_is_401(client, headers):
    resp = await client.post("/api/v1/chat", json={"user_id": "u1", "text": "/帮助"}, headers=headers)
    assert resp.status == 401
    assert "令牌" in (await resp.json())["error"]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("not json", "JSON"),
        ("[1, 2]", "对象"),
        ('{"text": "hi"}', "user_id"),
        ('{"user_id": "u", "text": ""}', "text"),
        ('{"user_id": "u", "text": 5}', "text"),
        ('{"user_id": "u", "chat_id": 7, "text": "x"}', "chat_id"),
        ('{"user_id": "' + "x" * 500 + '", "text": "x"}', "user_id"),
        ('{"user_id": "u", "text": "' + "长" * 5000 + '"}', "过长"),
        ('{"user_id": "u", "text": "x", "chat_type": "channel"}', "chat_type"),
    ],
)
async def test_malformed_body_is_400_with_message(client, body, needle):
    resp = await client.post("/api/v1/chat", data=body.encode(), headers={**AUTH, "Content-Type": "application/json"})
    assert resp.status == 400
    assert needle in (await resp.json())["error"]


async def test_oversized_body_is_413(client):
    resp = await client.post("/api/v1/chat", data=b"x" * 2_000_000, headers=AUTH)
    assert resp.status == 413


async def test_health_and_readiness(client):
    assert (await client.get("/healthz")).status == 200
    resp = await client.get("/readyz")
    assert resp.status == 200
    assert (await resp.json())["status"] == "ok"


async def test_web_chat_page_is_self_contained(client):
    resp = await client.get("/")
    assert resp.status == 200
    page = await resp.text()
    assert "/登录" in page
    assert "http://" not in page and "https://" not in page


async def test_inbox_hands_over_pushes_once(bot, client):
    await bot.deliver(Outgoing(Target("local", user_id="u9"), Reply("请于周五前报送材料")))
    resp = await client.get("/api/v1/inbox", params={"user_id": "u9"}, headers=AUTH)
    assert [m["text"] for m in (await resp.json())["messages"]] == ["请于周五前报送材料"]
    resp = await client.get("/api/v1/inbox", params={"user_id": "u9"}, headers=AUTH)
    assert (await resp.json())["messages"] == []
    assert (await client.get("/api/v1/inbox", params={"user_id": "u9"})).status == 401
