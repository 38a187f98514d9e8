"""The scheduling rules hold for all inputs, not only the listed cases (issue 11, "Prove it").

Every rule kind × dates across 2026-01-01…2027-12-31 × quiet-hour settings × holiday
configurations (with and without extra days, 2027 unannounced) × config changes between
creation and firing. Bounded and derandomized for CI; see ``strategies`` for a release run.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.scheduling.rules import Fire, Policy, Rule, plan
from tests.scheduling.strategies import PROPERTY_SETTINGS, SHANGHAI, moments, policies, rules

N = 8


def _local(fire: Fire) -> datetime:
    return fire.at.astimezone(SHANGHAI)


def _weekly(rule: Rule) -> bool:
    return rule.type == "cron" and rule.cron.split()[4] != "*"


@PROPERTY_SETTINGS
@given(rule=rules(), policy=policies(), created=moments(), urgent=st.booleans())
def test_no_push_on_a_non_workday_or_in_quiet_hours_or_before_creation(
    rule: Rule, policy: Policy, created: datetime, urgent: bool
) -> None:
    result = plan(rule, policy, created, N, urgent=urgent, floor=created)
    for fire in result.fires:
        local = _local(fire)
        assert fire.at > created
        if rule.shift != "none" and not fire.needs_choice:
            assert policy.calendar.is_workday(local.date()), (fire, rule)
        if not urgent:
            assert not policy.in_quiet_hours(local), (fire, rule)
    assert [f.at for f in result.fires] == sorted({f.at for f in result.fires})


@PROPERTY_SETTINGS
@given(rule=rules(), policy=policies(), created=moments(), urgent=st.booleans())
def test_a_one_off_typed_for_the_future_is_never_lost_to_a_shift(
    rule: Rule, policy: Policy, created: datetime, urgent: bool
) -> None:
    if rule.type != "once" or rule.ladder:
        return
    planned = datetime.fromisoformat(rule.at).replace(tzinfo=SHANGHAI)
    if planned <= created + timedelta(minutes=1):
        return
    fires = plan(rule, policy, created, N, urgent=urgent, floor=created).fires
    assert len([f for f in fires if f.stage != "rereminder"]) == 1, (rule, created)


@PROPERTY_SETTINGS
@given(rule=rules(shifts=("previous", "next")), policy=policies(), created=moments())
def test_a_weekly_rule_gives_one_push_per_week_or_the_preview_says_why(
    rule: Rule, policy: Policy, created: datetime
) -> None:
    if not _weekly(rule):
        return
    result = plan(rule, policy, created, N, floor=created)
    weeks: dict[date, int] = {}
    for fire in result.fires:
        day = _local(fire).date()
        monday = day - timedelta(days=day.weekday())
        weeks[monday] = weeks.get(monday, 0) + 1
    assert all(count == 1 for count in weeks.values()), (rule, weeks)
    skipped = {
        (_local(f).date() - timedelta(days=_local(f).weekday())) for f in result.skipped if f.occurrence is not None
    }
    if len(result.fires) >= 2:
        first, last = min(weeks), max(weeks)
        monday = first
        while monday <= last:
            assert monday in weeks or any(abs((monday - s).days) <= 7 for s in skipped), (rule, monday)
            monday += timedelta(days=7)


@PROPERTY_SETTINGS
@given(rule=rules(shifts=("previous", "next")), policy=policies(), created=moments(), urgent=st.booleans())
def test_deadline_rungs_keep_their_order_and_distance_or_say_why(
    rule: Rule, policy: Policy, created: datetime, urgent: bool
) -> None:
    if not rule.ladder:
        return
    fires = plan(rule, policy, created, N, urgent=urgent, floor=created).fires
    by_occurrence: dict[datetime | None, list[Fire]] = {}
    for fire in fires:
        by_occurrence.setdefault(fire.occurrence, []).append(fire)
        assert fire.occurrence is not None and fire.days_before is not None
        deadline = fire.occurrence.date()
        day = _local(fire).date()
        assert day <= deadline, fire
        if (deadline - day).days != fire.days_before:
            assert fire.moved_from or fire.quiet_from or fire.merged, fire
    for rungs in by_occurrence.values():
        stages = [f.days_before for f in rungs]
        assert stages == sorted(stages, reverse=True), rungs


@PROPERTY_SETTINGS
@given(
    rule=rules(),
    before=policies(),
    after=policies(),
    created=moments(),
    fired_count=st.integers(0, 4),
    urgent=st.booleans(),
)
def test_each_occurrence_fires_at_most_once_whatever_the_config_does_in_between(
    rule: Rule, before: Policy, after: Policy, created: datetime, fired_count: int, urgent: bool
) -> None:
    """Fire the first few under one configuration, switch, and plan on: no occurrence returns."""
    first = plan(rule, before, created, fired_count, urgent=urgent, floor=created).fires if fired_count else []
    fired: set[str] = set()
    for fire in first:
        fired |= fire.keys
    resume_from = first[-1].at if first else created
    # The service looks back over the grace period after a change; do so generously here.
    later = plan(
        rule,
        after,
        resume_from - timedelta(days=3),
        N,
        urgent=urgent,
        floor=created,
        skip=lambda f: bool(f.keys & fired),
    ).fires
    again = [f for f in later if f.keys & fired]
    assert again == []
    seen: set[str] = set()
    for fire in later:
        assert not (fire.keys & seen), fire
        seen |= fire.keys
