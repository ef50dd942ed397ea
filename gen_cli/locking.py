"""One gen at a time writing a call's records, or a publication: a lock file.

The lock is a file holding the process id and what it does, locked with `flock`: the
kernel releases it when the process ends, however it ends, so a lock left by a killed run
is stale by construction and the next run takes it over. It is opened without following
links, so a link planted at its name cannot make gen write elsewhere.
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gen_cli.errors import GenError
from gen_cli.faultpoints import pause

LOCK_FILE = ".gen.lock"


#: The locks this process holds, by absolute path: its own files, not the call's.
_HELD: set[str] = set()


def held_here(path: Path | str | bytes) -> bool:
    """Whether this process holds the lock at ``path``.

    A call folder is checked as it is without it: the lock is no file of the call, and a
    check made while gen writes is then the one made before, and kept.
    """
    return bool(_HELD) and os.path.abspath(os.fsdecode(path)) in _HELD


class Busy(GenError):
    """Another gen holds the lock."""


@contextmanager
def locked(path: Path, doing: str) -> Iterator[None]:
    """Hold the lock at ``path`` while ``doing``; refuse at once if another gen holds it.

    Raises:
        Busy: another gen process holds it (it says which, and what it does).
        GenError: the lock cannot be created (a link at its name, a read-only folder).
    """
    import socket  # only when gen writes: 5 ms of every start-up

    while True:
        handle = _open(path)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(handle, 200, 0).decode("utf-8", "replace").strip()
            os.close(handle)
            raise Busy(
                f"another gen is at work on this call ({holder or 'starting'}): wait for it to "
                f"finish, then run again ({path} is its lock)"
            ) from None
        # The file may have been removed by the run that held it just before: lock anew.
        try:
            same = os.fstat(handle).st_ino == os.stat(path, follow_symlinks=False).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(handle)
    try:
        os.ftruncate(handle, 0)
        os.pwrite(handle, f"process {os.getpid()} on {socket.gethostname()}: {doing}\n".encode(), 0)
        pause("locked")
        _HELD.add(os.path.abspath(path))
        yield
    finally:
        _HELD.discard(os.path.abspath(path))
        path.unlink(missing_ok=True)
        os.close(handle)


def _open(path: Path) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise GenError(
                f"{path} is a symbolic link: remove it (gen's lock is a plain file)"
            ) from None
        raise GenError(
            f"cannot write in {path.parent}: {error.strerror} (gen keeps its lock {path.name} "
            "there while it writes)"
        ) from None
