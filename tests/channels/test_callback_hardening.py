"""Whatever arrives at a callback path, the answer is a clear 4xx and one log line — never a 500."""

from __future__ import annotations

import random

import pytest

from bot.channels import dingtalk, feishu, wecom
from tests.channels.dingtalk_peer import dingtalk_env, signed_headers
from tests.channels.feishu_peer import feishu_env
from tests.channels.wecom_peer import wecom_env

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
