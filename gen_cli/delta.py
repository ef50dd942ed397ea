"""A check made again from the last one, when a few dossiers changed or were added.

``memo`` keeps the report of each state of a call folder. When a few dossier files changed
since the last check and nothing else did, the rules across files would find what they
found, as long as what they read of each file (its facts: id, round, themes, dates,
amounts, organisations) allows it: the report is the last one, with the changed files'
own problems found again. A pre-commit hook on a call of 100,000 dossiers then reads one
file, not every file's kept result.

- A dossier whose facts are the same: its own problems, found again.
- A dossier whose dates, lead's kind or amounts changed, and nothing else of its facts:
  also what eligibility says of it (W010), from call.yaml, on the dossier alone.
- A dossier added to a round that takes them, when the last check found no error (so
  every review, assignment and jury file names dossiers that exist, and every id is its
  file's name): also the rules across files, on the dossier alone, once its id is new.

Only a dossier the last check vouched for may change: a valid one, with no problem at
all, whose model no rule across files read (a jury's deliberation, a closed round's
proof, a review check that needed more than its facts), without a private part.
Anything else (a file removed or of another kind, an id, round, theme or organisation
that changed, more than a few files, a result that cannot be read back) and the check is
made whole.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from gen_cli.diagnostics import Diagnostic, Problem, printable
from gen_cli.history import is_final
from gen_cli.layout import ASSIGNMENTS_FILE, CALL_FILE, JURY_FILE, RECORD_FILE
from gen_cli.loading import (
    DOSSIER_KIND,
    PRIVATE_SUFFIX,
    CallFolder,
    DossierEntry,
    Source,
    dossier_from_bytes,
    folder_above,
    load_one,
    public_dossiers,
    source_of,
)
from gen_cli.models import Call, DossierFacts
from gen_cli.resultcache import ResultCache, hashed_result_key, loads
from gen_cli.yamlload import decode, read_bytes

if TYPE_CHECKING:
    from gen_cli.batch import Batch
    from gen_cli.history import History
    from gen_cli.memo import Keyed, WholeReport
    from gen_cli.rounds import Checked

#: The most changed files a check is made again from the last one for: more, and reading
#: every file's kept result is as quick.
MOST_CHANGED = 32
#: What eligibility reads of a dossier and no rule across files does: a change of these
#: alone is checked on the dossier alone, with call.yaml.
_ALONE_FACTS = ("submitted", "lead_kind", "requested", "total_cost")


def basis_key(header: bytes) -> bytes:
    """Where the last check of a folder checked this way (``memo.Keyed.header``) is kept."""
    return hashlib.blake2b(b"delta basis\0" + header, digest_size=20).digest()


def vouched(checked: Checked) -> dict[str, str]:
    """The dossiers the check vouches for, by POSIX path in the folder: their displayed paths.

    Valid, without a problem, in a round that is not closed and has no jury file, without a
    private part, and whose model nothing read: what the rules across files found stays
    true while their facts do.
    """
    folder = checked.folder
    if folder.call is None:
        return {}
    diagnosed = {d.path for d in checked.report.diagnostics}
    closed = {r for r, record in checked.records.items() if is_final(record)}
    closed |= {folder_above(s.path) for s in folder.jury_sources}
    closed |= set(folder.deliberations)
    private: set[Source] = set()  # the dossiers with a private part (few calls have any)
    if folder.private_sources:
        sources = [s for s, _, _ in folder.dossier_entries]
        private = set(sources) - set(public_dossiers(sources, folder.private_sources))
    found: dict[str, str] = {}
    for source, facts, packed in folder.dossier_entries:
        if not facts.whole or packed.read or facts.id in folder.parts_read:
            continue
        if printable(source.display) in diagnosed:  # as a diagnostic names its file
            continue
        if folder_above(source.path) in closed or source in private:
            continue
        found[folder.relative(source)] = source.display
    return found


def takes_new(checked: Checked, history: History | None) -> list[str]:
    """The rounds a dossier added to is checked alone in, by id.

    A round whose record is not final, with no jury, assignments or sealed review file,
    and which takes dossiers (``submissions: open``; without git, a dossier added after
    ``closed`` is not refused): a dossier added there changes nothing else the check finds
    (no file of the round lists who reviews or decides what).
    """
    folder = checked.folder
    if folder.call is None:
        return []
    held = {folder_above(s.path) for s in folder.jury_sources}
    held |= set(folder.deliberations) | set(folder.assignments)
    held |= {folder_above(s.path, 2) for s in folder.sealed_sources}
    found = []
    for round_ in folder.call.rounds:
        if round_.id in held or is_final(checked.records.get(round_.id)):
            continue
        if history is None or round_.submissions == "open":
            found.append(round_.id)
    return found


def keep_basis(cache: ResultCache, keyed: Keyed, checked: Checked, history: History | None) -> None:
    """Keep what the next check needs to be made from this one, of the folder ``keyed`` says."""
    from gen_cli.lifecycle import State, state_of

    call = checked.folder.call
    rounds = call.rounds if call is not None else []
    # as check_call gives eligibility the rounds' states: by id, the last round of an id
    states = {r.id: state_of(r.submissions, checked.records.get(r.id)) for r in rounds}
    basis = {
        "shape": keyed.shape,
        "report": keyed.key,
        "files": keyed.contents,
        "open": vouched(checked),
        "addable": takes_new(checked, history),
        "taking": sorted(r for r, state in states.items() if state is State.open),
    }
    blob = pickle.dumps(basis, protocol=pickle.HIGHEST_PROTOCOL)
    key = basis_key(keyed.header)
    cache.put_many([(key, blob)], [key])


def redone(
    cache: ResultCache,
    root: Path,
    shown: str,
    keyed: Keyed,
    batch: Batch,
    history: History | None,
) -> WholeReport | None:
    """The report of the folder as ``keyed`` says it is, made from the last check; or None.

    The basis stays the last whole check's: the next change is measured from it too, so
    that a dossier that changed twice is compared with the facts that check vouched for.
    """
    from gen_cli.memo import WholeReport, recall

    basis = _basis(cache, keyed.header)
    if basis is None:
        return None
    before: dict[str, bytes] = basis["files"]
    now: dict[str, bytes] = keyed.contents
    changed = [path for path, digest in now.items() if before.get(path) != digest]
    added = [path for path in changed if path not in before]
    if not changed or len(changed) > MOST_CHANGED or len(now) - len(added) != len(before):
        return None  # nothing changed, too much, or a file was removed
    if basis["shape"] != (_shape(keyed.entries, added) if added else keyed.shape):
        return None  # a file of another kind: a folder, a link, a file moved
    open_: dict[str, str] = basis["open"]
    if any(p not in open_ for p in changed if p in before):
        return None
    if added and not all(_may_add(p, basis["addable"], now, history) for p in added):
        return None
    last = recall(cache, basis["report"])
    if last is None or (added and any(d.severity == "error" for d in last.diagnostics)):
        return None
    alone = _Alone(root, batch, basis["taking"], history)
    if added:
        alone.ids = _stems(before)
    found: list[Diagnostic] = []
    declared = dict(last.declared)
    paths = dict(last.paths)
    checked = dict(last.checked)
    for path in changed:
        was = before.get(path)
        source = _dossier_source(root, shown, path, open_.get(path))
        made = _made_again(cache, source, was, now[path], alone)
        if made is None:
            return None
        diagnostics, round_id = made
        paths[source.display] = source.path
        if diagnostics:
            found += diagnostics
            if round_id is not None and any(d.path == source.display for d in diagnostics):
                declared[source.display] = round_id  # as memo keeps it: by the name printed
    checked["dossier"] = checked.get("dossier", 0) + len(added)
    return WholeReport(sorted([*last.diagnostics, *found]), checked, paths, declared)


def _shape(entries: tuple[bytes, ...], added: list[str]) -> bytes:
    """The hash of the folder's entries (``memo.Keyed.shape``) without the files ``added``."""
    gone = {b"file\0" + os.fsencode(path) + b"\0" for path in added}
    return hashlib.sha256(b"".join(e for e in entries if e not in gone)).digest()


