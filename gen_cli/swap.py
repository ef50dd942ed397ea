"""Replace what gen writes in one step, as a reader sees it, and recover from a crash.

A file is written to a fresh temporary name beside it and renamed over it. For a folder,
on Linux, `renameat2(RENAME_EXCHANGE)` swaps the new folder and the old one atomically: at
every instant the output path holds a whole publication, the old or the new. Where the
system cannot exchange (another kernel, some file systems), the old folder is renamed
aside and the new one renamed into place; an interruption between those two renames
leaves the old publication aside, and the next run puts it back (`recover`).
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from gen_cli.errors import GenError
from gen_cli.faultpoints import pause

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def replace_file(path: Path, text: str | bytes) -> None:
    """Write ``text`` (or bytes) to ``path`` atomically: a temporary file renamed over the old one.

    The temporary file has a fresh name, created exclusively: never written through a link
    a pull request left.

    Raises:
        GenError: the file cannot be written.
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    temporary = write_beside(path, lambda write: write(data))
    try:
        temporary.replace(path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise GenError(f"cannot write {path}: {error.strerror}") from None


def write_beside(path: Path, fill: Callable[[Callable[[bytes], object]], object]) -> Path:
    """A new temporary file beside ``path``, filled by ``fill`` (given its write function).

    The caller renames it over ``path`` (or removes it); it is removed here if it cannot be
    written whole.

    Raises:
        GenError: the file cannot be written.
    """
    temporary: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        temporary = Path(name)
        with os.fdopen(handle, "wb") as stream:
            fill(stream.write)
        temporary.chmod(0o644)
    except OSError as error:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise GenError(f"cannot write {path}: {error.strerror}") from None
    except BaseException:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise
    return temporary


def _find_renameat2() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None  # a C library older than glibc 2.28
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function


_renameat2 = _find_renameat2()


def exchange(one: Path, other: Path) -> bool:
    """Swap two existing paths in one step; False (nothing done) when the system cannot."""
    if _renameat2 is None:
        return False
    if (
        _renameat2(_AT_FDCWD, os.fsencode(one), _AT_FDCWD, os.fsencode(other), _RENAME_EXCHANGE)
        == 0
    ):
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(other))


def staging_prefix(out: Path) -> str:
    """Names of the folders a run stages in, beside ``out``."""
    return f".{out.name}.new-"


def retired_prefix(out: Path) -> str:
    """Names of the folders an old publication is set aside in, beside ``out``."""
    return f".{out.name}.old-"


def replace_folder(staging: Path, out: Path) -> None:
    """Put ``staging`` at ``out``, replacing what is there in one step where possible."""
    if not out.exists():
        staging.rename(out)
        return
    pause("publish-staged")
    if exchange(staging, out):
        pause("publish-exchanged")
        shutil.rmtree(staging, ignore_errors=True)  # it now holds the old publication
        return
    retired = out.with_name(retired_prefix(out) + staging.name.removeprefix(staging_prefix(out)))
    out.rename(retired)
    pause("publish-between-renames")
    try:
        staging.rename(out)
    except BaseException:
        retired.rename(out)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def recover(out: Path, is_publication: Callable[[Path], bool]) -> list[str]:
    """Clean what an interrupted run left beside ``out``; say what was done.

    A publication set aside goes back to ``out`` if nothing is there (the latest one, if
    several); staging folders and other set-aside folders are removed. Only folders gen
    wrote are touched: real folders (not links) that are empty or hold gen's marker.
    """
    done: list[str] = []
    try:
        siblings = sorted(out.parent.iterdir()) if out.parent.is_dir() else []
    except OSError:
        return done
    ours = [
        path
        for path in siblings
        if path.name.startswith((staging_prefix(out), retired_prefix(out)))
        and not path.is_symlink()
        and path.is_dir()
        and (is_publication(path) or _empty(path))
    ]
    aside = [p for p in ours if p.name.startswith(retired_prefix(out)) and is_publication(p)]
    if aside and not out.exists() and not out.is_symlink():
        latest = max(aside, key=lambda p: (p.stat().st_mtime_ns, p.name))
        latest.rename(out)
        done.append(f"restored the previous publication from {latest.name}")
        ours.remove(latest)
    for path in ours:
        shutil.rmtree(path, ignore_errors=True)
        done.append(f"removed {path.name}, left by an interrupted run")
    return done


def _empty(path: Path) -> bool:
    return not any(path.iterdir())
