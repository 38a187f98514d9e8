"""From a fresh folder, `orgbot demo` prints console login links next to the chat URL, and they work."""

from __future__ import annotations

import re
import time

import aiohttp

from tests.ops.processes import start_orgbot, wait_ready
from tests.test_cli import free_port


async def test_orgbot_demo_prints_working_console_links(tmp_path):
    port = free_port()
    proc = start_orgbot("demo", "--dir", str(tmp_path / "demo"), "--port", str(port), cwd=tmp_path)
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz", proc)
        assert proc.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(line.startswith("按 Ctrl+C") for line in lines):
            lines.append(proc.stdout.readline().rstrip("\n"))
        banner = "\n".join(lines)
        assert f"管理后台：  http://127.0.0.1:{port}/admin/" in banner
        links = dict(re.findall(r"(demo_admin|demo_organizer)：(http://\S+&next=/admin/)", banner))
        assert set(links) == {"demo_admin", "demo_organizer"}, banner
        for user, link in links.items():
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=20)) as http:
                token = link.split("?t=", 1)[1].split("&", 1)[0]
                async with http.get(link) as confirm:
                    assert confirm.status == 200
                base = f"http://127.0.0.1:{port}"
                async with http.post(f"{base}/login", data={"t": token, "next": "/admin/"}) as landed:
                    page = await landed.text()
                    assert landed.status == 200 and str(landed.url).endswith("/admin/"), user
                    assert "概览" in page and ("演示管理员" in page or "演示组织员" in page)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
