"""Reading many files at once: from the cache of earlier runs, then on every core.

The work done on one file is a plain function of its bytes and displayed path (parse,
validate, keep what is valid), so it can run in another process and its result be stored:
the results come back in the order of the files, the same whichever way they were made.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import pickle
import select
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from gen_cli.errors import GenError, portable
from gen_cli.faultpoints import pause
from gen_cli.resultcache import ResultCache, hashed_result_key, loads, result_key

if TYPE_CHECKING:
    from concurrent.futures import Future

#: Below this many bytes to read, starting processes costs more than it saves (a dossier
#: is about a kilobyte, a review file of 750 evaluations about a hundred).
PARALLEL_FROM = 500_000
#: Results made are stored when they reach this many bytes. Each commit writes again the
#: pages of the cache's index it touches: 50 commits of 100,000 results took 2.3 times as
#: long as one, 4 commits 1.1 times.
_STORED_AT_ONCE = 64_000_000

Work = Callable[[bytes, str], Any]
T = TypeVar("T")
#: Told, as the work goes, the kind of files, how many more are done and of how many.
Progress = Callable[[str, int, int], None]


@dataclass
class Batch:
    """How files are read: on how many processes, and with which cache (None: no cache)."""

    jobs: int = 1
    cache: ResultCache | None = None
    progress: Progress | None = None
    hits: int = field(default=0, init=False)
    misses: int = field(default=0, init=False)

    @classmethod
    def default(cls, outside: Sequence[Path] = ()) -> Batch:
        """Every core this process may use, and the user's cache unless GEN_NO_CACHE is set.

        Args:
            outside: folders the cache may not lie in (the call folder, its repository).
        """
        use_cache = os.environ.get("GEN_NO_CACHE", "") in {"", "0"}
        cache = ResultCache(outside=outside) if use_cache else None
        return cls(jobs=available_cores(), cache=cache)

    def run(
        self,
        work: Work,
        kind: str,
        files: Sequence[tuple[bytes, str]],
        keys: Sequence[bytes] | None = None,
    ) -> list[Any]:
        """``work(raw, display)`` for each file, in order; from the cache when it holds it.

        ``work`` must be a module-level function, so that other processes can run it.

        Args:
            keys: each file's :func:`result_key`, when the caller made them already.
        """
        return self.run_all([Reading(work, kind, files, keys)])[0]

    def run_all(self, readings: Sequence[Reading]) -> list[list[Any]]:
        """:meth:`run` of each reading, all on the same processes at once.

        Dossiers and review files read together keep every core busy to the end, and
        start the processes once.
        """
        keyed = [
            list(r.keys)
            if r.keys is not None
            else [result_key(r.kind, d, _given(r, i)) for i, (_, d) in enumerate(r.files)]
            for r in readings
        ]
        every = [key for keys in keyed for key in keys]
        stored = self.cache.get_many(every) if self.cache is not None else {}
        tell = self.progress or (lambda kind, done, total: None)
        todo: list[tuple[int, int]] = []  # (reading, file) of each result to make
        for number, (reading, keys) in enumerate(zip(readings, keyed, strict=True)):
            missing = [i for i, key in enumerate(keys) if key not in stored]
            tell(reading.kind, len(keys) - len(missing), len(keys))
            todo += [(number, i) for i in missing]
            self.hits += len(keys) - len(missing)
            self.misses += len(missing)
        # the files left out are read where their results are made, unless read here
        fetched = {
            place: _fetch(readings[place[0]], place[1])
            for place in todo
            if readings[place[0]].files[place[1]][0] is None and readings[place[0]].fetch
        }
        got = {
            place: _bytes(readings[place[0]], place[1]) for place in todo if place not in fetched
        }
        made: dict[tuple[int, int], Any] = {
            place: found.result for place, found in got.items() if isinstance(found, Made)
        }
        read = {place: raw for place, raw in got.items() if isinstance(raw, bytes)}
        del got
        for (number, index), raw in read.items():
            reading = readings[number]
            if reading.files[index][0] is None:  # read just now: the key of what was read
                keyed[number][index] = result_key(reading.kind, reading.files[index][1], raw)
        given: dict[tuple[int, int], bytes | Fetch] = {**read, **fetched}
        del read, fetched
        todo = [place for place in todo if place in given]
        # the largest first, so that no process is left with a large file at the end
        todo.sort(key=lambda place: -_size(given[place]))
        # each file's bytes let go once its result is made: nothing else holds them
        tasks = deque(
            (_work(readings[n]), given.pop((n, i)), readings[n].files[i][1]) for n, i in todo
        )
        blobs: list[tuple[bytes, bytes]] = []
        held = 0
        # each result is rebuilt as it comes, while the other processes go on reading, and
        # stored a few times rather than all held to the end (hundreds of megabytes)
        for place, out in zip(todo, _made(tasks, self.jobs), strict=True):
            reading = readings[place[0]]
            if isinstance(out, Fetched):
                unread = _settled(reading, place[1], out)
                if unread is not None:  # its result says why, and is not kept
                    made[place] = unread.result
                    tell(reading.kind, 1, len(keyed[place[0]]))
                    continue
                display = reading.files[place[1]][1]
                keyed[place[0]][place[1]] = hashed_result_key(reading.kind, display, out.digest)
                blob = out.blob
            else:
                blob = out
            if reading.cut is None:
                made[place] = reading.then(pickle.loads(blob))  # made just now
            else:  # the whole kept as it came, never rebuilt here: its part came beside it
                blob, made[place] = pickle.loads(blob)
            tell(reading.kind, 1, len(keyed[place[0]]))
            if self.cache is not None:
                blobs.append((keyed[place[0]][place[1]], blob))
                held += len(blob)
                if held >= _STORED_AT_ONCE:
                    self.cache.put_many(blobs, ())
                    blobs, held = [], 0
        if self.cache is not None:
            self.cache.put_many(blobs, every)
        # the stored bytes let go as each result is rebuilt, unless a key comes again
        take = stored.pop if len(set(every)) == len(every) else stored.__getitem__
        results: list[list[Any]] = []
        for number, (reading, keys) in enumerate(zip(readings, keyed, strict=True)):
            results.append([])
            for index, key in enumerate(keys):
                if (number, index) in made:
                    results[-1].append(made.pop((number, index)))
                    continue
                try:
                    results[-1].append(_done(reading, loads(take(key))))
                except pickle.UnpicklingError:  # a damaged entry: made again, and forgotten
                    if self.cache is not None:
                        self.cache.forget(key)
                    again = _bytes(reading, index)
                    if isinstance(again, Made):
                        results[-1].append(again.result)
                        continue
                    display = reading.files[index][1]
                    made_again = pickle.loads(_pickled(reading.work, again, display))
                    results[-1].append(_done(reading, made_again))
        return results

    def run_parts(self, readings: Sequence[Reading], part: Callable[[Any], Any]) -> list[list[Any]]:
        """``part`` of each result of :meth:`run_all`, each part kept apart from its whole.

        A small part of a large result (a decision record without its decisions) is read
        back from the cache without the rest: at 100,000 dossiers, a round's record takes
        most of a second to rebuild, its outline a millisecond. The part's key names
        ``part`` (its module and name), so the same key means the same part of the same
        bytes with the same code. Both entries are kept when the cache is pruned: the
        whole is read when the part is not enough. The wholes not kept are made together,
        on every core.
        """
        if self.cache is None:
            return [[part(result) for result in results] for results in self.run_all(readings)]
        name = f"\0{part.__module__}.{part.__qualname__}"
        # each file hashed once for both keys (a record is tens of megabytes), or known by
        # its digest and read only if its part is not kept
        hashed = [
            list(r.digests)
            if r.digests is not None
            else [hashlib.sha256(_given(r, i)).digest() for i in range(len(r.files))]
            for r in readings
        ]
        wholes = [
            [hashed_result_key(r.kind, d, h) for h, (_, d) in zip(row, r.files, strict=True)]
            for r, row in zip(readings, hashed, strict=True)
        ]
        keys = [
            [hashed_result_key(r.kind + name, d, h) for h, (_, d) in zip(row, r.files, strict=True)]
            for r, row in zip(readings, hashed, strict=True)
        ]
        stored = self.cache.get_many([key for row in keys for key in row])
        answers: list[list[Any]] = [[None] * len(r.files) for r in readings]
        missing: list[tuple[int, int]] = []
        used: list[bytes] = []  # a part found, and its whole
        for number, row in enumerate(keys):
            for index, key in enumerate(row):
                try:
                    answers[number][index] = loads(stored[key])
                except KeyError:
                    missing.append((number, index))
                except pickle.UnpicklingError:  # a damaged entry: made again
                    self.cache.forget(key)
                    missing.append((number, index))
                else:
                    used += (key, wholes[number][index])
        self.hits += len(used) // 2
        self.cache.put_many([], used)
        # each whole cut to its part where it is made, and kept as it came from there: a
        # round's record is not rebuilt here only to be cut (most of a second each)
        again = [
            Reading(
                readings[n].work,
                readings[n].kind,
                [readings[n].files[i]],
                [wholes[n][i]],
                fill=_filled(readings[n], i),
                cut=part,
            )
            for n, i in missing
        ]
        made: list[tuple[bytes, bytes]] = []
        for (number, index), results in zip(missing, self.run_all(again), strict=True):
            answers[number][index] = result = results[0]
            blob = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
            made.append((keys[number][index], blob))
        self.cache.put_many(made, [key for key, _ in made])
        return answers


@dataclass(frozen=True)
class Reading:
    """Files of one kind to read with one work (see :meth:`Batch.run`).

    A file's bytes may be left out (None) when its key is given: ``fill(i)`` reads them,
    only if the result of the ``i``-th file is not kept; the result is kept under the key
    of the bytes read. When they cannot be read, ``fill`` gives the file's result (Made).
    """

    work: Work
    kind: str
    files: Sequence[tuple[bytes | None, str]]
    keys: Sequence[bytes] | None = None
    fill: Callable[[int], bytes | Made] | None = None
    #: Done to each result as soon as it is rebuilt, before the next one is.
    then: Callable[[Any], Any] = lambda result: result
    #: Each file's SHA-256, for :meth:`Batch.run_parts` to key files whose bytes are left
    #: out (``fill`` reads them if their part is not kept, and must give those bytes).
    digests: Sequence[bytes] | None = None
    #: The part of each result given back, instead of ``then``'s: cut in the process that
    #: makes the result, which sends the whole already pickled, kept as it is.
    cut: Callable[[Any], Any] | None = None
    #: How the process that makes the result of a file left out reads it itself, instead
    #: of this one reading it for ``fill``: the ``i``-th file's :class:`Fetch`.
    fetch: Callable[[int], Fetch] | None = None
    #: Told, here, what that process read (:class:`Fetched`); gives the file's result
    #: (Made) when it could not be read, as ``fill`` would.
    fetched: Callable[[int, Fetched], Made | None] | None = None


@dataclass(frozen=True)
class Fetch:
    """Where a file left out of a reading is, for the process that makes its result.

    ``read(path, display)`` gives its bytes or why it cannot be read, as ``fill`` does
    here; it must be a module-level function, so that other processes can run it.
    """

    read: Callable[[Path, str], tuple[bytes | None, list[Any]]]
    path: Path
    #: The SHA-256 the file had when it was hashed: its bytes come back only if not.
    digest: bytes
    #: Its size when it was listed to be read (the largest are handed out first).
    size: int


class Fetched(NamedTuple):
    """What the process that read a file left out of a reading found, and made of it."""

    #: The SHA-256 of the bytes read; empty when they could not be read.
    digest: bytes
    #: The bytes read, when they are not those hashed (None when they are).
    raw: bytes | None
    #: Why the file could not be read.
    problems: list[Any]
    #: The pickled result of the work on the bytes read.
    blob: bytes


def _fetch(reading: Reading, index: int) -> Fetch:
    fetch = reading.fetch
    if fetch is None:
        raise ValueError("a file fetched from a reading that cannot fetch it")
    return fetch(index)


def _size(raw: bytes | Fetch) -> int:
    return raw.size if isinstance(raw, Fetch) else len(raw)


def _settled(reading: Reading, index: int, out: Fetched) -> Made | None:
    """What was read elsewhere told to the reading; the file's result if it could not be."""
    if reading.fetched is None:
        raise ValueError("a reading told a file read elsewhere that cannot be told it")
    return reading.fetched(index, out)


