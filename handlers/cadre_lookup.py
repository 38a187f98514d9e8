"""/培训, /后备, /干部, /我的培训: cadre lookups, checked, masked and audited one by one.

Every lookup (allowed or refused) leaves an audit row; refusals read the same whether the
cadre exists or not, so nobody can learn which IDs exist; in a group the answer goes to the
asker privately.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit_record import has_unstorable
from bot.cadres import lookups, replies
from bot.cadres.ids import Query, find_id_in_text, normalize_text, parse_query
from bot.cadres.lookup_quota import RATE_LIMITED, admit
from bot.cadres.models import Cadre
from bot.cadres.permissions import Viewer, viewer_for
from bot.cadres.requirements import progress
from bot.cadres.units import unit_names
from bot.handler import Context, handler
from bot.menu import read_pick
from bot.messages import Reply
from bot.roles import Role

TRAINING, RESERVE, PROFILE = "training", "reserve", "profile"
ACTIONS = {TRAINING: "cadre.training", RESERVE: "cadre.reserve", PROFILE: "cadre.profile"}
WHAT = {TRAINING: "培训学时", RESERVE: "后备干部情况", PROFILE: "基本信息"}
COMMAND = {TRAINING: "培训", RESERVE: "后备", PROFILE: "干部"}

GUEST_REPLY = "抱歉，干部信息查询只对已登记的工作人员开放。如需开通，请联系组织部管理员。"
NO_LINK_REPLY = "您的账号还没有关联干部编号，暂时查不到本人的记录。请联系管理员在人员表中为您填写“干部编号”。"
UNREADABLE_REPLY = "您发来的内容里有无法识别的控制字符（例如空字符），请只输入干部编号或姓名。"

_SELF_RE = re.compile(r"^\s*(我(?!们)|本人|自己)|我(自己)?(今年|本年度?|的)")


def _no_access(key: str) -> str:
    return (
        f"没有找到您有权查看的干部记录（{key}）。"
        "工作人员只能查看本人记录，组织员只能查看所管单位的干部；如有疑问请联系管理员。"
    )


def _today(ctx: Context) -> date:
    return ctx.bot.clock.now().astimezone(ZoneInfo(ctx.config.bot.timezone)).date()


def _answer(ctx: Context, text: str) -> list[Reply]:
    """Personal data goes to the asker alone, in a 1:1 chat too: a platform channel then sends it
    to the person's own id, never to a group or to an address taken from the message. In a group
    the channel that delivered it privately leaves the one note saying so."""
    return [Reply(text, private=True)]


@dataclass(frozen=True)
class Finding:
    """What a lookup found and would answer, before the rate-limit gate decides whether it may."""

    outcome: str
    reply: list[Reply] | str
    subject: str | None = None
    detail: str = ""
    expect: dict[str, Any] | None = None


async def _show(ctx: Context, session: AsyncSession, kind: str, viewer: Viewer, cadre: Cadre) -> str:
    names = await unit_names(session, {cadre.unit_code})
    unit_name = names.get(cadre.unit_code, "")
    if kind == TRAINING:
        year = _today(ctx).year
        return replies.training_reply(cadre, unit_name, progress(cadre.rank, cadre.training, year, ctx.config.cadres))
    if kind == RESERVE:
        return replies.reserve_reply(cadre, unit_name, _today(ctx))
    return replies.profile_reply(cadre, unit_name, unmasked=viewer.sees_unmasked)


async def lookup(ctx: Context, kind: str, *, asked: str, self_lookup: bool = False) -> list[Reply] | str:
    """Find, gate and record in one transaction; the answer leaves only with its audit row.

    One session, one transaction: a lookup never holds a pooled connection while waiting
    for another, so a burst cannot exhaust the pool. The rate limit is counted inside the
    transaction that adds the audit row (``admit``), so concurrent lookups by one person
    cannot all slip under it; their turns queue in memory first (``PersonTurns``).
    """
    action = ACTIONS[kind]
    async with ctx.bot.lookup_turns.turn(ctx.user.user_id), ctx.session() as session, session.begin():
        found = await _find(ctx, session, kind, asked, self_lookup)
        limited = await admit(session, ctx.user.user_id, ctx.bot.clock.now(), ctx.config.cadres)
        if limited:
            session.add(ctx.audit_row(action, RATE_LIMITED, query=ctx.text))
        else:
            session.add(
                ctx.audit_row(action, found.outcome, query=ctx.text, subject=found.subject, detail=found.detail)
            )
            if found.expect is not None:
                await ctx.expect_in(session, found.expect)
    # Counted once the audit row is committed, so the metrics and the audit log agree.
    ctx.bot.metrics.audited(action, RATE_LIMITED if limited else found.outcome)
    return limited or found.reply


async def _find(ctx: Context, session: AsyncSession, kind: str, asked: str, self_lookup: bool) -> Finding:
    """Only reads; on SQLite they run before the gate's write opens the write transaction."""
    if ctx.user.role is Role.GUEST:
        return Finding("denied", _answer(ctx, GUEST_REPLY), detail="guest")
    if has_unstorable(ctx.text):
        return Finding(
            "invalid", f"{UNREADABLE_REPLY}\n用法：/{COMMAND[kind]} 干部编号或姓名", detail="control characters"
        )
    if self_lookup:
        if not ctx.user.cadre_id:
            return Finding("no_link", NO_LINK_REPLY)
        query = Query(cadre_id=ctx.user.cadre_id)
    else:
        query = parse_query(asked)
        if query.error:
            return Finding("invalid", f"{query.error}\n用法：/{COMMAND[kind]} 干部编号或姓名", detail=query.error)
    viewer = ctx.access or await viewer_for(session, ctx.user)
    if query.cadre_id is not None:
        return await _by_id(ctx, session, kind, viewer, query.cadre_id)
    assert query.name is not None
    return await _by_name(ctx, session, kind, viewer, query.name)


