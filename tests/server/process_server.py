"""syndic as a real process (`python -m server serve`) for the tests that must kill it:
a SQLite file, a port of its own, settings in SYNDIC_* variables, its log in a file.
Start it, wait until it answers, kill -9 it, start it again on the same store; `close()`
(always, in a finally) leaves no process behind."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SyndicProcess:
    """One syndic server process at a time, on `workdir/syndic.db` and one port (kept across
    restarts, so the feeds' URLs stay the same)."""

    def __init__(self, workdir: Path, settings: dict[str, str] | None = None,
                 port: int | None = None) -> None:
        self.workdir = workdir
        self.db = workdir / "syndic.db"
        self.port = port or free_port()
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SYNDIC_")},
            "PYTHONPATH": str(REPO),
            "SYNDIC_STORAGE__URL": f"sqlite:///{self.db}",
            "SYNDIC_SERVER__HOST": "127.0.0.1",
            "SYNDIC_SERVER__PORT": str(self.port),
            "SYNDIC_SERVER__ACCESS_LOG": "false",
            "SYNDIC_SCHEDULER__FULL_REGENERATION": "",
            **(settings or {}),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"syndic-{self.runs}.log"

    def log(self) -> str:
        """Every run's log, for an assertion's message."""
        return "\n".join(f"--- run {n} ---\n" + (self.workdir / f"syndic-{n}.log").read_text(
            errors="replace")[-6000:] for n in range(1, self.runs + 1)
            if (self.workdir / f"syndic-{n}.log").exists())

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.runs += 1
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "server", "serve"], cwd=self.workdir, env=self.env,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)

    async def wait_ready(self, within: float = 30.0) -> None:
        """Until GET /feeds/posts/default answers 200 (startup done: migrated, rendered)."""
        deadline = time.monotonic() + within
        timeout = aiohttp.ClientTimeout(total=2)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while True:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    raise AssertionError(f"syndic exited with {self.proc.returncode}:\n"
                                         f"{self.log()}")
                try:
                    async with http.get(f"{self.url}/feeds/posts/default") as resp:
                        if resp.status == 200:
                            return
                except (aiohttp.ClientError, TimeoutError, OSError):
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"syndic never answered:\n{self.log()}")
                await asyncio.sleep(0.05)

    async def run(self, within: float = 30.0) -> None:
        self.start()
        await self.wait_ready(within)

    def signal(self, signum: int) -> None:
        assert self.proc is not None and self.proc.poll() is None, "not running"
        os.kill(self.proc.pid, signum)

    def kill9(self) -> None:
        """SIGKILL: no cleanup of any kind runs in the server."""
        assert self.proc is not None and self.proc.poll() is None, "not running"
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def close(self) -> None:
        """Stop the server if it runs (SIGTERM, then SIGKILL if it lingers)."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        try:
            os.kill(proc.pid, signal.SIGCONT)  # in case a test left it stopped
            proc.terminate()
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """A read of the server's SQLite file (WAL: it does not block the server)."""
        conn = sqlite3.connect(self.db, timeout=10)
        try:
            return list(conn.execute(sql, args))
        finally:
            conn.close()

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """`syndic ARGS` on the same store and settings."""
        return subprocess.run([sys.executable, "-m", "server", *args], cwd=self.workdir,
                              env=self.env, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