def _work(reading: Reading) -> Work:
    """What a process does to a file of the reading: its work, and the cut if there is one."""
    if reading.cut is None:
        return reading.work
    return functools.partial(_whole_and_part, reading.work, reading.cut)


def _whole_and_part(work: Work, cut: Callable[[Any], Any], raw: bytes, display: str) -> Any:
    whole = work(raw, display)
    return pickle.dumps(whole, protocol=pickle.HIGHEST_PROTOCOL), cut(whole)


def _done(reading: Reading, result: Any) -> Any:
    """What a reading gives of a result rebuilt here."""
    return reading.then(result) if reading.cut is None else reading.cut(result)


@dataclass(frozen=True)
class Made:
    """The result of a file whose bytes could not be read after all: never kept."""

    result: Any


def _bytes(reading: Reading, index: int) -> bytes | Made:
    """The bytes of a reading's file, read now if they were left out."""
    raw = reading.files[index][0]
    if raw is not None:
        return raw
    if reading.fill is None:
        raise ValueError("a file's bytes left out of a reading that cannot read them")
    return reading.fill(index)


def _filled(reading: Reading, index: int) -> Callable[[int], bytes | Made] | None:
    """What reads the ``index``-th file of a reading, as the only file of another."""
    fill = reading.fill
    return None if fill is None else lambda _: fill(index)


