"""WeCom: genuine callbacks built with wechatpy in, answers out to a local fake of the WeCom API."""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest
from wechatpy.enterprise.crypto import WeChatCrypto

from bench.support.wecom_peer import (
    APP_TOKEN,
    BOT_TOKEN,
    CORP_ID,
    aibot_request,
    aibot_text,
    app_text_message,
    encrypt_for,
    open_aibot_reply,
    sign,
    wecom_env,
)
from bot.channels import wecom
from bot.channels.base import DeliveryError
from bot.channels.wecom_crypto import SignatureMismatch, UndecryptablePayload, WeComCrypto
from bot.messages import ChatType, Incoming, Outgoing, Reply, ReplyFormat, Target
from tests.channels.conftest import APP_AES_KEY, settle


@pytest.fixture
async def wecom_bot(serve_channel, fake):
    return await serve_channel(wecom, **wecom_env(fake.url))


def now() -> int:
    return int(time.time())


# --- crypto against the reference ----------------------------------------------------------


@pytest.mark.parametrize("length", [0, 1, 11, 12, 15, 16, 27, 28, 31, 32, 33, 100])
def test_crypto_round_trips_with_wechatpy_for_every_pad_length(length):
    ours = WeComCrypto.create(APP_TOKEN, APP_AES_KEY, CORP_ID)
    text = "消" * (length // 3) + "x" * (length % 3)
    assert ours.decrypt(encrypt_for(APP_AES_KEY, text, CORP_ID)) == text
    encrypted = ours.encrypt(text)
    sig = ours.signature("1700000000", "n", encrypted)
    reference = WeChatCrypto(APP_TOKEN, APP_AES_KEY, CORP_ID)
    assert reference.decrypt_message({"Encrypt": encrypted}, sig, "1700000000", "n") == text


def test_crypto_refuses_wrong_signature_and_other_corp():
    ours = WeComCrypto.create(APP_TOKEN, APP_AES_KEY, CORP_ID)
    encrypted = encrypt_for(APP_AES_KEY, "<xml/>", "otherCorp")
    with pytest.raises(SignatureMismatch):
        ours.verify("0" * 40, "1", "n", encrypted)
    with pytest.raises(UndecryptablePayload):
        ours.decrypt(encrypted)
    with pytest.raises(UndecryptablePayload):
        ours.decrypt("not base64!!")


# --- URL verification ----------------------------------------------------------------------


@pytest.mark.parametrize("encode_plus", [True, False])
async def test_url_verification_echoes_the_decrypted_echostr(wecom_bot, encode_plus):
    _, _, client = wecom_bot
    ts, nonce = str(now()), "n123"
    for attempt in range(50):  # find an echostr whose base64 contains '+', the classic pitfall
        echostr = encrypt_for(APP_AES_KEY, f"echo-{attempt}", CORP_ID)
        if "+" in echostr:
            break
    assert "+" in echostr
    sig = sign(APP_TOKEN, ts, nonce, echostr)
    raw_echo = quote(echostr, safe="") if encode_plus else echostr.replace("/", "%2F").replace("=", "%3D")
    resp = await client.get(f"/callback/wecom?msg_signature={sig}&timestamp={ts}&nonce={nonce}&echostr={raw_echo}")
    assert resp.status == 200
    assert await resp.text() == f"echo-{attempt}"


async def test_url_verification_with_a_tampered_signature_is_401(wecom_bot):
    _, _, client = wecom_bot
    echostr = encrypt_for(APP_AES_KEY, "hello", CORP_ID)
    params = {"msg_signature": "a" * 40, "timestamp": str(now()), "nonce": "n", "echostr": echostr}
    resp = await client.get("/callback/wecom", params=params)
    assert resp.status == 401


async def test_ai_bot_url_verification_uses_empty_receive_id(wecom_bot):
    _, _, client = wecom_bot
    ts = str(now())
    echostr = encrypt_for("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "bot-echo", "")
    params = {"msg_signature": sign(BOT_TOKEN, ts, "n", echostr), "timestamp": ts, "nonce": "n", "echostr": echostr}
    resp = await client.get("/callback/wecom/bot", params=params)
    assert resp.status == 200 and await resp.text() == "bot-echo"


# --- self-built app messages ---------------------------------------------------------------


async def test_app_message_is_acknowledged_empty_and_answered_once_via_message_send(wecom_bot, fake):
    bot, _, client = wecom_bot
    params, body = app_text_message("/帮助", "7001", "zhangsan", now())
    resp = await client.post("/callback/wecom", params=params, data=body)
    assert resp.status == 200 and await resp.text() == ""
    await fake.wait_for(lambda: fake.sent("wecom", "message/send"))
    await settle(bot)
    (call,) = fake.sent("wecom", "message/send")
    assert call.body["touser"] == "zhangsan" and call.body["agentid"] == 1000002
    assert "可以帮您" in call.body["text"]["content"]

    retry = await client.post("/callback/wecom", params=params, data=body)
    assert retry.status == 200
    await settle(bot)
    assert len(fake.sent("wecom", "message/send")) == 1


@pytest.mark.parametrize(
    ("mutate", "status"),
    [
        (lambda p, b: ({**p, "msg_signature": "f" * 40}, b), 401),
        (lambda p, b: (p, b.replace(b"<Encrypt><![CDATA[", b"<Encrypt><![CDATA[A")), 401),
        (lambda p, b: ({k: v for k, v in p.items() if k != "nonce"}, b), 400),
        (lambda p, b: (p, b"<xml><broken"), 400),
        (lambda p, b: (p, b"<xml></xml>"), 400),
    ],
    ids=["bad-signature", "tampered-ciphertext", "missing-nonce", "broken-xml", "no-encrypt"],
)
async def test_untrustworthy_app_callbacks_are_refused_and_never_answered(wecom_bot, fake, mutate, status):
    bot, _, client = wecom_bot
    params, body = mutate(*app_text_message("/帮助", "7002", "zhangsan", now()))
    resp = await client.post("/callback/wecom", params=params, data=body)
    assert resp.status == status
    await settle(bot)
    assert fake.sent("wecom", "message/send") == []


async def test_entity_expansion_is_refused(wecom_bot, fake):
    _bot, _, client = wecom_bot
    params, _ = app_text_message("/帮助", "7003", "zhangsan", now())
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><xml><Encrypt>&b;</Encrypt></xml>'
    resp = await client.post("/callback/wecom", params=params, data=bomb)
    assert resp.status == 400


async def test_stale_timestamp_is_refused_as_a_replay(wecom_bot, fake):
    bot, _, client = wecom_bot
    params, body = app_text_message("/帮助", "7004", "zhangsan", now() - 7200)
    resp = await client.post("/callback/wecom", params=params, data=body)
    assert resp.status == 403
    await settle(bot)
    assert fake.sent("wecom", "message/send") == []


# --- sending -------------------------------------------------------------------------------


async def test_expired_token_is_refetched_and_the_message_resent(wecom_bot, fake):
    bot, _channel, _ = wecom_bot
    await bot.deliver(Outgoing(Target("wecom", user_id="lisi"), Reply("第一条")))
    fake.script("message/send", (200, {"errcode": 42001, "errmsg": "access_token expired"}))
    await bot.deliver(Outgoing(Target("wecom", user_id="lisi"), Reply("第二条")))
    assert fake.tokens_issued["wecom"] == 2
    contents = [c.body["text"]["content"] for c in fake.sent("wecom", "message/send")]
    assert contents == ["第一条", "第二条", "第二条"]  # the refused attempt, then the resend


async def test_platform_rate_limit_becomes_retry_after(wecom_bot, fake):
    bot, _, _ = wecom_bot
    fake.script("message/send", (200, {"errcode": 45009, "errmsg": "api freq out of limit"}))
    with pytest.raises(DeliveryError) as err:
        await bot.deliver(Outgoing(Target("wecom", user_id="lisi"), Reply("通知")))
    assert not err.value.permanent and err.value.retry_after == 60


async def test_invalid_user_is_a_permanent_failure(wecom_bot, fake):
    bot, _, _ = wecom_bot
    fake.script("message/send", (200, {"errcode": 0, "errmsg": "ok", "invaliduser": "nobody"}))
    with pytest.raises(DeliveryError) as err:
        await bot.deliver(Outgoing(Target("wecom", user_id="nobody"), Reply("通知")))
    assert err.value.permanent


async def test_long_reply_is_split_within_the_byte_limit(wecom_bot, fake):
    bot, _, _ = wecom_bot
    text = "\n".join(f"第{i}条：" + "组织工作" * 30 for i in range(40))
    await bot.deliver(Outgoing(Target("wecom", user_id="lisi"), Reply(text)))
    parts = [c.body["text"]["content"] for c in fake.sent("wecom", "message/send")]
    assert len(parts) > 1
    assert all(len(p.encode()) <= 2048 for p in parts)
    assert "\n".join(parts) == text


async def test_markdown_reply_uses_wecom_subset(wecom_bot, fake):
    bot, _, _ = wecom_bot
    await bot.deliver(
        Outgoing(Target("wecom", user_id="lisi"), Reply("## 通知\n- 周五前报送\n\n```\nx\n```", ReplyFormat.MARKDOWN))
    )
    (call,) = fake.sent("wecom", "message/send")
    assert call.body["msgtype"] == "markdown"
    assert call.body["markdown"]["content"] == "## 通知\n• 周五前报送\n\nx"


async def test_group_notice_goes_through_the_robot_webhook_within_20_a_minute(wecom_bot, fake):
    bot, _channel, _ = wecom_bot
    for i in range(20):
        await bot.deliver(Outgoing(Target("wecom", chat_id="webhook"), Reply(f"通知{i}")))
    with pytest.raises(DeliveryError) as err:
        await bot.deliver(Outgoing(Target("wecom", chat_id="webhook"), Reply("第21条")))
    assert err.value.retry_after and err.value.retry_after > 10
    calls = fake.sent("wecom", "webhook/send")
    assert len(calls) == 20 and {c.query["key"] for c in calls} == {"robot-key"}


async def test_member_limit_of_30_a_minute_is_enforced_locally(wecom_bot, fake):
    bot, _, _ = wecom_bot
    for i in range(30):
        await bot.deliver(Outgoing(Target("wecom", user_id="wangwu"), Reply(f"提醒{i}")))
    with pytest.raises(DeliveryError):
        await bot.deliver(Outgoing(Target("wecom", user_id="wangwu"), Reply("第31条")))
    await bot.deliver(Outgoing(Target("wecom", user_id="zhaoliu"), Reply("别人不受影响")))
    assert len(fake.sent("wecom", "message/send")) == 31


# --- 智能机器人 (AI bot) --------------------------------------------------------------------


async def test_ai_bot_group_mention_is_answered_through_the_stream(wecom_bot, fake):
    bot, _, client = wecom_bot
    params, body = aibot_request(aibot_text("@组工助手 /帮助", "ab-1", "zhangsan", chat_id="wrgroup"), now())
    resp = await client.post("/callback/wecom/bot", params=params, data=body)
    assert resp.status == 200
    first = open_aibot_reply(await resp.json())
    assert first["msgtype"] == "stream" and first["stream"]["finish"] is False
    await settle(bot)
    refresh = {"msgid": "ab-1-r", "msgtype": "stream", "stream": {"id": first["stream"]["id"]}}
    params, body = aibot_request(refresh, now(), nonce="n3")
    final = open_aibot_reply(await (await client.post("/callback/wecom/bot", params=params, data=body)).json())
    assert final["stream"]["finish"] is True
    assert "可以帮您" in final["stream"]["content"]

    params, body = aibot_request(aibot_text("@组工助手 /帮助", "ab-1", "zhangsan", chat_id="wrgroup"), now())
    again = open_aibot_reply(await (await client.post("/callback/wecom/bot", params=params, data=body)).json())
    assert again["stream"]["id"] == first["stream"]["id"]


async def test_ai_bot_private_reply_in_a_group_goes_to_the_person_by_app_message(wecom_bot, fake):
    bot, channel, client = wecom_bot
    params, body = aibot_request(aibot_text("@组工助手 你好", "ab-2", "zhangsan", chat_id="wrgroup"), now())
    first = open_aibot_reply(await (await client.post("/callback/wecom/bot", params=params, data=body)).json())
    await settle(bot)
    stream_id = first["stream"]["id"]
    channel.streams[stream_id].finished = False
    channel.streams[stream_id].parts.clear()
    origin = Incoming(
        "wecom",
        "wrgroup",
        ChatType.GROUP,
        "zhangsan",
        "x",
        message_id="ab-2",
        raw={"surface": "aibot", "stream_id": stream_id, "response_url": ""},
    )
    await channel.send(Outgoing(Target("wecom", user_id="zhangsan"), Reply("您的学时：52", private=True), origin))
    (call,) = fake.sent("wecom", "message/send")
    assert call.body["touser"] == "zhangsan" and "52" in call.body["text"]["content"]
    assert "52" not in channel.streams[stream_id].content()
    assert "单独发给您" in channel.streams[stream_id].content()


async def test_ai_bot_tampered_signature_is_refused(wecom_bot):
    _, _, client = wecom_bot
    params, body = aibot_request(aibot_text("/帮助", "ab-3", "zhangsan"), now())
    resp = await client.post("/callback/wecom/bot", params={**params, "msg_signature": "0" * 40}, data=body)
    assert resp.status == 401


def test_unconfigured_wecom_is_off_and_half_configured_is_an_error(config_for, db_url):
    from bot.config import ConfigError

    assert wecom.from_config(config_for(db_url)) is None
    with pytest.raises(ConfigError, match="encoding_aes_key"):
        wecom.from_config(config_for(db_url, ORGBOT_WECOM_TOKEN="t", ORGBOT_WECOM_CORP_ID="c"))
    with pytest.raises(ConfigError, match="encoding_aes_key"):
        wecom.from_config(
            config_for(db_url, ORGBOT_WECOM_TOKEN="t", ORGBOT_WECOM_CORP_ID="c", ORGBOT_WECOM_ENCODING_AES_KEY="short")
        )


async def test_a_platform_outage_during_an_answer_is_retried(wecom_bot, fake):
    bot, _, client = wecom_bot
    fake.script("message/send", (502, {"errmsg": "bad gateway"}))
    params, body = app_text_message("/帮助", "7100", "zhangsan", now())
    assert (await client.post("/callback/wecom", params=params, data=body)).status == 200
    await settle(bot)
    first, second = fake.sent("wecom", "message/send")
    assert first.body == second.body and "可以帮您" in second.body["text"]["content"]
