"""Reading many files at once: from the cache of earlier runs, then on every core.

The work done on one file is a plain function of its bytes and displayed path (parse,
validate, keep what is valid), so it can run in another process and its result be stored:
the results come back in the order of the files, the same whichever way they were made.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from gen_cli.resultcache import ResultCache, loads, result_key

#: Below this many bytes to read, starting processes costs more than it saves (a dossier
#: is about a kilobyte, a review file of 750 evaluations about a hundred).
PARALLEL_FROM = 500_000

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
        if keys is None:
            keys = [result_key(kind, display, raw) for raw, display in files]
        stored = self.cache.get_many(keys) if self.cache is not None else {}
        missing = [i for i, key in enumerate(keys) if key not in stored]
        tell = self.progress or (lambda kind, done, total: None)
        tell(kind, len(files) - len(missing), len(files))
        todo = [files[i] for i in missing]
        made: dict[int, Any] = {}
        blobs: list[bytes] = []
        # each result is rebuilt as it comes, while the other processes go on reading
        for index, blob in zip(missing, _made(work, todo, self.jobs), strict=True):
            made[index] = pickle.loads(blob)  # made by this run, just now
            blobs.append(blob)
            tell(kind, 1, len(files))
        self.hits += len(files) - len(missing)
        self.misses += len(missing)
        if self.cache is not None:
            self.cache.put_many(
                ((keys[i], blob) for i, blob in zip(missing, blobs, strict=True)), keys
            )
        results = []
        for index, key in enumerate(keys):
            if index in made:
                results.append(made[index])
                continue
            try:
                results.append(loads(stored[key]))
            except pickle.UnpicklingError:  # a damaged entry: made again, and forgotten
                if self.cache is not None:
                    self.cache.forget(key)
                results.append(pickle.loads(_pickled(work, *files[index])))
        return results


def available_cores() -> int:
    """The cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def _made(work: Work, files: list[tuple[bytes, str]], jobs: int) -> Iterator[bytes]:
    """The pickled results of ``work`` on ``files``, in order, on up to ``jobs`` processes."""
    if jobs <= 1 or len(files) < 2 or sum(len(raw) for raw, _ in files) < PARALLEL_FROM:
        for raw, display in files:
            yield _pickled(work, raw, display)
        return
    import multiprocessing  # only for large calls: 60 ms of start-up
    from concurrent.futures import ProcessPoolExecutor

    workers = min(jobs, len(files))
    # fork shares the loaded modules: a worker starts in milliseconds, not half a second
    # (not on macOS, where fork is unsafe, nor where there is none)
    linux = sys.platform.startswith("linux")
    context = multiprocessing.get_context("fork" if linux else None)
    chunk = max(1, len(files) // (workers * 8))
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from pool.map(
            _pickled, [work] * len(files), *zip(*files, strict=True), chunksize=chunk
        )


def _pickled(work: Work, raw: bytes, display: str) -> bytes:
    return pickle.dumps(work(raw, display), protocol=pickle.HIGHEST_PROTOCOL)


#: The task of :func:`forked_map`, set while its processes are forked from this one.
_TASK: Callable[[int], Any] | None = None


def forked_map(
    task: Callable[[int], T],
    count: int,
    jobs: int,
    meanwhile: Callable[[], object] | None = None,
) -> list[T]:
    """``task(i)`` for each ``i`` below ``count``, in order, on up to ``jobs`` processes.

    ``task`` may be a closure: the processes are forked from this one once it is set, and
    inherit it. Each process takes one run of consecutive ``i``, so an error is raised for
    the first ``i`` that fails, as one after another would. Where there is no fork
    (macOS, Windows) the tasks run here, one after another.

    Args:
        meanwhile: other work, done here while the processes run (after the tasks, when
            they run here); an error it raises is raised once the processes are done, and
            only if no task failed, as when everything runs here.
    """
    global _TASK
    if jobs <= 1 or count < 2 or not sys.platform.startswith("linux"):
        results = [task(i) for i in range(count)]
        if meanwhile is not None:
            meanwhile()
        return results
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    workers = min(jobs, count)
    bounds = [count * n // workers for n in range(workers + 1)]
    _TASK = task
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            running = pool.map(_run_part, bounds[:-1], bounds[1:])  # every part started
            failed: Exception | None = None
            try:
                if meanwhile is not None:
                    meanwhile()
            except Exception as error:  # the tasks' own error first, as in one process
                failed = error
            parts = list(running)
            if failed is not None:
                raise failed
    finally:
        _TASK = None
    return [result for part in parts for result in part]


def _run_part(start: int, stop: int) -> list[Any]:
    task = _TASK
    assert task is not None, "forked before the task was set"
    return [task(i) for i in range(start, stop)]
