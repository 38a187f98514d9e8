"""/培训, /后备, /干部, /我的培训: cadre lookups, checked, masked and audited one by one.

Every lookup (allowed or refused) leaves an audit row; refusals read the same whether the
cadre exists or not, so nobody can learn which IDs exist; in a group the answer goes to the
asker privately.
"""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cadres import replies
from bot.cadres.ids import find_id_in_text, normalize_text, parse_query
from bot.cadres.lookup_service import (
    PROFILE,
    RESERVE,
    TRAINING,
    Ambiguous,
    Found,
    LookupCommand,
    LookupKind,
    LookupResult,
    NotFound,
    Refused,
    lookup,
)
from bot.handler import Context, handler
from bot.menu import read_pick
from bot.messages import Reply

COMMAND = replies.COMMAND

_SELF_RE = re.compile(r"^\s*(我(?!们)|本人|自己)|我(自己)?(今年|本年度?|的)")


def _answer(result: LookupResult) -> list[Reply] | str:
    """Personal data goes to the asker alone, in a 1:1 chat too: a platform channel then sends it
    to the person's own id, never to a group or to an address taken from the message. In a group
    the channel that delivered it privately leaves the one note saying so. Usage hints and the
    quota notice name nobody and answer where the question came from."""
    text = replies.render(result)
    private = isinstance(result, Found | Ambiguous | NotFound) or (
        isinstance(result, Refused) and result.reason == "guest"
    )
    return [Reply(text, private=True)] if private else text


async def run_lookup(ctx: Context, kind: LookupKind, *, asked: str, self_lookup: bool = False) -> list[Reply] | str:
    """Ask the lookup service; a pick list is kept as this person's dialogue in the same transaction."""

    async def keep_pick_list(session: AsyncSession, result: LookupResult) -> None:
        ids = _pick_ids(result)
        if ids:
            await ctx.expect_in(session, {"kind": kind, "ids": ids})

    command = LookupCommand(await ctx.actor(), kind, asked, self_lookup, ctx.text)
    return _answer(await lookup(ctx.bot, command, on_recorded=keep_pick_list))


def _pick_ids(result: LookupResult) -> list[str]:
    if isinstance(result, Ambiguous):
        return [c.cadre_id for c in result.candidates]
    if isinstance(result, NotFound):
        return [c.cadre_id for c in result.suggestions]
    return []


async def pick(ctx: Context, kind: LookupKind) -> list[Reply] | str | None:
    """The reply to a numbered list: a number picks; anything else is read as a new question.

    The pick list is a declared dialogue: a number out of range leaves it open as it is.
    """
    assert ctx.pending is not None
    ids: list[str] = list(ctx.pending.get("ids", []))
    kind = ctx.pending.get("kind", kind)
    text = normalize_text(ctx.args).strip()
    choice = read_pick(text, len(ids))
    if choice.is_number and choice.index is None:
        return choice.out_of_range()
    await ctx.clear()
    if not choice.is_number:
        found = find_id_in_text(text)
        if found or parse_query(text).name:
            return await run_lookup(ctx, kind, asked=found or text)
        return "已退出选择。要查询请发送命令，例如 /培训 A1024。"
    assert choice.index is not None
    return await run_lookup(ctx, kind, asked=ids[choice.index])


def _from_text(ctx: Context) -> tuple[str, bool]:
    """(ID or name asked about, whether the person asks about themself) from a command or a sentence."""
    if ctx.command is not None:
        return ctx.args, False
    found = find_id_in_text(ctx.args)
    if found:
        return found, False
    return "", bool(_SELF_RE.search(ctx.args))


async def _entry(ctx: Context, kind: LookupKind) -> list[Reply] | str | None:
    if ctx.pending is not None:
        return await pick(ctx, kind)
    asked, self_lookup = _from_text(ctx)
    if ctx.command is None and not asked and not self_lookup:
        return f"请告诉我要查询的干部编号，例如“/{COMMAND[kind]} A1024”；查本人请说“我今年还差多少学时”或发 /我的培训。"
    return await run_lookup(ctx, kind, asked=asked, self_lookup=self_lookup)


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
    return await run_lookup(ctx, TRAINING, asked="", self_lookup=True)


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
