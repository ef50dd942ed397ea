"""A task in a process of its own, whose memory is all given back when it ends.

A check of 100,000 files leaves the process that made it a heap of freed small objects:
the rounds that ``gen score`` computes next took 200 MB more in that process than in
another (998 MB against 805 MB at 100,000 dossiers). So the check is made in a forked
process, which tells its progress and sends back its result.

What could go wrong, and what this module does about it:

- the forked process dies (killed, out of memory) while the processes it started to read
  files still hold the pipe: gen waits on the process itself, not only on the pipe, and
  stops those processes (the forked process leads a process group of its own);
- gen itself is told to stop (Ctrl-C, ``kill``): the forked process and those it started
  are stopped too, then gen stops as it would have;
- a signal comes between the fork and the forked process's first line: signals are
  blocked across the fork, so the forked process never runs gen's own handlers;
- the result is cut short: each message is sent with its length, and one cut short is
  an error said in words;
- the task fails: a GenError is raised here as it was there; any other error is raised
  here as a bug, with the traceback it had there.

Where there is no fork (macOS, Windows) or no way to wait on a process (Linux before
5.3), the task runs in this process.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import sys
import time
import traceback
from collections.abc import Callable
from types import FrameType
from typing import Any, BinaryIO, TypeVar

from gen_cli.batch import FRAME, Progress, dies_with_parent, framed
from gen_cli.errors import GenError, portable

T = TypeVar("T")

#: How often the task tells its progress, in seconds: a message a file would cost more
#: than reading small ones.
TOLD_EVERY = 0.1
#: The signals that stop gen: passed on to the task's processes.
STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
#: The exit status of a forked process that could not send its outcome.
_UNSENT = 70
#: What gen says when the task's process, or one it started, was stopped from outside.
STOPPED = (
    "the process gen started to check the call folder stopped before the end, most likely "
    "for want of memory; close other programs or use a machine with more memory, and run "
    "gen again"
)


class CrashedApart(RuntimeError):
    """A bug met in the task's process: its message is the traceback it had there."""


class _Stopped(BaseException):
    """gen was told to stop (``signum``) while the task ran."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def can_run_apart() -> bool:
    """Whether a task can run in a forked process that gen waits on (Linux 5.3 or later)."""
    return sys.platform.startswith("linux") and hasattr(os, "pidfd_open")


def apart(task: Callable[[Progress | None], T], progress: Progress | None = None) -> T:
    """``task(progress)`` in a forked process; its result, or its error, raised here.

    Raises:
        GenError: the task raised it; or its process stopped without a result.
        CrashedApart: the task met a bug (its traceback is the message).
    """
    if not can_run_apart():
        return task(progress)
    reading, writing = os.pipe()
    child, pidfd, stopped = -1, -1, 0
    previous: dict[int, Any] = {}
    outcome: tuple[str, Any] | None = None
    try:
        # handled before the fork: a signal that comes at any time after it stops the child
        _handled(STOPPING, previous)
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
        try:
            parent = os.getpid()
            with contextlib.suppress(OSError):  # no process to be had: made here
                child = os.fork()
            if child == 0:  # pragma: no cover - the forked process, seen by the tests
                _forked(task, progress is not None, (reading, writing), blocked, previous, parent)
            if child > 0:
                with contextlib.suppress(OSError):  # the child does it too: whichever first
                    os.setpgid(child, child)
                with contextlib.suppress(OSError):  # none: the child is stopped, made here
                    pidfd = os.pidfd_open(child)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        if pidfd >= 0:
            os.close(writing)
            writing = -1
            outcome = _outcome(pidfd, reading, progress)
    except _Stopped as stop:
        stopped = stop.signum
    finally:
        _restore(previous)
        _end(child, (pidfd, reading, writing))
    if stopped:
        signal.raise_signal(stopped)  # as if it came now: gen stops as it would have
        raise GenError("gen was stopped while it checked the call folder")
    if outcome is None:
        return task(progress)  # no process to wait on (a limit of processes): as without fork
    kind, value = outcome
    if kind == "result":
        return value  # type: ignore[no-any-return]
    if kind == "error":
        raise value
    raise CrashedApart(f"in the process that checked the call folder:\n{value}")


def _outcome(pidfd: int, reading: int, progress: Progress | None) -> tuple[str, Any]:
    """What the forked process sent, read until it ends.

    Raises:
        GenError: it ended without sending its outcome whole.
    """
    received = bytearray()
    outcome: tuple[str, Any] | None = None
    waiting = select.poll()  # not select(): any descriptor number
    waiting.register(reading, select.POLLIN)
    waiting.register(pidfd, select.POLLIN)
    while True:
        ready = {descriptor for descriptor, _ in waiting.poll()}
        if pidfd in ready:
            # it ended: what it wrote is in the pipe, which the processes it started may
            # still hold open (killed, it could not stop them): read what is there
            os.set_blocking(reading, False)
            with contextlib.suppress(BlockingIOError):
                while chunk := os.read(reading, 1 << 20):
                    received += chunk
            outcome = _told(received, progress) or outcome
            break
        chunk = os.read(reading, 1 << 20)
        if not chunk:
            break  # every writer gone: it ended, or is ending
        received += chunk
        outcome = _told(received, progress) or outcome
    if outcome is None:
        raise GenError(STOPPED)
    return outcome


def _end(child: int, descriptors: tuple[int, ...]) -> None:
    """Stop the forked process and those it started, if any is left; reap it; close."""
    if child > 0:
        # not reaped yet, it keeps its id: the group cannot be another's
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(child, signal.SIGKILL)  # itself, should its group not be made yet
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(child, 0)
    for descriptor in descriptors:
        if descriptor >= 0:
            os.close(descriptor)


def _told(received: bytearray, progress: Progress | None) -> tuple[str, Any] | None:
    """Act on each whole message received, taken out of ``received``; the outcome if sent."""
    outcome = None
    while len(received) >= FRAME:
        size = int.from_bytes(received[:FRAME], "big")
        if len(received) < FRAME + size:
            break
        kind, value = pickle.loads(bytes(received[FRAME : FRAME + size]))
        del received[: FRAME + size]
        if kind == "progress" and progress is not None:
            for (name, total), done in value.items():
                progress(name, done, total)
        elif kind != "progress":
            outcome = (kind, value)
    return outcome


def _handled(signals: tuple[int, ...], previous: dict[int, Any]) -> None:
    """Have these signals stop the wait (``_Stopped``); the handlers they had in ``previous``."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise _Stopped(signum)

    with contextlib.suppress(ValueError):  # not the main thread: left as they are
        for signum in signals:
            if signal.getsignal(signum) is not signal.SIG_IGN:  # nohup: still ignored
                previous[signum] = signal.signal(signum, stop)


