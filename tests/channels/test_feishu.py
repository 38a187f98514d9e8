"""Feishu: encrypted, signed events (checked by lark-oapi first) in, answers out to a local fake Feishu API."""

from __future__ import annotations

import json
import time

import pytest
from lark_oapi.core.utils import AESCipher

from bench.support.feishu_peer import (
    BOT_OPEN_ID,
    ENCRYPT_KEY,
    VERIFICATION_TOKEN,
    encrypt,
    feishu_env,
    mention,
    sdk_accepts,
    signed_request,
    text_event,
)
from bot.channels import feishu, feishu_crypto
from bot.channels.base import DeliveryError
from bot.messages import Outgoing, Reply, ReplyFormat, Target
from tests.channels.conftest import settle


@pytest.fixture
async def feishu_bot(fake, serve_channel):
    return await serve_channel(feishu, **feishu_env(fake.url))


def test_our_cipher_agrees_with_the_sdk():
    assert feishu_crypto.decrypt(ENCRYPT_KEY, encrypt(ENCRYPT_KEY, "组工助手")) == "组工助手"
    ours = feishu_crypto.encrypt(ENCRYPT_KEY, "干部培训")
    assert AESCipher(ENCRYPT_KEY).decrypt_str(ours) == "干部培训"
    with pytest.raises(feishu_crypto.FeishuCryptoError):
        feishu_crypto.decrypt("another-key", ours)


async def test_url_verification_plain_and_encrypted(fake, serve_channel):
    _, _, plain_client = await serve_channel(feishu, **feishu_env(fake.url, ORGBOT_FEISHU_ENCRYPT_KEY=""))
    challenge = {"challenge": "c-123", "token": VERIFICATION_TOKEN, "type": "url_verification"}
    resp = await plain_client.post("/callback/feishu", json=challenge)
    assert resp.status == 200 and await resp.json() == {"challenge": "c-123"}
    resp = await plain_client.post("/callback/feishu", json={**challenge, "token": "wrong"})
    assert resp.status == 401

    _, _, client = await serve_channel(feishu, **feishu_env(fake.url))
    resp = await client.post("/callback/feishu", json={"encrypt": encrypt(ENCRYPT_KEY, json.dumps(challenge))})
    assert resp.status == 200 and await resp.json() == {"challenge": "c-123"}


async def test_group_at_bot_is_answered_once_as_a_threaded_reply_with_an_at(feishu_bot, fake):
    bot, _, client = feishu_bot
    event = text_event("@_user_1 /帮助", "om_1", mentions=[mention("@_user_1", BOT_OPEN_ID, "组工助手")])
    headers, body = signed_request(event)
    assert sdk_accepts(headers, body)
    resp = await client.post("/callback/feishu", data=body, headers=headers)
    assert resp.status == 200
    await fake.wait_for(lambda: fake.sent("feishu", "/reply"))
    await settle(bot)
    (call,) = fake.sent("feishu", "/reply")
    assert call.path == "/open-apis/im/v1/messages/om_1/reply" and call.body["msg_type"] == "text"
    text = json.loads(call.body["content"])["text"]
    assert text.startswith('<at user_id="ou_zhangsan"></at> ') and "可以帮您" in text

    # The platform retries with a fresh signature (and possibly a new event id): still one answer.
    event["header"]["event_id"] = "retry-event"
    headers, body = signed_request(event)
    assert (await client.post("/callback/feishu", data=body, headers=headers)).status == 200
    await settle(bot)
    assert len(fake.sent("feishu", "/reply")) == 1


async def test_group_message_mentioning_someone_else_is_not_answered(feishu_bot, fake):
    bot, _, client = feishu_bot
    event = text_event("@_user_1 /帮助", "om_2", mentions=[mention("@_user_1", "ou_lisi", "李四")])
    headers, body = signed_request(event)
    await client.post("/callback/feishu", data=body, headers=headers)
    await settle(bot)
    assert fake.sent("feishu", "/im/v1/") == []


async def test_private_chat_is_answered_to_the_open_id(feishu_bot, fake):
    bot, _, client = feishu_bot
    headers, body = signed_request(text_event("/帮助", "om_3", chat_type="p2p"))
    await client.post("/callback/feishu", data=body, headers=headers)
    await settle(bot)
    (call,) = fake.sent("feishu", "/im/v1/messages")
    assert call.query == {"receive_id_type": "open_id"} and call.body["receive_id"] == "ou_zhangsan"
    assert "可以帮您" in json.loads(call.body["content"])["text"] and call.body["uuid"]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h, b: ({**h, "X-Lark-Signature": "0" * 64}, b),
        lambda h, b: ({k: v for k, v in h.items() if k != "X-Lark-Signature"}, b),
        lambda h, b: (h, b.replace(b'"}', b'A"}')),
        lambda h, b: (h, json.dumps(json.loads(b)).encode().replace(b'{"', b'{ "')),
    ],
    ids=["bad-signature", "unsigned", "tampered-body", "reserialised-body"],
)
async def test_tampered_events_are_refused(feishu_bot, fake, tamper):
    bot, _, client = feishu_bot
    headers, body = tamper(*signed_request(text_event("/帮助", "om_4", chat_type="p2p")))
    resp = await client.post("/callback/feishu", data=body, headers=headers)
    assert resp.status == 401
    await settle(bot)
    assert fake.sent("feishu", "/im/v1/") == []


