"""DingTalk: signed robot callbacks and Stream-mode frames in, answers out to a local fake of DingTalk."""

from __future__ import annotations

import json
import time

import pytest
from dingtalk_stream import AckMessage, CallbackHandler, Credential, DingTalkStreamClient

from bench.support.dingtalk_peer import body, dingtalk_env, robot_message, signed_headers
from bot.channels import dingtalk
from bot.channels.base import DeliveryError
from bot.channels.dingtalk_stream import BOT_TOPIC
from bot.messages import Outgoing, Reply, ReplyFormat, Target
from tests.channels.conftest import settle


@pytest.fixture
async def ding_bot(serve_channel, fake):
    return await serve_channel(dingtalk, **dingtalk_env(fake.url))


async def test_group_mention_is_answered_once_through_the_session_webhook_with_an_at(ding_bot, fake):
    bot, _, client = ding_bot
    message = robot_message(fake.url, "/帮助", "msgA1")
    resp = await client.post("/callback/dingtalk", data=body(message), headers=signed_headers())
    assert resp.status == 200
    await fake.wait_for(lambda: fake.sent("dingtalk", "sendBySession"))
    await settle(bot)
    (call,) = fake.sent("dingtalk", "sendBySession")
    assert call.body["msgtype"] == "text"
    assert call.body["text"]["content"].startswith("@zhangsan ") and "可以帮您" in call.body["text"]["content"]
    assert call.body["at"] == {"atUserIds": ["zhangsan"]}

    retry = await client.post("/callback/dingtalk", data=body(message), headers=signed_headers())
    assert retry.status == 200
    await settle(bot)
    assert len(fake.sent("dingtalk", "sendBySession")) == 1


async def test_private_chat_is_answered_without_an_at(ding_bot, fake):
    bot, _, client = ding_bot
    message = robot_message(fake.url, "/帮助", "msgA2", group=False)
    await client.post("/callback/dingtalk", data=body(message), headers=signed_headers())
    await settle(bot)
    (call,) = fake.sent("dingtalk", "sendBySession")
    assert not call.body["text"]["content"].startswith("@") and call.body["at"] == {}


async def test_group_message_not_at_the_bot_is_ignored(ding_bot, fake):
    bot, _, client = ding_bot
    message = robot_message(fake.url, "/帮助", "msgA3", at_bot=False)
    await client.post("/callback/dingtalk", data=body(message), headers=signed_headers())
    await settle(bot)
    assert fake.sent("dingtalk") == []


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (lambda: signed_headers(secret="wrong-secret"), 401),
        (lambda: {**signed_headers(), "sign": "AAAA"}, 401),
        (lambda: {"Content-Type": "application/json"}, 401),
        (lambda: signed_headers(timestamp_ms=int(time.time() * 1000) - 2 * 3600 * 1000), 403),
    ],
    ids=["wrong-secret", "tampered-sign", "unsigned", "stale"],
)
async def test_untrustworthy_callbacks_are_refused(ding_bot, fake, headers, status):
    bot, _, client = ding_bot
    resp = await client.post(
        "/callback/dingtalk", data=body(robot_message(fake.url, "/帮助", "msgB")), headers=headers()
    )
    assert resp.status == status
    await settle(bot)
    assert fake.sent("dingtalk") == []


async def test_signed_garbage_is_400(ding_bot):
    _, _, client = ding_bot
    resp = await client.post("/callback/dingtalk", data=b"{not json", headers=signed_headers())
    assert resp.status == 400


async def test_expired_session_webhook_falls_back_to_the_group_openapi(ding_bot, fake):
    bot, _, client = ding_bot
    message = robot_message(fake.url, "/帮助", "msgC1", webhook_valid_ms=-1000)
    await client.post("/callback/dingtalk", data=body(message), headers=signed_headers())
    await settle(bot)
    (call,) = fake.sent("dingtalk", "groupMessages/send")
    assert call.body["openConversationId"] == "cidGroup1==" and call.body["robotCode"] == "dingrobot"
    assert call.headers["x-acs-dingtalk-access-token"] == "dingtalk-token-1"
    assert "可以帮您" in json.loads(call.body["msgParam"])["content"]