async def _by_id(ctx: Context, session: AsyncSession, kind: str, viewer: Viewer, cadre_id: str) -> Finding:
    found = await lookups.find_by_id(session, viewer, cadre_id)
    if found.cadre is not None:
        return await _allowed(ctx, session, kind, viewer, found.cadre)
    outcome = "denied" if found.exists else "not_found"
    similar = found.similar
    if not similar:
        return Finding(outcome, _answer(ctx, _no_access(cadre_id)), subject=cadre_id)
    names = await unit_names(session, {c.unit_code for c in similar})
    intro = f"没有找到干部编号 {cadre_id}。您要查的可能是（请回复序号）："
    return Finding(
        outcome,
        _answer(ctx, replies.choices_reply(similar, names, WHAT[kind], intro)),
        subject=cadre_id,
        detail="suggested=" + ",".join(c.cadre_id for c in similar),
        expect={"kind": kind, "ids": [c.cadre_id for c in similar]},
    )


async def _by_name(ctx: Context, session: AsyncSession, kind: str, viewer: Viewer, name: str) -> Finding:
    matches = await lookups.search_by_name(session, viewer, name)
    if not matches:
        return Finding("not_found", _answer(ctx, _no_access(name)), detail=f"name={name}")
    if len(matches) > 1:
        shown = matches[: lookups.MAX_CHOICES]
        names = await unit_names(session, {c.unit_code for c in shown})
        text = replies.choices_reply(shown, names, WHAT[kind])
        if len(matches) > len(shown):
            text += f"\n（另有 {len(matches) - len(shown)} 位未列出，请用干部编号或更完整的姓名查询。）"
        return Finding(
            "choices",
            _answer(ctx, text),
            detail="candidates=" + ",".join(c.cadre_id for c in shown),
            expect={"kind": kind, "ids": [c.cadre_id for c in shown]},
        )
    cadre = await lookups.load_cadre(session, matches[0].cadre_id)
    assert cadre is not None
    return await _allowed(ctx, session, kind, viewer, cadre)


