"""One-time login links and browser sessions: the rules in one place, for the web chat page and the console.

Secrets (link and session tokens) are random 256-bit values that only the person's
browser holds; the database keeps their SHA-256, so a copy of the database lets nobody
log in. A fast hash is enough because the secrets are not guessable passwords.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit_trail import AuditRecord
from bot.audit_trail import write as write_audit
from bot.auth.models import LoginLink, LoginSession
from bot.handler import User
from bot.identity import user_from_staff
from bot.roles import Role
from bot.storage.models import Staff

if TYPE_CHECKING:
    from bot.app import OrgBot

TOUCH_EVERY = timedelta(minutes=1)
# Where a link may land after login: a fixed list, so a link can never redirect elsewhere.
LANDINGS = ("/", "/admin/")


class LoginError(Exception):
    """A login refused, phrased for the person holding the link."""


@dataclass(frozen=True)
class IssuedLink:
    url: str
    user_id: str
    name: str
    expires_at: datetime


@dataclass(frozen=True)
class Actor:
    """Who asked for a link, for the audit row: a person in chat, or an operator at the CLI."""

    user_id: str
    role: str
    channel: str


@dataclass(frozen=True)
class WebSession:
    """A valid session: its raw token (from the cookie), the person, and the CSRF token of this session."""

    token: str
    user: User
    csrf: str
    expires_at: datetime


def landing_for(bot: OrgBot, user: User, *, console: bool) -> str:
    """Organizers and admins asking for the console land on it; everyone else on the web chat."""
    if console and bot.config.console.enabled and user.role >= Role.ORGANIZER:
        return "/admin/"
    return "/"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def csrf_for(session_token: str) -> str:
    """Derived from the session secret, so it needs no storage and dies with the session."""
    return hmac.new(session_token.encode(), b"orgbot-csrf", hashlib.sha256).hexdigest()


def csrf_matches(session_token: str, given: str) -> bool:
    return hmac.compare_digest(csrf_for(session_token).encode(), given.encode("utf-8", "surrogatepass"))


class LoginService:
    def __init__(self, bot: OrgBot) -> None:
        self.bot = bot
        self.config = bot.config.login

    def base_url(self) -> str:
        if self.config.base_url:
            return self.config.base_url.rstrip("/")
        server = self.bot.config.server
        return f"http://{server.host}:{server.port}"

    async def issue_link(self, user_id: str, actor: Actor, landing: str = "/") -> IssuedLink:
        """A fresh single-use link for an active staff member; expired links and sessions are purged here.

        ``landing`` is the page the browser opens after login (the web chat, or the console).
        """
        if landing not in LANDINGS:
            raise ValueError(f"unknown landing page {landing!r}")
        now = self.bot.clock.now()
        token = secrets.token_urlsafe(32)
        expires = now + timedelta(minutes=self.config.link_minutes)
        async with self.bot.db() as session, session.begin():
            staff = await _linkable_staff(session, user_id)
            await self._purge(session, now)
            session.add(
                LoginLink(
                    token_hash=token_hash(token),
                    user_id=staff.user_id,
                    issued_via=actor.channel,
                    created_at=now,
                    expires_at=expires,
                )
            )
            _audit(session, now, actor, "login.link", "ok", subject_user=staff.user_id)
        url = f"{self.base_url()}/login?t={quote(token)}"
        if landing != "/":
            url += f"&next={quote(landing)}"
        return IssuedLink(url=url, user_id=staff.user_id, name=staff.name, expires_at=expires)

    async def staff_user(self, user_id: str) -> User:
        """The active staff member a link would be issued to."""
        async with self.bot.db() as session:
            return user_from_staff(await _linkable_staff(session, user_id))

    async def link_holder(self, token: str) -> User:
        """Who a still-valid link would log in, without using it up (for the confirmation page)."""
        now = self.bot.clock.now()
        async with self.bot.db() as session:
            link = await session.get(LoginLink, token_hash(token))
            _check_link(link, now)
            assert link is not None
            return await _active_user(session, link.user_id)

    async def redeem_link(self, token: str) -> WebSession:
        """Use the link up (exactly one concurrent redeemer wins) and open a session."""
        now = self.bot.clock.now()
        digest = token_hash(token)
        async with self.bot.db() as session, session.begin():
            used = await session.scalar(
                update(LoginLink)
                .where(LoginLink.token_hash == digest, LoginLink.used_at.is_(None), LoginLink.expires_at > now)
                .values(used_at=now)
                .returning(LoginLink.user_id)
                .execution_options(synchronize_session=False)
            )
            if used is None:
                _check_link(await session.get(LoginLink, digest), now)
                raise LoginError("登录链接无效")
            user = await _active_user(session, used)
            raw = secrets.token_urlsafe(32)
            expires = now + timedelta(hours=self.config.max_hours)
            session.add(
                LoginSession(
                    token_hash=token_hash(raw),
                    user_id=user.user_id,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=expires,
                )
            )
            _audit(session, now, Actor(user.user_id, user.role.name.lower(), "web"), "login", "ok")
        return WebSession(token=raw, user=user, csrf=csrf_for(raw), expires_at=expires)

    async def session(
        self, raw: str, *, activity: bool = True, idle: timedelta | None = None, max_age: timedelta | None = None
    ) -> WebSession | None:
        """The live session for a cookie value, or None once it was ended, idle too long or too old.

        ``activity=False`` for the page's own background polling, which must not keep an
        unattended browser logged in. ``idle`` and ``max_age`` tighten the limits for one
        use (the console's): the stricter of the two rules wins, judged before this
        request counts as activity.
        """
        if not raw:
            return None
        now = self.bot.clock.now()
        idle_limit = timedelta(minutes=self.config.idle_minutes)
        if idle is not None:
            idle_limit = min(idle_limit, idle)
        async with self.bot.db() as session, session.begin():
            row = await session.get(LoginSession, token_hash(raw))
            if (
                row is None
                or row.ended_at is not None
                or row.expires_at <= now
                or row.last_seen_at + idle_limit <= now
                or (max_age is not None and row.created_at + max_age <= now)
            ):
                return None
            staff = await session.scalar(select(Staff).where(Staff.user_id == row.user_id))
            if staff is None or not staff.active:
                return None
            if activity and now - row.last_seen_at >= TOUCH_EVERY:
                row.last_seen_at = now
            return WebSession(token=raw, user=user_from_staff(staff), csrf=csrf_for(raw), expires_at=row.expires_at)

    async def logout(self, web: WebSession) -> None:
        now = self.bot.clock.now()
        async with self.bot.db() as session, session.begin():
            await session.execute(
                update(LoginSession)
                .where(LoginSession.token_hash == token_hash(web.token), LoginSession.ended_at.is_(None))
                .values(ended_at=now)
            )
            _audit(session, now, Actor(web.user.user_id, web.user.role.name.lower(), "web"), "logout", "ok")

    async def end_all(self, user_id: str, actor: Actor) -> int:
        """End every session and unused link of a person (lost phone, leaving the department)."""
        now = self.bot.clock.now()
        async with self.bot.db() as session, session.begin():
            ended = await session.execute(
                update(LoginSession)
                .where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None), LoginSession.expires_at > now)
                .values(ended_at=now)
            )
            await session.execute(
                update(LoginLink).where(LoginLink.user_id == user_id, LoginLink.used_at.is_(None)).values(used_at=now)
            )
            count = int(getattr(ended, "rowcount", 0) or 0)
            _audit(session, now, actor, "logout.all", "ok", subject_user=user_id, detail=f"{count} 个会话")
        return count

    async def _purge(self, session: AsyncSession, now: datetime) -> None:
        await session.execute(delete(LoginLink).where(LoginLink.expires_at < now - timedelta(days=1)))
        await session.execute(
            delete(LoginSession).where(
                or_(LoginSession.expires_at < now - timedelta(days=1), LoginSession.ended_at < now - timedelta(days=1))
            )
        )


def _check_link(link: LoginLink | None, now: datetime) -> None:
    if link is None:
        raise LoginError("登录链接无效：请重新获取")
    if link.used_at is not None:
        raise LoginError("该登录链接已经用过：每个链接只能登录一次，请重新获取")
    if link.expires_at <= now:
        raise LoginError("登录链接已过期：请重新获取")


async def _linkable_staff(session: AsyncSession, user_id: str) -> Staff:
    staff = await session.scalar(select(Staff).where(Staff.user_id == user_id))
    if staff is None:
        raise LoginError(f"没有用户 ID 为 {user_id} 的人员（访客不能登录网页）")
    if not staff.active:
        raise LoginError(f"人员 {user_id} 已停用，不能登录")
    return staff


async def _active_user(session: AsyncSession, user_id: str) -> User:
    staff = await session.scalar(select(Staff).where(Staff.user_id == user_id))
    if staff is None or not staff.active:
        raise LoginError("该人员已停用或不存在，不能登录")
    return user_from_staff(staff)


def _audit(
    session: AsyncSession,
    now: datetime,
    actor: Actor,
    action: str,
    outcome: str,
    *,
    subject_user: str = "",
    detail: str = "",
) -> None:
    write_audit(
        session,
        now,
        AuditRecord(
            actor=actor.user_id,
            actor_role=actor.role,
            channel=actor.channel,
            action=action,
            outcome=outcome,
            query=subject_user,
            detail=detail,
        ),
    )
