"""Servers under test as subprocesses on 127.0.0.1, each stopped by its own pid; a tiny
HTTP client; wrk runs parsed."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import NoReturn

from bench.seed import PUBLIC_URL

REPO = Path(__file__).resolve().parent.parent
SYNDIC = Path(sys.executable).with_name("syndic")
HOST = "127.0.0.1"


def stop_on_signals() -> None:
    """SIGTERM and SIGINT (even when inherited as ignored, as under nohup) raise
    KeyboardInterrupt, so every `with Server(...)` block stops its server."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)


def run_in_workdir(run: Callable[[Path], int], keep: Path | None, prefix: str) -> NoReturn:
    """run(work directory) in `keep` (made when missing) or in a temporary directory, then
    exit with its code; 130 when interrupted (its servers are stopped by then)."""
    try:
        if keep:
            keep.mkdir(parents=True, exist_ok=True)
            code = run(keep)
        else:
            with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
                code = run(Path(tmp))
    except KeyboardInterrupt as exc:
        print(f"interrupted ({exc}); the server was stopped")
        code = 130
    sys.exit(code)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def get(port: int, path: str, headers: dict[str, str] | None = None, timeout: float = 30,
        ) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def wait_ready(port: int, path: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        try:
            status, _, _ = get(port, path, timeout=5)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"server on port {port} not ready after {timeout} s")


class Server:
    """A subprocess stopped (by its pid, never by name) on exit from the `with` block."""

    def __init__(self, argv: list[str], cwd: Path, log: Path, env: dict[str, str],
                 stop_signal: int = signal.SIGTERM) -> None:
        self.argv, self.cwd, self.log, self.env = argv, cwd, log, env
        self.stop_signal = stop_signal
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    def __enter__(self) -> Server:
        self.started = time.monotonic()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.argv, cwd=self.cwd, stdout=out, stderr=out,
                                         env={**os.environ, **self.env})
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(self.stop_signal)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def syndic(db: Path, port: int, workdir: Path, log: Path, access_log: bool = True,
           **settings: str) -> Server:
    """`syndic serve` on `db`; stdout and stderr (the access log) to `log`."""
    env = {
        "SYNDIC_STORAGE__URL": f"sqlite:///{db.resolve()}",
        "SYNDIC_SERVER__PORT": str(port),
        "SYNDIC_SERVER__ACCESS_LOG": "true" if access_log else "false",
        "SYNDIC_SERVER__PUBLIC_URL": PUBLIC_URL,
        **{f"SYNDIC_{k.upper()}": v for k, v in settings.items()},
    }
    workdir.mkdir(parents=True, exist_ok=True)
    return Server([str(SYNDIC), "serve", "--port", str(port)], workdir, log, env)


def vm_kib(pid: int, field: str) -> int:
    """A /proc/PID/status figure (VmHWM, VmRSS ...) in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


@dataclass(frozen=True, slots=True)
class WrkResult:
    rps: float
    p99_ms: float
    requests: int
    errors: str


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(port: int, path: str, headers: dict[str, str], seconds: float, connections: int,
        ) -> WrkResult:
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    out = subprocess.run([*argv, f"http://{HOST}:{port}{path}"], capture_output=True,
                         text=True, timeout=seconds + 60, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    total = re.search(r"(\d+) requests in", out)
    errors = "; ".join(line.strip() for line in out.splitlines()
                       if "Socket errors" in line or "Non-2xx" in line)
    return WrkResult(rps, float(p99.group(1)) * _UNITS[p99.group(2)] if p99 else float("nan"),
                     int(total.group(1)) if total else 0, errors)
