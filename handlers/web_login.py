"""/登录 and /后台: send a staff member a one-time link that logs them in to the web page."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.auth.logins import Actor, LoginError, LoginService, landing_for
from bot.handler import Context, handler
from bot.identity import LOCAL_CHANNELS
from bot.messages import Reply
from bot.roles import Role


@handler(
    commands=["登录", "后台", "login"],
    role=Role.STAFF,
    help="获取网页登录链接（仅限私聊）",
    usage="/登录",
    category="其他",
)
async def send_login_link(ctx: Context) -> str | Reply:
    """The link is a credential: only in a private chat, only to the person's own verified IM account."""
    if ctx.message.is_group:
        await ctx.audit("login.link", "refused", detail="群聊中请求")
        return "为了安全，登录链接只在私聊中发送：请私聊我发送 /登录。"
    if ctx.message.channel in LOCAL_CHANNELS:
        return (
            "网页登录链接只通过企业微信、钉钉或飞书私聊发送。"
            "没有企业 IM 时，请管理员在服务器上运行 orgbot admin login-link 您的用户ID。"
        )
    actor = Actor(ctx.user.user_id, ctx.user.role.name.lower(), ctx.message.channel)
    try:
        landing = landing_for(ctx.bot, ctx.user, console=ctx.command == "后台")
        link = await LoginService(ctx.bot).issue_link(ctx.user.user_id, actor, landing)
    except LoginError as exc:
        return str(exc)
    until = link.expires_at.astimezone(ZoneInfo(ctx.config.bot.timezone)).strftime("%H:%M")
    where = "管理后台" if landing == "/admin/" else "网页"
    return Reply(
        f"{link.name}，这是您的{where}登录链接，{until} 前有效，只能使用一次，请勿转发：\n{link.url}",
        private=True,
    )