def _given(reading: Reading, index: int) -> bytes:
    """The bytes of a reading's file, which must be given."""
    raw = reading.files[index][0]
    if raw is None:
        raise ValueError("a reading of parts is given the bytes of every file")
    return raw


def available_cores() -> int:
    """The cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


#: A task of :func:`_made`: the work, a file's bytes (or where to read them) and its
#: displayed path.
Task = tuple[Work, bytes | Fetch, str]


def _made(tasks: deque[Task], jobs: int) -> Iterator[bytes | Fetched]:
    """The pickled result of each task, in order, on up to ``jobs`` processes.

    The tasks are taken from ``tasks`` as they are handed out, so that the bytes of the
    files done are let go (the results of 100,000 dossiers are made with a few thousand
    files held at once).
    """
    total = sum(_size(raw) for _, raw, _ in tasks)
    if jobs <= 1 or len(tasks) < 2 or total < PARALLEL_FROM:
        while tasks:
            yield _made_one(*tasks.popleft())
        return
    import multiprocessing  # only for large calls: 60 ms of start-up
    from concurrent.futures import ProcessPoolExecutor

    workers = min(jobs, len(tasks))
    # fork shares the loaded modules: a worker starts in milliseconds, not half a second
    # (not on macOS, where fork is unsafe, nor where there is none)
    linux = sys.platform.startswith("linux")
    context = multiprocessing.get_context("fork" if linux else None)
    # parts of about the same bytes, so of about the same work: a part of as many files
    # as the others would hold the 400 largest (a review file is a hundred dossiers), and
    # the other process, its own parts done, would wait for the results to be taken in order
    share = max(1, total // (workers * 32))
    running: deque[Future[list[bytes | Fetched]]] = deque()
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=dies_with_parent,
        initargs=(os.getpid(),),
    ) as pool:

        def hand_out() -> None:
            running.append(pool.submit(_pickled_all, taken_part(tasks, share)))

        # a few chunks ahead of each process: none waits, and few files are held
        while tasks and len(running) < 3 * workers:
            hand_out()
        while running:
            done = running.popleft().result()
            if tasks:
                hand_out()
            yield from done


def taken_part(tasks: deque[Task], share: int) -> list[Task]:
    """The next tasks, taken off ``tasks``: one, then as many as fit in ``share`` bytes."""
    first = tasks.popleft()
    part, size = [first], _size(first[1])
    while tasks and size + _size(tasks[0][1]) <= share:
        part.append(tasks.popleft())
        size += _size(part[-1][1])
    return part


def _pickled(work: Work, raw: bytes, display: str) -> bytes:
    return pickle.dumps(work(raw, display), protocol=pickle.HIGHEST_PROTOCOL)


def _made_one(work: Work, raw: bytes | Fetch, display: str) -> bytes | Fetched:
    """A task's pickled result; a file left out is read and hashed here first."""
    if not isinstance(raw, Fetch):
        return _pickled(work, raw, display)
    got, problems = raw.read(raw.path, display)
    if got is None:
        return Fetched(b"", None, problems, b"")
    digest = hashlib.sha256(got).digest()
    blob = _pickled(work, got, display)
    return Fetched(digest, None if digest == raw.digest else got, [], blob)


