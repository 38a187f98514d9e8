"""Whatever arrives at a callback path, the answer is a clear 4xx and one log line — never a 500."""

from __future__ import annotations

import random

import pytest

from bench.support.dingtalk_peer import dingtalk_env, signed_headers
from bench.support.feishu_peer import feishu_env
from bench.support.wecom_peer import wecom_env
from bot.channels import dingtalk, feishu, wecom

JUNK = [
    b"",
    b"null",
    b"[]",
    b'{"encrypt": 5}',
    b'{"encrypt": "\xe4\xb8\xad"}',
    b'{"encrypt": "AAAA"}',
    b"<xml><Encrypt>%%%</Encrypt></xml>",
    b"\x00\xff" * 50,
    '{"encrypt": "组工"}'.encode(),
]


@pytest.mark.parametrize(
    ("module", "env", "path"),
    [
        (wecom, wecom_env, "/callback/wecom?msg_signature=x&timestamp=1&nonce=n"),
        (wecom, wecom_env, "/callback/wecom/bot?msg_signature=%ZZ&timestamp=abc&nonce=n"),
        (dingtalk, dingtalk_env, "/callback/dingtalk"),
        (feishu, feishu_env, "/callback/feishu"),
    ],
)
async def test_junk_is_refused_with_a_4xx(serve_channel, fake, module, env, path, caplog):
    _, _, client = await serve_channel(module, **env(fake.url))
    rng = random.Random(7)
    bodies = [*JUNK, *(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300))) for _ in range(30))]
    if module is dingtalk:
        header_sets = [signed_headers()]
    else:
        header_sets = [{}, {"X-Lark-Signature": "00", "X-Lark-Request-Timestamp": "x", "X-Lark-Request-Nonce": "n"}]
    for body in bodies:
        for headers in header_sets:
            resp = await client.post(path, data=body, headers=headers)
            assert 400 <= resp.status < 500, (body, resp.status)
    assert "Traceback" not in caplog.text


async def test_genuinely_signed_but_oddly_shaped_payloads_never_crash(serve_channel, fake, caplog):
    import json
    import time

    from bench.support import feishu_peer, wecom_peer
    from tests.channels.conftest import settle

    odd = [
        {"msgid": "o1", "from": "zhangsan", "msgtype": "text", "text": "hi"},
        {"msgid": "o2", "from": {"userid": "u"}, "msgtype": "mixed", "mixed": {"msg_item": ["x", {"text": 3}]}},
        {"msgid": "o3", "from": {"userid": "u"}, "msgtype": "stream", "stream": "x"},
    ]
    bot, _, client = await serve_channel(wecom, **wecom_env(fake.url))
    for payload in odd:
        params, body = wecom_peer.aibot_request(payload, int(time.time()))
        assert (await client.post("/callback/wecom/bot", params=params, data=body)).status == 200
    await settle(bot)

    bot, _, client = await serve_channel(dingtalk, **dingtalk_env(fake.url))
    for payload in [
        {"msgId": "d1", "senderStaffId": "u", "msgtype": "text", "text": "hi", "sessionWebhookExpiredTime": "soon"},
        {"msgId": "d2", "senderStaffId": "u", "msgtype": "richText", "content": {"richText": "x"}},
    ]:
        resp = await client.post("/callback/dingtalk", data=json.dumps(payload).encode(), headers=signed_headers())
        assert resp.status == 200
    await settle(bot)

    bot, _, client = await serve_channel(feishu, **feishu_env(fake.url))
    event = feishu_peer.text_event("hi", "om_odd")
    event["event"]["message"]["mentions"] = "x"
    event["event"]["message"]["content"] = "not json"
    broken = feishu_peer.text_event("hi", "om_odd2")
    broken["event"]["sender"] = ["x"]
    for payload in (event, broken):
        headers, body = feishu_peer.signed_request(payload)
        assert (await client.post("/callback/feishu", data=body, headers=headers)).status == 200
    await settle(bot)
    assert "Traceback" not in caplog.text and "failed" not in caplog.text