def _may_add(
    path: str, addable: list[str], now: Mapping[str, bytes], history: History | None
) -> bool:
    """Whether ``path`` is where a dossier added to a round that takes them lies.

    Not one the default branch brought in (its arrival decides whether it is late), nor
    one with a sealed private part.
    """
    round_id, _, name = path.partition("/")
    return (
        round_id in addable
        and "/" not in name
        and name.endswith(".yaml")
        and not name.startswith(".")
        and name not in (JURY_FILE, ASSIGNMENTS_FILE, RECORD_FILE)
        and f"{round_id}/{name.removesuffix('.yaml')}{PRIVATE_SUFFIX}" not in now
        and (history is None or path not in history.arrivals)
    )


def _stems(files: Mapping[str, bytes]) -> set[str]:
    """The names of every YAML file directly in a folder of the call: each dossier's id.

    The last check found no error, so each dossier's id is its file's name; the other
    files here (records, jury files) only make an id taken that is not.
    """
    return {
        path.partition("/")[2].removesuffix(".yaml")
        for path in files
        if path.count("/") == 1 and path.endswith(".yaml")
    }


def _dossier_source(root: Path, shown: str, path: str, display: str | None) -> Source:
    """The dossier at ``path`` (POSIX, in the call folder), named as a whole check names it."""
    place = root.joinpath(*path.split("/"))
    name = path.rpartition("/")[2]
    if display is None:
        display = source_of(root, shown, place).display
    return Source(place, display, name.removesuffix(".yaml"), path)


