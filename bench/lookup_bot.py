"""What the lookup benches share: a started bot with the demo data, one chat message timed, percentiles."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import OrgBot  # noqa: E402
from bot.cadres.demo import seed_demo  # noqa: E402
from bot.channels.local import LocalChannel  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.messages import ChatType, Incoming  # noqa: E402


async def demo_bot(url: str | None, **env: str) -> OrgBot:
    """A migrated bot with the demo sheets loaded; a fresh SQLite file unless ``url`` names a scratch database."""
    if url is None:
        url = f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='orgbot-bench-')}/bench.db"
    environ = {
        "ORGBOT_DATABASE_URL": url,
        "ORGBOT_API_TOKEN": "bench",
        "ORGBOT_LOG_LEVEL": "WARNING",
        "ORGBOT_KNOWLEDGE_INDEX_DIR": tempfile.mkdtemp(prefix="orgbot-bench-index-"),
        **env,
    }
    bot = OrgBot(load_config(None, environ=environ))
    bot.add_channel(LocalChannel())
    await bot.start(background=False)
    await seed_demo(bot)
    return bot


async def timed_say(bot: OrgBot, user: str, text: str, chat: str | None = None) -> tuple[float, str]:
    """Seconds from handing the message to the bot until its replies are back, and the replies."""
    message = Incoming(
        channel="terminal", chat_id=chat or f"dm:{user}", chat_type=ChatType.PRIVATE, sender_id=user, text=text
    )
    started = time.perf_counter()
    replies = await bot.handle(message) or []
    return time.perf_counter() - started, "\n".join(r.text for r in replies)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
