"""The message path after a channel has verified a request: dedupe → who → route → handler → replies."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from bot.handler import DIALOGUE_LABEL, DIALOGUE_RESTART, Context, HandlerResult, User, clear_state, load_state
from bot.identity import resolve_user
from bot.logs import request_id
from bot.messages import Incoming, Reply
from bot.storable_text import incoming_problem
from bot.storage.models import ProcessedMessage

if TYPE_CHECKING:
    from bot.app import OrgBot

log = logging.getLogger(__name__)

ERROR_REPLY = "抱歉，处理您的消息时出错了，请稍后再试；如一直出错，请联系管理员。"
TIMEOUT_REPLY = "抱歉，这次处理时间太长，已经放弃。请换个说法或稍后再试。"


def to_replies(result: HandlerResult) -> list[Reply]:
    if result is None:
        return []
    if isinstance(result, (str, Reply)):
        result = [result]
    out: list[Reply] = []
    for item in result:
        out.append(Reply(item) if isinstance(item, str) else item)
    return [r for r in out if r.text.strip()]


async def claim_message(bot: OrgBot, message: Incoming) -> bool:
    """True the first time a (channel, message id) is seen, across restarts and instances."""
    try:
        async with bot.db() as session, session.begin():
            session.add(
                ProcessedMessage(
                    channel=message.channel, message_id=message.message_id[:191], received_at=bot.clock.now()
                )
            )
    except IntegrityError:
        return False
    return True


async def dispatch(bot: OrgBot, message: Incoming) -> list[Reply] | None:
    """Answer one message. None means it was a duplicate or not for the bot; [] means no reply."""
    problem = incoming_problem(message)
    if problem is not None:
        # Channels refuse these before acknowledging when they can; this guards the rest (long connections, CLI).
        log.warning("%s message refused: %s", message.channel, problem)
        return [Reply(f"抱歉，这条消息无法处理：{problem}。请检查后重新发送。")]
    token = request_id.set(f"{message.channel}:{message.message_id[:24]}")
    try:
        if not await claim_message(bot, message):
            log.info("duplicate message ignored")
            return None
        if message.is_group and bot.config.bot.group_mention_only and not message.mentioned_bot:
            return None
        async with bot.db() as session:
            user = await resolve_user(session, message.channel, message.sender_id, message.sender_name)
        replies = await _route_and_run(bot, message, user)
        log.info("answered with %d repl%s", len(replies), "y" if len(replies) == 1 else "ies")
        return replies
    finally:
        request_id.reset(token)


async def _route_and_run(bot: OrgBot, message: Incoming, user: User) -> list[Reply]:
    text = message.text.strip()
    if not text:
        return [Reply(f"您好，我是{bot.config.bot.name}。发送 /帮助 查看我能做什么。")]
    pending = await load_state(bot, message, user.user_id)
    route = bot.router.resolve(text, pending[0] if pending else None)
    if route is None:
        from bot.router import split_command

        cmd = split_command(text)
        word = cmd[0] if cmd else text
        hint = bot.router.suggest_command(word)
        extra = f"您是不是想用 /{hint}？" if hint else ""
        return [Reply(f"没有 /{word} 这个命令。{extra}发送 /帮助 查看可用的命令。")]
    if route.spec.role > user.role:
        return [
            Reply(
                f"抱歉，“{route.spec.help or route.command or '该功能'}”需要{route.spec.role.label}权限。如需开通，请联系管理员。"
            )
        ]
    is_pending = pending is not None and pending[0] == route.spec.name and route.command is None
    interrupted = pending[1] if pending is not None and not is_pending and route.command is not None else None
    if pending is not None and not is_pending:
        await clear_state(bot, message, user.user_id)
    ctx = Context(
        message=message,
        user=user,
        bot=bot,
        spec=route.spec,
        command=route.command,
        args=route.args,
        match=route.match,
        pending=pending[1] if pending is not None and is_pending else None,
    )
    if is_pending:
        await clear_state(bot, message, user.user_id)
    try:
        result = await asyncio.wait_for(route.func(ctx), timeout=bot.config.bot.handler_timeout)
    except TimeoutError:
        log.warning("handler %s timed out", route.spec.name)
        result = TIMEOUT_REPLY
    except Exception:
        log.exception("handler %s failed", route.spec.name)
        result = ERROR_REPLY
    replies = to_replies(result)
    if interrupted is not None:
        replies.extend(await _interrupted_note(bot, message, user, interrupted))
    return replies


async def _interrupted_note(bot: OrgBot, message: Incoming, user: User, data: dict[str, object]) -> list[Reply]:
    """A command ended a labelled guided dialogue: say so, unless the command started it afresh."""
    label = data.get(DIALOGUE_LABEL)
    if not label:
        return []
    now = await load_state(bot, message, user.user_id)
    if now is not None and now[1].get(DIALOGUE_LABEL) == label:
        return []
    restart = data.get(DIALOGUE_RESTART)
    again = f"，如需继续请重新发送 {restart}" if restart else ""
    return [Reply(f"已退出正在进行的“{label}”{again}")]


def flatten(replies: Iterable[Reply] | None) -> list[Reply]:
    return list(replies or [])
