"""Start ``orgbot`` server processes for the operations tests and wait until they answer."""

from __future__ import annotations

import subprocess
import time
import urllib.request


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
