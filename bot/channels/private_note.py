"""What a group is told when its answer went to the asker alone.

The channel that delivered the personal data privately is the one that knows it did,
so it (and only it) posts this note where the question was asked: one note per
private answer, worded the same on every platform.
"""

from __future__ import annotations

SENT_PRIVATELY = "涉及个人信息的内容已单独发给您，请查看与我的单聊。"
