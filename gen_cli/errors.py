"""Exit statuses and the one exception that carries a user-facing failure."""

from __future__ import annotations

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
