"""Exit statuses and the one exception that carries a user-facing failure."""

from __future__ import annotations

import pickle
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gen_cli.rules import Report

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_BUG = 3


class GenError(Exception):
    """A failure the user can act on: printed as one line, never as a traceback.

    Attributes:
        message: what went wrong, in plain language.
        exit_code: EXIT_PROBLEMS for problems in the data, EXIT_USAGE for a bad
            invocation or an unreadable call folder.
    """

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class InvalidCall(GenError):
    """The call folder has errors that stop what was asked."""

    def __init__(self, report: Report, message: str | None = None) -> None:
        errors = sum(1 for d in report.diagnostics if d.severity == "error")
        super().__init__(
            message or f"refusing to score: gen validate finds {errors} error(s); fix them first",
            EXIT_PROBLEMS,
        )
        self.report = report


def portable(error: GenError) -> GenError:
    """The error, or one saying the same, that can be rebuilt in another process.

    A subclass whose constructor takes other arguments (``JuryRefused``) cannot be
    unpickled there: its words and exit status cross instead.
    """
    try:
        rebuilt = pickle.loads(pickle.dumps(error, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:
        return GenError(error.message, error.exit_code)
    return rebuilt if isinstance(rebuilt, GenError) else GenError(error.message, error.exit_code)
