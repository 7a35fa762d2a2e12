"""Real-server, real-browser harness shared by the e2e tests, the screenshot script and nothing else.

* :class:`LiveServer` starts ``gabacare serve`` (the real CLI command, so uvicorn and the app factory
  as users run them) as a subprocess on a free 127.0.0.1 port, waits for ``/healthz`` and keeps
  the server's output in a log file that failure messages include.
* :func:`launch_chromium` starts Debian's ``/usr/bin/chromium`` headless through Playwright
  (``playwright install`` cannot download browsers here). Without Chromium it raises
  :class:`ChromiumMissing`; the fixtures fail under CI and skip locally.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("GABACARE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


class ChromiumMissing(RuntimeError):
    """Debian's chromium is not installed (``apt-get install chromium``, or ``make system-deps``)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """``gabacare serve`` on a free loopback port, for as long as the ``with`` block lasts."""

    def __init__(self, env: dict[str, str] | None = None, startup_timeout_s: float = 30.0,
                 args: tuple[str, ...] = (), secret_key: str | None = "e2e-secret-key-0123456789abcdef") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra_env = env or {}
        self.args = args
        self.secret_key = secret_key
        self.startup_timeout_s = startup_timeout_s
        self._dir = Path(tempfile.mkdtemp(prefix="gabacare-e2e-"))
        self.log_path = self._dir / "server.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def logs(self, tail: int = 60) -> str:
        """The last ``tail`` lines of the server's output (for failure messages)."""
        if not self.log_path.exists():
            return "(no server output)"
        lines = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(lines[-tail:])

    def __enter__(self) -> LiveServer:
        env = {k: v for k, v in os.environ.items() if k != "GABACARE_SECRET_KEY"}
        env.update({"PYTHONUNBUFFERED": "1", **self.extra_env})
        if self.secret_key is not None:
            env["GABACARE_SECRET_KEY"] = self.secret_key
        cmd = [sys.executable, "-c", "from gabacare.cli import main; main()", "serve", "--host", "127.0.0.1",
               "--port", str(self.port), *self.args]
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self._dir)
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"gabacare serve exited with {self._proc.returncode}:\n{self.logs()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.__exit__(None, None, None)
        raise RuntimeError(f"gabacare serve did not answer within {self.startup_timeout_s:g} s:\n{self.logs()}")

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def cleanup(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)


def launch_chromium(playwright: Any) -> Any:
    """Headless Debian Chromium through Playwright (raises :class:`ChromiumMissing` without it)."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        raise ChromiumMissing(f"{CHROMIUM} not found: install Debian's chromium (make system-deps)")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
