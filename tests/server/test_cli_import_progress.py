"""A blogger importing at a terminal sees a progress bar (items done, rate, time elapsed and
left) and a summary; a script (stderr not a terminal) gets no bar, only the summary."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

FIXTURE = Path(__file__).parent.parent / "feeds" / "imports" / "fixtures" / "wordpress" / \
    "export-1.2.xml"
SUMMARY = re.compile(r"import \d+: .* in [\d.]+ s \(\d+ posts/s\)")


def _env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("SYNDIC_")}
    return {**clean, "SYNDIC_STORAGE__URL": f"sqlite:///{tmp_path / 'syndic.db'}",
            "COLUMNS": "160", "TERM": "xterm"}


def test_at_a_terminal_the_import_shows_a_bar_with_items_rate_and_time_left(
    tmp_path: Path,
) -> None:
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server", "import", "wordpress", str(FIXTURE)],
            stdout=subprocess.PIPE, stderr=follower, cwd=tmp_path, env=_env(tmp_path))
        os.close(follower)
        seen = b""
        while True:  # read the terminal until the process closes it
            ready, _, _ = select.select([leader], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the other end is closed
                break
            if not chunk:
                break
            seen += chunk
        out, _ = proc.communicate(timeout=60)
    finally:
        os.close(leader)
    assert proc.returncode == 0
    bar = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen.decode("utf-8", "replace"))
    assert "importing" in bar and "100%" in bar
    assert re.search(r"\d+ items, \d+/s", bar), bar
    assert re.search(r"\d:\d\d:\d\d left", bar), bar  # elapsed, then the time left
    assert SUMMARY.search(out.decode()), out


def test_a_script_gets_no_bar_only_the_summary(tmp_path: Path) -> None:
    ran = subprocess.run(
        [sys.executable, "-m", "server", "import", "wordpress", str(FIXTURE)],
        capture_output=True, text=True, cwd=tmp_path, env=_env(tmp_path), timeout=60)
    assert ran.returncode == 0
    assert "importing" not in ran.stderr and "items," not in ran.stderr
    assert SUMMARY.search(ran.stdout), ran.stdout
