"""The cadre lookup service: typed results, every lookup audited, and nobody sees past their scope."""

from __future__ import annotations

import itertools
import weakref

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from bot.access import Access, access_for
from bot.actor import Actor
from bot.cadres.lookup_quota import QuotaExceeded
from bot.cadres.lookup_service import (
    Ambiguous,
    Found,
    LookupCommand,
    NotFound,
    ProfileView,
    Refused,
    TrainingView,
    lookup,
)
from bot.cadres.models import Cadre, Unit
from bot.handler import User
from bot.roles import Role
from bot.storage.models import AuditEntry
from tests.scheduling.strategies import PROPERTY_SETTINGS

EXAMPLES = max(10, PROPERTY_SETTINGS.max_examples // 5)


def _actor(user_id: str, role: Role, cadre_id: str | None = None, units: frozenset[str] = frozenset()) -> Actor:
    return Actor(Access(user_id, role, cadre_id, None, units), "console", "web")


async def _audit_rows(bot, actor: str) -> list[AuditEntry]:
    async with bot.db() as session:
        return list(await session.scalars(select(AuditEntry).where(AuditEntry.actor == actor).order_by(AuditEntry.id)))


async def test_an_admin_gets_the_full_record_and_the_view_is_audited(demo_bot):
    actor = _actor("boss", Role.ADMIN)
    result = await lookup(demo_bot, LookupCommand(actor, "profile", "A1001", text="/干部 A1001"))
    assert isinstance(result, Found) and isinstance(result.view, ProfileView)
    assert not result.view.masked and "*" not in result.view.id_card
    (row,) = await _audit_rows(demo_bot, "boss")
    assert (row.action, row.outcome, row.subject, row.channel, row.query) == (
        "cadre.profile",
        "allowed",
        "A1001",
        "console",
        "/干部 A1001",
    )


async def test_an_organizer_gets_a_masked_record(demo_bot):
    async with demo_bot.db() as session:
        access = await access_for(session, User("demo_organizer", "", Role.ORGANIZER, 1, "U01", None))
    result = await lookup(demo_bot, LookupCommand(Actor(access, "console"), "profile", "A1003"))
    assert isinstance(result, Found) and isinstance(result.view, ProfileView)
    assert result.view.masked and result.view.id_card.startswith("*")


async def test_training_view_carries_the_progress(demo_bot):
    result = await lookup(demo_bot, LookupCommand(_actor("boss", Role.ADMIN), "training", "A1002"))
    assert isinstance(result, Found) and isinstance(result.view, TrainingView)
    assert result.view.progress.met


async def test_refusals_are_typed_and_audited(demo_bot):
    guest = _actor("stranger", Role.GUEST)
    assert await lookup(demo_bot, LookupCommand(guest, "training", "A1001")) == Refused("training", "guest")
    unlinked = _actor("nolink", Role.STAFF)
    assert await lookup(demo_bot, LookupCommand(unlinked, "training", self_lookup=True)) == Refused(
        "training", "no_link"
    )
    bad = await lookup(demo_bot, LookupCommand(unlinked, "reserve", "A1001", text="A1001\x00"))
    assert bad == Refused("reserve", "unreadable")
    assert [(r.action, r.outcome) for r in await _audit_rows(demo_bot, "stranger")] == [("cadre.training", "denied")]
    assert [(r.action, r.outcome) for r in await _audit_rows(demo_bot, "nolink")] == [
        ("cadre.training", "no_link"),
        ("cadre.reserve", "invalid"),
    ]


async def test_out_of_scope_and_missing_read_the_same(demo_bot):
    staff = _actor("someone", Role.STAFF, "A1001")
    hidden = await lookup(demo_bot, LookupCommand(staff, "training", "A1002"))
    missing = await lookup(demo_bot, LookupCommand(staff, "training", "Z9999"))
    assert hidden == NotFound("training", "A1002", True) and missing == NotFound("training", "Z9999", True)
    assert [r.outcome for r in await _audit_rows(demo_bot, "someone")] == ["denied", "not_found"]


async def test_the_quota_is_a_typed_result_and_audited(make_bot, clock):
    from bot.cadres.demo import seed_demo

    bot = await make_bot(clock=clock, ORGBOT_CADRES_LOOKUPS_PER_MINUTE="2")
    await seed_demo(bot)
    actor = _actor("busy", Role.ADMIN)
    for _ in range(2):
        assert isinstance(await lookup(bot, LookupCommand(actor, "training", "A1001")), Found)
    assert await lookup(bot, LookupCommand(actor, "training", "A1001")) == QuotaExceeded("minute", 2)
    assert [r.outcome for r in await _audit_rows(bot, "busy")] == ["allowed", "allowed", "rate_limited"]


# --- a viewer never gets a cadre outside their scope, over generated unit trees ------------------

NAMES = ["王芳", "李强", "王芳芳", "张伟"]


@st.composite
def worlds(draw):
    """A unit tree (each unit's parent comes earlier), cadres placed in it, and one viewer."""
    n_units = draw(st.integers(1, 7))
    parents = [None] + [draw(st.one_of(st.none(), st.integers(0, i - 1))) for i in range(1, n_units)]
    n_cadres = draw(st.integers(1, 7))
    cadres = [(f"C{100 + i}", draw(st.sampled_from(NAMES)), draw(st.integers(0, n_units - 1))) for i in range(n_cadres)]
    role = draw(st.sampled_from(list(Role)))
    scope = draw(st.integers(0, n_units - 1))
    own = draw(st.one_of(st.none(), st.sampled_from([c[0] for c in cadres])))
    return parents, cadres, role, scope, own


def _subtree(parents: list[int | None], top: int) -> set[int]:
    inside = {top}
    changed = True
    while changed:
        changed = False
        for i, p in enumerate(parents):
            if p in inside and i not in inside:
                inside.add(i)
                changed = True
    return inside


_viewers = itertools.count()


@settings(PROPERTY_SETTINGS, max_examples=EXAMPLES)
@given(world=worlds())
async def test_a_viewer_never_gets_a_cadre_outside_their_scope(make_bot, world) -> None:
    parents, cadres, role, scope, own = world
    bot = await _world_bot(make_bot)
    async with bot.db() as session, session.begin():
        await session.execute(delete(Cadre))
        await session.execute(delete(Unit))
        session.add_all(Unit(code=f"U{i}", name=f"单位{i}", parent_code=None) for i in range(len(parents)))
        await session.flush()
        for i, p in enumerate(parents):
            (await session.get(Unit, f"U{i}")).parent_code = None if p is None else f"U{p}"
        session.add_all(Cadre(cadre_id=cid, name=name, unit_code=f"U{u}") for cid, name, u in cadres)
    user_id = f"viewer{next(_viewers)}"
    async with bot.db() as session:
        access = await access_for(session, User(user_id, "", role, 1, f"U{scope}", own))
    actor = Actor(access, "console")

    in_scope = _subtree(parents, scope)
    visible = {
        cid
        for cid, _, u in cadres
        if role is Role.ADMIN
        or (role is Role.ORGANIZER and (u in in_scope or cid == own))
        or (role is Role.STAFF and cid == own)
    }
    for cid, name, _ in cadres:
        by_id = await lookup(bot, LookupCommand(actor, "profile", cid))
        if role is Role.GUEST:
            assert isinstance(by_id, Refused)
        elif cid in visible:
            assert isinstance(by_id, Found) and by_id.view.header.cadre_id == cid
        else:
            assert isinstance(by_id, NotFound) and all(s.cadre_id in visible for s in by_id.suggestions)
        by_name = await lookup(bot, LookupCommand(actor, "training", name))
        seen = _ids(by_name)
        assert seen <= visible
        if role is not Role.GUEST:
            assert seen == {c for c, n, _ in cadres if name in n and c in visible}


_bots: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def _world_bot(make_bot):
    """One bot per test (its examples share it); limits high enough never to interfere."""
    if make_bot not in _bots:
        _bots[make_bot] = await make_bot(
            ORGBOT_CADRES_LOOKUPS_PER_MINUTE="100000", ORGBOT_CADRES_LOOKUPS_PER_DAY="100000"
        )
    return _bots[make_bot]


def _ids(result) -> set[str]:
    if isinstance(result, Found):
        return {result.view.header.cadre_id}
    if isinstance(result, Ambiguous):
        return {c.cadre_id for c in result.candidates}
    if isinstance(result, NotFound):
        return {c.cadre_id for c in result.suggestions}
    return set()
