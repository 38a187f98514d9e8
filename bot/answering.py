"""The answer workers: a bounded pool that takes acknowledged messages from the durable inbox.

A burst of callbacks waits in the database, not in Python objects, so memory stays flat.
Each worker claims one row, runs it through the dispatcher (unless a previous run already
computed the replies), sends the replies one by one recording progress, and marks the row
answered. On shutdown the workers stop claiming, finish what they are sending, give back
rows they had not started to send, and the next start resumes them.

While a worker has a row, its lease is renewed every third of ``[bot] answer_lease_seconds``,
so the lease can be short (a row of an instance killed with -9 waits at most that long on
PostgreSQL) however long a handler or a slow platform takes. A worker whose lease may have
run out (its renewals failed, or its process stalled) sends nothing more: another claim may
already be answering the row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.cancellation import raise_if_cancelling
from bot.channels.base import DeliveryError
from bot.channels.outbound import with_retries
from bot.identity import LOCAL_CHANNELS
from bot.inbox import Claimed, Inbox, State
from bot.logs import request_id
from bot.messages import Incoming, Outgoing, Reply, Target

if TYPE_CHECKING:
    from bot.app import OrgBot

log = logging.getLogger(__name__)

IDLE_POLL_SECONDS = 1.0
# Idle, only the first worker looks at the inbox every second; the others every ten. Whoever
# finds a row wakes the rest, so a backlog found by polling (another instance's expired
# lease, a retry come due) is shared at once, and an idle instance costs one query a second.
PEER_POLL_FACTOR = 10
MAX_ATTEMPTS = 5
# Channels whose replies go back in an HTTP response; resumed after a restart, they land in the local inbox.
INLINE_CHANNELS = LOCAL_CHANNELS


@dataclass
class Hold:
    """How long, by this process's loop clock, a worker surely still holds its claimed row."""

    until: float
    lost: bool = False

    def sure(self, now: float, margin: float) -> bool:
        return not self.lost and now < self.until - margin


def reply_target(message: Incoming, private: bool) -> Target:
    """Private replies and 1:1 chats go to the person; group replies to the group."""
    if message.channel in INLINE_CHANNELS:
        return Target("local", user_id=message.sender_id)
    if private or not message.is_group:
        return Target(message.channel, user_id=message.sender_id)
    return Target(message.channel, chat_id=message.chat_id)


