"""A real `orgbot run` subprocess on a free loopback port, and genuine, re-signed or
tampered callbacks of each platform to post to it (the acceptance path's tools)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from bench.support import dingtalk_peer, feishu_peer, wecom_peer
from bench.support.fake_platforms import FakePlatforms
from bench.support.ports import free_port


@dataclass
class Callback:
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Platform:
    env: Callable[[str], dict[str, str]]
    # A fresh delivery of the same message (platforms re-sign their retries), and a tampered one.
    genuine: Callable[[str], Callback]
    tampered: Callable[[str], Callback]
    answers: Callable[[FakePlatforms], list]


def _wecom(tamper: bool) -> Callable[[str], Callback]:
    def build(api: str) -> Callback:
        params, body = wecom_peer.app_text_message("/帮助", "880001", "zhangsan", int(time.time()))
        if tamper:
            params["msg_signature"] = "0" * 40
        return Callback("/callback/wecom", params, {}, body)

    return build


def _dingtalk(tamper: bool) -> Callable[[str], Callback]:
    def build(api: str) -> Callback:
        message = dingtalk_peer.robot_message(api, "/帮助", "msgE2E1")
        headers = dingtalk_peer.signed_headers(secret="forged" if tamper else dingtalk_peer.APP_SECRET)
        return Callback("/callback/dingtalk", {}, headers, dingtalk_peer.body(message))

    return build


def _feishu(tamper: bool) -> Callable[[str], Callback]:
    def build(api: str) -> Callback:
        event = feishu_peer.text_event("/帮助", "om_e2e1", chat_type="p2p", event_id="ev_e2e1")
        headers, body = feishu_peer.signed_request(event)
        if tamper:
            headers["X-Lark-Signature"] = "0" * 64
        return Callback("/callback/feishu", {}, headers, body)

    return build


PLATFORMS = {
    "wecom": Platform(wecom_peer.wecom_env, _wecom(False), _wecom(True), lambda f: f.sent("wecom", "message/send")),
    "dingtalk": Platform(
        dingtalk_peer.dingtalk_env, _dingtalk(False), _dingtalk(True), lambda f: f.sent("dingtalk", "sendBySession")
    ),
    "feishu": Platform(
        feishu_peer.feishu_env, _feishu(False), _feishu(True), lambda f: f.sent("feishu", "/im/v1/messages")
    ),
}


class Orgbot:
    """`python -m bot.cli run` on a free loopback port."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.port = free_port()
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ORGBOT_")}
        env.update(self.env)
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 60)
        if "已启动" not in line.decode():
            err = await self.proc.stderr.read() if self.proc.stderr else b""
            raise AssertionError(f"orgbot did not start: {line!r} {err.decode()[-2000:]}")

    async def stop(self) -> str:
        """SIGTERM: the server finishes in-flight answers before it exits."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        # Generous: on a loaded two-core machine the last answers and sends may take their time.
        communicate = asyncio.ensure_future(self.proc.communicate())
        try:
            _, err = await asyncio.wait_for(asyncio.shield(communicate), 120)
        except TimeoutError:
            self.proc.send_signal(signal.SIGUSR1)  # bot/stack_dump.py: where it waits
            await asyncio.sleep(2)
            self.proc.kill()
            _, err = await communicate
            raise AssertionError(f"orgbot did not stop within 120 s of SIGTERM:\n{err.decode()[-6000:]}") from None
        assert self.proc.returncode == 0, err.decode()[-2000:]
        return err.decode()

    async def post(self, cb: Callback) -> int:
        async with (
            aiohttp.ClientSession() as s,
            s.post(self.url + cb.path, params=cb.params, headers=cb.headers, data=cb.body) as resp,
        ):
            await resp.read()
            return resp.status