def _pickled_all(tasks: list[Task]) -> list[bytes | Fetched]:
    pause("reading")  # where a test stops a reading process, to see it stop with gen
    return [_made_one(*task) for task in tasks]


#: The task of :func:`forked_map`, set while its processes are forked from this one.
_TASK: Callable[[int], Any] | None = None
#: How many runs of tasks :func:`forked_map` hands each process, about: the more, the
#: closer together the processes end, each run costing a message each way.
RUNS_EACH = 8


def forked_map(
    task: Callable[[int], T],
    count: int,
    jobs: int,
    meanwhile: Callable[[], object] | None = None,
    told: Callable[[int], object] | None = None,
) -> list[T]:
    """``task(i)`` for each ``i`` below ``count``, in order, on up to ``jobs`` processes.

    ``task`` may be a closure: the processes are forked from this one once it is set, and
    inherit it. The tasks are handed out in runs of consecutive ``i``, a few for each
    process, in order, each to the first process free: the processes end together even
    when some tasks take far longer than others. An error is raised for the first ``i``
    that fails, as one after another would. Where there is no fork (macOS, Windows) the
    tasks run here, one after another.

    Args:
        meanwhile: other work, done here while the processes run (after the tasks, when
            they run here); an error it raises is raised once the processes are done, and
            only if no task failed, as when everything runs here.
        told: told how many more tasks are done, as each run of them ends (from the thread
            of this process that waits for the processes, while ``meanwhile`` runs here).
    """
    global _TASK
    if jobs <= 1 or count < 2 or not sys.platform.startswith("linux"):
        results = []
        for i in range(count):
            results.append(task(i))
            if told is not None:
                told(1)
        if meanwhile is not None:
            meanwhile()
        return results
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    workers = min(jobs, count)
    runs = min(count, workers * RUNS_EACH)
    bounds = [count * n // runs for n in range(runs + 1)]
    _TASK = task
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=dies_with_parent,
            initargs=(os.getpid(),),
        ) as pool:
            # every run handed out (the processes are all forked by the first)
            running = [pool.submit(_run_part, a, b) for a, b in itertools.pairwise(bounds)]
            telling = _Telling(told, [b - a for a, b in itertools.pairwise(bounds)])
            for index, future in enumerate(running):
                future.add_done_callback(functools.partial(telling.ended, index))
            failed: Exception | None = None
            try:
                if meanwhile is not None:
                    meanwhile()
            except Exception as error:  # the tasks' own error first, as in one process
                failed = error
            try:
                parts = [future.result() for future in running]  # the first that fails raises
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)  # the runs after it not started
                raise
            if failed is not None:
                raise failed
            telling.rest()  # the runs whose end the waiting thread has not told yet
    finally:
        _TASK = None
    return [result for part in parts for result in part]


