"""A check made again from the last one, when only the wording of a few dossiers changed.

``memo`` keeps the report of each state of a call folder. When a few dossier files changed
since the last check and nothing else did, and what the rules across files read of each of
them (its facts: id, round, themes, dates, amounts, organisations) is the same, those
rules would find what they found: the report is the last one, with the changed files'
own problems found again. A pre-commit hook on a call of 100,000 dossiers then reads one
file, not every file's kept result.

Only a dossier the last check vouched for qualifies: a valid one, with no problem at all,
whose model no rule across files read (a jury's deliberation, a closed round's proof, a
review check that needed more than its facts), without a private part. Anything else (a
file added, removed or of another kind, facts that changed, more than a few files, a
result that cannot be read back) and the check is made whole.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from gen_cli.diagnostics import Diagnostic, printable
from gen_cli.history import is_final
from gen_cli.layout import CALL_FILE
from gen_cli.loading import (
    DOSSIER_KIND,
    CallFolder,
    Source,
    dossier_from_bytes,
    folder_above,
    public_dossiers,
)
from gen_cli.resultcache import ResultCache, hashed_result_key, loads
from gen_cli.yamlload import decode, read_bytes

if TYPE_CHECKING:
    from gen_cli.batch import Batch
    from gen_cli.memo import Keyed, WholeReport
    from gen_cli.rounds import Checked

#: The most changed files a check is made again from the last one for: more, and reading
#: every file's kept result is as quick.
MOST_CHANGED = 32


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


def keep_basis(cache: ResultCache, keyed: Keyed, open_: Mapping[str, str]) -> None:
    """Keep what the next check needs to be made from this one, of the folder ``keyed`` says."""
    basis = {"shape": keyed.shape, "report": keyed.key, "files": keyed.contents, "open": open_}
    blob = pickle.dumps(basis, protocol=pickle.HIGHEST_PROTOCOL)
    key = basis_key(keyed.header)
    cache.put_many([(key, blob)], [key])


def redone(cache: ResultCache, root: Path, keyed: Keyed, batch: Batch) -> WholeReport | None:
    """The report of the folder as ``keyed`` says it is, made from the last check; or None.

    The basis stays the last whole check's: the next change is measured from it too, so
    that a dossier that changed twice is compared with the facts that check vouched for.
    """
    from gen_cli.memo import WholeReport, recall

    basis = _basis(cache, keyed.header)
    if basis is None or basis["shape"] != keyed.shape:
        return None
    before: dict[str, bytes] = basis["files"]
    now: dict[str, bytes] = keyed.contents
    changed = [path for path, digest in now.items() if before.get(path) != digest]
    open_: dict[str, str] = basis["open"]
    if not changed or len(changed) > MOST_CHANGED or any(p not in open_ for p in changed):
        return None
    last = recall(cache, basis["report"])
    if last is None:
        return None
    found: list[Diagnostic] = []
    declared = dict(last.declared)
    paths = dict(last.paths)
    for path in changed:
        was = before.get(path)
        if was is None:
            return None
        display = open_[path]
        made = _made_again(cache, root, path, display, was, now[path], batch)
        if made is None:
            return None
        diagnostics, round_id = made
        if diagnostics:
            found += diagnostics
            paths[display] = root / path
            if round_id is not None and any(d.path == display for d in diagnostics):
                declared[display] = round_id  # as memo keeps it: by the name printed
    return WholeReport(sorted([*last.diagnostics, *found]), last.checked, paths, declared)


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


def _well_formed(basis: object) -> TypeGuard[dict[str, Any]]:
    """Whether ``basis`` has the shape ``keep_basis`` gives it, down to each entry's types."""
    if not isinstance(basis, dict) or set(basis) != {"shape", "report", "files", "open"}:
        return False
    files, open_ = basis["files"], basis["open"]
    return (
        isinstance(basis["shape"], bytes)
        and isinstance(basis["report"], bytes)
        and isinstance(files, dict)
        and all(isinstance(k, str) and isinstance(v, bytes) for k, v in files.items())
        and isinstance(open_, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in open_.items())
    )


def _made_again(
    cache: ResultCache,
    root: Path,
    path: str,
    display: str,
    before: bytes,
    now: bytes,
    batch: Batch,
) -> tuple[list[Diagnostic], str | None] | None:
    """A changed dossier's own diagnostics and round, if its facts are the same; else None."""
    kept = _kept(cache, hashed_result_key(DOSSIER_KIND, display, before))
    old_facts = kept[0] if isinstance(kept, tuple) and len(kept) == 3 else None
    raw, _ = read_bytes(root / path, display)
    if raw is None or hashlib.sha256(raw).digest() != now:
        return None  # changed again since it was hashed: the whole check says what it is
    made = dossier_from_bytes(raw, display)
    facts, _, problems = made
    if facts is None or not facts.whole or not isinstance(old_facts, type(facts)):
        return None
    if pickle.dumps(facts, protocol=5) != pickle.dumps(old_facts, protocol=5):
        return None
    key = hashed_result_key(DOSSIER_KIND, display, now)
    cache.put_many([(key, pickle.dumps(made, protocol=pickle.HIGHEST_PROTOCOL))], [key])
    return _located(root, display, raw, problems, batch), facts.round if problems else None


def _located(
    root: Path, display: str, raw: bytes, problems: list[Any], batch: Batch
) -> list[Diagnostic]:
    """One dossier's own problems, located as a whole check locates them."""
    if not problems:
        return []
    from gen_cli.rules import report  # the rules import what delta does not need

    text, _ = decode(raw, display)
    alone = CallFolder(root=root, call_source=Source(root / CALL_FILE, CALL_FILE), batch=batch)
    if text is not None:
        alone.texts[display] = text
    return report(alone, problems).diagnostics
