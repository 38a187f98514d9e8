"""One message, one unit of work: a short chain of small steps with one error hook.

    admissible → etiquette → identify → throttle → route → authorize → dialogue → handler → replies

Each step is ``async def step(turn, proceed)``: it may stop the chain by not calling
``proceed()`` (leaving replies on the turn), or do something after the rest has run.
The dedupe claim happens before the chain: a platform message is recorded in the durable
inbox when it is acknowledged (``OrgBot.accept``), and the answer workers run this chain.
Steps open at most one database session at a time and never hold one while the handler runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.access import Access, access_for
from bot.audit_trail import AuditRecord
from bot.audit_trail import write as write_audit
from bot.handler import DIALOGUE_LABEL, DIALOGUE_RESTART, Context, HandlerResult, User, flush_state, read_state
from bot.identity import LOCAL_CHANNELS as INLINE_CHANNELS
from bot.identity import resolve_user
from bot.messages import Incoming, Reply
from bot.router import Route, split_command
from bot.storable_text import UNUSABLE_KEY, incoming_problem

if TYPE_CHECKING:
    from bot.app import OrgBot

log = logging.getLogger(__name__)

ERROR_REPLY = "抱歉，处理您的消息时出错了，请稍后再试；如一直出错，请联系管理员。"
TIMEOUT_REPLY = "抱歉，这次处理时间太长，已经放弃。请换个说法或稍后再试。"
THROTTLED_REPLY = "您发送消息太频繁了，请稍等一分钟再试。"


def to_replies(result: HandlerResult) -> list[Reply]:
    if result is None:
        return []
    if isinstance(result, (str, Reply)):
        result = [result]
    out: list[Reply] = []
    for item in result:
        out.append(Reply(item) if isinstance(item, str) else item)
    return [r for r in out if r.text.strip()]


@dataclass
class Turn:
    """What the chain knows about one message so far."""

    bot: OrgBot
    message: Incoming
    user: User | None = None
    access: Access | None = None
    pending: tuple[str, dict[str, Any]] | None = None
    route: Route | None = None
    replies: list[Reply] = field(default_factory=list)
    ignored: bool = False  # not for the bot (a group message without @): no reply at all
    context: Context | None = None

    def say(self, text: str) -> None:
        self.replies.append(Reply(text))


Proceed = Callable[[], Awaitable[None]]
Step = Callable[[Turn, Proceed], Awaitable[None]]


UNUSABLE_REPLY = "您发来的内容里有无法识别的控制字符（例如空字符），这条消息无法处理（{why}）。请检查后重新发送。"


async def admissible(turn: Turn, proceed: Proceed) -> None:
    """Text the databases cannot store (NUL, lone surrogates) is answered with the reason, and audited.

    Callbacks refuse such messages with a 400 before acknowledging; this guards the rest
    (long connections, the terminal, messages recorded with their text escaped).
    """
    message = turn.message
    why = incoming_problem(message) or str((message.raw or {}).get(UNUSABLE_KEY) or "") or None
    if why is None:
        await proceed()
        return
    log.warning("%s message refused: %s", message.channel, why)
    turn.say(UNUSABLE_REPLY.format(why=why))
    await _audit(turn, message.sender_id, "unknown", "message.invalid", "invalid", why)


async def etiquette(turn: Turn, proceed: Proceed) -> None:
    """In a group the bot speaks only when @-mentioned (if so configured)."""
    if not for_the_bot(turn.bot, turn.message):
        turn.ignored = True
        return
    await proceed()


async def identify(turn: Turn, proceed: Proceed) -> None:
    """Who is speaking, what they may reach, and what dialogue they are in: one short read."""
    message = turn.message
    async with turn.bot.db() as session:
        turn.user = await resolve_user(session, message.channel, message.sender_id, message.sender_name)
        turn.access = await access_for(session, turn.user)
        turn.pending = await read_state(session, message, turn.user.user_id, turn.bot.clock.now())
    await proceed()


async def throttle(turn: Turn, proceed: Proceed) -> None:
    """One person flooding the bot over IM gets a short note, not a worker per message.

    Local channels (terminal, HTTP API) wait for each answer, so they bound themselves.
    """
    assert turn.user is not None
    if turn.message.channel in INLINE_CHANNELS:
        await proceed()
        return
    if not turn.bot.sender_throttle.allow(f"{turn.message.channel}:{turn.user.user_id}"):
        if turn.bot.sender_throttle.first_refusal(f"{turn.message.channel}:{turn.user.user_id}"):
            turn.say(THROTTLED_REPLY)
        return
    await proceed()


async def route(turn: Turn, proceed: Proceed) -> None:
    text = turn.message.text.strip()
    if not text:
        turn.say(f"您好，我是{turn.bot.config.bot.name}。发送 /帮助 查看我能做什么。")
        return
    pending = turn.pending[0] if turn.pending else None
    turn.route = turn.bot.router.resolve(text, pending)
    declined: set[str] = set()
    while turn.route is not None and turn.route.match is not None and not await _applies(turn, turn.route):
        declined.add(turn.route.spec.name)
        turn.route = turn.bot.router.resolve(text, pending, skip=declined)
    if turn.route is None:
        cmd = split_command(text)
        word = cmd[0] if cmd else text
        hint = turn.bot.router.suggest_command(word)
        extra = f"您是不是想用 /{hint}？" if hint else ""
        turn.say(f"没有 /{word} 这个命令。{extra}发送 /帮助 查看可用的命令。")
        return
    await proceed()


async def _applies(turn: Turn, route: Route) -> bool:
    applies = route.spec.applies
    return applies is None or await applies(_context(turn, route))


def _context(turn: Turn, route: Route) -> Context:
    assert turn.user is not None
    return Context(
        message=turn.message,
        user=turn.user,
        bot=turn.bot,
        spec=route.spec,
        command=route.command,
        args=route.args,
        match=route.match,
        pending=turn.pending[1] if turn.pending else None,
        access=turn.access,
    )


async def authorize(turn: Turn, proceed: Proceed) -> None:
    assert turn.route is not None and turn.user is not None
    spec = turn.route.spec
    if spec.role > turn.user.role:
        turn.say(
            f"抱歉，“{spec.help or turn.route.command or '该功能'}”需要{spec.role.label}权限。如需开通，请联系管理员。"
        )
        await _audit_refusal(turn, spec.name)
        return
    await proceed()


async def _audit_refusal(turn: Turn, handler_name: str) -> None:
    """Every refusal by role leaves a row: who tried which feature, from where, with what text."""
    assert turn.user is not None and turn.route is not None
    needed = turn.route.spec.role.name.lower()
    await _audit(
        turn, turn.user.user_id, turn.user.role.name.lower(), "role.denied", "denied", f"{handler_name} 需要 {needed}"
    )


async def _audit(turn: Turn, actor: str, role: str, action: str, outcome: str, detail: str) -> None:
    message = turn.message
    record = AuditRecord(
        actor=actor,
        actor_role=role,
        channel=message.channel,
        chat_id=message.chat_id,
        action=action,
        outcome=outcome,
        query=message.text,
        detail=detail,
    )
    async with turn.bot.db() as session, session.begin():
        write_audit(session, turn.bot.clock.now(), record)


async def dialogue(turn: Turn, proceed: Proceed) -> None:
    """A pending dialogue continues with its own handler; anything else ends it (a command says which one).

    The state is written once, after the handler: its next step, or the old one dropped — unless
    the handler declared its dialogue (``keeps_dialogue``), whose step stays until it is ended.
    """
    assert turn.route is not None and turn.user is not None
    pending = turn.pending
    continues = pending is not None and pending[0] == turn.route.spec.name and turn.route.command is None
    if not continues:
        turn.pending = None
    ok = False
    try:
        await proceed()
        ok = True
    finally:
        ctx = turn.context
        next_state = ctx.next_state if ctx is not None and ok else None
        written = ctx is not None and ok and ctx.state_written
        kept = (
            continues and ok and ctx is not None and turn.route.spec.keeps_dialogue and not ctx.cleared
        )  # a declared dialogue's step stays until the handler ends it
        drop = not written and not kept and (pending is not None or (ctx is not None and ctx.cleared) or not ok)
        await flush_state(turn.bot, turn.message, turn.user.user_id, next_state, drop=drop)
    if pending is not None and not continues and turn.route.command is not None:
        label = pending[1].get(DIALOGUE_LABEL)
        restarted = next_state is not None and next_state.data.get(DIALOGUE_LABEL) == label
        if label and not restarted:
            restart = pending[1].get(DIALOGUE_RESTART)
            again = f"，如需继续请重新发送 {restart}" if restart else ""
            turn.say(f"已退出正在进行的“{label}”{again}")


async def run_handler(turn: Turn, proceed: Proceed) -> None:
    assert turn.route is not None and turn.user is not None
    r = turn.route
    ctx = turn.context = _context(turn, r)
    try:
        result = await asyncio.wait_for(r.func(ctx), timeout=turn.bot.config.bot.handler_timeout)
    except TimeoutError:
        log.warning("handler %s timed out", r.spec.name)
        result = TIMEOUT_REPLY
    turn.replies.extend(to_replies(result))
    await proceed()


CHAIN: tuple[Step, ...] = (admissible, etiquette, identify, throttle, route, authorize, dialogue, run_handler)


async def on_error(turn: Turn, exc: BaseException) -> None:
    """The one error hook: logged with the message id (the request id), answered with an apology."""
    where = turn.route.spec.name if turn.route is not None else "dispatch"
    log.error("%s failed on message %s", where, turn.message.message_id, exc_info=exc)
    turn.bot.metrics.message_failed(turn.message.channel)
    turn.replies = [Reply(ERROR_REPLY)]


async def run_chain(turn: Turn, steps: Iterable[Step] = CHAIN) -> Turn:
    remaining = list(steps)

    async def proceed() -> None:
        if remaining:
            step = remaining.pop(0)
            await step(turn, proceed)

    try:
        await proceed()
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        await on_error(turn, exc)
    return turn


async def run(bot: OrgBot, message: Incoming) -> list[Reply]:
    """The replies to one message ([] for none)."""
    turn = await run_chain(Turn(bot, message))
    if not turn.ignored:
        log.info("answered with %d repl%s", len(turn.replies), "y" if len(turn.replies) == 1 else "ies")
    return turn.replies


def for_the_bot(bot: OrgBot, message: Incoming) -> bool:
    return not (message.is_group and bot.config.bot.group_mention_only and not message.mentioned_bot)
