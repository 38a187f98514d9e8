"""The demo: a self-contained bot with fake people, the bundled knowledge base and a schedule.

Everything is clearly fake (names start with 演示) so nobody mistakes the demo for real records.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from bot.app import OrgBot
from bot.cadres import demo as cadres_demo
from bot.scheduling import demo as scheduling_demo
from bot.scheduling import record_alerts


def write_demo_config(folder: Path, port: int) -> Path:
    """Write the demo's own config once; later runs reuse it, so the token stays the same."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "orgbot.toml"
    if not path.exists():
        db = (folder / "orgbot.db").resolve().as_posix()
        index = (folder / "index").resolve().as_posix()
        path.write_text(
            "# Written by `orgbot demo`; edit freely, or delete it to start over.\n"
            f'[database]\nurl = "sqlite+aiosqlite:///{db}"\n\n'
            f"[server]\nport = {port}\n\n"
            f'[api]\ntoken = "{secrets.token_urlsafe(12)}"\n'
            "# Demo only: the token may speak for anyone. Never in production (see config.example.toml).\n"
            'act_as = ["*"]\n\n'
            "[login]\n# Demo: the printed login links stay valid for a working day.\nlink_minutes = 480\n\n"
            f'[knowledge]\nindex_dir = "{index}"\nload_bundled_corpus = true\n',
            encoding="utf-8",
        )
    return path


DEMO_LOGINS = (("demo_admin", "管理员"), ("demo_organizer", "组织员"), ("demo_staff", "工作人员"))
CONSOLE_LOGINS = DEMO_LOGINS[:2]


async def demo_login_links(bot: OrgBot, landing: str = "/") -> list[tuple[str, str, str]]:
    """One-time login links for the demo identities: (user id, role label, url).

    ``landing="/admin/"``: links into the admin console, for the identities that may use it.
    """
    from bot.auth.logins import Actor, LoginService

    service = LoginService(bot)
    links = []
    for user_id, label in CONSOLE_LOGINS if landing == "/admin/" else DEMO_LOGINS:
        link = await service.issue_link(user_id, Actor("demo", "cli", "cli"), landing)
        links.append((user_id, label, link.url))
    return links


async def seed(bot: OrgBot) -> list[str]:
    """Load the demo data; safe to run again (every step upserts). Returns what was done."""
    done: list[str] = []
    await cadres_demo.seed_demo(bot)
    done.append("演示单位、人员（demo_admin / demo_organizer / demo_staff）、干部、培训与后备记录")
    kb = await bot.kb.get()
    docs = await kb.list_documents()
    if not docs:
        from knowledge import bundled_corpus

        await kb.import_paths([bundled_corpus()])
        docs = await kb.list_documents()
    done.append(f"知识库文档 {len(docs)} 篇（{'、'.join(d.title for d in docs)}）")
    await scheduling_demo.seed_demo(bot)
    done.append("演示提醒：三会一课月度提醒、明年七一表彰推荐、一条带回执的会议通知")
    await record_alerts.seed_demo(bot)
    done.append("学时预警（6月30日、9月30日、11月15日）与后备干部复核（6月30日、12月15日）：/提醒 预览 编号")
    return done
