"""GET /metrics: the listed figures after real traffic, and who may read them (a running app on 127.0.0.1)."""

from __future__ import annotations

import re

import aiohttp
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cadres.demo import seed_demo
from bot.messages import ChatType, Incoming
from tests.channels.conftest import settle
from tests.conftest import add_staff, say

FIGURES = (
    "orgbot_messages_received_total",
    "orgbot_messages_answered_total",
    "orgbot_messages_failed_total",
    "orgbot_answer_latency_seconds_bucket",
    "orgbot_policy_qa_total",
    "orgbot_cadre_lookups_total",
    "orgbot_outbox_pushes",
    "orgbot_outbox_lag_seconds",
    "orgbot_scheduler_leader",
    "orgbot_db_pool_in_use",
    "orgbot_unanswered_backlog",
    "orgbot_unanswered_oldest_seconds",
)


def value(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        m = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        if all(got.get(k) == v for k, v in labels.items()):
            return float(m.group(3))
    raise AssertionError(f"{name}{labels} not in /metrics")


async def scrape(server: TestServer, token: str | None = None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with aiohttp.ClientSession() as s, s.get(server.make_url("/metrics"), headers=headers) as resp:
        return resp.status, await resp.text()


async def test_metrics_report_the_listed_figures_after_traffic(make_bot):
    bot = await make_bot(ORGBOT_KNOWLEDGE_LOAD_BUNDLED_CORPUS="true")
    await seed_demo(bot)
    await add_staff(bot, "boss", "管理员", role="admin")
    await add_staff(bot, "s1", "员工", role="staff")
    assert "可以帮您" in await say(bot, "boss", "/帮助")
    await say(bot, "boss", "干部试用期是多长时间")  # policy Q&A
    await say(bot, "boss", "今天天气怎么样呀小助手")  # most likely declined
    await say(bot, "boss", "/干部 A1001")
    await say(bot, "guest-9", "/干部 A1001")  # a guest: refused
    for n in range(3):  # through the durable inbox and the answer workers
        await bot.accept(
            Incoming(
                channel="terminal",
                chat_id="dm:s1",
                chat_type=ChatType.PRIVATE,
                sender_id="s1",
                text="/帮助",
                message_id=f"m{n}",
            )
        )
    await settle(bot)
    server = TestServer(bot.web_app(), host="127.0.0.1")
    await server.start_server()
    try:
        status, text = await scrape(server)
    finally:
        await server.close()
    assert status == 200, text
    for figure in FIGURES:
        assert figure in text, figure
    assert value(text, "orgbot_messages_received_total", channel="terminal") == 8
    assert value(text, "orgbot_messages_answered_total", channel="terminal") == 8
    assert value(text, "orgbot_answer_latency_seconds_count", channel="terminal") == 8
    qa = sum(value(text, "orgbot_policy_qa_total", outcome=o) for o in ("answered", "asked_back", "declined"))
    assert qa == 2
    assert value(text, "orgbot_cadre_lookups_total", result="allowed") == 1
    assert value(text, "orgbot_cadre_lookups_total", result="refused") == 1
    assert value(text, "orgbot_unanswered_backlog", state="received") == 0
    assert value(text, "orgbot_scheduler_leader") == 0  # started without the scheduler


async def test_metrics_refused_without_token_or_allowed_address(make_bot):
    bot = await make_bot(ORGBOT_METRICS_ALLOW="", ORGBOT_METRICS_TOKEN="scrape-secret")
    server = TestServer(bot.web_app(), host="127.0.0.1")
    await server.start_server()
    try:
        assert (await scrape(server))[0] == 403
        assert (await scrape(server, "wrong"))[0] == 403
        status, text = await scrape(server, "scrape-secret")
        assert status == 200 and "orgbot_messages_received_total" in text
        # A forwarded header never stands in for the peer address.
        async with (
            aiohttp.ClientSession() as s,
            s.get(
                server.make_url("/metrics"), headers={"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1"}
            ) as resp,
        ):
            assert resp.status == 403
    finally:
        await server.close()


@settings(max_examples=200, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    peer=st.ip_addresses(),
    allow=st.lists(st.ip_addresses().map(str), max_size=3),
    given_token=st.one_of(st.none(), st.text(max_size=12)),
)
def test_metrics_access_rule_invariant(peer, allow, given_token):
    """Allowed exactly when the bearer token matches, or the peer is one of the allow-listed addresses."""
    from types import SimpleNamespace

    from bot.metrics import allowed

    token = "t0ken"
    headers = {"Authorization": f"Bearer {given_token}"} if given_token is not None else {}
    request = SimpleNamespace(headers=headers, remote=str(peer))
    mapped = getattr(peer, "ipv4_mapped", None)
    listed = {str(peer), *([str(mapped)] if mapped else [])} & {
        str(__import__("ipaddress").ip_address(a)) for a in allow
    }
    expected = given_token == token or bool(listed)
    assert allowed(request, token, allow) is expected  # type: ignore[arg-type]
    assert allowed(request, "", []) is False  # type: ignore[arg-type]


def test_grafana_dashboard_plots_only_figures_the_app_exports():
    import json
    from pathlib import Path

    from bot.metrics import Metrics

    dashboard = json.loads((Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json").read_text())
    exported = {m.name for m in Metrics().registry.collect()}
    used = set()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            used |= set(re.findall(r"orgbot_[a-z_]+", target["expr"]))
    names = {re.sub(r"_(total|bucket|count|sum)$", "", u) for u in used}
    assert names <= exported, names - exported
    assert {n for n in exported} <= names, f"figures with no panel: {exported - names}"