async def test_stale_wrong_key_plaintext_and_garbage_are_refused(feishu_bot, fake):
    _, _, client = feishu_bot
    headers, body = signed_request(text_event("/帮助", "om_5"), timestamp=int(time.time()) - 7200)
    assert (await client.post("/callback/feishu", data=body, headers=headers)).status == 403
    headers, body = signed_request(text_event("/帮助", "om_5"), key="not-our-key")
    assert (await client.post("/callback/feishu", data=body, headers=headers)).status == 401
    undecryptable = {"encrypt": encrypt("not-our-key", json.dumps({"type": "url_verification"}))}
    assert (await client.post("/callback/feishu", json=undecryptable)).status == 400
    assert (await client.post("/callback/feishu", json=text_event("/帮助", "om_5"))).status == 401
    assert (await client.post("/callback/feishu", data=b"\xff\xfe")).status == 400
    event = text_event("/帮助", "om_5", chat_type="p2p")
    event["header"]["token"] = "not-the-token"
    headers, body = signed_request(event)
    assert (await client.post("/callback/feishu", data=body, headers=headers)).status == 401


async def test_invalid_token_is_refetched_once(feishu_bot, fake):
    bot, _, _ = feishu_bot
    await bot.deliver(Outgoing(Target("feishu", chat_id="oc_group1"), Reply("一")))
    fake.script("/im/v1/messages", (200, {"code": 99991663, "msg": "Invalid access token"}))
    await bot.deliver(Outgoing(Target("feishu", chat_id="oc_group1"), Reply("二")))
    assert fake.tokens_issued["feishu"] == 2


async def test_per_chat_rate_limit_error_becomes_retry_after(feishu_bot, fake):
    bot, _, _ = feishu_bot
    fake.script("/im/v1/messages", (200, {"code": 230020, "msg": "rate limited"}))
    with pytest.raises(DeliveryError) as err:
        await bot.deliver(Outgoing(Target("feishu", chat_id="oc_group1"), Reply("通知")))
    assert not err.value.permanent and err.value.retry_after


async def test_gateway_429_honours_the_reset_header(feishu_bot, fake):
    bot, _, _ = feishu_bot
    fake.script("/im/v1/messages", (429, {"code": 99991400, "msg": "too many"}))
    with pytest.raises(DeliveryError) as err:
        await bot.deliver(Outgoing(Target("feishu", user_id="ou_lisi"), Reply("通知")))
    assert err.value.retry_after == 60


async def test_markdown_goes_as_a_card_and_user_ids_pick_their_type(feishu_bot, fake):
    bot, _, _ = feishu_bot
    await bot.deliver(
        Outgoing(Target("feishu", user_id="lisi"), Reply("## 通知\n**周五**前报送", ReplyFormat.MARKDOWN))
    )
    (call,) = fake.sent("feishu", "/im/v1/messages")
    assert call.query == {"receive_id_type": "user_id"} and call.body["msg_type"] == "interactive"
    card = json.loads(call.body["content"])
    assert card["elements"][0] == {"tag": "markdown", "content": "**通知**\n**周五**前报送"}


async def test_webhook_push_is_signed(fake, serve_channel):
    bot, _, _ = await serve_channel(feishu, **feishu_env(fake.url, ORGBOT_FEISHU_WEBHOOK_SECRET="whsec"))
    await bot.deliver(Outgoing(Target("feishu", chat_id="webhook"), Reply("请各支部周五前报送")))
    (call,) = fake.sent("feishu", "/bot/v2/hook/")
    import base64
    import hashlib
    import hmac

    key = f"{call.body['timestamp']}\nwhsec".encode()
    assert call.body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert call.body["content"] == {"text": "请各支部周五前报送"}


def test_unconfigured_is_off_and_unverifiable_is_an_error(config_for, db_url):
    from bot.config import ConfigError

    assert feishu.from_config(config_for(db_url)) is None
    with pytest.raises(ConfigError, match="verification_token"):
        feishu.from_config(config_for(db_url, ORGBOT_FEISHU_APP_ID="a", ORGBOT_FEISHU_APP_SECRET="s"))


async def test_private_reply_from_a_group_goes_one_to_one_and_the_group_gets_a_note(feishu_bot, fake):
    _bot, channel, _ = feishu_bot
    event = text_event("@_user_1 我的学时", "om_9", mentions=[mention("@_user_1", BOT_OPEN_ID, "组工助手")])
    origin = await channel._incoming(event["event"], "ev9")
    assert origin.mentioned_bot and origin.text == "我的学时"
    await channel.send(Outgoing(Target("feishu", user_id="zhangsan"), Reply("您的学时：52", private=True), origin))
    one, note = fake.sent("feishu", "/im/v1/messages")
    assert one.query == {"receive_id_type": "open_id"} and one.body["receive_id"] == "ou_zhangsan"
    assert "52" in one.body["content"]
    assert note.path.endswith("/om_9/reply") and "52" not in note.body["content"]


