"""The scheduling service: fire due schedules into the outbox, then work the outbox — as leader only.

The tables are the truth (``schedules.next_fire_at``); APScheduler only wakes the
service — on a short interval, and at the exact next fire time — so a restart, a
second instance or a paused schedule needs no in-memory state to be right.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import func, select

from bot.instance_lock import InstanceLock
from bot.messages import Incoming
from bot.scheduling import firing
from bot.scheduling.firing import RunNow, expand_fire, fired_at, keys_text
from bot.scheduling.leader import LeaderLease, Takeover
from bot.scheduling.models import Schedule, ScheduleFire
from bot.scheduling.outbox import OutboxSender, PushItem, enqueue
from bot.scheduling.planner import fired_keys, plan_of, replan, replan_stale
from bot.scheduling.receipt_desk import ReceiptDesk
from bot.scheduling.reminders import Reminders
from bot.scheduling.rules import Fire, Policy, describe_fire
from bot.scheduling.schedules import get, set_next
from bot.scheduling.targets import TargetSpec, expand
from bot.storage.db import open_for_savepoints

if TYPE_CHECKING:
    from bot.app import OrgBot

log = logging.getLogger(__name__)

FIRE_BATCH = 20


@dataclass(frozen=True)
class TickResult:
    leader: bool
    fired: int = 0
    missed: int = 0
    sent: int = 0


class SchedulingService:
    def __init__(self, bot: OrgBot) -> None:
        self.bot = bot
        self.policy = Policy.from_config(bot.config)
        self.node = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        sched = bot.config.scheduler
        self.leader = LeaderLease(bot.db, self.node, sched.leader_lock_id, sched.lease_seconds, bot.clock.now)
        self.sender = OutboxSender(bot, self.policy, self.node, self.leader)
        self.single: InstanceLock | None = None
        self.is_leader = False
        self.scheduler: AsyncIOScheduler | None = None
        self._tick_lock = asyncio.Lock()
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._round_started: float | None = None  # loop time of a round still running, for /readyz
        # The application layer every front end calls (chat, CLI, console).
        self.reminders = Reminders(bot, self.policy)
        self.receipts = ReceiptDesk(bot, self.policy)

    @property
    def channels(self) -> list[str]:
        return list(self.bot.channels)

    async def tick(self) -> TickResult:
        """One round: take or keep the lead, fire what is due, send what is queued."""
        async with self._tick_lock:
            try:
                leader = await self.leader.acquire()
            except Exception:
                log.exception("could not reach the database for the leader lock")
                leader = False
            if leader and not self.is_leader:
                log.info("scheduling leader: %s", self.node)
                await self.sender.recover_orphans()
                await self.replan_stale()
                if self.leader.takeover is not None:
                    await self._report_takeover(self.leader.takeover)
            self.is_leader = leader
            if not leader:
                return TickResult(False)
            fired, missed = await self.fire_due()
            sent = await self.sender.drain(stop=lambda: self._stopping)
            self.is_leader = self.leader.held
            return TickResult(True, fired, missed, sent)

    async def replan_stale(self) -> int:
        """Recompute stored fires planned under another calendar, quiet hours or zone."""
        now = self.bot.clock.now()
        grace = timedelta(minutes=self.bot.config.scheduler.grace_minutes)
        async with self.bot.db() as session, session.begin():
            count = await replan_stale(session, self.policy, now, grace)
        if count:
            log.info("recomputed the next fire of %d schedule(s) for the current configuration", count)
        return count

    async def fire_due(self) -> tuple[int, int]:
        now = self.bot.clock.now()
        grace = timedelta(minutes=self.bot.config.scheduler.grace_minutes)
        fired = 0
        missed: list[tuple[Schedule, Fire]] = []
        replanned: set[int] = set()
        while True:
            async with self.bot.db() as session, session.begin():
                await self.leader.bound(session)
                query = (
                    select(Schedule)
                    .where(Schedule.status == "active", Schedule.next_fire_at <= now)
                    .order_by(Schedule.next_fire_at, Schedule.id)
                    .limit(FIRE_BATCH)
                )
                if session.get_bind().dialect.name == "postgresql":
                    query = query.with_for_update(skip_locked=True)
                due = list(await session.scalars(query))
                if not due:
                    break
                for schedule in due:
                    assert schedule.next_fire_at is not None
                    fired_set = await fired_keys(session, schedule, schedule.next_fire_at)
                    fire = self._stored_fire(schedule, fired_set)
                    if fire is None and schedule.id not in replanned:
                        # Planned under another calendar, quiet hours or zone (or its occurrence
                        # already went out): recompute, and take it up again if it is still due.
                        replanned.add(schedule.id)
                        await replan(session, schedule, self.policy, now, grace)
                        continue
                    if fire is None:
                        fire = Fire(schedule.next_fire_at, schedule.next_stage)
                    # A 立即发送 at this very instant already queued the message for everyone: the
                    # regular fire is merged into it rather than recorded (and sent) a second time.
                    already = await fired_at(session, schedule.id, fire.at)
                    merged = already is not None
                    if already is not None:
                        log.info(
                            "schedule %s: fire at %s merged with a run-now at the same instant", schedule.id, fire.at
                        )
                        already.occurrence_keys = keys_text(fire.keys, already.occurrence_keys)
                        fired += 1
                    elif now - fire.at > grace:
                        missed.append((schedule, fire))
                        outcome, count = "missed", 0
                    else:
                        try:
                            await open_for_savepoints(session)
                            async with session.begin_nested():
                                count = await expand_fire(
                                    session,
                                    schedule,
                                    fire,
                                    now,
                                    self.policy,
                                    self.channels,
                                    cadres=self.bot.config.cadres,
                                )
                            outcome = "sent"
                            fired += 1
                        except Exception:
                            log.exception("schedule %s could not be expanded; reporting it instead", schedule.id)
                            missed.append((schedule, fire))
                            outcome, count = "error", 0
                    if not merged:
                        session.add(
                            ScheduleFire(
                                schedule_id=schedule.id,
                                fire_at=fire.at,
                                stage=fire.stage,
                                outcome=outcome,
                                recipients=count,
                                handled_at=now,
                                occurrence_keys=keys_text(fire.keys),
                            )
                        )
                    fired_set |= fire.keys
                    schedule.last_fired_at = fire.at
                    nxt = plan_of(schedule, self.policy, fire.at, fired_set, 1).fires
                    set_next(schedule, nxt[0] if nxt else None, self.policy)
        if missed:
            await self._report_missed(missed, now)
        return fired, len(missed)

    def _stored_fire(self, schedule: Schedule, fired: set[str]) -> Fire | None:
        """The fire behind the stored ``next_fire_at``, recomputed — or None when the stored time was
        planned under another configuration or its occurrence already went out."""
        assert schedule.next_fire_at is not None
        if schedule.plan_key != self.policy.key:
            return None
        found = plan_of(schedule, self.policy, schedule.next_fire_at - timedelta(seconds=1), fired, 1).fires
        if found and found[0].at == schedule.next_fire_at:
            return found[0]
        return None

    def claim_single_instance(self) -> None:
        """On SQLite, refuse to run beside another running instance (bot/instance_lock.py)."""
        if self.single is not None:
            return
        lock = InstanceLock(self.bot.config.database.url)
        lock.acquire()
        self.single = lock if lock.path is not None else None

    async def _report_takeover(self, takeover: Takeover) -> None:
        """Tell every admin that the scheduler changed hands because its leader stopped renewing."""
        now = self.bot.clock.now()
        expired = (
            f"，其租约于 {takeover.expired_at.astimezone(self.policy.tz):%m-%d %H:%M:%S} 到期"
            if takeover.expired_at is not None
            else ""
        )
        text = (
            f"【定时推送服务接管】原负责实例 {takeover.previous} 超过 {self.bot.config.scheduler.lease_seconds:g} 秒"
            f"未续约（进程退出或卡住）{expired}，已由 {self.node} 接管（第 {takeover.epoch} 任）。"
            "它已领取未发完的推送将重新发送；原实例恢复后不能再标记这些推送。请检查原服务器。"
        )
        await self._tell_admins(text, f"takeover:{takeover.epoch}", now)

    async def _tell_admins(self, text: str, key: str, now: datetime) -> None:
        """Queue a report to every admin, once per ``key`` (not urgent: it waits out quiet hours)."""
        async with self.bot.db() as session, session.begin():
            admins = await expand(session, [TargetSpec("role", "admin")], self.channels)
            items = [
                PushItem(key=f"{key}:{a.key}", target=a.target, text=text, fire_at=now, recipient=a.person)
                for a in admins
            ]
            await enqueue(session, items, now)

    async def _report_missed(self, missed: list[tuple[Schedule, Fire]], now: datetime) -> None:
        """Fires older than the grace period are not sent late; admins are told instead."""
        log.warning("%d scheduled push(es) missed beyond the grace period", len(missed))
        lines = [
            f"【定时推送未发送】以下 {len(missed)} 次推送未发出：错过时间超过 {self.bot.config.scheduler.grace_minutes} 分钟"
            "（服务当时未运行），或内容、对象有误（详见日志）："
        ]
        for schedule, fire in missed[:20]:
            lines.append(f"  #{schedule.id} {schedule.name}：{describe_fire(fire, self.policy)}")
        if len(missed) > 20:
            lines.append(f"  ……另有 {len(missed) - 20} 次")
        lines.append("如需补发，可发送 /提醒 立即发送 编号。")
        text = "\n".join(lines)
        first = missed[0]
        await self._tell_admins(text, f"missed:{first[0].id}:{first[1].at:%Y%m%dT%H%M}:{len(missed)}", now)

    async def next_due(self) -> datetime | None:
        async with self.bot.db() as session:
            return await session.scalar(select(func.min(Schedule.next_fire_at)).where(Schedule.status == "active"))

    async def _ring(self) -> None:
        """The only thing APScheduler does: wake the service's own loop."""
        self._wakeup.set()

    def stuck_for(self, loop_now: float) -> float | None:
        """Seconds the current scheduling round (firing, outbox sending) has been running, if any."""
        return None if self._round_started is None else loop_now - self._round_started

    async def report_unanswered(self, messages: Collection[Incoming], now: datetime) -> None:
        """Acknowledged messages too old to answer after an outage are reported to the admins."""
        if not messages:
            return
        lines = [f"【消息未答复】服务停止期间收到的 {len(messages)} 条消息超过了答复时限，未再答复，请酌情联系提问人："]
        for m in list(messages)[:20]:
            when = m.time.astimezone(self.policy.tz).strftime("%m-%d %H:%M")
            lines.append(f"  {when} {m.channel} {m.sender_name or m.sender_id}：{m.text[:40]}")
        if len(messages) > 20:
            lines.append(f"  ……另有 {len(messages) - 20} 条")
        text = "\n".join(lines)
        first = next(iter(messages))
        async with self.bot.db() as session, session.begin():
            admins = await expand(session, [TargetSpec("role", "admin")], self.channels)
            items = [
                PushItem(
                    key=f"unanswered:{first.channel}:{first.message_id[:40]}:{len(messages)}:{a.key}",
                    target=a.target,
                    text=text,
                    fire_at=now,
                    recipient=a.person,
                    urgent=False,
                )
                for a in admins
            ]
            await enqueue(session, items, now)

    async def _round(self) -> None:
        self._round_started = asyncio.get_running_loop().time()
        try:
            result = await self.tick()
            if not result.leader or self.scheduler is None:
                return
            nxt = await self.next_due()
            if nxt is None:
                return
            if nxt <= self.bot.clock.now():
                self._wakeup.set()
            else:
                self.scheduler.add_job(
                    self._ring, "date", run_date=nxt, id="next-fire", replace_existing=True, misfire_grace_time=None
                )
        except Exception:
            log.exception("scheduling round failed")
        finally:
            self._round_started = None

    async def run(self) -> None:
        """The background task `orgbot run` starts: rounds run whenever APScheduler rings, until cancelled."""
        while not self.bot.started:
            await asyncio.sleep(0.05)
        self.scheduler = AsyncIOScheduler(timezone=self.policy.tz)
        self.scheduler.add_job(
            self._ring,
            "interval",
            seconds=self.bot.config.scheduler.poll_seconds,
            id="poll",
            coalesce=True,
            next_run_time=datetime.now(self.policy.tz),
        )
        self.scheduler.start()
        log.info("scheduler started on %s", self.node)
        current: asyncio.Task[None] | None = None
        try:
            while True:
                await self._wakeup.wait()
                self._wakeup.clear()
                current = asyncio.create_task(self._round())
                await asyncio.shield(current)
        finally:
            self._stopping = True
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
            if current is not None and not current.done():
                done, _ = await asyncio.wait({current}, timeout=self.bot.config.server.shutdown_timeout)
                if not done:
                    current.cancel()
                    log.warning("scheduling round still running at shutdown; its claimed pushes will be resent")

    async def close(self) -> None:
        await self.leader.release()
        if self.single is not None:
            self.single.release()
            self.single = None


async def run_now(bot: OrgBot, policy: Policy, schedule_id: int, actor: str) -> RunNow:
    """Queue the schedule's message now (no permission check: see ``Reminders.run_now``)."""
    async with bot.db() as session, session.begin():
        schedule = await get(session, schedule_id)
        return await firing.run_now(
            session, schedule, bot.clock.now(), policy, list(bot.channels), actor, cadres=bot.config.cadres
        )


__all__ = ["RunNow", "SchedulingService", "TickResult", "expand_fire", "run_now"]
