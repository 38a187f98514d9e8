"""Free-text questions: answered from the knowledge base (filled in by the knowledge feature)."""

from __future__ import annotations

from bot.handler import Context, handler


@handler(fallback=True, help="直接提问政策问题", category="政策问答", usage="直接输入问题")
async def answer_question(ctx: Context) -> str:
    return "政策问答功能还在建设中，暂时无法回答。发送 /帮助 查看现在能做什么。"
