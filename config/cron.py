"""scheduler.full_regeneration checked as the settings are read, by the scheduler's own
parser: APScheduler is imported here for this check alone (server/scheduler.py is the only
module that schedules with it)."""

import re
from datetime import UTC, datetime

from apscheduler.triggers.cron import CronTrigger


def cron_problem(line: str) -> str | None:
    """What is wrong with a crontab line, as the scheduler will read it (None: nothing).
    APScheduler's own parser, not a second one: a line it refuses only when the scheduler
    starts stopped the server after the start had rendered into the store ("internal
    error: ValueError")."""
    fields = line.split()
    # APScheduler 3 numbers weekdays from Monday = 0, crontab from Sunday = 0 (its
    # from_crontab docstring, issue 286): "1-5" would run Tuesday to Saturday, silently.
    if len(fields) == 5 and re.search(r"(^|[,-])\d", fields[4]):
        return (f"write the weekday by name (mon-fri, sun), not {fields[4]!r}: the scheduler "
                "counts 0 as Monday, crontab as Sunday")
    try:
        trigger = CronTrigger.from_crontab(line, timezone="UTC")
    except ValueError as exc:
        return f"must be a crontab line (minute hour day month weekday) or empty: {exc}"
    # A date that never comes (30 2: February 30th) is a job that never runs: APScheduler
    # takes it silently. It looks years ahead for it, ~0.1 s, only for such a line.
    if trigger.get_next_fire_time(None, datetime.now(UTC)) is None:
        return f"{line!r} never comes (no date matches it)"
    return None
