"""Whom the API bearer token may speak for: ``[api] act_as``.

The token is one shared secret; without this rule whoever holds it is every user,
admins included. A user id the token may not act as is turned into the guest
identity ``api:<user_id>``, which no staff record can ever match (staff ids have no colon).
"""

from __future__ import annotations

from collections.abc import Iterable

API_GUEST_PREFIX = "api:"
ANYONE = "*"


def is_api_guest(user_id: str) -> bool:
    return user_id.startswith(API_GUEST_PREFIX)


class ActAs:
    def __init__(self, allowed: Iterable[str]) -> None:
        ids = {a.strip() for a in allowed if a.strip()}
        self.anyone = ANYONE in ids
        self.ids = frozenset(ids - {ANYONE})

    def may_act_as(self, user_id: str) -> bool:
        return is_api_guest(user_id) or self.anyone or user_id in self.ids

    def identity(self, user_id: str) -> str:
        """The sender id the token really speaks as when it names ``user_id``."""
        return user_id if self.may_act_as(user_id) else API_GUEST_PREFIX + user_id
