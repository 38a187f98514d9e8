"""Prometheus figures for one instance, served at ``GET /metrics``.

Counters live in this process (messages received/answered/failed, answer latency,
policy-Q&A outcomes, cadre lookups). Figures that belong to the whole deployment (the
outbox, the unanswered backlog) are read from the database at scrape time, so every
instance reports the same truth and a restart loses nothing. Each bot has its own
registry: tests and several bots in one process never mix their numbers.
"""

from __future__ import annotations

import hmac
import ipaddress
from datetime import datetime
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import func, select

if TYPE_CHECKING:
    from bot.app import OrgBot

# Seconds from the callback's acknowledgement to the last reply sent: IM users notice beyond a few seconds.
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)
QA_OUTCOMES = {"answered": "answered", "clarify": "asked_back"}  # anything else: declined
REFUSED = {"denied", "rate_limited"}


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.received = Counter("orgbot_messages_received", "Messages received, per channel", ["channel"], registry=r)
        self.answered = Counter("orgbot_messages_answered", "Messages answered, per channel", ["channel"], registry=r)
        self.failed = Counter(
            "orgbot_messages_failed", "Messages whose answer failed or could not be delivered", ["channel"], registry=r
        )
        self.latency = Histogram(
            "orgbot_answer_latency_seconds",
            "From receiving a message to its last reply sent",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.policy_qa = Counter("orgbot_policy_qa", "Policy Q&A outcomes", ["outcome"], registry=r)
        self.lookups = Counter(
            "orgbot_cadre_lookups", "Cadre lookups by result (allowed / refused / other)", ["result"], registry=r
        )
        self.outbox = Gauge("orgbot_outbox_pushes", "Pushes in the outbox by status", ["status"], registry=r)
        self.outbox_lag = Gauge(
            "orgbot_outbox_lag_seconds", "How overdue the oldest pending push is (0: none overdue)", registry=r
        )
        self.leader = Gauge("orgbot_scheduler_leader", "1 when this instance leads the scheduler", registry=r)
        self.pool_in_use = Gauge("orgbot_db_pool_in_use", "Database connections checked out now", registry=r)
        self.pool_size = Gauge("orgbot_db_pool_size", "Database connections the pool keeps open", registry=r)
        self.backlog = Gauge(
            "orgbot_unanswered_backlog", "Acknowledged messages not answered yet, by state", ["state"], registry=r
        )
        self.backlog_age = Gauge(
            "orgbot_unanswered_oldest_seconds", "Age of the oldest message waiting for an answer", registry=r
        )
        for status in ("pending", "sent", "failed"):
            self.outbox.labels(status)
        for outcome in ("answered", "asked_back", "declined"):
            self.policy_qa.labels(outcome)
        for result in ("allowed", "refused", "other"):
            self.lookups.labels(result)

    def message_received(self, channel: str) -> None:
        self.received.labels(channel).inc()

    def message_answered(self, channel: str, seconds: float | None) -> None:
        self.answered.labels(channel).inc()
        if seconds is not None:
            self.latency.labels(channel).observe(max(0.0, seconds))

    def message_failed(self, channel: str) -> None:
        self.failed.labels(channel).inc()

    def policy_answer(self, status: str) -> None:
        self.policy_qa.labels(QA_OUTCOMES.get(status, "declined")).inc()

    def audited(self, action: str, outcome: str) -> None:
        """Cadre lookups are counted where they are audited, so the figures and the audit log agree."""
        if not action.startswith("cadre."):
            return
        result = "allowed" if outcome == "allowed" else "refused" if outcome in REFUSED else "other"
        self.lookups.labels(result).inc()

    async def refresh(self, bot: OrgBot) -> None:
        """Read the deployment-wide figures just before a scrape."""
        from bot.scheduling.models import OutboxRow

        now = bot.clock.now()
        async with bot.db() as session:
            rows = await session.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status))
            counts = {status: int(n) for status, n in rows}
            oldest: datetime | None = await session.scalar(
                select(func.min(OutboxRow.next_attempt_at)).where(OutboxRow.status == "pending")
            )
        for status in set(counts) | {"pending", "sent", "failed"}:
            self.outbox.labels(status).set(counts.get(status, 0))
        self.outbox_lag.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        waiting = await bot.inbox.counts()
        for state in set(waiting) | {"received", "answering"}:
            self.backlog.labels(state).set(waiting.get(state, 0))
        first = await bot.inbox.oldest_waiting()
        self.backlog_age.set(max(0.0, (now - first).total_seconds()) if first else 0.0)
        self.leader.set(1 if bot.scheduling.is_leader else 0)
        pool = bot.engine.pool
        checkedout = getattr(pool, "checkedout", None)
        self.pool_in_use.set(checkedout() if callable(checkedout) else 0)
        size = getattr(pool, "size", None)
        self.pool_size.set(size() if callable(size) else 1)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def allowed(request: web.Request, token: str, allow: list[str]) -> bool:
    """A scrape is allowed with the bearer token, or from an allow-listed address (the peer, never a header)."""
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    peer = request.remote
    if not peer:
        return False
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(entry, strict=False) for entry in allow)


def routes(bot: OrgBot) -> list[web.RouteDef]:
    async def metrics(request: web.Request) -> web.Response:
        if not allowed(request, bot.config.metrics.token, bot.config.metrics.allow):
            return web.json_response(
                {"error": "无权访问 /metrics：请使用 [metrics] token，或从 allow 中的地址访问"}, status=403
            )
        await bot.metrics.refresh(bot)
        return web.Response(body=bot.metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return [web.get("/metrics", metrics)]
