"""Policy Q&A: free text is answered from the knowledge base, with the clause it came from.

When several clauses are close the bot asks back with a numbered menu and the next
message ("2") picks; when nothing is good enough it says so and logs the question.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bot import kb_admin
from bot.actor import NotPermitted
from bot.chat_topics.asking import ask_in_context
from bot.chat_topics.store import ChatKey
from bot.clock import local_minute
from bot.handler import Context, handler
from bot.kb_admin import NoSuchQuestion
from bot.menu import read_pick
from bot.policy_reply import reply_text
from bot.roles import Role

# Words that answer a dialogue (or are small talk), not policy questions. With no
# dialogue open they must not be searched: "取消" would find 取消预备党员资格, "1天"
# a menu of clauses with 1, and "谢谢" would be logged as an unanswered question.
_END = r"[了吧啊呀啦哈嘛的！!。.~～\s]*$"
SMALL_TALK: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"^(?:取消|算了|退出|不用了|不要了|不用|放弃|撤销|结束)" + _END),
        "现在没有进行中的操作，不需要取消。发送 /帮助 查看我能做什么。",
    ),
    (
        re.compile(r"^(?:确认|确定|是|是的|对|对的|现在|紧急|不催|发送|提交|无)" + _END),
        "现在没有等待您确认或回答的操作。请直接输入问题，或发送 /帮助 查看我能做什么。",
    ),
    (
        re.compile(r"(?i)^(?:谢谢|谢谢你|谢谢您|多谢|感谢|谢了|辛苦了|thanks|thank you|thx)" + _END),
        "不客气！还有问题随时问我。",
    ),
    (
        re.compile(r"(?i)^(?:好|好的|好滴|嗯|嗯嗯|哦|噢|ok|okay|知道了|明白|明白了|了解|懂了|行)" + _END),
        "好的。还有问题随时问我，发送 /帮助 可查看全部功能。",
    ),
    (
        re.compile(r"^\d{1,4}\s*(?:天|日|小时|分钟|周|个月|月|年|号|条|个|项)?" + _END),
        "现在没有等待您选择或回答的列表。请直接输入问题，或发送 /帮助 查看我能做什么。",
    ),
]


def _small_talk(text: str) -> str | None:
    text = unicodedata.normalize("NFKC", text).strip()
    for pattern, reply in SMALL_TALK:
        if pattern.match(text):
            return reply
    return None


def _asker(ctx: Context) -> str:
    return f"{ctx.message.channel}:{ctx.user.user_id}"


def _options(answer: Any) -> list[dict[str, str]]:
    return [{"quote": s.quote(), "citation": s.citation, "kind": s.kind} for s in answer.sources]


def _show(option: dict[str, str]) -> str:
    if option.get("quote"):
        return option["quote"]
    if option.get("kind") == "faq":  # a menu saved before quotes were stored
        return option["snippet"]
    return f"{option['snippet']}\n（出处：{option['citation']}）"


@handler(fallback=True, help="直接提问政策问题，我会给出依据的条款", category="政策问答", usage="直接输入问题")
async def answer_question(ctx: Context) -> str:
    if ctx.pending is not None:
        options: list[dict[str, str]] = ctx.pending.get("options", [])
        pick = read_pick(ctx.text, len(options))
        if pick.is_number:
            if pick.index is not None:
                return _show(options[pick.index])
            await ctx.expect(ctx.pending)
            return pick.out_of_range("或直接换个问法")
        if SMALL_TALK[0][0].match(unicodedata.normalize("NFKC", ctx.text).strip()):
            return "好的，已取消。有问题可以直接问我。"
    small = _small_talk(ctx.text)
    if small is not None:
        return small
    kb = await ctx.kb.get()
    key = ChatKey(ctx.message.channel, ctx.message.chat_id, ctx.user.user_id)
    asked = await ask_in_context(ctx.bot, kb, key, ctx.text, _asker(ctx))
    answer = asked.answer
    ctx.bot.metrics.policy_answer(answer.status)
    if answer.status != "answered" and answer.sources:
        # A menu, or near misses offered (never asserted): the next number picks one.
        await ctx.expect({"question": ctx.text, "options": _options(answer)})
    return reply_text(answer, ctx.config.knowledge.fallback_contact, asked.note())


@handler(
    patterns=[r"^\s*(不对|没用|答非所问|不是这个|错了|答错了|有用|有帮助)[!！。.～~]*\s*$"],
    help="回复“不对”或“没用”反馈上一条回答",
    category="政策问答",
    usage="不对 / 没用",
)
async def feedback(ctx: Context) -> str:
    verdict = ctx.match.group(1) if ctx.match else ctx.text.strip()
    kb = await ctx.kb.get()
    admin = ctx.user.role >= Role.ADMIN
    key = ChatKey(ctx.message.channel, ctx.message.chat_id, ctx.user.user_id)
    if not await kb.record_feedback(verdict, user_id=_asker(ctx), binding=admin, conversation=key.conversation):
        return "我还没有回答过您的问题，没有可以反馈的内容。"
    if verdict in ("有用", "有帮助"):
        return "谢谢反馈！"
    if admin:
        return "收到。管理员标记为不对：同一个问题以后不再用这一条回答。"
    return "收到，已记录这条反馈，管理员会据此改进知识库。您也可以换个说法再问一次。"


@handler(
    commands=["未解答", "unanswered"], role=Role.ADMIN, help="查看最近没能回答的问题", category="管理", usage="/未解答"
)
async def unanswered(ctx: Context) -> str:
    rows = await kb_admin.unanswered(ctx.bot, await ctx.actor(), limit=15)
    if isinstance(rows, NotPermitted):
        return "只有管理员可以查看未解答的问题。"
    if not rows:
        return "最近没有未能回答的问题。"
    lines = ["最近未能回答的问题（回复“/补充 编号 答案”即可补上答案，立即生效）："]
    for row in rows:
        when = local_minute(row.asked_at, ctx.config.bot.timezone)
        lines.append(f"#{row.id} {row.question}（{when}）")
    return "\n".join(lines)


@handler(
    commands=["补充", "补充答案"],
    role=Role.ADMIN,
    help="把一个未解答的问题补上答案，变成常见问题（立即生效）",
    category="管理",
    usage="/补充 编号 答案",
)
async def answer_unanswered(ctx: Context) -> str:
    m = re.match(r"^\s*#?(\d+)\s+(\S.*)$", ctx.args, flags=re.S)
    if not m:
        return "用法：/补充 编号 答案（编号见 /未解答），例如：/补充 12 党费按月交纳，具体比例见……"
    made = await kb_admin.answer_unanswered(
        ctx.bot, await ctx.actor(), int(m.group(1)), m.group(2).strip(), source=f"管理员{ctx.user.name}补充"
    )
    if isinstance(made, NotPermitted):
        return "只有管理员可以补充答案。"
    if isinstance(made, NoSuchQuestion):
        return f"没有编号为 {m.group(1)} 的未解答问题，请先发送 /未解答 查看编号。"
    return f"已把“{made.question}”加入常见问题（#{made.id}），再有人这样问会直接回答。"