class _Telling:
    """How many tasks each run did, told once as it ends well (``forked_map``'s ``told``).

    A run's end is told from the thread that waits for the processes, which may still be
    telling it when its result is already here: what is left is told here, and nothing
    after :meth:`rest` is told.
    """

    def __init__(self, told: Callable[[int], object] | None, sizes: list[int]) -> None:
        self._told = told
        self._left = dict(enumerate(sizes))
        self._lock = threading.Lock()

    def ended(self, index: int, run: Future[Any]) -> None:
        """The ``index``-th run ended: its tasks are told if it ended well."""
        if not run.cancelled() and run.exception() is None:
            with self._lock:  # held while telling: none is told after rest() returns
                self._tell(self._left.pop(index, 0))

    def rest(self) -> None:
        """Tell the runs not told yet, all ended well; nothing is told after."""
        with self._lock:
            for tasks in self._left.values():
                self._tell(tasks)
            self._left.clear()

    def _tell(self, tasks: int) -> None:
        if tasks and self._told is not None:
            self._told(tasks)


def _run_part(start: int, stop: int) -> list[Any]:
    task = _TASK
    assert task is not None, "forked before the task was set"
    try:
        return [task(i) for i in range(start, stop)]
    except GenError as error:
        raise portable(error) from None  # said the same in the process that waits


