"""What a group is told when its answer went to the asker alone.

The channel that delivered the personal data privately is the one that knows it did,
so it (and only it) posts this note where the question was asked: one note per
private answer, worded the same on every platform.
"""

from __future__ import annotations

SENT_PRIVATELY = "涉及个人信息的内容已单独发给您，请查看与我的单聊。"
# WeCom's AI bot cannot message one person; the app (自建应用) does, in its own conversation.
SENT_BY_APP_MESSAGE = "涉及个人信息的内容已通过应用消息单独发给您，请查收。"
NOT_SENT_IN_GROUP = "这条回答涉及个人信息，不便在群里发送，请在与我的单聊中查询。"
