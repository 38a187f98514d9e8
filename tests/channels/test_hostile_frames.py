"""Hostile frames on the outbound sockets (DingTalk Stream, Feishu long connection): acknowledged, never a crash.

The frames come from the fake gateways over real WebSockets; a frame that broke the
receive loop would show as a reconnect, a missing ack or an ERROR line.
"""

from __future__ import annotations

import json
import logging

from bench.support.dingtalk_peer import dingtalk_env, robot_message
from bench.support.feishu_peer import feishu_env, text_event
from bot.channels import dingtalk, feishu
from tests.channels.conftest import settle
from tests.channels.test_dingtalk import callback_frame
from tests.channels.test_feishu import parse_sdk_frame, sdk_frame

DEEP = "[" * 100_000


def errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_dingtalk_stream_refuses_hostile_frames_and_keeps_answering(serve_channel, fake, caplog):
    def with_data(data: object, message_id: str) -> dict:
        return {**callback_frame({}, message_id), "data": data}

    nul_sender = json.dumps(robot_message(fake.url, "你好", "msgNul")).replace('"zhangsan"', '"zhang\\u0000san"')
    fake.stream_frames = [
        DEEP,  # the frame itself: no messageId to acknowledge, ignored
        '"not an object"',
        with_data(DEEP, "f-deep"),
        with_data(nul_sender, "f-nul"),
        with_data({"msgId": "x"}, "f-object"),
        callback_frame(robot_message(fake.url, "你好", "msgLong", staff_id="z" * 500), "f-long"),
        callback_frame(robot_message(fake.url, "/帮助", "msgOk"), "f-ok"),
    ]
    bot, channel, _ = await serve_channel(dingtalk, **dingtalk_env(fake.url, ORGBOT_DINGTALK_STREAM="true"))
    await fake.wait_for(lambda: len(fake.stream_acks) == 5)
    await fake.wait_for(lambda: len(fake.sent("dingtalk", "sendBySession")) == 2)
    await settle(bot)
    codes = {a["headers"]["messageId"]: a["code"] for a in fake.stream_acks}
    assert codes == {"f-deep": 400, "f-nul": 400, "f-object": 400, "f-long": 200, "f-ok": 200}
    replies = [c.body["text"]["content"] for c in fake.sent("dingtalk", "sendBySession")]
    assert any("无法处理" in r and "user_id" in r for r in replies)  # the over-long sender is told why
    assert any("可以帮您" in r for r in replies)
    assert channel.stream_client.connections == 1 and fake.stream_connections == 1
    assert errors(caplog) == []


async def test_feishu_long_connection_refuses_hostile_events_and_keeps_answering(serve_channel, fake, caplog):
    common = {"type": "event", "sum": "1", "seq": "0"}
    deep_content = text_event("x", "om_deep_content", chat_type="p2p")
    deep_content["event"]["message"]["content"] = json.dumps({"text": "x"})[:-1] + ', "k": ' + DEEP + "}"
    nul = json.dumps(text_event("你好", "om_nul", chat_type="p2p")).replace('"zhangsan"', '"zhang\\u0000san"')
    fake.feishu_ws_frames = [
        sdk_frame({**common, "message_id": "f-deep"}, DEEP.encode()),
        sdk_frame({**common, "message_id": "f-nul"}, nul.encode()),
        sdk_frame({**common, "message_id": "f-list"}, b"[1, 2]"),
        sdk_frame({**common, "message_id": "f-content"}, json.dumps(deep_content).encode()),
        sdk_frame({**common, "message_id": "f-ok"}, json.dumps(text_event("/帮助", "om_ok", chat_type="p2p")).encode()),
    ]
    env = feishu_env(fake.url, ORGBOT_FEISHU_LONG_CONNECTION="true", ORGBOT_FEISHU_ENCRYPT_KEY="")
    bot, channel, _ = await serve_channel(feishu, **env)

    def acks() -> dict[str, int]:
        frames = [f for f in map(parse_sdk_frame, fake.feishu_ws_received) if f.method == 1]
        return {dict((h.key, h.value) for h in f.headers)["message_id"]: json.loads(f.payload)["code"] for f in frames}

    await fake.wait_for(lambda: len(acks()) == 5)
    await fake.wait_for(lambda: len(fake.sent("feishu", "/im/v1/messages")) == 2)
    await settle(bot)
    # Unreadable events keep the existing long-connection answer (code 500); the receive loop goes on.
    assert acks() == {"f-deep": 500, "f-nul": 500, "f-list": 500, "f-content": 200, "f-ok": 200}
    texts = [json.loads(c.body["content"])["text"] for c in fake.sent("feishu", "/im/v1/messages")]
    assert any(t.startswith("您好，我是") for t in texts)  # deep content reads as an empty message: the greeting
    assert channel.long_connection.connections == 1 and fake.feishu_ws_connections == 1
    assert errors(caplog) == []