P = TypeVar("P")
R = TypeVar("R")
#: The task of :func:`forked_chain`, the pipes its processes read and those they tell their
#: values down, set while they are forked from this one.
_CHAIN: tuple[Callable[..., Any], int, list[int], list[int], list[int]] | None = None
#: How many tasks of a chain one pool of processes runs: each task has two pipes, so a chain
#: of any length holds at most four times this many descriptors at once.
CHAIN_WINDOW = 64
#: The length in bytes of the size that comes before each message between processes.
FRAME = 8


class ChainBroken(Exception):
    """What a task of :func:`forked_chain` waited for will not come: an earlier one failed."""


def forked_chain(
    task: Callable[[int, Callable[[], list[P]], Callable[[P], None]], tuple[P, R]],
    count: int,
    jobs: int,
) -> Iterator[R]:
    """The results of ``task(i, earlier, pass_on)`` for each ``i`` below ``count``, in order.

    Each task passes on a value to the tasks after it: the one it returns, which it may
    give ``pass_on`` as soon as it knows it, before it ends. ``earlier()`` waits for
    the values of the tasks before it, and gives them in order (asked again, it gives them
    again). Up to ``jobs`` tasks run at once, each in a process forked from this one
    (``task`` may be a closure): a task does what it can before it asks, while the one
    before it ends; a pool of processes runs ``CHAIN_WINDOW`` tasks, then the next pool the
    next ones. Where there is no fork (macOS, Windows), or one process, the tasks run
    here one after another. An error is raised for the first task that fails, as one
    after another would.

    Raises:
        concurrent.futures.process.BrokenProcessPool: a process was stopped from outside.
    """
    passed: list[P] = []
    if jobs <= 1 or count < 2 or not sys.platform.startswith("linux"):
        for index in range(count):
            value, result = task(index, lambda: list(passed), lambda _: None)
            passed.append(value)
            yield result
        return
    for start in range(0, count, CHAIN_WINDOW):
        yield from _chain_window(task, range(start, min(count, start + CHAIN_WINDOW)), jobs, passed)


def _chain_window(
    task: Callable[[int, Callable[[], list[P]], Callable[[P], None]], tuple[P, R]],
    window: range,
    jobs: int,
    passed: list[P],
) -> Iterator[R]:
    """The results of the tasks in ``window``, run by one pool, given ``passed`` before them."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _CHAIN
    reading: list[int] = []  # to each task: the values before it
    writing: list[int] = []
    told_reading: list[int] = []  # from each task: its value, told early
    told_writing: list[int] = []
    try:
        for _ in window:
            _piped(reading, writing)
            _piped(told_reading, told_writing)
        _CHAIN = (task, window.start, reading, writing, told_writing)
        context = multiprocessing.get_context("fork")
        pool = ProcessPoolExecutor(
            max_workers=min(jobs, len(window)),
            mp_context=context,
            initializer=_chain_started,
            initargs=(os.getpid(),),
        )
        with pool:
            running: list[Future[tuple[P, R]] | None] = []
            try:  # handed out inside: a task waiting is told if handing out the next fails
                running.extend(pool.submit(_chain_link, index) for index in window)
                if window.start > 0:  # the values of the windows before, all known
                    _deliver(writing[0], framed(passed), running[0])
                for at in range(len(window)):
                    future = running[at]
                    assert future is not None
                    early = _told(told_reading[at], future)
                    if early:
                        passed.append(early[0])
                        if at + 1 < len(window):
                            _deliver(writing[at + 1], framed(passed), running[at + 1])
                    value, result = future.result()
                    if not early:
                        passed.append(value)
                        if at + 1 < len(window):
                            _deliver(writing[at + 1], framed(passed), running[at + 1])
                    del future, value, early
                    running[at] = None  # its result let go once given
                    yield result
                    del result
            finally:
                # those not started never start; one waiting is told nothing will come
                for waiting in running:
                    if waiting is not None:
                        waiting.cancel()
                for at, descriptor in enumerate(writing):
                    if descriptor >= 0:
                        os.close(descriptor)
                        writing[at] = -1
    finally:
        _CHAIN = None
        for descriptor in [*reading, *writing, *told_reading, *told_writing]:
            if descriptor >= 0:
                os.close(descriptor)


def _piped(reads: list[int], writes: list[int]) -> None:
    """A new pipe's two ends added to ``reads`` and ``writes``, so that both are closed."""
    read, write = os.pipe()
    reads.append(read)
    writes.append(write)


