"""What the default branch says about a call: when each file arrived, which rounds are closed.

Read from git only, and light to import: a check of an unchanged call folder needs it in
its key without building gen's models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gen_cli.errors import GenError
from gen_cli.git import (
    Arrival,
    arrivals,
    changed_files,
    default_branch,
    files_named,
    repository_root,
)
from gen_cli.layout import RECORD_FILE, RECORD_HEADER
from gen_cli.yamlload import parse_yaml


@dataclass(frozen=True)
class History:
    """What the default branch says about the call: when each file arrived, what is closed.

    Both are anchored in the branch the funder controls, so that a pull request can
    neither back-date a dossier nor reopen a closed round by editing its record away.
    """

    branch: str | None
    arrivals: Mapping[str, Arrival]  # path in the call folder -> first-parent arrival
    closed: Mapping[str, Mapping[str, Any]]  # round id -> its final record on the branch
    templates_changed: tuple[str, ...] = ()  # templates/ files that differ from the branch
    scored: frozenset[str] = frozenset()  # rounds with a decision record on the branch


def submission_history(root: Path, use_git: bool | None) -> History | None:
    """What the default branch says about the call folder, or None without git.

    Args:
        use_git: True to require git, False to leave it out, None to use it inside a
            git repository.

    Raises:
        GenError: git asked for outside a git repository.
        GitError: the repository is a shallow clone, or git failed.
    """
    if use_git is False:
        return None
    if repository_root(root) is None:
        if use_git:
            raise GenError(f"{root} is not inside a git repository: run without --git")
        return None
    branch = default_branch(root)
    if branch is None:
        return History(None, {}, {})  # no default branch yet: every file is still to come
    closed, scored = {}, set()
    for relative, raw in files_named(root, branch, RECORD_FILE).items():
        round_id, _, rest = relative.partition("/")
        if rest != RECORD_FILE:
            continue
        scored.add(round_id)
        record = parse_record(raw)
        if record is not None and is_final(record):
            closed[round_id] = record
    changed = tuple(p for p in changed_files(root, branch, None) if p.startswith("templates/"))
    return History(branch, arrivals(root, branch), closed, changed, frozenset(scored))


def parse_record(raw: bytes) -> dict[str, Any] | None:
    """A record's bytes (read from git) as plain data, or None when they are not a record."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text.startswith(RECORD_HEADER):
        return None
    data, _ = parse_yaml(text, RECORD_FILE)
    return data if isinstance(data, dict) else None


def is_final(record: Mapping[str, Any] | None) -> bool:
    """True when the record was made final by ``gen close``."""
    return record is not None and isinstance(record.get("closed"), dict)