def _restore(previous: dict[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def _forked(
    task: Callable[[Progress | None], Any],
    told: bool,
    pipe: tuple[int, int],
    blocked: set[int | signal.Signals],
    handled: dict[int, Any],
    parent: int,
) -> None:  # pragma: no cover - runs in the forked process
    """The forked side of :func:`apart`: never returns, never runs gen's own clean-up."""
    status = _UNSENT
    try:
        os.setpgid(0, 0)
        dies_with_parent(parent)  # gen killed (SIGKILL): nothing of it checks on
        for signum in handled:  # those gen ignores stay ignored
            signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        reading, writing = pipe
        os.close(reading)
        with os.fdopen(writing, "wb") as out:
            _run(task, told, out)
        status = 0
    finally:
        os._exit(status)


def _run(
    task: Callable[[Progress | None], Any], told: bool, out: BinaryIO
) -> None:  # pragma: no cover - runs in the forked process
    """Run the task; send its progress as it goes, then its outcome."""
    pending: dict[tuple[str, int], int] = {}
    last = time.monotonic()

    def tell(kind: str, done: int, total: int) -> None:
        nonlocal last
        pending[kind, total] = pending.get((kind, total), 0) + done
        if time.monotonic() - last >= TOLD_EVERY:
            _send(out, ("progress", dict(pending)))
            pending.clear()
            last = time.monotonic()

    try:
        message: tuple[str, Any] = ("result", task(tell if told else None))
    except GenError as error:
        message = ("error", portable(error))
    except Exception as error:
        pools = sys.modules.get("concurrent.futures.process")
        if pools is not None and isinstance(error, pools.BrokenProcessPool):
            message = ("error", GenError(STOPPED))  # one it started was stopped from outside
        else:
            message = ("crash", traceback.format_exc())
    if pending:
        _send(out, ("progress", dict(pending)))
    try:
        _send(out, message)
    except (pickle.PicklingError, TypeError, AttributeError):  # a result that cannot cross
        _send(out, ("crash", traceback.format_exc()))


def _send(out: BinaryIO, message: tuple[str, Any]) -> None:
    out.write(framed(message))
    out.flush()