async def test_private_reply_from_a_group_goes_one_to_one_and_the_group_gets_a_note(ding_bot, fake):
    _bot, channel, _ = ding_bot
    origin = dingtalk.incoming_from_robot_message(robot_message(fake.url, "查学时", "msgC2"), "组工助手")
    await channel.send(Outgoing(Target("dingtalk", user_id="zhangsan"), Reply("您的学时：52", private=True), origin))
    (one,) = fake.sent("dingtalk", "oToMessages/batchSend")
    assert one.body["userIds"] == ["zhangsan"] and "52" in one.body["msgParam"]
    (note,) = fake.sent("dingtalk", "sendBySession")
    assert "52" not in note.body["text"]["content"]


async def test_token_refused_once_is_refetched(ding_bot, fake):
    bot, _, _ = ding_bot
    await bot.deliver(Outgoing(Target("dingtalk", user_id="lisi"), Reply("一")))
    fake.script("oToMessages/batchSend", (401, {"code": "InvalidAuthentication", "message": "expired"}))
    await bot.deliver(Outgoing(Target("dingtalk", user_id="lisi"), Reply("二")))
    assert fake.tokens_issued["dingtalk"] == 2
    assert len(fake.sent("dingtalk", "oToMessages/batchSend")) == 3


async def test_custom_webhook_is_signed_and_throttling_backs_off_ten_minutes(ding_bot, fake):
    bot, _, _ = ding_bot
    await bot.deliver(
        Outgoing(Target("dingtalk", chat_id="webhook"), Reply("# 周五报送\n请各支部按时报送", ReplyFormat.MARKDOWN))
    )
    (call,) = fake.sent("dingtalk", "/robot/send")
    assert call.body["msgtype"] == "markdown" and call.body["markdown"]["title"] == "周五报送"
    fake.script("/robot/send", (200, {"errcode": 130101, "errmsg": "send too fast"}))
    with pytest.raises(DeliveryError) as err:
        await bot.deliver(Outgoing(Target("dingtalk", chat_id="webhook"), Reply("二")))
    assert err.value.retry_after == 600
    with pytest.raises(DeliveryError) as err:
        await bot.deliver(Outgoing(Target("dingtalk", chat_id="webhook"), Reply("三")))
    assert err.value.retry_after and err.value.retry_after > 500
    assert len(fake.sent("dingtalk", "/robot/send")) == 2


async def test_wrong_webhook_secret_is_permanent(serve_channel, fake):
    bot, _, _ = await serve_channel(dingtalk, **dingtalk_env(fake.url, ORGBOT_DINGTALK_WEBHOOK_SECRET="SECother"))
    with pytest.raises(DeliveryError) as err:
        await bot.deliver(Outgoing(Target("dingtalk", chat_id="webhook"), Reply("通知")))
    assert err.value.permanent


# --- Stream mode ---------------------------------------------------------------------------


async def reference_ack(frame: dict) -> dict:
    """The ack the official SDK sends for the same frame."""

    class Echo(CallbackHandler):
        async def process(self, callback):
            return AckMessage.STATUS_OK, None

    class Socket:
        def __init__(self) -> None:
            self.sent: list[str] = []

        async def send(self, text: str) -> None:
            self.sent.append(text)

    client = DingTalkStreamClient(Credential("k", "s"))
    client.register_callback_handler(BOT_TOPIC, Echo())
    client.websocket = Socket()
    await client.route_message(frame)
    return json.loads(client.websocket.sent[0])


