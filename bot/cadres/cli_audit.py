"""Audit rows for what people do on the command line (imports and exports of personal data)."""

from __future__ import annotations

import getpass

from bot.app import OrgBot
from bot.audit_record import audit_entry


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli:unknown"


async def audit_cli(bot: OrgBot, action: str, outcome: str, *, query: str = "", detail: str = "") -> None:
    async with bot.db() as session, session.begin():
        session.add(
            audit_entry(
                at=bot.clock.now(),
                actor=cli_actor(),
                actor_role="cli",
                channel="cli",
                chat_id="",
                action=action,
                outcome=outcome,
                query=query,
                detail=detail,
            )
        )