async def _allowed(ctx: Context, session: AsyncSession, kind: str, viewer: Viewer, cadre: Cadre) -> Finding:
    return Finding("allowed", _answer(ctx, await _show(ctx, session, kind, viewer, cadre)), subject=cadre.cadre_id)


async def pick(ctx: Context, kind: str) -> list[Reply] | str | None:
    """The reply to a numbered list: a number picks; anything else is read as a new question.

    The pick list is a declared dialogue: a number out of range leaves it open as it is.
    """
    assert ctx.pending is not None
    ids: list[str] = list(ctx.pending.get("ids", []))
    kind = ctx.pending.get("kind", kind)
    text = normalize_text(ctx.args).strip()
    pick = read_pick(text, len(ids))
    if pick.is_number and pick.index is None:
        return pick.out_of_range()
    await ctx.clear()
    if not pick.is_number:
        found = find_id_in_text(text)
        if found or parse_query(text).name:
            return await lookup(ctx, kind, asked=found or text)
        return "已退出选择。要查询请发送命令，例如 /培训 A1024。"
    assert pick.index is not None
    return await lookup(ctx, kind, asked=ids[pick.index])


def _from_text(ctx: Context) -> tuple[str, bool]:
    """(ID or name asked about, whether the person asks about themself) from a command or a sentence."""
    if ctx.command is not None:
        return ctx.args, False
    found = find_id_in_text(ctx.args)
    if found:
        return found, False
    return "", bool(_SELF_RE.search(ctx.args))


async def _entry(ctx: Context, kind: str) -> list[Reply] | str | None:
    if ctx.pending is not None:
        return await pick(ctx, kind)
    asked, self_lookup = _from_text(ctx)
    if ctx.command is None and not asked and not self_lookup:
        return f"请告诉我要查询的干部编号，例如“/{COMMAND[kind]} A1024”；查本人请说“我今年还差多少学时”或发 /我的培训。"
    return await lookup(ctx, kind, asked=asked, self_lookup=self_lookup)


ID = r"[A-Za-zＡ-Ｚａ-ｚ][A-Za-z0-9Ａ-Ｚａ-ｚ０-９-]*[0-9０-９]"


@handler(
    commands=["培训", "学时", "training"],
    patterns=[
        rf"{ID}.{{0,12}}(学时|培训)",
        rf"(学时|培训(情况|记录)).{{0,8}}{ID}",
        r"我(?!们)(今年|本年度?|的|自己)?.{0,8}(学时|培训(情况|记录|进度|完成))",
    ],
    help="查询干部培训学时",
    usage="/培训 干部编号或姓名",
    category="干部查询",
    priority=20,
    keeps_dialogue=True,
)
async def training(ctx: Context) -> list[Reply] | str | None:
    return await _entry(ctx, TRAINING)


@handler(
    commands=["我的培训", "我的学时"],
    help="查看本人今年的培训学时",
    usage="/我的培训",
    category="干部查询",
    priority=20,
)
async def my_training(ctx: Context) -> list[Reply] | str | None:
    return await lookup(ctx, TRAINING, asked="", self_lookup=True)


@handler(
    commands=["后备", "后备干部"],
    patterns=[rf"{ID}.{{0,12}}后备", rf"后备.{{0,8}}{ID}", r"我(?!们).{0,6}(是不是|是否|算不算|在不在).{0,6}后备"],
    help="查询后备干部情况",
    usage="/后备 干部编号或姓名",
    category="干部查询",
    priority=20,
    keeps_dialogue=True,
)
async def reserve(ctx: Context) -> list[Reply] | str | None:
    return await _entry(ctx, RESERVE)


@handler(
    commands=["干部", "干部信息"],
    patterns=[rf"{ID}.{{0,6}}(基本情况|基本信息|档案|简历)"],
    help="查询干部基本信息",
    usage="/干部 干部编号或姓名",
    category="干部查询",
    priority=20,
    keeps_dialogue=True,
)
async def profile(ctx: Context) -> list[Reply] | str | None:
    return await _entry(ctx, PROFILE)
