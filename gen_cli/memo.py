"""A check that was already made is not made again: gen validate on an unchanged folder.

Checking a call folder is a function of gen's code, how it was asked (the displayed path,
whether sealed problems are shown), what the default branch says (the history), the
machine's file for the call's time zone and every byte of the call folder. The report of
a check is stored under a hash of all of these, so that a second ``gen validate`` with
nothing changed reads and hashes the files, finds the report and prints it, without
parsing a file or running a rule.

The hash covers the whole call folder, not only the files gen reads: a file gen ignores
today cannot make a stale report tomorrow. Left out are what gen never reads there: the
folders ``gen publish`` wrote (unless call.yaml declares a round by that name) and
``.git``, whose own state reaches the check through the history only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import operator
import os
import re
import stat
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from gen_cli.diagnostics import Diagnostic
from gen_cli.faultpoints import pause
from gen_cli.layout import CALL_FILE, DEFAULT_TIMEZONE, PUBLICATION_MARKER, READ_IN_PLACE
from gen_cli.locking import held_here
from gen_cli.resultcache import FORMAT, ResultCache, code_fingerprint
from gen_cli.yamlload import read_yaml

if TYPE_CHECKING:
    from gen_cli.batch import Batch, Progress
    from gen_cli.history import History

#: Changes when what a stored report holds does.
REPORT_FORMAT = "2"
#: The size of a SHA-256: a file's digest, not why it could not be hashed ("unreadable 13").
SHA256 = 32
#: Files are read in pieces of this size: most fit in one, and a larger buffer costs more
#: to allocate than the reading (a megabyte made hashing 100,000 small files three times
#: slower).
_PIECE = 1 << 16


@dataclasses.dataclass(frozen=True)
class WholeReport:
    """A whole call folder's check, as printed, and where each file lies on disk.

    The places let a report on some files only be drawn from it; the rounds that the
    files with a diagnostic declare (their ``round:`` field) say which rounds it stops.
    """

    diagnostics: list[Diagnostic]
    checked: dict[str, int]
    paths: dict[str, Path]
    declared: dict[str, str] = dataclasses.field(default_factory=dict)
    #: The SHA-256 of each file checked, by its POSIX path in the call folder: what a
    #: command that reads them again makes sure it reads (empty when not known).
    contents: dict[str, bytes] = dataclasses.field(default_factory=dict)


def checked_report(
    root: Path,
    shown: str,
    identities: Sequence[Any],
    reveal_sealed: bool,
    history: History | None,
    batch: Batch,
    each_file: bool = False,
    apart: bool = False,
) -> WholeReport:
    """Check the whole call folder at ``root``, or recall the check of it as it stands.

    With ``each_file``, the report says the digest of each file it checked (``contents``),
    for a command that reads them again. With ``apart``, a check that is made, and kept,
    is made in a process of its own (``apart.apart``), for a command that goes on to
    compute rounds: nothing the check held stays in its way.

    Sealed files opened with an identity never reach the cache: their report is made
    each time. Nor does the report of a folder holding links, pipes or entries gen cannot
    read: what gen makes of those may depend on more than the folder's bytes.
    """
    cache = batch.cache if not identities else None
    jobs = batch.jobs
    # each file's digest: the files whose results are kept are not read again
    keyed = (
        folder_key(root, shown, reveal_sealed, history, jobs, each_file=True)
        if cache is not None
        else None
    )
    key = keyed[0] if keyed is not None else None
    known = recall(cache, key) if cache is not None and key is not None else None
    if known is not None and keyed is not None:
        return dataclasses.replace(known, contents=keyed[1] if each_file else {})
    if cache is not None and keyed is not None:
        from gen_cli.delta import redone

        again = redone(cache, root, shown, keyed, batch, history)
        if again is not None:  # a few dossiers changed or came: the last check holds
            remember(cache, keyed.key, again)
            return dataclasses.replace(again, contents=keyed.contents if each_file else {})
    made = (root, shown, identities, reveal_sealed, history, batch, each_file, keyed)
    if not apart or cache is None or keyed is None:
        return _made_report(*made)
    from gen_cli.apart import apart as in_own_process

    kept = cache

    def task(progress: Progress | None) -> tuple[WholeReport, frozenset[bytes], int, int]:
        pause("check apart")  # where a test stops gen, to see the check stopped with it
        batch.progress = progress
        hits, misses = batch.hits, batch.misses  # told apart from those counted before
        whole = _made_report(*made)
        return whole, kept.used, batch.hits - hits, batch.misses - misses

    whole, used, hits, misses = in_own_process(task, batch.progress)
    cache.put_many([], list(used))  # kept when the cache is pruned, as if read here
    batch.hits, batch.misses = batch.hits + hits, batch.misses + misses
    return whole


def _made_report(
    root: Path,
    shown: str,
    identities: Sequence[Any],
    reveal_sealed: bool,
    history: History | None,
    batch: Batch,
    each_file: bool,
    keyed: Keyed | None,
) -> WholeReport:
    """The check of ``checked_report``, made now, and kept under its key if it has one."""
    cache = batch.cache if not identities else None
    key = keyed[0] if keyed is not None else None
    from gen_cli.loading import load_call_folder  # builds every model: only when needed
    from gen_cli.rounds import check_call

    hashed = (
        {path: digest for path, digest in keyed[1].items() if len(digest) == SHA256}
        if keyed
        else None
    )
    folder = load_call_folder(root, shown, identities, batch, hashed=hashed, lazy=True)
    folder.reveal_sealed = reveal_sealed
    checked = check_call(folder, history, light=True)  # the report alone is kept
    report = checked.report
    paths = {display: source.path for display, source in folder.sources.items()}
    diagnosed = {d.path for d in report.diagnostics}
    declared = {p: r for p, r in checked.declared.items() if p in diagnosed}
    whole = WholeReport(report.diagnostics, report.checked, paths, declared)
    # the key of what the check read: the digests of the bytes it parsed, and the others
    # hashed again (what changed while it read gives another key, and is not kept)
    after = (
        folder_key(root, shown, reveal_sealed, history, batch.jobs, each_file, folder.parsed)
        if key is not None
        else None
    )
    if cache is not None and keyed is not None and after is not None and after.key == keyed.key:
        # unchanged while it was read: the report is the one of what the key says
        remember(cache, keyed.key, whole)
        from gen_cli.delta import keep_basis

        keep_basis(cache, keyed, checked, history)
        whole = dataclasses.replace(whole, contents=after[1] if each_file else {})
    return whole


def check_key(
    root: Path, shown: str, reveal_sealed: bool, history: History | None, jobs: int = 1
) -> bytes | None:
    """The key of a check of the call folder at ``root`` as it stands now, if it has one.

    None when the folder holds a link, a pipe, a device or an entry gen cannot read: how
    the check reads those is not all in their bytes.

    Args:
        shown: how diagnostics name the call folder.
        history: what the default branch says (None without git), plain data.
        jobs: processes that may read the files (the key is the same for any number).
    """
    keyed = folder_key(root, shown, reveal_sealed, history, jobs)
    return keyed[0] if keyed is not None else None


class Keyed(NamedTuple):
    """The key of a check of a call folder, and what it is made of."""

    key: bytes
    #: Each file's digest by its POSIX path in the folder (with ``each_file``).
    contents: dict[str, bytes]
    #: The hash of all but the folder's entries: how it is checked, by which gen.
    header: bytes
    #: The hash of the folder's entries (paths and kinds), not of the files' bytes.
    shape: bytes
    #: The folder's entries it is the hash of, in order.
    entries: tuple[bytes, ...] = ()


def folder_key(
    root: Path,
    shown: str,
    reveal_sealed: bool,
    history: History | None,
    jobs: int = 1,
    each_file: bool = False,
    known: dict[str, bytes] | None = None,
) -> Keyed | None:
    """``check_key``; with ``each_file``, each file's digest by its POSIX path in the folder.

    Args:
        known: the SHA-256 of files already read, by their POSIX path in the folder: not
            read again.
    """
    digest = hashlib.sha256()  # where the processor has SHA instructions, the fastest
    for part in (FORMAT, REPORT_FORMAT, code_fingerprint(), "validate", str(root), shown):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(b"reveal\0" if reveal_sealed else b"hide\0")
    digest.update(b"git " + history.fingerprint() if history is not None else b"no git")
    call_data, _ = read_yaml(root / CALL_FILE, CALL_FILE)
    call_data = call_data if isinstance(call_data, dict) else {}
    zone = call_data.get("timezone", DEFAULT_TIMEZONE)
    digest.update(b"zone " + zone_digest(zone) + b"\0")
    header = digest.copy().digest()
    listing = _listing(os.fsencode(root), _kept_at_top(call_data))
    if listing is None:
        return None
    entries, files = listing
    known = known or {}
    names = [os.fsdecode(entry[5:-1]) for entry in entries if entry.startswith(b"file\0")]
    todo = [f for n, f in zip(names, files, strict=True) if n not in known]
    hashed = iter(_digests(todo, jobs))
    contents = [known[n] if n in known else next(hashed) for n in names]
    files_in = iter(contents)
    for entry in entries:
        digest.update(entry)
        if entry.startswith(b"file\0"):
            digest.update(next(files_in))
    each = dict(zip(names, contents, strict=True)) if each_file else {}
    shape = hashlib.sha256(b"".join(entries)).digest()
    return Keyed(digest.digest()[:20], each, header, shape, tuple(entries))


def zone_digest(name: object) -> bytes:
    """The SHA-256 of the time zone file the check reads for ``name`` (call.yaml's timezone).

    Whether the zone exists, and when a late merge's day ends, come from the machine's
    time zone database, not from the call folder: an update of it gives another key. The
    file is the one zoneinfo takes: the first of its search path that is a file (links
    followed, as zoneinfo does), else the tzdata package's.
    """
    if not isinstance(name, str) or not _ZONE_NAME.fullmatch(name):
        return b"no zone file"  # not a zone name: call.yaml's check says so, from its bytes
    import zoneinfo

    for folder in zoneinfo.TZPATH:
        place = os.path.join(folder, name)
        if os.path.isfile(place):
            return _content(os.fsencode(place), _FOLLOWING_LINKS)
    from importlib.util import find_spec

    try:
        spec = find_spec("tzdata")
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is None:
        return b"no zone file"
    tzdata = os.path.join(os.path.dirname(spec.origin), "zoneinfo", name)
    return _content(os.fsencode(tzdata), _FOLLOWING_LINKS)


#: A time zone name as the tz database writes them (``Europe/Paris``, ``Etc/GMT+1``).
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*")


def _kept_at_top(data: dict[str, Any]) -> frozenset[bytes]:
    """Top folders never left out: those call.yaml names as rounds, and the logo's.

    call.yaml is read leniently here; any name it might declare is kept.
    """
    if not data:
        return frozenset()  # an unreadable call.yaml is in the hash; its report says why
    rounds = data.get("rounds")
    kept = (
        {str(r.get("id")) for r in rounds if isinstance(r, dict)}
        if isinstance(rounds, list)
        else set()
    )
    publication = data.get("publication")
    logo = publication.get("logo") if isinstance(publication, dict) else None
    if logo is not None:
        kept.add(str(logo).replace("\\", "/").lstrip("/").split("/", 1)[0])
    return frozenset(os.fsencode(name) for name in kept)


#: No file larger than this is read by gen (a decision record may be this large): of
#: one, its size says all the check can tell.
LARGEST_READ = 1_000_000_000


def _listing(root: bytes, kept: frozenset[bytes]) -> tuple[list[bytes], list[bytes]] | None:
    """Every entry under ``root`` (its path, its kind) in order, and the files to read.

    None when an entry is a link, a pipe or a device, or cannot be read. Folders are
    walked from a stack, not by recursion: a tree of any depth is listed.
    """
    entries: list[bytes] = []
    files: list[bytes] = []
    stack: list[Iterator[tuple[bytes, os.DirEntry[bytes]]]] = []
    top = _entries(root, b"")
    if top is None:
        return None
    stack.append(top)
    while stack:
        step = next(stack[-1], None)
        if step is None:
            stack.pop()
            continue
        name, entry = step
        try:
            if entry.is_symlink():
                return None
            if entry.is_dir(follow_symlinks=False):
                at_top = len(stack) == 1
                if at_top and _published(entry, kept):
                    continue  # written by gen publish, here or not: the check is the same
                entries.append(b"folder\0" + name + b"\0")
                if at_top and entry.name == b".git":
                    continue
                below = _entries(entry.path, name + b"/")
                if below is None:
                    return None
                stack.append(below)
            elif entry.is_file(follow_symlinks=False):  # known from the listing: no stat
                if len(stack) == 1 and held_here(entry.path):
                    continue  # this gen's own lock, while it writes
                entries.append(b"file\0" + name + b"\0")
                files.append(entry.path)
            else:
                return None  # a pipe or a device is never opened: it could wait for ever
        except OSError:
            return None
    return entries, files


def _entries(folder: bytes, prefix: bytes) -> Iterator[tuple[bytes, os.DirEntry[bytes]]] | None:
    """A folder's entries in name order, each with its path inside the call folder."""
    try:
        with os.scandir(folder) as listing:
            found = sorted(listing, key=_name)
    except OSError:
        return None
    return iter([(prefix + entry.name, entry) for entry in found])


_name = operator.attrgetter("name")


def _published(entry: os.DirEntry[bytes], kept: frozenset[bytes]) -> bool:
    """A top folder gen publish wrote, which gen validate does not read."""
    marker = os.path.join(entry.path, os.fsencode(PUBLICATION_MARKER))
    return entry.name not in kept and os.path.isfile(marker)


#: Below this many files, starting processes to read them costs more than it saves.
_PARALLEL_FROM = 5_000


def _digests(files: list[bytes], jobs: int) -> list[bytes]:
    """Each file's digest, in order; on up to ``jobs`` processes for many files."""
    if jobs <= 1 or len(files) < _PARALLEL_FROM:
        return [_content(path) for path in files]
    import multiprocessing  # only for large folders: 60 ms of start-up
    from concurrent.futures import ProcessPoolExecutor

    linux = sys.platform.startswith("linux")  # fork: workers start in milliseconds
    context = multiprocessing.get_context("fork" if linux else None)
    share = -(-len(files) // jobs)
    parts = [files[start : start + share] for start in range(0, len(files), share)]
    from gen_cli.batch import dies_with_parent

    with ProcessPoolExecutor(
        max_workers=len(parts),
        mp_context=context,
        initializer=dies_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        return [d for part in pool.map(_contents, parts) for d in part]


def _contents(files: list[bytes]) -> list[bytes]:
    return [_content(path) for path in files]


#: How the time zone file is opened: through links, as zoneinfo opens it; never waiting.
_FOLLOWING_LINKS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)


def _content(path: bytes, flags: int = READ_IN_PLACE) -> bytes:
    """The digest of a file's bytes, its size if larger than gen reads, or why it cannot be read."""
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        return f"unreadable {error.errno}".encode()
    digest = hashlib.sha256()
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            return b"replaced"  # by a pipe or a device since it was listed
        if status.st_size > LARGEST_READ:
            return f"large {status.st_size}".encode()
        while True:
            piece = os.read(descriptor, _PIECE)
            digest.update(piece)
            if len(piece) < _PIECE:  # the end of a regular file: no second read for it
                return digest.digest()
    except OSError as error:
        return f"unreadable {error.errno}".encode()
    finally:
        os.close(descriptor)


def recall(cache: ResultCache, key: bytes) -> WholeReport | None:
    """The report stored under ``key``, or None (none, or one gen cannot read back)."""
    blob = cache.get_many([key]).get(key)
    if blob is None:
        return None
    cache.keep_all()  # this run does not see which results the folder's files have
    try:
        stored = json.loads(blob)
        return WholeReport(
            [Diagnostic(*d) for d in stored["diagnostics"]],
            {str(k): int(v) for k, v in stored["checked"].items()},
            {str(k): Path(v) for k, v in stored["paths"].items()},
            {str(k): str(v) for k, v in stored["declared"].items()},
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        cache.forget(key)
        return None


def remember(cache: ResultCache, key: bytes, whole: WholeReport) -> None:
    """Store a check's whole report under ``key``."""
    diagnostics, paths = whole.diagnostics, whole.paths
    stored = {
        "diagnostics": [
            [d.path, d.line, d.col, d.code, d.message, d.round, d.more] for d in diagnostics
        ],
        "checked": dict(whole.checked),
        "paths": {d.path: str(paths[d.path]) for d in diagnostics if d.path in paths},
        "declared": whole.declared,
    }
    try:
        # ASCII: a folder's name may hold bytes that are no UTF-8 (kept as surrogates)
        blob = json.dumps(stored).encode("ascii")
    except (TypeError, ValueError):
        return  # not kept: the next check is made afresh
    cache.put_many([(key, blob)], [key])
