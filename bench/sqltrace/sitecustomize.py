"""Wall time spent in each SQL statement, by statement, for every process started with
this directory on PYTHONPATH (Python imports `sitecustomize` at start-up):

    PYTHONPATH=bench/sqltrace .venv/bin/python -m bench.api --writers 50 --seconds 10
    sort -rn /tmp/syndic-sqltrace/*.txt | head   # one file per process: ms, count, statement

An SQLAlchemy `before/after_cursor_execute` listener on every Engine sums the time between
the two per statement text (whitespace folded, cut at 160 characters); a thread writes the
30 costliest to $SYNDIC_SQLTRACE_DIR/PID.txt (default /tmp/syndic-sqltrace) every 2 s. The
time includes waiting for the GIL after SQLite returns: under load it is wall time, not CPU.
"""

from __future__ import annotations

import os
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

_OUT = Path(os.environ.get("SYNDIC_SQLTRACE_DIR", "/tmp/syndic-sqltrace"))
_TOTALS: defaultdict[str, list[float]] = defaultdict(lambda: [0, 0.0])
_STARTED = threading.local()


@event.listens_for(Engine, "before_cursor_execute")
def _before(*_args: Any) -> None:
    _STARTED.at = time.perf_counter()


@event.listens_for(Engine, "after_cursor_execute")
def _after(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
    total = _TOTALS[" ".join(statement.split())[:160]]
    total[0] += 1
    total[1] += time.perf_counter() - _STARTED.at


def _write_every_two_seconds() -> None:
    _OUT.mkdir(parents=True, exist_ok=True)
    path = _OUT / f"{os.getpid()}.txt"
    while True:
        time.sleep(2)
        rows = sorted(_TOTALS.items(), key=lambda kv: -kv[1][1])[:30]
        path.write_text("".join(f"{ms * 1000:9.1f} ms {int(n):6d}  {sql}\n"
                                for sql, (n, ms) in rows))


threading.Thread(target=_write_every_two_seconds, name="sqltrace", daemon=True).start()
