"""A cadre lookup asked in a group: the record reaches the asker alone, and the group gets exactly one note.

The handler only marks the answer private; the channel that delivered it privately posts
the note (issue 10, item 9: the asker used to get two). One genuine callback per
platform, through the running app, answered at the fake platform.
"""

from __future__ import annotations

import json
import time

from bench.support import dingtalk_peer, feishu_peer, wecom_peer
from bot.cadres.demo import seed_demo
from bot.channels import dingtalk, feishu, wecom
from bot.channels.private_note import SENT_BY_APP_MESSAGE, SENT_PRIVATELY
from tests.channels.conftest import settle
from tests.conftest import add_staff

ID_CARD_A1002 = "000000199009030022"


async def admin_on(bot, channel: str, platform_id: str) -> None:
    await seed_demo(bot)
    await add_staff(bot, "im_admin", "管理员", role="admin", im=((channel, platform_id),))


async def test_dingtalk_group_lookup_one_note(serve_channel, fake):
    bot, _, client = await serve_channel(dingtalk, **dingtalk_peer.dingtalk_env(fake.url))
    await admin_on(bot, "dingtalk", "manager01")
    message = dingtalk_peer.robot_message(fake.url, "/干部 A1002", "msgNote1", staff_id="manager01")
    body = dingtalk_peer.body(message)
    assert (await client.post("/callback/dingtalk", data=body, headers=dingtalk_peer.signed_headers())).status == 200
    await settle(bot)
    (private,) = fake.sent("dingtalk", "oToMessages/batchSend")
    assert private.body["userIds"] == ["manager01"] and ID_CARD_A1002 in private.body["msgParam"]
    (note,) = fake.sent("dingtalk", "sendBySession")
    assert note.body["text"]["content"] == f"@manager01 {SENT_PRIVATELY}"
    assert fake.sent("dingtalk", "groupMessages/send") == []


async def test_feishu_group_lookup_one_note(serve_channel, fake):
    bot, _, client = await serve_channel(feishu, **feishu_peer.feishu_env(fake.url))
    await admin_on(bot, "feishu", "zhangsan")
    mention = feishu_peer.mention("@_user_1", feishu_peer.BOT_OPEN_ID, "组工助手")
    event = feishu_peer.text_event("@_user_1 /干部 A1002", "om_note1", mentions=[mention])
    headers, body = feishu_peer.signed_request(event)
    assert (await client.post("/callback/feishu", data=body, headers=headers)).status == 200
    await settle(bot)
    sent = fake.sent("feishu", "/im/v1/messages")
    private = [c for c in sent if c.query.get("receive_id_type") == "open_id"]
    public = [c for c in sent if c.path.endswith("/om_note1/reply")]
    assert len(private) == 1 and private[0].body["receive_id"] == "ou_zhangsan"
    assert ID_CARD_A1002 in private[0].body["content"]
    assert len(public) == 1 and len(sent) == 2
    text = json.loads(public[0].body["content"])["text"]
    assert text.endswith(SENT_PRIVATELY) and ID_CARD_A1002 not in text


async def test_wecom_ai_bot_group_lookup_one_note(serve_channel, fake):
    bot, _, client = await serve_channel(wecom, **wecom_peer.wecom_env(fake.url))
    await admin_on(bot, "wecom", "zhangsan")
    ts = int(time.time())
    message = wecom_peer.aibot_text("@组工助手 /干部 A1002", "ab-note1", "zhangsan", chat_id="wrgroup")
    params, body = wecom_peer.aibot_request(message, ts)
    first = wecom_peer.open_aibot_reply(
        await (await client.post("/callback/wecom/bot", params=params, data=body)).json()
    )
    await settle(bot)
    refresh = {"msgid": "ab-note1-r", "msgtype": "stream", "stream": {"id": first["stream"]["id"]}}
    params, body = wecom_peer.aibot_request(refresh, ts, nonce="n-note")
    final = wecom_peer.open_aibot_reply(
        await (await client.post("/callback/wecom/bot", params=params, data=body)).json()
    )
    text = final["stream"]["content"]
    assert final["stream"]["finish"] is True
    assert text.strip() == SENT_BY_APP_MESSAGE
    (private,) = fake.sent("wecom", "message/send")
    assert private.body["touser"] == "zhangsan" and ID_CARD_A1002 in private.body["text"]["content"]
