"""Git access (the only module that runs git)."""

from __future__ import annotations

import subprocess
from pathlib import Path


class GitError(Exception):
    """Git failed or is missing; the message says what to do."""


def last_commit_time(path: Path) -> int:
    """The Unix time of the last commit touching ``path``.

    Raises:
        GitError: not a git repository, no commit yet, or git missing.
    """
    try:
        completed = subprocess.run(
            ["git", "log", "-1", "--format=%ct", "--", "."],
            cwd=path,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as error:
        raise GitError(f"cannot run git: {error.strerror}") from None
    stamp = completed.stdout.strip()
    if completed.returncode != 0 or not stamp.isdigit():
        raise GitError(
            f"{path} has no git commit to take a date from (commit first, or set SOURCE_DATE_EPOCH)"
        )
    return int(stamp)
