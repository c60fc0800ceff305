"""The `syndic` command's entry point (and `python -m server`'s). It imports nothing of
syndic's at its top, so that a module failing as it is imported (a broken install: a
dependency missing, or failing to load its compiled part) is one line and exit 70 like any
other internal error (server/cli.py's docstring), not the traceback Python prints when an
entry point's own import fails."""

from __future__ import annotations

import os
import sys
import traceback

# server/cli.py's values; repeated here because importing it is what may fail.
DEBUG_ENV = "SYNDIC_DEBUG"
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


def main() -> None:
    try:
        from server.cli import main as run
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # ImportError mostly; any error raised at a module's top
        if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
            traceback.print_exc()
        what = " ".join(str(exc).splitlines()).strip()
        print(f"syndic: cannot start, the installation is broken: {type(exc).__name__}"
              f"{what and ': ' + what} (reinstall: pip install -e .; run with {DEBUG_ENV}=1 "
              "for the traceback)", file=sys.stderr)
        sys.exit(EXIT_INTERNAL)
    run()
