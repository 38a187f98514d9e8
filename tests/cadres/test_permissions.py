"""Who sees what: every role against cadres in, below and outside their scope, and IDs that do not exist."""

from __future__ import annotations

import pytest

from bot.cadres.models import Cadre
from bot.cadres.units import subtree_codes
from tests.conftest import add_staff, say, say_replies

# demo units: U01 ⊃ {U0101 ⊃ {U010101, U010102}, U0102, U0103, U0104 ⊃ {U010401}}
CADRE_NAMES = {
    "A1001": "演示·张伟",  # U010101, demo_staff's own record
    "A1003": "演示·王芳",  # U010102
    "A1004": "演示·刘洋",  # U0101
    "A1005": "演示·陈静",  # U0102
    "A1010": "演示·王芳",  # U010401
    "A9999": None,  # does not exist
}
COMMANDS = ("/培训", "/后备", "/干部")

EXPECTED = {
    "demo_admin": {"A1001", "A1003", "A1004", "A1005", "A1010"},
    "demo_organizer": {"A1001", "A1003", "A1004"},
    "town_organizer": {"A1010"},
    "demo_staff": {"A1001"},
    "unlinked_staff": set(),
    "stranger": set(),
}


async def _add_extra_people(bot):
    await add_staff(bot, "unlinked_staff", "未关联干部编号的工作人员")
    from bot.roles import Role
    from bot.staff import StaffInput, upsert_staff

    async with bot.db() as session, session.begin():
        await upsert_staff(session, StaffInput("town_organizer", "镇组织员", Role.ORGANIZER, unit_scope="U010401"))


@pytest.mark.parametrize("user", sorted(EXPECTED))
async def test_each_role_sees_exactly_its_records(demo_bot, user):
    await _add_extra_people(demo_bot)
    for cadre_id, name in CADRE_NAMES.items():
        refusals = set()
        for command in COMMANDS:
            reply = await say(demo_bot, user, f"{command} {cadre_id}")
            if cadre_id in EXPECTED[user]:
                assert f"{name}（{cadre_id}）" in reply, (user, command, cadre_id, reply)
            else:
                assert name is None or name not in reply, (user, command, cadre_id, reply)
                refusals.add(reply)
        if cadre_id not in EXPECTED[user]:
            assert len(refusals) == 1, refusals


@pytest.mark.parametrize("user", ["demo_organizer", "demo_staff", "unlinked_staff", "stranger"])
async def test_refusal_reads_the_same_for_existing_and_missing_ids(demo_bot, user):
    await _add_extra_people(demo_bot)
    hidden = await say(demo_bot, user, "/培训 A1005")
    missing = await say(demo_bot, user, "/培训 A9999")
    assert hidden.replace("A1005", "X") == missing.replace("A9999", "X")
    assert "演示·陈静" not in hidden


async def test_organizer_scope_covers_subunits(demo_bot):
    async with demo_bot.db() as session:
        assert await subtree_codes(session, "U0101") == {"U0101", "U010101", "U010102"}
        assert await subtree_codes(session, "U01") >= {"U01", "U0104", "U010401"}
        assert await subtree_codes(session, "NOPE") == {"NOPE"}


async def test_moving_a_cadre_out_of_scope_takes_the_record_away(demo_bot):
    assert "演示·王芳（A1003）" in await say(demo_bot, "demo_organizer", "/培训 A1003")
    async with demo_bot.db() as session, session.begin():
        (await session.get(Cadre, "A1003")).unit_code = "U0103"
    assert "演示·王芳" not in await say(demo_bot, "demo_organizer", "/培训 A1003")


async def test_masking_is_lifted_only_for_admins(demo_bot):
    full = await say(demo_bot, "demo_admin", "/干部 A1004")
    assert "000000197911300034" in full and "13800000004" in full and "1979-11-30" in full
    for user in ("demo_organizer",):
        masked = await say(demo_bot, user, "/干部 A1004")
        assert "000000197911300034" not in masked and "**************0034" in masked
        assert "13800000004" not in masked and "138****0004" in masked
        assert "1979-11-30" not in masked and "1979年**月" in masked
    own = await say(demo_bot, "demo_staff", "/干部 A1001")
    assert "000000198604120011" not in own and "**************0011" in own


async def test_group_answers_go_privately_and_the_note_is_left_to_the_channel(demo_bot):
    """One note in the group, posted by the channel that delivered privately (tests/channels: one per platform)."""
    replies = await say_replies(demo_bot, "demo_organizer", "/培训 A1003", group=True)
    assert len(replies) == 1 and replies[0].private and "演示·王芳" in replies[0].text
    refused = await say_replies(demo_bot, "demo_staff", "/后备 A1004", group=True)
    assert all("刘洋" not in r.text for r in refused)
    assert not [r for r in refused if not r.private and "A1004" in r.text]


async def test_private_chat_answers_go_to_the_person_alone(demo_bot):
    """Private in a 1:1 chat too, so a platform sends it to the person's id, not to an address from the message."""
    replies = await say_replies(demo_bot, "demo_staff", "/我的培训")
    assert len(replies) == 1 and replies[0].private


async def test_help_lists_the_lookups(demo_bot):
    reply = await say(demo_bot, "demo_staff", "/帮助")
    assert "/培训" in reply and "/我的培训" in reply and "/后备" in reply
