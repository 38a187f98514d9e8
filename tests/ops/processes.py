"""Start ``orgbot`` server processes for the operations tests and wait until they answer."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def start_orgbot(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``orgbot ARGS`` in the background with a clean environment (no ORGBOT_ variables but ``env``)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ORGBOT_")}
    full_env.update(env or {})
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )


def wait_ready(url: str, proc: subprocess.Popen[str] | None = None, timeout: float = 120) -> None:
    """Poll ``url`` (a /readyz) until it answers 200; fail early with the process's stderr if it died."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if proc is not None and proc.poll() is not None:
            raise AssertionError(proc.stderr.read() if proc.stderr else f"process exited {proc.returncode}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not become ready")
        time.sleep(0.3)