@dataclasses.dataclass
class _Alone:
    """What checking a dossier alone needs: call.yaml, read once, and the ids taken."""

    root: Path
    batch: Batch
    taking: list[str]
    history: History | None
    ids: set[str] = dataclasses.field(default_factory=set)
    _folder: CallFolder | None = None

    def folder(self) -> CallFolder | None:
        """A call folder of call.yaml alone; None when call.yaml cannot be read."""
        if self._folder is None:
            folder = CallFolder(
                root=self.root,
                call_source=Source(self.root / CALL_FILE, CALL_FILE),
                batch=self.batch,
            )
            folder.call, problems = load_one(folder, folder.call_source, Call)
            if folder.call is None or problems:
                return None
            self._folder = folder
        return self._folder

    def may_differ(self, facts: DossierFacts, was: DossierFacts) -> bool:
        """Whether the facts differ only in what eligibility reads of the dossier alone.

        With git, the submitted date also decides whether a late dossier is accepted.
        """
        if self.history is not None and facts.submitted != was.submitted:
            return False
        return facts._replace(**{f: getattr(was, f) for f in _ALONE_FACTS}) == was

    def problems(self, entry: DossierEntry) -> list[Problem] | None:
        """What the rules across files find of the dossier ``entry`` alone; None if unknown."""
        from gen_cli.lifecycle import State
        from gen_cli.rounds import eligibility_warnings
        from gen_cli.rules import folder_problems

        folder = self.folder()
        if folder is None:
            return None
        folder.dossier_entries = [entry]
        folder.dossier_files = 1
        found = folder_problems(folder)
        found += eligibility_warnings(folder, dict.fromkeys(self.taking, State.open))
        if any(p.path != entry[0].display for p in found):
            return None  # a problem of another file: what it says is the whole check's
        return found


def _basis(cache: ResultCache, header: bytes) -> dict[str, Any] | None:
    """The basis kept for this header; None when there is none or it is not one gen wrote."""
    key = basis_key(header)
    basis = _kept(cache, key)
    if not _well_formed(basis):
        cache.forget(key)  # none, or not one gen wrote
        return None
    return basis


def _kept(cache: ResultCache, key: bytes) -> Any:
    """What the cache keeps under ``key``, rebuilt; None if nothing, or nothing readable."""
    blob = cache.get_many([key]).get(key)
    if blob is None:
        return None
    try:
        return loads(blob)
    except pickle.UnpicklingError:
        return None


_KEYS = {"shape", "report", "files", "open", "addable", "taking"}


def _well_formed(basis: object) -> TypeGuard[dict[str, Any]]:
    """Whether ``basis`` has the shape ``keep_basis`` gives it, down to each entry's types."""
    if not isinstance(basis, dict) or set(basis) != _KEYS:
        return False
    files, open_ = basis["files"], basis["open"]
    return (
        isinstance(basis["shape"], bytes)
        and isinstance(basis["report"], bytes)
        and isinstance(files, dict)
        and all(isinstance(k, str) and isinstance(v, bytes) for k, v in files.items())
        and isinstance(open_, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in open_.items())
        and all(
            isinstance(basis[k], list) and all(isinstance(r, str) for r in basis[k])
            for k in ("addable", "taking")
        )
    )


def _made_again(
    cache: ResultCache,
    source: Source,
    before: bytes | None,
    now: bytes,
    alone: _Alone,
) -> tuple[list[Diagnostic], str | None] | None:
    """A changed or added dossier's diagnostics and round, if the last check still holds.

    ``before`` is the digest the last check read it as; None for a dossier added since.
    """
    display = source.display
    was: DossierFacts | None = None
    if before is not None:
        kept = _kept(cache, hashed_result_key(DOSSIER_KIND, display, before))
        was = kept[0] if isinstance(kept, tuple) and len(kept) == 3 else None
        if not isinstance(was, DossierFacts):
            return None
    raw, _ = read_bytes(source.path, display)
    if raw is None or hashlib.sha256(raw).digest() != now:
        return None  # changed again since it was hashed: the whole check says what it is
    made = dossier_from_bytes(raw, display)
    facts, packed, problems = made
    if facts is None or packed is None or not facts.whole or not isinstance(facts, DossierFacts):
        return None
    if was is None:  # added: its id and name must be new, as every id is its file's name
        if facts.id is None or facts.id in alone.ids or source.stem in alone.ids:
            return None
        alone.ids |= {facts.id, source.stem}
    same = was is not None and pickle.dumps(facts, protocol=5) == pickle.dumps(was, protocol=5)
    if was is not None and not same and not alone.may_differ(facts, was):
        return None
    found = list(problems)
    if not same:
        across = alone.problems((source, facts, packed))
        if across is None:
            return None
        found += across
    key = hashed_result_key(DOSSIER_KIND, display, now)
    cache.put_many([(key, pickle.dumps(made, protocol=pickle.HIGHEST_PROTOCOL))], [key])
    return _located(alone, display, raw, found), facts.round if found else None


def _located(alone: _Alone, display: str, raw: bytes, problems: list[Any]) -> list[Diagnostic]:
    """One dossier's problems, located as a whole check locates them."""
    if not problems:
        return []
    from gen_cli.rules import report  # the rules import what delta does not need

    text, _ = decode(raw, display)
    folder = CallFolder(
        root=alone.root, call_source=Source(alone.root / CALL_FILE, CALL_FILE), batch=alone.batch
    )
    if text is not None:
        folder.texts[display] = text
    return report(folder, problems).diagnostics
