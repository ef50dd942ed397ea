"""What the default branch says about a call: when each file arrived, which rounds are closed.

Read from git only, and light to import: a check of an unchanged call folder needs it in
its key without building gen's models.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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
from gen_cli.yamlload import parse_written


@dataclass(frozen=True)
class History:
    """What the default branch says about the call: when each file arrived, what is closed.

    Both are anchored in the branch the funder controls, so that a pull request can
    neither back-date a dossier nor reopen a closed round by editing its record away.
    The records are kept as bytes: a round of 50,000 dossiers has a record of tens of
    megabytes, parsed only by a check that needs what it says (see :meth:`closed`).
    """

    branch: str | None
    arrivals: Mapping[str, Arrival]  # path in the call folder -> first-parent arrival
    records: Mapping[str, bytes] = field(default_factory=dict)  # round id -> its record's bytes
    templates_changed: tuple[str, ...] = ()  # templates/ files that differ from the branch

    @property
    def scored(self) -> frozenset[str]:
        """The rounds with a decision record on the branch."""
        return frozenset(self.records)

    def closed(self, parse: Parse | None = None) -> dict[str, dict[str, Any]]:
        """The rounds closed on the branch, with their final record as plain data.

        Args:
            parse: reads records' ``(bytes, name)`` in order, a cache may keep them
                (default: :func:`record_on_branch` on each).
        """
        rounds = sorted(self.records)
        files = [(self.records[r], f"{self.branch}:{r}/{RECORD_FILE}") for r in rounds]
        parsed = parse(files) if parse is not None else [record_on_branch(*f) for f in files]
        pairs = zip(rounds, parsed, strict=True)
        return {r: record for r, record in pairs if record is not None and is_final(record)}

    def fingerprint(self) -> bytes:
        """A hash of all the history says: equal for equal histories, and only for those."""
        digest = hashlib.sha256()

        def add(*parts: str) -> None:
            for part in parts:
                spelled = part.encode("utf-8", "surrogateescape")
                digest.update(b"%d:" % len(spelled) + spelled)

        add("branch", "" if self.branch is None else "=" + self.branch)
        add("arrivals", str(len(self.arrivals)))
        for path in sorted(self.arrivals):
            arrival = self.arrivals[path]
            add(path, arrival.commit, arrival.time.isoformat(), arrival.subject)
        add("records", str(len(self.records)))
        for round_id in sorted(self.records):
            add(round_id, hashlib.sha256(self.records[round_id]).hexdigest())
        add("templates", *self.templates_changed)
        return digest.digest()


#: Reads records' ``(bytes, name)`` into plain data (None: not a record), in order.
Parse = Callable[[list[tuple[bytes, str]]], list[dict[str, Any] | None]]


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
    records = {}
    for relative, raw in files_named(root, branch, RECORD_FILE).items():
        round_id, _, rest = relative.partition("/")
        if rest == RECORD_FILE:
            records[round_id] = raw
    changed = tuple(p for p in changed_files(root, branch, None) if p.startswith("templates/"))
    return History(branch, arrivals(root, branch), records, changed)


def record_on_branch(raw: bytes, display: str) -> dict[str, Any] | None:
    """A record's bytes on the branch as plain data, or None when they are not a record."""
    return parse_record(raw)


def parse_record(raw: bytes) -> dict[str, Any] | None:
    """A record's bytes (read from git) as plain data, or None when they are not a record."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text.startswith(RECORD_HEADER):
        return None
    return parse_written(text, RECORD_FILE)


def is_final(record: Mapping[str, Any] | None) -> bool:
    """True when the record was made final by ``gen close``."""
    return record is not None and isinstance(record.get("closed"), dict)
