"""``orgbot ask``: answer questions from the configured database without starting the server.

The ``--json`` output is a stable interface that external checks rely on.
"""

from __future__ import annotations

import argparse
import json
import sys

from bot.cli.runtime import run_command, started_bot
from bot.config import Config
from bot.policy_reply import reply_json, reply_text


async def _ask(args: argparse.Namespace, config: Config) -> int:
    questions = (line.rstrip("\n") for line in sys.stdin) if args.question == "-" else iter([args.question])
    async with started_bot(config) as bot:
        kb = await bot.kb.get()
        for question in questions:
            if args.question == "-" and not question.strip():
                continue
            answer = await kb.ask(question, user_id=args.record and "cli", record=args.record)
            if args.json:
                print(json.dumps(reply_json(answer), ensure_ascii=False), flush=True)
            else:
                print(reply_text(answer, config.knowledge.fallback_contact), flush=True)
                print(flush=True)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="直接提问（不启动服务）；--json 输出机器可读结果，- 表示逐行读标准输入")
    p.add_argument("question", help="问题；用 - 从标准输入逐行读取")
    p.add_argument("--json", action="store_true", help="每个问题输出一行 JSON")
    p.add_argument("--record", action="store_true", help="把答不上的问题记入未解答列表（默认不记录，便于批量检查）")
    p.set_defaults(func=run_command(_ask))