def _told(descriptor: int, future: Future[Any]) -> list[Any]:
    """The value a task told early, in a list; empty when it ended without telling one.

    A task writes its value in one piece (``_chain_link``): once the pipe can be read, the
    whole of it is there.
    """
    waiting = select.poll()  # not select(): descriptors may be numbered above 1024
    waiting.register(descriptor, select.POLLIN)
    while True:
        ended = future.done()  # before looking: a value told before the end is seen
        if waiting.poll(0 if ended else 10):
            size = int.from_bytes(_read_exactly(descriptor, FRAME), "big")
            return [pickle.loads(_read_exactly(descriptor, size))]
        if ended:
            return []


def framed(message: Any) -> bytes:
    """``message`` pickled, after its size: what one process sends another down a pipe."""
    blob = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return len(blob).to_bytes(FRAME, "big") + blob


def memory_given_back() -> None:
    """Give the memory this process freed back to the system, where the C library can.

    A process that goes on to other work after a large one (a round's process, which
    computes another round) would otherwise keep the freed pages and add the next
    round's on top (glibc's ``malloc_trim``; nothing elsewhere).
    """
    trim = _glibc("malloc_trim")
    if trim is not None:
        trim(0)


def _glibc(name: str) -> Any:
    """The C library's function ``name`` on Linux with glibc; None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        return getattr(ctypes.CDLL(None), name)
    except (AttributeError, OSError):  # not glibc
        return None


def dies_with_parent(parent: int) -> None:
    """End this process, forked to work for the process ``parent``, when that one ends.

    A gen stopped by a signal it cannot handle (SIGKILL), or one that ends it at once
    (SIGTERM), leaves no process reading or computing on for nothing. Linux only
    (``prctl``'s parent-death signal); elsewhere the processes end with their work.
    """
    prctl = _glibc("prctl")
    if prctl is None:
        return
    import signal

    prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it ended before it could be watched
        os._exit(1)


#: prctl's option that names the signal a process gets when its parent ends.
_PR_SET_PDEATHSIG = 1


def _chain_started(parent: int) -> None:  # pragma: no cover - runs in the forked processes
    """In each process of a chain: only this one writes what the tasks wait for."""
    assert _CHAIN is not None, "forked before the chain was set"
    dies_with_parent(parent)
    for descriptor in _CHAIN[3]:
        os.close(descriptor)


def _chain_link(index: int) -> Any:  # pragma: no cover - runs in the forked processes
    assert _CHAIN is not None, "forked before the chain was set"
    task, start, reading, _, told_writing = _CHAIN

    given: list[list[Any]] = []
    told: list[bool] = []

    def earlier() -> list[Any]:
        if index == 0:
            return []
        if not given:  # read once: asked again, the same
            head = _read_exactly(reading[index - start], FRAME)
            size = int.from_bytes(head, "big")
            given.append(pickle.loads(_read_exactly(reading[index - start], size)))
        return list(given[0])

    def pass_on(value: Any) -> None:
        message = framed(value)
        # written in one piece, or not early: passed on when the task returns it
        if not told and len(message) <= select.PIPE_BUF:
            os.write(told_writing[index - start], message)
            told.append(True)

    try:
        return task(index, earlier, pass_on)
    except GenError as error:
        raise portable(error) from None  # said the same in the process that waits


def _read_exactly(descriptor: int, size: int) -> bytes:  # pragma: no cover - forked side
    parts = bytearray()
    while len(parts) < size:
        chunk = os.read(descriptor, size - len(parts))
        if not chunk:
            raise ChainBroken("an earlier task of the chain failed")
        parts += chunk
    return bytes(parts)


def _deliver(descriptor: int, data: bytes, reader: Future[Any] | None) -> None:
    """Write ``data`` to the pipe a task reads, unless that task ends without reading it.

    A message larger than the pipe holds is written as the task reads it; one the task
    never reads (it failed first, or did not ask) is dropped once the task has ended.
    """
    os.set_blocking(descriptor, False)
    waiting = select.poll()
    waiting.register(descriptor, select.POLLOUT)
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(descriptor, view) :]
        except BlockingIOError:
            if reader is None or reader.done():
                return
            waiting.poll(50)
