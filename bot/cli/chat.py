"""``orgbot chat``: talk to the bot in the terminal, interactively or line by line from a script."""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid

from bot.app import OrgBot
from bot.channels.local import fetch_inbox
from bot.cli.runtime import run_command, started_bot
from bot.config import Config
from bot.messages import ChatType, Incoming

EXIT_WORDS = {"/quit", "/exit", "/退出", "exit", "quit"}


async def _say(bot: OrgBot, args: argparse.Namespace, text: str) -> list[str]:
    message = Incoming(
        channel="terminal",
        chat_id=args.chat or f"terminal:{args.user}",
        chat_type=ChatType.GROUP if args.group else ChatType.PRIVATE,
        sender_id=args.user,
        text=text,
        message_id=uuid.uuid4().hex,
        mentioned_bot=True,
    )
    replies = await bot.handle(message) or []
    out = []
    for r in replies:
        prefix = "（私聊）" if r.private and args.group else ""
        out.append(prefix + r.text)
    for push in await fetch_inbox(bot, args.user):
        out.append(f"【推送】{push.text}")
    return out


async def _chat(args: argparse.Namespace, config: Config) -> int:
    interactive = sys.stdin.isatty() and not args.script
    async with started_bot(config) as bot:
        if interactive:
            async with bot.db() as session:
                from bot.identity import resolve_user

                user = await resolve_user(session, "terminal", args.user)
            print(f"{config.bot.name}：您好，{user.name}（{user.role.label}）。发送 /帮助 查看我能做什么，/退出 结束。")
            watcher = asyncio.create_task(_watch_inbox(bot, args.user))
        loop = asyncio.get_running_loop()
        while True:
            try:
                line = await loop.run_in_executor(None, _read_line, interactive)
            except EOFError:
                break
            text = line.strip()
            if not text:
                continue
            if text.lower() in EXIT_WORDS:
                break
            for reply in await _say(bot, args, text):
                if interactive:
                    print(f"{config.bot.name}：{reply}\n", flush=True)
                else:
                    print(reply, flush=True)
                    print("", flush=True)
        if interactive:
            watcher.cancel()
    return 0


async def _watch_inbox(bot: OrgBot, user_id: str) -> None:
    """Show pushes (reminders, notices) that arrive while the person is idle at the prompt."""
    while True:
        await asyncio.sleep(5)
        for push in await fetch_inbox(bot, user_id):
            print(f"\n【推送】{push.text}\n你> ", end="", flush=True)


def _read_line(interactive: bool) -> str:
    if interactive:
        return input("你> ")
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("chat", help="在终端里与机器人对话（可从标准输入逐行脚本化）")
    p.add_argument("--user", default="terminal", help="以哪个用户 ID 的身份说话（默认 terminal，即访客）")
    p.add_argument("--chat", help="会话 ID（默认每个用户一个私聊）")
    p.add_argument("--group", action="store_true", help="模拟群聊（@机器人）")
    p.add_argument("--script", action="store_true", help="即使在终端中也按脚本模式逐行处理")
    p.set_defaults(func=run_command(_chat))