# --- long connection -----------------------------------------------------------------------


def sdk_frame(headers: dict[str, str], payload: bytes, method: int = 1) -> bytes:
    """A frame as the platform sends it, built with the SDK's own protobuf classes."""
    from lark_oapi.ws.pb.pbbp2_pb2 import Frame

    frame = Frame()
    frame.SeqID, frame.LogID, frame.service, frame.method = 1, 2, 7, method
    for key, value in headers.items():
        header = frame.headers.add()
        header.key, header.value = key, value
    frame.payload = payload
    return frame.SerializeToString()


def parse_sdk_frame(data: bytes):
    from lark_oapi.ws.pb.pbbp2_pb2 import Frame

    frame = Frame()
    frame.ParseFromString(data)
    return frame


async def test_long_connection_receives_events_answers_frames_and_replies(fake, serve_channel):
    whole = json.dumps(text_event("/帮助", "om_ws1", chat_type="p2p"), ensure_ascii=False).encode()
    split = json.dumps(text_event("/帮助", "om_ws2", chat_type="p2p", sender_open_id="ou_lisi")).encode()
    half = len(split) // 2
    common = {"type": "event", "trace_id": "tr"}
    fake.feishu_ws_frames = [
        sdk_frame({**common, "message_id": "f1", "sum": "1", "seq": "0"}, whole),
        sdk_frame({**common, "message_id": "f2", "sum": "2", "seq": "1"}, split[half:]),
        sdk_frame({**common, "message_id": "f2", "sum": "2", "seq": "0"}, split[:half]),
        sdk_frame({**common, "message_id": "f3", "sum": "1", "seq": "0"}, whole),  # a re-push
    ]
    env = feishu_env(fake.url, ORGBOT_FEISHU_LONG_CONNECTION="true", ORGBOT_FEISHU_ENCRYPT_KEY="")
    bot, _, client = await serve_channel(feishu, **env)
    assert (await client.post("/callback/feishu", json={})).status == 404  # no HTTP callback in this mode

    def data_acks():
        return [f for f in map(parse_sdk_frame, fake.feishu_ws_received) if f.method == 1]

    await fake.wait_for(lambda: len(data_acks()) == 3)
    await fake.wait_for(lambda: len(fake.sent("feishu", "/im/v1/messages")) == 2)
    await settle(bot)
    acks = data_acks()
    assert [dict((h.key, h.value) for h in a.headers)["message_id"] for a in acks] == ["f1", "f2", "f3"]
    assert all(json.loads(a.payload) == {"code": 200} for a in acks)
    pings = [f for f in map(parse_sdk_frame, fake.feishu_ws_received) if f.method == 0]
    assert pings and pings[0].service == 7 and pings[0].headers[0].value == "ping"
    receivers = sorted(c.body["receive_id"] for c in fake.sent("feishu", "/im/v1/messages"))
    assert receivers == ["ou_lisi", "ou_zhangsan"]


def test_frame_codec_round_trips_with_the_sdk():
    from bot.channels.feishu_ws import Frame

    raw = sdk_frame({"type": "event", "message_id": "m"}, "飞书".encode())
    ours = Frame.decode(raw)
    assert ours.header("message_id") == "m" and ours.payload.decode() == "飞书" and ours.service == 7
    assert parse_sdk_frame(ours.encode()) == parse_sdk_frame(raw)


async def test_reply_mentions_are_rendered_as_at_tags(feishu_bot, fake):
    bot, _, _ = feishu_bot
    await bot.deliver(Outgoing(Target("feishu", chat_id="oc_group1"), Reply("请尽快报送", mentions=("ou_lisi",))))
    (call,) = fake.sent("feishu", "/im/v1/messages")
    assert json.loads(call.body["content"])["text"] == '<at user_id="ou_lisi"></at> 请尽快报送'


async def test_the_app_send_quota_comes_from_config_and_paces_sends_to_everybody(fake, serve_channel):
    """Feishu's per-app quota depends on the tenant's plan: ``[feishu] app_sends_per_second``."""
    bot, _, _ = await serve_channel(feishu, **feishu_env(fake.url, ORGBOT_FEISHU_APP_SENDS_PER_SECOND="2"))
    started = time.monotonic()
    for person in ("ou_a", "ou_b", "ou_c"):  # three recipients: only the app quota applies
        await bot.deliver(Outgoing(Target("feishu", user_id=person), Reply("通知")))
    assert len(fake.sent("feishu", "/im/v1/messages")) == 3
    assert time.monotonic() - started >= 0.9, "the third send waited for the quota's next second"


def test_an_app_send_quota_below_one_is_refused(config_for, db_url):
    from bot.config import ConfigError

    with pytest.raises(ConfigError, match="app_sends_per_second"):
        config_for(db_url, ORGBOT_FEISHU_APP_SENDS_PER_SECOND="0")
