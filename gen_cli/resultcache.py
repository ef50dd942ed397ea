"""A cache of per-file results, keyed by what they depend on: the file's bytes, its name, gen.

A result is what reading one dossier or review file gives (its data, what is known of it,
its problems). Its key is a hash of the file's exact bytes, its displayed path, the kind
of file and gen's own code (every source file of the package, and the versions of the
libraries that parse and validate), so the same key can only ever mean the same result:
a cache cannot make a changed file pass, whatever its size or modification time.

The cache is a SQLite file in the user's cache folder (``$GEN_CACHE_DIR``, else
``$XDG_CACHE_HOME/gen``, else ``~/.cache/gen``), never in the call's repository, where an
outsider's pull request could plant one. Results are pickled, so a cache file is trusted
only when it belongs to the user running gen and no one else may write it or its folder;
one that is truncated, corrupt or from another format is set aside and rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import sqlite3
import stat
import time
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

#: Changes when the layout of the cache file does (2: pages of 16 KiB; 3: results in the
#: order they were stored, found through an index of their keys).
FORMAT = "3"
#: The size of the cache file's pages. A result is about 2 kB: on SQLite's default 4 KiB
#: pages, one or two fit a page, and 100,000 lookups read four times as many pages (2.6 s
#: instead of 0.5 s on a cache that had been filled and pruned a few times).
PAGE_SIZE = 16_384
#: Keys or row numbers asked for in one statement (SQLite allows 999 at least).
_ASKED_AT_ONCE = 500
#: The cache file's name in the cache folder.
CACHE_FILE = "results.sqlite3"
#: Entries kept beyond those of the last run, before older ones are dropped.
SPARE = 10_000


def cache_dir() -> Path | None:
    """Where gen keeps its cache for this user (None: this user has no home folder)."""
    chosen = os.environ.get("GEN_CACHE_DIR")
    if chosen:
        return Path(chosen)
    try:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    except RuntimeError:  # no HOME, and a user id without a passwd entry (docker --user)
        return None
    return Path(base) / "gen"


@cache
def code_fingerprint() -> str:
    """A hash of gen's own code and of the libraries its results depend on."""
    digest = hashlib.blake2b(digest_size=16)
    package = Path(__file__).parent  # not importlib.resources: 7 ms of every start-up
    for entry in sorted(package.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".py"):
            digest.update(entry.name.encode() + b"\0" + entry.read_bytes() + b"\0")
    for library, version in _LIBRARY_VERSIONS:
        digest.update(_version_file(library, version) + b"\0")
    digest.update(_distributions("pydantic_core", "pydantic_core") + b"\0")
    digest.update(_distributions("yaml_rs", "yaml_rs") + b"\0")  # the fast reading
    import sys
    import unicodedata

    import yaml

    libyaml = hasattr(yaml, "CSafeLoader")
    digest.update(f"{sys.version}\0{unicodedata.unidata_version}\0{libyaml}".encode())
    return digest.hexdigest()


#: The files that say the version of a library gen's results depend on (pydantic-core's
#: is in the name of its metadata folder).
_LIBRARY_VERSIONS = (("pydantic", "version.py"), ("yaml", "__init__.py"))


def _version_file(library: str, name: str) -> bytes:
    """The file of an installed library that holds its version, read, not imported.

    Importing importlib.metadata to ask the version costs 20 ms of every start-up.
    """
    folder = _installed(library)
    try:
        return (folder / name).read_bytes() if folder else f"{library} not found".encode()
    except OSError:
        return f"{library} unreadable".encode()


def _distributions(library: str, distribution: str) -> bytes:
    """The installed versions of a library, without importing it.

    They are in the names of its metadata folders (``pydantic_core-2.27.1.dist-info``).
    """
    folder = _installed(library)
    if folder is None:
        return f"{library} not found".encode()
    try:
        names = os.listdir(folder.parent)
    except OSError:
        return f"{library} unlisted".encode()
    prefix = f"{distribution}-"
    return "\0".join(
        sorted(n for n in names if n.startswith(prefix) and n.endswith(".dist-info"))
    ).encode()


def _installed(library: str) -> Path | None:
    """The folder of an installed package, found without importing it."""
    from importlib.util import find_spec

    spec = find_spec(library)
    return Path(spec.origin).parent if spec is not None and spec.origin is not None else None


def result_key(kind: str, display: str, raw: bytes) -> bytes:
    """The key of one file's result: its kind, displayed path, exact bytes and gen's code."""
    return hashed_result_key(kind, display, hashlib.sha256(raw).digest())


