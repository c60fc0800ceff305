"""The command line's usage mistakes, said in one line as every other error of syndic is."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

EXIT_ERROR = 2  # argparse's own, and ours for every error a user can mend


class SyndicParser(argparse.ArgumentParser):
    """argparse, its mistakes said in one line as every other error of syndic is (`syndic:
    post edit: argument --status: invalid choice: ... (see syndic post edit --help)`), not
    after the usage block; --help still prints the whole usage. The commands' parsers are
    of this class too (add_subparsers makes them of the parser's own)."""

    def error(self, message: str) -> NoReturn:
        usage_error(self.prog, message)


def usage_error(prog: str, message: str) -> NoReturn:
    """Exit 2 with `syndic: COMMAND: MESSAGE (see PROG --help)` on stderr."""
    command = prog.removeprefix("syndic").strip()
    print(f"syndic: {command + ': ' if command else ''}{' '.join(message.split())} "
          f"(see {prog} --help)", file=sys.stderr)
    sys.exit(EXIT_ERROR)
