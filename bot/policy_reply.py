"""The one wording of a knowledge answer, shared by chat and ``orgbot ask``.

knowledge/ returns data (status, cited passages, scores, reason); how a decision reads
to a person lives here only, so the chat handler and the CLI say the same thing.
"""

from __future__ import annotations

from typing import Any

from bot.menu import numbered
from knowledge import Answer

FEEDBACK_HINT = "如果答非所问，请回复“不对”。"
MENU_PREVIEW_CHARS = 40


def clarify_menu(answer: Answer) -> str:
    """The numbered menu of a clarify decision; the next message picks by number."""
    lines = ["您想问的是下面哪一条？请回复序号："]
    for i, s in enumerate(answer.sources, 1):
        preview = s.snippet.replace("\n", " ")
        preview = preview[:MENU_PREVIEW_CHARS] + ("…" if len(preview) > MENU_PREVIEW_CHARS else "")
        lines.append(f"{i}. {s.citation}：{preview}")
    return "\n".join(lines)


def decline(answer: Answer, contact: str) -> str:
    """An honest "not found", with near misses offered (never asserted) by number."""
    head = "抱歉，知识库里没有找到能准确回答这个问题的内容"
    lines = [head + ("，已记录下来供管理员补充。" if answer.recorded else "。")]
    if answer.sources:
        lines.append("下面的条款可能相关，回复序号可查看原文：")
        lines += numbered(s.citation for s in answer.sources)
    lines.append(f"如需进一步了解，{contact}。")
    return "\n".join(lines)


def reply_text(answer: Answer, contact: str, note: str = "") -> str:
    """What a person reads for ``answer``; ``note`` says how a follow-up was read."""
    if answer.status == "answered":
        return f"{note}{answer.answer or ''}\n{FEEDBACK_HINT}"
    if answer.status == "clarify":
        return clarify_menu(answer)
    return decline(answer, contact)


def reply_json(answer: Answer) -> dict[str, Any]:
    """The stable ``orgbot ask --json`` object: the knowledge result, with "answer"
    holding the text shown for an answer or a menu (null when declined)."""
    data = answer.to_dict()
    if answer.status == "clarify":
        data["answer"] = clarify_menu(answer)
    return data