def hashed_result_key(kind: str, display: str, sha256: bytes) -> bytes:
    """:func:`result_key` of a file whose bytes have this SHA-256 (hashed already)."""
    digest = _keys_of(kind).copy()
    digest.update(display.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(sha256)
    return digest.digest()


@cache
def _keys_of(kind: str) -> hashlib.blake2b:
    """The hash of what every key of a kind of file starts with, to be copied for each file.

    (Hashed once: 100,000 files are keyed at every run of a large call.)
    """
    digest = hashlib.blake2b(digest_size=20)
    for part in (FORMAT, code_fingerprint(), kind):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    return digest


class ResultCache:
    """Results of earlier runs, looked up and stored by key; every failure means a miss."""

    def __init__(self, folder: Path | None = None, outside: Sequence[Path] = ()) -> None:
        """A cache in ``folder`` (default: the user's), refused if it lies in ``outside``'s.

        Args:
            outside: folders the cache must not be in: the call folder and its repository,
                where a pull request could plant a cache file.
        """
        self.folder = folder if folder is not None else cache_dir()
        self.outside = tuple(outside)
        self._db: sqlite3.Connection | None = None
        self._opened = False
        self._used: set[bytes] = set()
        self._may_prune = True
        self._pid = os.getpid()
        #: A connection a process forked from the opener inherited: kept, never used.
        self._inherited: sqlite3.Connection | None = None

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, bytes]:
        """The stored results of those keys that have one."""
        db = self._connection()
        if db is None or not keys:
            return {}
        found: dict[bytes, bytes] = {}
        # each result's row found in the index of keys, in key order (it is walked in
        # order), then the rows read in the order they lie in the file: the results stored
        # together by one run are read together by the next
        ordered = sorted(set(keys))
        rows: list[int] = []
        try:
            db.execute("BEGIN")  # one snapshot: a row found is the one read
            try:
                for chunk in _chunked(ordered):
                    asked = f"SELECT rowid FROM results WHERE key IN ({_marks(chunk)})"
                    rows += [row for (row,) in db.execute(asked, chunk)]
                rows.sort()
                for chunk in _chunked(rows):
                    asked = f"SELECT key, value FROM results WHERE rowid IN ({_marks(chunk)})"
                    found.update((bytes(k), bytes(v)) for k, v in db.execute(asked, chunk))
            finally:
                db.rollback()  # read only: nothing to keep
        except sqlite3.OperationalError:
            return {}  # locked by another gen: read every file this time
        except sqlite3.Error:
            self._set_aside()
            return {}
        return found

    def forget(self, key: bytes) -> None:
        """Drop one entry that could not be read back."""
        db = self._connection()
        if db is None:
            return
        with contextlib.suppress(sqlite3.Error), db:
            db.execute("DELETE FROM results WHERE key = ?", (key,))

    def put_many(self, items: Iterable[tuple[bytes, bytes]], used: Sequence[bytes]) -> None:
        """Store new results; ``used`` are the keys this run needed, kept when pruning."""
        self._used.update(used)
        db = self._connection()
        if db is None:
            return
        try:
            with db:
                db.executemany("INSERT OR REPLACE INTO results VALUES (?, ?)", items)
        except sqlite3.Error:
            pass  # another gen holds the file, the disk is full: the next run fills it

    @property
    def used(self) -> frozenset[bytes]:
        """The keys this run needed so far (kept when the cache is pruned)."""
        return frozenset(self._used)

    def keep_all(self) -> None:
        """Drop nothing when closed: this run used results it did not name (a kept report)."""
        self._may_prune = False

    def close(self) -> None:
        """Drop old entries if the cache holds far more than this run used; close the file."""
        db = self._db
        if db is not None and self._used and self._may_prune:
            try:
                (count,) = db.execute("SELECT count(*) FROM results").fetchone()
                if count > len(self._used) + SPARE:
                    with db:
                        db.execute("CREATE TEMP TABLE IF NOT EXISTS used (key BLOB PRIMARY KEY)")
                        db.execute("DELETE FROM used")
                        rows = ((key,) for key in self._used)
                        db.executemany("INSERT OR IGNORE INTO used VALUES (?)", rows)
                        db.execute("DELETE FROM results WHERE key NOT IN (SELECT key FROM used)")
            except sqlite3.Error:
                pass  # pruned by a later run
        if db is not None:
            db.close()
            self._db = None

    def _connection(self) -> sqlite3.Connection | None:
        if self._pid != os.getpid():
            # Forked (gen reads a call's rounds on every core): SQLite's locks belong to
            # the process that opened the file, so a connection must not cross a fork.
            # This process opens its own; the inherited one is neither used nor closed.
            self._inherited, self._db = self._db, None
            self._opened, self._pid = False, os.getpid()
        if not self._opened:
            self._opened = True
            self._db = self._open()
        return self._db

    def _open(self) -> sqlite3.Connection | None:
        folder = self.folder
        if folder is None or _inside(folder, self.outside):
            return None  # in the repository, a pull request could have planted it
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            return None
        path = folder / CACHE_FILE
        if not _private(folder) or (os.path.lexists(path) and not _private(path)):
            return None  # someone else could have written it: never unpickle it
        for _attempt in range(2):
            try:
                db = _connected(path)
            except sqlite3.OperationalError:
                return None  # a full disk, a lock held for long: no cache this time
            except (sqlite3.Error, OSError):
                db = None
            if db is not None:
                return db
            self._set_aside()
        return None

    def _set_aside(self) -> None:
        """Drop a cache file that cannot be read: the next open builds a new one."""
        if self._db is not None:
            self._db.close()
            self._db = None
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError, TypeError):  # TypeError: no folder at all
                (self.folder / (CACHE_FILE + suffix)).unlink()  # type: ignore[operator]


