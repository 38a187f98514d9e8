"""The unit tree: organizers' scopes and push targets name a unit and mean everything under it."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cadres.models import Unit


async def subtree_codes(session: AsyncSession, code: str) -> set[str]:
    """``code`` and every unit below it; a code not in the tree still stands for itself."""
    children: dict[str, list[str]] = defaultdict(list)
    for child, parent in await session.execute(select(Unit.code, Unit.parent_code)):
        if parent:
            children[parent].append(child)
    found = {code}
    stack = [code]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


async def unit_names(session: AsyncSession, codes: set[str] | None = None) -> dict[str, str]:
    stmt = select(Unit.code, Unit.name)
    if codes is not None:
        stmt = stmt.where(Unit.code.in_(codes))
    return {code: name for code, name in await session.execute(stmt)}


def find_cycle(parents: dict[str, str | None]) -> list[str] | None:
    """A loop in the parent links (A under B under A), which would make every scope endless."""
    for start in parents:
        seen: list[str] = []
        node: str | None = start
        while node is not None and node in parents:
            if node in seen:
                return [*seen[seen.index(node) :], node]
            seen.append(node)
            node = parents[node]
    return None
