"""/帮助: what the bot can do for this person, by what their role allows."""

from __future__ import annotations

from collections import defaultdict

from bot.handler import Context, handler
from bot.roles import Role

CATEGORY_ORDER = ["政策问答", "干部查询", "提醒与通知", "管理", "其他"]
# Open to guests only so that they get a polite refusal (and an audit row); not offered.
STAFF_ONLY_CATEGORIES = {"干部查询"}


@handler(
    commands=["帮助", "help", "h", "菜单"],
    patterns=[r"^(帮助|菜单|help|你能做什么|你会什么|怎么用|有什么功能)[？?。!！]*$"],
    help="查看我能做什么",
    usage="/帮助",
    category="其他",
    priority=100,
)
async def show_help(ctx: Context) -> str:
    groups: dict[str, list[str]] = defaultdict(list)
    for spec in ctx.bot.router.visible_to(ctx.user.role):
        if ctx.user.role is Role.GUEST and spec.category in STAFF_ONLY_CATEGORIES:
            continue
        usage = spec.usage or (f"/{spec.commands[0]}" if spec.commands else "")
        line = f"  {usage} — {spec.help}" if usage else f"  {spec.help}"
        groups[spec.category or "其他"].append(line)
    lines = [f"我是{ctx.config.bot.name}，可以帮您："]
    for cat in sorted(groups, key=lambda c: CATEGORY_ORDER.index(c) if c in CATEGORY_ORDER else 99):
        lines.append(f"【{cat}】")
        lines.extend(groups[cat])
    if ctx.bot.router.fallback is not None:
        lines.append("也可以直接用大白话提问政策问题，例如“入党积极分子要培养多久”。")
    if ctx.user.role is Role.GUEST:
        lines.append("您目前是访客身份：干部查询等功能需要管理员将您登记为工作人员后才能使用。")
    return "\n".join(lines)


@handler(
    patterns=[
        r"(?i)^\s*(你好|您好|hi|hello|嗨|在吗|在不在|早上好|上午好|下午好|晚上好|早|哈喽)[呀啊吗！!。.~～？?\s]*$"
    ],
    priority=90,
    name="handlers.help.greet",
)
async def greet(ctx: Context) -> str:
    name = "" if ctx.user.role is Role.GUEST else ctx.user.name
    return f"您好{('，' + name) if name else ''}！我是{ctx.config.bot.name}。可以直接问我政策问题，或发送 /帮助 查看全部功能。"