def _connected(path: Path) -> sqlite3.Connection | None:
    """The cache file at ``path``, made if need be; None if it is of another format."""
    _create_private(path)
    db = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        db.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # takes effect in a new file only
        _write_ahead(db)
        db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
        # rows in the order they are stored: 100,000 results of about 2 kB stored at once
        # append pages, where a table ordered by key moved rows aside at each insertion
        # (3 times as long, in the process that also takes the other processes' results)
        db.execute("CREATE TABLE IF NOT EXISTS results (key BLOB PRIMARY KEY, value BLOB)")
        db.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (FORMAT,))
        (stored,) = db.execute("SELECT value FROM meta WHERE name = 'format'").fetchone()
    except BaseException:
        db.close()
        raise
    if stored != FORMAT:
        db.close()
        return None
    db.isolation_level = "DEFERRED"  # transactions again, for `with db`
    return db


def _chunked(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    """``items`` in pieces of at most _ASKED_AT_ONCE, for statements that name each."""
    for start in range(0, len(items), _ASKED_AT_ONCE):
        yield items[start : start + _ASKED_AT_ONCE]


def _marks(chunk: Sequence[Any]) -> str:
    return ",".join("?" * len(chunk))


def _write_ahead(db: sqlite3.Connection) -> None:
    """Put the cache in WAL mode, where readers and one writer do not wait on each other.

    Two gens that make the cache file at once both ask for it; SQLite refuses one of them
    at once rather than wait (each would wait on the other), so that one asks again.
    """
    for pause in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0):
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            time.sleep(pause)
    db.execute("PRAGMA journal_mode=WAL")


#: What a cached result may be made of; anything else is refused, never built.
_ALLOWED = {
    "decimal": {"Decimal"},
    "datetime": {"date", "datetime", "time", "timedelta", "timezone"},
    "gen_cli.diagnostics": {"Problem"},
    "gen_cli.packed": {"Packed"},
    "gen_cli.scalars": {"NotABoolean", "NotANumber", "QuotedNumber"},
}


#: The classes already allowed, by module and name: a result names a dozen, 100,000 times.
_FOUND: dict[tuple[str, str], type] = {}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        known = _FOUND.get((module, name))
        if known is not None:
            return known
        ours = module == "gen_cli.models" and not name.startswith("_")
        allowed = ours or name in _ALLOWED.get(module, ())
        found = super().find_class(module, name) if allowed else None
        if not isinstance(found, type):
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a result")
        _FOUND[(module, name)] = found
        return found


def loads(blob: bytes) -> Any:
    """A result stored by gen, rebuilt from gen's own types only.

    Raises:
        pickle.UnpicklingError: the blob is damaged or holds something else.
    """
    try:
        return _Unpickler(io.BytesIO(blob)).load()
    except pickle.UnpicklingError:
        raise
    except Exception as error:  # a damaged blob fails in many ways
        raise pickle.UnpicklingError(str(error)) from None


def _inside(folder: Path, outside: Sequence[Path]) -> bool:
    """Whether ``folder`` is one of ``outside`` or lies within one."""
    try:
        resolved = folder.resolve()
        return any(resolved.is_relative_to(other.resolve()) for other in outside)
    except (OSError, RuntimeError):
        return True


def _create_private(path: Path) -> None:
    """Make ``path`` an empty file only the user may read, unless it is there already."""
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    os.close(os.open(path, flags, 0o600))


def _private(path: Path) -> bool:
    """Whether ``path`` is the user's own, and no one else may write it."""
    getuid = getattr(os, "getuid", None)
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if getuid is None or stat.S_ISLNK(info.st_mode) or info.st_uid != getuid():
        return False
    if info.st_mode & 0o022:
        return False  # someone else may have put a file in it, or changed this one
    if info.st_mode & 0o077:
        # the user's own, only written by them: make it private (another gen may have
        # just made it, under the user's umask)
        # NotImplementedError: no chmod that leaves links alone (glibc before 2.32)
        with contextlib.suppress(OSError, NotImplementedError):
            os.chmod(path, 0o700 if stat.S_ISDIR(info.st_mode) else 0o600, follow_symlinks=False)
            info = os.lstat(path)
    return not info.st_mode & 0o077  # no one else may even read it