def callback_frame(data: dict, message_id: str) -> dict:
    return {
        "specVersion": "1.0",
        "type": "CALLBACK",
        "headers": {
            "appId": "a",
            "connectionId": "c",
            "contentType": "application/json",
            "messageId": message_id,
            "time": str(int(time.time() * 1000)),
            "topic": BOT_TOPIC,
        },
        "data": json.dumps(data, ensure_ascii=False),
    }


async def test_stream_mode_receives_acks_like_the_sdk_and_answers(serve_channel, fake):
    frame = callback_frame(robot_message(fake.url, "/帮助", "msgS1"), "frame-1")
    fake.stream_frames = [frame, {**frame, "headers": {**frame["headers"], "messageId": "frame-2"}}]
    bot, _channel, client = await serve_channel(dingtalk, **dingtalk_env(fake.url, ORGBOT_DINGTALK_STREAM="true"))
    assert (await client.post("/callback/dingtalk", data=b"{}")).status == 404  # no HTTP callback in Stream mode
    await fake.wait_for(lambda: len(fake.stream_acks) == 2)
    await fake.wait_for(lambda: fake.sent("dingtalk", "sendBySession"))
    await settle(bot)
    expected = await reference_ack(frame)
    ack = fake.stream_acks[0]
    assert ack["code"] == expected["code"] and ack["headers"] == expected["headers"]
    assert json.loads(ack["data"]) == json.loads(expected["data"])
    assert fake.stream_acks[1]["headers"]["messageId"] == "frame-2"
    assert len(fake.sent("dingtalk", "sendBySession")) == 1  # the re-pushed message is not answered twice


async def test_stream_mode_reconnects_when_the_gateway_says_disconnect(serve_channel, fake):
    fake.stream_frames = [{"type": "SYSTEM", "headers": {"topic": "disconnect", "messageId": "d1"}, "data": "{}"}]
    _bot, channel, _ = await serve_channel(dingtalk, **dingtalk_env(fake.url, ORGBOT_DINGTALK_STREAM="true"))
    await fake.wait_for(lambda: fake.stream_connections >= 2, timeout=15)
    assert channel.stream_client.connections >= 2


async def test_stream_mode_answers_ping_with_its_data(serve_channel, fake):
    fake.stream_frames = [{"type": "SYSTEM", "headers": {"topic": "ping", "messageId": "p1"}, "data": '{"opaque":"x"}'}]
    await serve_channel(dingtalk, **dingtalk_env(fake.url, ORGBOT_DINGTALK_STREAM="true"))
    await fake.wait_for(lambda: fake.stream_acks)
    assert fake.stream_acks[0]["headers"]["messageId"] == "p1" and fake.stream_acks[0]["data"] == '{"opaque":"x"}'


def test_unconfigured_is_off(config_for, db_url):
    assert dingtalk.from_config(config_for(db_url)) is None


async def test_reply_mentions_are_rendered_as_ats(ding_bot, fake):
    _bot, channel, _ = ding_bot
    origin = dingtalk.incoming_from_robot_message(robot_message(fake.url, "谁还没交", "msgM1"), "组工助手")
    reply = Reply("请尽快报送", mentions=("lisi", "wangwu"))
    await channel.send(Outgoing(Target("dingtalk", chat_id=origin.chat_id), reply, origin))
    (call,) = fake.sent("dingtalk", "sendBySession")
    assert call.body["at"] == {"atUserIds": ["zhangsan", "lisi", "wangwu"]}
    assert call.body["text"]["content"] == "@zhangsan @lisi @wangwu 请尽快报送"


async def test_robot_code_defaults_to_the_app_key(serve_channel, fake):
    bot, _, _ = await serve_channel(dingtalk, **dingtalk_env(fake.url, ORGBOT_DINGTALK_ROBOT_CODE=""))
    await bot.deliver(Outgoing(Target("dingtalk", user_id="lisi"), Reply("一")))
    (call,) = fake.sent("dingtalk", "oToMessages/batchSend")
    assert call.body["robotCode"] == "ding-key"