class AnswerWorkers:
    def __init__(self, bot: OrgBot, inbox: Inbox, *, workers: int, per_channel: int) -> None:
        self.bot = bot
        self.inbox = inbox
        self.size = workers
        self.per_channel = per_channel
        self._tasks: list[asyncio.Task[None]] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._in_flight: Counter[str] = Counter()
        self.lease = inbox.lease.total_seconds()
        self.last_progress = 0.0  # loop time of the last claim or idle check: /readyz tells a stuck pool

    @property
    def running(self) -> bool:
        return bool(self._tasks) and not self._closing

    def in_flight(self) -> int:
        return sum(self._in_flight.values())

    def start(self) -> None:
        self._closing = False
        self.last_progress = asyncio.get_running_loop().time()
        self._tasks = [asyncio.create_task(self._work(n), name=f"answer-worker-{n}") for n in range(self.size)]

    def wake(self) -> None:
        self._wake.set()

    async def stop(self, timeout: float) -> None:
        """Drain within ``timeout``: keep answering until then, finish sends in progress, keep the rest."""
        if not self._tasks:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, timeout)
        while loop.time() < deadline and (self.in_flight() or await self._waiting()):
            await asyncio.sleep(0.05)
        self._closing = True
        self._wake.set()
        _, pending = await asyncio.wait(self._tasks, timeout=max(0.0, deadline - loop.time()))
        for task in pending:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        left = await self._waiting()
        if left:
            log.warning(
                "shutdown: %d acknowledged message(s) not answered yet; they stay recorded for the next start", left
            )

    async def _waiting(self) -> int:
        try:
            counts = await self.inbox.counts()
        except Exception:
            return 0
        return sum(counts.values())

    async def _work(self, index: int) -> None:
        loop = asyncio.get_running_loop()
        idle_wait = IDLE_POLL_SECONDS * (1 if index == 0 else PEER_POLL_FACTOR)
        while not self._closing:
            self._wake.clear()
            busy = frozenset(ch for ch, n in self._in_flight.items() if n >= self.per_channel)
            asked = loop.time()
            try:
                claimed = await self._claim(busy)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                raise_if_cancelling(exc)
                log.exception("could not claim from the inbox")
                claimed = None
                await asyncio.sleep(IDLE_POLL_SECONDS)
            self.last_progress = loop.time()
            if claimed is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), idle_wait)
                continue
            self._wake.set()  # there may be more: idle peers look too
            channel = claimed.message.channel
            self._in_flight[channel] += 1
            try:
                await self._answer(claimed, Hold(until=asked + self.lease))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                raise_if_cancelling(exc)
                log.exception("answer worker failed on inbox row %d", claimed.id)
            finally:
                self._in_flight[channel] -= 1

    async def _claim(self, busy: frozenset[str]) -> Claimed | None:
        """Claim one row; cancelled meanwhile (the shutdown deadline), give back what the claim took.

        Cancelling the claim itself could leave its UPDATE committed and the row held under
        a lease nobody works on: the next start would wait for that lease on PostgreSQL.
        """
        claim = asyncio.ensure_future(self.inbox.claim(self.bot.clock.now(), busy))
        try:
            return await asyncio.shield(claim)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                taken = await claim
                if taken is not None:
                    await self.inbox.retry_later(taken, self.bot.clock.now(), "shutdown")
            raise

    async def _keep(self, claimed: Claimed, hold: Hold) -> None:
        """Renew the row's lease every third of it until the worker is done with the row."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.lease / 3)
            asked = loop.time()
            try:
                held = await self.inbox.renew(claimed, self.bot.clock.now())
            except Exception as exc:
                raise_if_cancelling(exc)  # else the worker's `await keeper` would wait forever
                log.warning("could not renew the lease on inbox row %d: %s", claimed.id, exc)
                continue
            if not held:
                hold.lost = True
                return
            hold.until = asked + self.lease

    def _sure(self, claimed: Claimed, hold: Hold) -> bool:
        if hold.sure(asyncio.get_running_loop().time(), self.lease / 3):
            return True
        log.warning(
            "inbox row %d: the lease may have run out (renewals failed or the process stalled); "
            "not sending, the row is answered under its next claim",
            claimed.id,
        )
        return False

    async def _answer(self, claimed: Claimed, hold: Hold) -> None:
        message = claimed.message
        token = request_id.set(f"{message.channel}:{message.message_id[:24]}")
        keeper = asyncio.create_task(self._keep(claimed, hold), name=f"lease-{claimed.id}")
        try:
            replies = claimed.replies
            if replies is None:
                try:
                    from bot import dispatcher

                    replies = await dispatcher.run(self.bot, message)
                    if len(replies) > 1:
                        # Several replies: keep them, so a resumed row sends only the rest.
                        await self.inbox.save_replies(claimed, replies)
                except asyncio.CancelledError:
                    # Not started to send: give the row back whole, to be claimed again at once.
                    await asyncio.shield(self.inbox.retry_later(claimed, self.bot.clock.now(), "shutdown"))
                    raise
            send = asyncio.ensure_future(self._send_from(claimed, replies, hold))
            try:
                await asyncio.shield(send)
            except asyncio.CancelledError:
                # A send in progress is finished, so its progress is known and nothing is sent twice.
                await send
                raise
        finally:
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)
            request_id.reset(token)

    async def _send_from(self, claimed: Claimed, replies: list[Reply], hold: Hold) -> None:
        message = claimed.message
        channel = "local" if message.channel in INLINE_CHANNELS else message.channel
        sent = claimed.replies_sent
        ok = True
        for index in range(sent, len(replies)):
            if not self._sure(claimed, hold):
                return
            reply = replies[index]
            outgoing = Outgoing(reply_target(message, reply.private), reply, in_reply_to=message)

            async def attempt(o: Outgoing = outgoing) -> None:
                await self.bot.deliver(o)

            ok = await with_retries(attempt, what=f"{message.channel} reply", attempts=3, max_wait=10.0)
            if not ok:
                break
            sent = index + 1
            marked = await self.inbox.mark_sent(
                claimed, sent, self.bot.clock.now(), done=sent == len(replies), replies=replies if sent == 1 else None
            )
            if not marked:
                log.warning(
                    "inbox row %d was claimed again while its reply was sent; leaving it to that claim", claimed.id
                )
                return
        if not replies:
            await self.inbox.mark_sent(claimed, 0, self.bot.clock.now(), done=True, replies=[])
        if ok:
            waited = (self.bot.clock.now() - claimed.received_at).total_seconds()
            self.bot.metrics.message_answered(message.channel, waited)
            await self._after(channel, message, answered=True)
            return
        if claimed.attempts >= MAX_ATTEMPTS:
            await self.inbox.finish(claimed, State.FAILED, self.bot.clock.now(), "delivery failed")
            log.error("reply to %s given up after %d attempts", message.message_id, claimed.attempts)
            self.bot.metrics.message_failed(message.channel)
            await self._after(channel, message, answered=False)
            return
        if claimed.replies is None and sent == 0:
            await self.inbox.save_replies(claimed, replies)  # the retry sends these, without a second run
        delay = timedelta(seconds=30 * 2 ** (claimed.attempts - 1))
        await self.inbox.retry_later(claimed, self.bot.clock.now() + delay, "delivery failed")

    async def _after(self, channel_name: str, message: Incoming, *, answered: bool) -> None:
        """Let a channel close what it keeps open per message (WeCom AI-bot streams)."""
        channel = self.bot.channels.get(channel_name)
        finish = getattr(channel, "finish_answer", None)
        if finish is None:
            return
        try:
            await finish(message, answered)
        except DeliveryError as exc:
            log.warning("finishing the answer failed: %s", exc)
